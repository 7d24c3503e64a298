"""What the window/target/task registry gives the definition cores: schema nodes, compared
fields, computed paths, invocation blocks, normalisation with the declared defaults."""

from __future__ import annotations

from ansible_collections.mwops.ssm.plugins.module_utils import _definition_compare as C
from ansible_collections.mwops.ssm.plugins.module_utils import _definition_requests as R
from ansible_collections.mwops.ssm.plugins.module_utils import _definition_vocabulary as V


def test_schema_nodes_map_vocabulary_to_api():
    assert V.TASK_SCHEMA["cutoff_behavior"] == ("CutoffBehavior", None)
    assert V.TASK_SCHEMA["targets"] == ("Targets", [{"key": ("Key", None), "values": ("Values", None)}])
    assert V.TASK_SCHEMA["alarm_configuration"] == ("AlarmConfiguration", {
        "alarms": ("Alarms", [{"name": ("Name", None)}]), "ignore_poll_alarm_failure": ("IgnorePollAlarmFailure", None)})
    assert V.WINDOW_SCHEMA["tags"] == ("Tags", None)
    assert "window_target_id" not in V.TARGET_SCHEMA  # ours only: never sent as a member
    assert V.api_path_to_vocabulary("TaskInvocationParameters.Lambda.Payload", V.TASK_SCHEMA) == \
        "task_invocation_parameters.lambda.payload"


def test_invocation_block_per_task_type():
    assert V.INVOCATION_KEY_FOR_TYPE == {"RUN_COMMAND": "run_command", "AUTOMATION": "automation",
                                         "LAMBDA": "lambda", "STEP_FUNCTIONS": "step_functions"}


def test_compared_fields_and_computed_paths():
    assert C.TASK_COMPARED == ("name", "description", "task_type", "task_arn", "priority", "service_role_arn",
                               "max_concurrency", "max_errors", "cutoff_behavior", "alarm_configuration", "targets",
                               "task_invocation_parameters")
    assert C.TARGET_COMPARED == ("name", "description", "resource_type", "targets", "owner_information")
    assert "window_task_id" not in C.TASK_COMPARED
    assert C._COMPUTED_WHEN_UNSET == (
        ("task_invocation_parameters", "run_command", "cloudwatch_output_config", "cloudwatch_log_group_name"),)


def test_declared_defaults_fill_a_bare_task_and_blank_means_unset():
    assert C.normalize_task({"name": "t", "description": "", "cutoff_behavior": ""}) == {
        "name": "t", "priority": 1, "cutoff_behavior": "CONTINUE_TASK"}
    assert C.normalize_window({"name": "w", "enabled": None}) == {
        "name": "w", "allow_unassociated_targets": False, "enabled": True}


def test_target_resource_type_derived_in_its_place():
    target = C.normalize_target({"name": "g", "targets": [{"key": "resource-groups:Name", "values": ["x"]}]})
    assert list(target) == ["name", "resource_type", "targets"]
    assert target["resource_type"] == "RESOURCE_GROUP"


def test_requests_carry_only_registry_members():
    task = C.normalize_task({"name": "t", "task_type": "LAMBDA", "task_arn": "f", "window_task_id": "wt-1",
                             "task_invocation_parameters": {"lambda": {"payload": "{}"}}})
    assert R.task_request(task, "mw-1", {}) == {
        "Name": "t", "TaskType": "LAMBDA", "TaskArn": "f", "Priority": 1, "CutoffBehavior": "CONTINUE_TASK",
        "TaskInvocationParameters": {"Lambda": {"Payload": "{}"}}, "WindowId": "mw-1"}
