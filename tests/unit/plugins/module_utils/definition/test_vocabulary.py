"""Normalisation, mapping and comparison of the window-definition vocabulary (pure core)."""

from __future__ import annotations

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _definition as d

SLR = "arn:aws:iam::123456789012:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"


@pytest.mark.parametrize("given,expected", [
    ({"Operation": "Install"}, {"Operation": ["Install"]}),
    ({"b": [1, 2], "a": True}, {"a": ["true"], "b": ["1", "2"]}),
    ({"flag": False, "n": 0}, {"flag": ["false"], "n": ["0"]}),
    ({"commands": ["b", "a"]}, {"commands": ["b", "a"]}),  # order of values is meaningful
    ({"empty": None}, {"empty": []}),
    ({}, None),
    (None, None),
])
def test_parameters_are_coerced_to_lists_of_strings(given, expected):
    assert d.normalize_parameters(given) == expected


def test_parameter_key_order_does_not_matter():
    a = d.normalize_parameters({"x": "1", "y": "2"})
    b = d.normalize_parameters({"y": ["2"], "x": [1]})
    assert a == b and list(a) == list(b)


def test_window_defaults_and_blanks():
    window = d.normalize_window({"name": "w-1", "schedule": "rate(1 day)", "duration": "2", "cutoff": 0,
                                 "description": "", "schedule_timezone": "", "schedule_offset": 0})
    # schedule_offset 0 is kept for the range rule to refuse (AWS takes 1 to 6), never dropped.
    assert window == {"name": "w-1", "schedule": "rate(1 day)", "duration": 2, "cutoff": 0, "schedule_offset": 0,
                      "allow_unassociated_targets": False, "enabled": True}


def test_window_from_api_drops_read_only_fields():
    api = {"WindowId": "mw-0123456789abcdef0", "Name": "w-1", "Schedule": "cron(0 2 ? * * *)", "Duration": 3,
           "Cutoff": 1, "AllowUnassociatedTargets": False, "Enabled": False, "NextExecutionTime": "x",
           "CreatedDate": "y"}
    assert d.window_from_api(api) == {"name": "w-1", "schedule": "cron(0 2 ? * * *)", "duration": 3, "cutoff": 1,
                                      "allow_unassociated_targets": False, "enabled": False}


@pytest.mark.parametrize("a,b,same", [
    ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00+00:00", True),
    ("2026-01-01T01:00:00+01:00", "2026-01-01T00:00:00Z", True),
    ("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", False),
    (None, "2026-01-01T00:00:00Z", False),
    ("not a date", "not a date", True),
])
def test_dates_compare_as_instants(a, b, same):
    assert d.same_date(a, b) is same


def test_window_request_create_and_replace():
    window = d.normalize_window({"name": "w-1", "schedule": "rate(1 day)", "duration": 2, "cutoff": 0,
                                 "enabled": False})
    create = d.window_request(window)
    assert "Enabled" not in create and "WindowId" not in create
    assert d.window_needs_disable_after_create(window)
    update = d.window_request(window, "mw-0123456789abcdef0")
    assert update["Replace"] is True and update["Enabled"] is False and "Description" not in update


def test_target_keys_and_values_are_sets_and_resource_type_is_inferred():
    a = d.normalize_target({"name": "t-1", "targets": [{"key": "tag:B", "values": ["2", "1"]},
                                                       {"key": "tag:A", "values": ["x"]}]})
    b = d.normalize_target({"name": "t-1", "resource_type": "INSTANCE",
                            "targets": [{"key": "tag:A", "values": ["x"]}, {"key": "tag:B", "values": ["1", "2"]}]})
    assert a == b
    group = d.normalize_target({"name": "g-1", "targets": [{"key": "resource-groups:Name", "values": ["rg"]}]})
    assert group["resource_type"] == "RESOURCE_GROUP"


def test_target_request_update_omits_resource_type():
    target = d.normalize_target({"name": "t-1", "targets": [{"key": "tag:A", "values": ["x"]}],
                                 "owner_information": ""})
    request = d.target_request(target, "mw-0123456789abcdef0", "3a6a1a51-5a1e-4b5e-9b1f-5f6c1f0e2d3c")
    assert "ResourceType" not in request and "OwnerInformation" not in request and request["Replace"] is True


def _api_task(**extra):
    task = {"WindowId": "mw-0123456789abcdef0", "WindowTaskId": "7d8e1a51-5a1e-4b5e-9b1f-5f6c1f0e2d3c",
            "Name": "t-1", "TaskType": "AUTOMATION", "TaskArn": "AWS-Doc", "Priority": 1,
            "CutoffBehavior": "CONTINUE_TASK"}
    task.update(extra)
    return task


def test_targetless_task_placeholder_rate_controls_are_ignored():
    task = d.task_from_api(_api_task(MaxConcurrency="1", MaxErrors="1", Targets=[]), {})
    assert "max_concurrency" not in task and "max_errors" not in task and "targets" not in task
    want = d.normalize_task({"name": "t-1", "task_type": "AUTOMATION", "task_arn": "AWS-Doc"})
    assert d.task_differences(want, task) == []


def test_service_linked_role_is_not_a_difference():
    task = d.task_from_api(_api_task(ServiceRoleArn=SLR), {})
    assert "service_role_arn" not in task
    custom = d.task_from_api(_api_task(ServiceRoleArn="arn:aws:iam::1:role/mine"), {})
    assert custom["service_role_arn"] == "arn:aws:iam::1:role/mine"


def test_default_cloudwatch_log_group_is_not_a_difference_unless_asked_for():
    current = d.task_from_api(_api_task(TaskType="RUN_COMMAND", Targets=[{"Key": "InstanceIds", "Values": ["i-1"]}],
                                        MaxConcurrency="1", MaxErrors="0",
                                        TaskInvocationParameters={"RunCommand": {"CloudWatchOutputConfig": {
                                            "CloudWatchOutputEnabled": True,
                                            "CloudWatchLogGroupName": "/aws/ssm/AWS-Doc"}}}), {})
    want = d.normalize_task({"name": "t-1", "task_type": "RUN_COMMAND", "task_arn": "AWS-Doc",
                             "targets": [{"key": "InstanceIds", "values": ["i-1"]}], "max_concurrency": 1,
                             "max_errors": 0, "task_invocation_parameters": {
                                 "run_command": {"cloudwatch_output_config": {"cloudwatch_output_enabled": True}}}})
    assert d.task_differences(want, current) == []
    other = d.normalize_task(dict(want, task_invocation_parameters={"run_command": {"cloudwatch_output_config": {
        "cloudwatch_output_enabled": True, "cloudwatch_log_group_name": "/mine"}}}))
    assert d.task_differences(other, current) == [
        "task_invocation_parameters.run_command.cloudwatch_output_config.cloudwatch_log_group_name"]


@pytest.mark.parametrize("blank", [
    None, {}, {"run_command": {}}, {"run_command": {"parameters": {}, "comment": ""}},
    {"run_command": {"cloudwatch_output_config": {"cloudwatch_output_enabled": False}}},
    {"run_command": {"document_version": "$DEFAULT"}},
])
def test_empty_invocation_parameters_equal_absent(blank):
    assert d.normalize_invocation_parameters(blank) is None


def test_notification_events_are_a_set():
    a = d.normalize_invocation_parameters({"run_command": {"notification_config": {
        "notification_arn": "arn:aws:sns:us-east-1:1:t", "notification_events": ["Failed", "Success"]}}})
    b = d.normalize_invocation_parameters({"run_command": {"notification_config": {
        "notification_arn": "arn:aws:sns:us-east-1:1:t", "notification_events": ["Success", "Failed"]}}})
    assert a == b


def test_task_targets_by_name_and_by_id_are_the_same():
    ids = {"web": "11111111-1111-4111-8111-111111111111", "db": "22222222-2222-4222-8222-222222222222"}
    names = {v: k for k, v in ids.items()}
    api = d.resolve_task_targets([{"window_target": "web"}, {"window_target": "db"}], ids)
    assert api == [{"Key": "WindowTargetIds", "Values": sorted(ids.values())}]
    assert d.task_targets_from_api(api, names) == [{"window_target": "db"}, {"window_target": "web"}]
    raw = [{"key": "WindowTargetIds", "values": [ids["web"]]}]
    assert d.task_targets_from_api(d.resolve_task_targets(raw, ids), names) == [{"window_target": "web"}]


def test_unnamed_window_targets_stay_ids():
    api = [{"Key": "WindowTargetIds", "Values": ["33333333-3333-4333-8333-333333333333"]}]
    assert d.task_targets_from_api(api, {}) == [{"key": "WindowTargetIds",
                                                 "values": ["33333333-3333-4333-8333-333333333333"]}]


def test_task_request_always_resends_invocation_parameters_and_drops_targetless_rate_controls():
    task = d.normalize_task({"name": "t-1", "task_type": "LAMBDA", "task_arn": "arn:aws:lambda:x",
                             "task_invocation_parameters": {"lambda": {"payload": "{}"}}})
    update = d.task_request(task, "mw-0123456789abcdef0", {}, "7d8e1a51-5a1e-4b5e-9b1f-5f6c1f0e2d3c")
    assert update["Replace"] is True and update["Targets"] == [] and "TaskType" not in update
    assert update["TaskInvocationParameters"] == {"Lambda": {"Payload": "{}"}}
    assert "MaxConcurrency" not in update and "MaxErrors" not in update and update["Priority"] == 1


def test_pseudo_parameters_pass_through_unchanged():
    text = "{{WINDOW_ID}} {{TASK_EXECUTION_ID}}"
    task = d.normalize_task({"name": "t-1", "task_type": "AUTOMATION", "task_arn": "AWS-Doc",
                             "task_invocation_parameters": {"automation": {"parameters": {"Note": text}}}})
    request = d.task_request(task, "mw-0123456789abcdef0", {})
    assert request["TaskInvocationParameters"]["Automation"]["Parameters"] == {"Note": [text]}


@pytest.mark.parametrize("api_path,expected", [
    ("TaskInvocationParameters.RunCommand.TimeoutSeconds", "task_invocation_parameters.run_command.timeout_seconds"),
    ("TaskInvocationParameters.Automation.Parameters['Op.x']", "task_invocation_parameters.automation.parameters['Op.x']"),
    ("AlarmConfiguration.Alarms[0].Name", "alarm_configuration.alarms[0].name"),
    ("MaxConcurrency", "max_concurrency"),
    ("TaskInvocationParameters.RunCommand.NotificationConfig.NotificationEvents[1]",
     "task_invocation_parameters.run_command.notification_config.notification_events[1]"),
])
def test_api_paths_become_vocabulary_paths(api_path, expected):
    assert d.api_path_to_vocabulary(api_path, d.TASK_SCHEMA) == expected


def test_target_paths():
    assert d.api_path_to_vocabulary("Targets[2].Values", d.TARGET_SCHEMA) == "targets[2].values"
    assert d.api_path_to_vocabulary("OwnerInformation", d.TARGET_SCHEMA) == "owner_information"


def _paths(problems):
    return [p.path for p in problems]


def test_match_by_identity_reports_duplicate_names_with_ids():
    current = [{"name": "x", "window_task_id": "1"}, {"name": "x", "window_task_id": "2"},
               {"name": "y", "window_task_id": "3"}]
    pairs, unmatched, extras, problems = d.match_by_identity([{"name": "x"}, {"window_task_id": "3"}], current,
                                                             "window_task_id", "task")
    # Neither duplicate is provably the one to keep: the problem names both IDs and the option.
    assert problems and "1, 2" in problems[0].message and "window_task_id" in problems[0].message
    assert problems[0].path == "[0].name"
    assert pairs[0][1] is None and pairs[1][1]["window_task_id"] == "3"
    assert [u["window_task_id"] for u in unmatched] == ["1", "2"] and extras == []


def test_past_start_date_of_a_rate_window_moved_by_aws_is_not_a_change():
    import datetime

    now = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
    want = d.normalize_window({"name": "w-1", "schedule": "rate(7 days)", "duration": 2, "cutoff": 0,
                               "start_date": "2026-01-01T00:00:00Z"})
    moved = dict(want, start_date="2026-05-31T10:00:00Z")
    assert d.window_differences(want, moved, now) == []
    cron = dict(want, schedule="cron(0 2 ? * * *)")
    assert d.window_differences(cron, dict(moved, schedule="cron(0 2 ? * * *)"), now) == ["start_date"]
    future = dict(want, start_date="2026-09-01T00:00:00Z")
    assert d.window_differences(future, moved, now) == ["start_date"]
