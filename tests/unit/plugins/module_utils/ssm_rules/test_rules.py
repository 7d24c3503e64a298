"""Table-driven tests of the SSM request rules (shape constraints from botocore's model + cross-field)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import botocore.loaders
import pytest

from ansible_collections.mwops.ssm.plugins.module_utils._ssm_rules import (
    Violation,
    aws_error_message,
    aws_path,
    check_request,
    check_target_fields,
    check_task_fields,
    check_window_fields,
)

MODEL = botocore.loaders.create_loader().load_service_model("ssm", "service-2")
WINDOW_ID = "mw-0123456789abcdef0"
TARGET_ID = "8a0c7f2e-1b3d-4c5e-9f60-123456789abc"
TASK_ID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
CASES = json.loads((Path(__file__).resolve().parents[4] / "unit" / "fixtures" / "conformance-cases.json").read_text())

WINDOW = {"Name": "prod-linux-patching", "Schedule": "cron(0 2 ? * TUE#2 *)", "Duration": 4, "Cutoff": 1,
          "AllowUnassociatedTargets": False}
TARGET = {"WindowId": WINDOW_ID, "ResourceType": "INSTANCE", "Targets": [{"Key": "tag:PatchGroup", "Values": ["prod"]}]}
TASK = {"WindowId": WINDOW_ID, "TaskArn": "AWS-RunPatchBaseline", "TaskType": "RUN_COMMAND",
        "Targets": [{"Key": "WindowTargetIds", "Values": [TARGET_ID]}], "MaxConcurrency": "10%", "MaxErrors": "1"}


def check(operation: str, base: Dict[str, Any], change: Dict[str, Any]) -> List[Violation]:
    params = dict(base)
    for key, value in change.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return check_request(operation, params, MODEL)


def paths(violations: List[Violation]) -> List[str]:
    return [v.path for v in violations]


# --------------------------------------------------------------------------- valid requests


@pytest.mark.parametrize("operation, params", [
    ("CreateMaintenanceWindow", WINDOW),
    ("CreateMaintenanceWindow", dict(WINDOW, Description="Second Tuesday", ScheduleTimezone="America/New_York",
                                     ScheduleOffset=2, StartDate="2026-01-01T00:00:00-05:00",
                                     EndDate="2027-01-01T00:00:00Z", ClientToken="abc",
                                     Tags=[{"Key": "Environment", "Value": "prod"}, {"Key": "Ümlaut key", "Value": ""}])),
    ("CreateMaintenanceWindow", dict(WINDOW, Schedule="rate(7 days)", Duration=1, Cutoff=0)),
    ("CreateMaintenanceWindow", dict(WINDOW, Schedule="at(2030-07-07T15:55:00)", Duration=24, Cutoff=23)),
    ("UpdateMaintenanceWindow", {"WindowId": WINDOW_ID, "Cutoff": 3}),
    ("UpdateMaintenanceWindow", {"WindowId": WINDOW_ID, "Enabled": False, "ScheduleOffset": 3}),
    ("UpdateMaintenanceWindow", dict(WINDOW, WindowId=WINDOW_ID, Replace=True)),
    ("RegisterTargetWithMaintenanceWindow", TARGET),
    ("RegisterTargetWithMaintenanceWindow", dict(TARGET, Targets=[{"Key": "InstanceIds", "Values": ["i-%017x" % i for i in range(50)]}])),
    ("RegisterTargetWithMaintenanceWindow", dict(TARGET, Targets=[{"Key": "tag:k%d" % i, "Values": ["v"]} for i in range(4)]
                                                 + [{"Key": "tag-key", "Values": ["Owner"]}])),
    ("RegisterTargetWithMaintenanceWindow", dict(TARGET, ResourceType="RESOURCE_GROUP", Targets=[
        {"Key": "resource-groups:Name", "Values": ["prod-group"]},
        {"Key": "resource-groups:ResourceTypeFilters", "Values": ["AWS::EC2::Instance"]}])),
    ("UpdateMaintenanceWindowTarget", {"WindowId": WINDOW_ID, "WindowTargetId": TARGET_ID, "OwnerInformation": "ops"}),
    ("UpdateMaintenanceWindowTarget", {"WindowId": WINDOW_ID, "WindowTargetId": TARGET_ID,
                                       "Targets": [{"Key": "resource-groups:Name", "Values": ["g"]}]}),
    ("RegisterTaskWithMaintenanceWindow", TASK),
    ("RegisterTaskWithMaintenanceWindow", dict(TASK, Priority=0, CutoffBehavior="CANCEL_TASK",
                                               AlarmConfiguration={"Alarms": [{"Name": "cpu"}]},
                                               TaskInvocationParameters={"RunCommand": {
                                                   "Parameters": {"Operation": ["Install"]}, "TimeoutSeconds": 30}})),
    ("RegisterTaskWithMaintenanceWindow", {"WindowId": WINDOW_ID, "TaskArn": "arn:aws:lambda:us-east-1:1:function:f",
                                           "TaskType": "LAMBDA",
                                           "TaskInvocationParameters": {"Lambda": {"Payload": b"x" * 4096}}}),
    ("RegisterTaskWithMaintenanceWindow", {"WindowId": WINDOW_ID, "TaskArn": "doc", "TaskType": "AUTOMATION",
                                           "TaskInvocationParameters": {"Automation": {"Parameters": {"InstanceId": ["{{TARGET_ID}}"]}}}}),
    ("RegisterTaskWithMaintenanceWindow", dict(TASK, Targets=[{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}])),
    ("UpdateMaintenanceWindowTask", {"WindowId": WINDOW_ID, "WindowTaskId": TASK_ID, "Priority": 4}),
    ("UpdateMaintenanceWindowTask", {"WindowId": WINDOW_ID, "WindowTaskId": TASK_ID, "MaxConcurrency": "5"}),
    ("DeregisterTargetFromMaintenanceWindow", {"WindowId": WINDOW_ID, "WindowTargetId": TARGET_ID, "Safe": True}),
    ("DescribeMaintenanceWindows", {"Filters": [{"Key": "Name", "Values": ["x"]}], "MaxResults": 10}),
    ("DescribeMaintenanceWindowSchedule", {"WindowId": WINDOW_ID, "MaxResults": 1}),
    ("ListTagsForResource", {"ResourceType": "MaintenanceWindow", "ResourceId": WINDOW_ID}),
])
def test_valid_requests_have_no_violations(operation, params):
    assert check_request(operation, params, MODEL) == []


# --------------------------------------------------------------------------- shape constraints


@pytest.mark.parametrize("change, path, constraint", [
    ({"Duration": 25}, "Duration", "Member must have value less than or equal to 24"),
    ({"Duration": 0}, "Duration", "Member must have value greater than or equal to 1"),
    ({"Cutoff": 24, "Duration": 24}, "Cutoff", "Member must have value less than or equal to 23"),
    ({"Cutoff": -1}, "Cutoff", "Member must have value greater than or equal to 0"),
    ({"ScheduleOffset": 0}, "ScheduleOffset", "Member must have value greater than or equal to 1"),
    ({"ScheduleOffset": 7}, "ScheduleOffset", "Member must have value less than or equal to 6"),
    ({"Name": "ab"}, "Name", "Member must have length greater than or equal to 3"),
    ({"Name": "bad name with spaces!"}, "Name", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9_\\-.]{3,128}$"),
    ({"Name": "x" * 129}, "Name", "Member must have length less than or equal to 128"),
    ({"Name": None}, "Name", "Member must not be null"),
    ({"AllowUnassociatedTargets": None}, "AllowUnassociatedTargets", "Member must not be null"),
    ({"Description": ""}, "Description", "Member must have length greater than or equal to 1"),
    ({"Schedule": "c" * 257}, "Schedule", "Member must have length less than or equal to 256"),
    ({"Duration": "4"}, "Duration", "Member must be of type integer"),
    ({"Duration": True}, "Duration", "Member must be of type integer"),
    ({"Tags": [{"Key": "a", "Value": "x#"}]}, "Tags[0].Value", "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$"),
    ({"Tags": [{"Key": "a"}]}, "Tags[0].Value", "Member must not be null"),
    ({"Bogus": 1}, "Bogus", "Member must be a known parameter"),
])
def test_window_shape_violations(change, path, constraint):
    found = [(v.path, v.constraint) for v in check("CreateMaintenanceWindow", WINDOW, change)]
    assert (path, constraint) in found


@pytest.mark.parametrize("value, valid", [
    ("mw-0123456789abcdef0", True), ("mw-0c50858d01EXAMPLE", False), ("mw-ab12cd34ef56gh78", False),
    ("mw-0123456789ABCDEF0", False), ("mw-0123456789abcdef0\n", False),
])
def test_window_id_pattern_is_a_full_match(value, valid):
    assert (check_request("GetMaintenanceWindow", {"WindowId": value}, MODEL) == []) is valid


def _case(case_id: str) -> Dict[str, Any]:
    return next(c for c in CASES if c["id"] == case_id)


def test_conformance_rate_controls_from_the_spec():
    for value in _case("val-023")["input"]["max_concurrency_values"]:
        assert paths(check("RegisterTaskWithMaintenanceWindow", TASK, {"MaxConcurrency": value})) == ["MaxConcurrency"], value
    for value in _case("val-024")["input"]["max_concurrency_values"]:
        assert check("RegisterTaskWithMaintenanceWindow", TASK, {"MaxConcurrency": value}) == [], value
    expected = _case("val-025")["expected"]
    for value in expected["valid_values"]:
        assert check("RegisterTaskWithMaintenanceWindow", TASK, {"MaxErrors": value}) == [], value
    for value in expected["invalid_values"]:
        assert paths(check("RegisterTaskWithMaintenanceWindow", TASK, {"MaxErrors": value})) == ["MaxErrors"], value


def test_conformance_window_ids_and_timeouts():
    expected = _case("val-032")["expected"]
    for value in expected["valid_values"]:
        assert check_request("GetMaintenanceWindow", {"WindowId": value}, MODEL) == []
    for value in expected["invalid_values"]:
        assert set(paths(check_request("GetMaintenanceWindow", {"WindowId": value}, MODEL))) == {"WindowId"}
    for seconds in _case("val-030")["input"]["timeout_seconds_values"]:
        params = dict(TASK, TaskInvocationParameters={"RunCommand": {"TimeoutSeconds": seconds}})
        assert paths(check_request("RegisterTaskWithMaintenanceWindow", params, MODEL)) == [
            "TaskInvocationParameters.RunCommand.TimeoutSeconds"]


def test_conformance_duration_cutoff_and_offset():
    for duration in _case("val-017")["input"]["duration_values"]:
        assert "Duration" in paths(check("CreateMaintenanceWindow", WINDOW, {"Duration": duration, "Cutoff": 0}))
    for offset in _case("val-016")["input"]["schedule_offset_values"]:
        assert paths(check("CreateMaintenanceWindow", WINDOW, {"ScheduleOffset": offset})) == ["ScheduleOffset"]
    case = _case("val-019")["input"]
    assert paths(check("CreateMaintenanceWindow", WINDOW, {"Duration": case["duration"], "Cutoff": case["cutoff"]})) == ["Cutoff"]
    for pair in _case("val-020")["input"]["pairs"]:
        assert check("CreateMaintenanceWindow", WINDOW, {"Duration": pair["duration"], "Cutoff": pair["cutoff"]}) == []


@pytest.mark.parametrize("case_id", ["val-002", "val-004", "val-008", "val-012", "val-013"])
def test_conformance_invalid_schedules(case_id):
    schedule = _case(case_id)["input"]["schedule"]
    assert paths(check("CreateMaintenanceWindow", WINDOW, {"Schedule": schedule})) == ["Schedule"]


def test_conformance_valid_schedules():
    for schedule in _case("val-003")["input"]["schedules"] + [_case("val-034")["input"]["schedule"]]:
        assert check("CreateMaintenanceWindow", WINDOW, {"Schedule": schedule}) == [], schedule


def test_lambda_payload_limit_counts_bytes():
    params = {"WindowId": WINDOW_ID, "TaskArn": "f", "TaskType": "LAMBDA"}
    big = dict(params, TaskInvocationParameters={"Lambda": {"Payload": "é" * 2049}})  # 4098 bytes
    (violation,) = check_request("RegisterTaskWithMaintenanceWindow", big, MODEL)
    assert violation.path == "TaskInvocationParameters.Lambda.Payload"
    assert violation.constraint == "Member must have length less than or equal to 4096"


def test_unicode_letters_satisfy_property_classes():
    tags = [{"Key": "Équipe", "Value": "Ops 東京 ١٢"}]
    assert check("CreateMaintenanceWindow", WINDOW, {"Tags": tags}) == []
    assert paths(check("CreateMaintenanceWindow", WINDOW, {"Tags": [{"Key": "a", "Value": "€"}]})) == ["Tags[0].Value"]


def test_role_arn_pattern_with_java_class_range():
    role = {"ServiceRoleArn": "arn:aws:iam::123456789012:role/service-role/mw-role"}
    assert check("RegisterTaskWithMaintenanceWindow", TASK, role) == []


def test_unknown_operation_is_a_programming_error():
    with pytest.raises(ValueError):
        check_request("NoSuchOperation", {}, MODEL)


# --------------------------------------------------------------------------- cross-field rules


@pytest.mark.parametrize("change, path, words", [
    ({"Cutoff": 4}, "Cutoff", "4 must be at most duration - 1 = 3"),
    ({"Schedule": "every tuesday"}, "Schedule", "not a schedule expression"),
    ({"Schedule": "rate(7 days)", "ScheduleOffset": 2}, "ScheduleOffset", "for cron expressions only, not rate(...)"),
    ({"Schedule": "at(2030-01-01T00:00:00)", "ScheduleOffset": 1}, "ScheduleOffset", "for cron expressions only, not at(...)"),
    ({"ScheduleTimezone": "Mars/Olympus"}, "ScheduleTimezone", "is not an IANA time zone"),
    ({"ScheduleTimezone": "../../etc/passwd"}, "ScheduleTimezone", "is not an IANA time zone"),
    ({"ScheduleTimezone": ""}, "ScheduleTimezone", "must be an IANA time zone name, not an empty"),
    ({"StartDate": "tomorrow"}, "StartDate", "ISO-8601"),
    ({"EndDate": "2030-02-30T00:00:00Z"}, "EndDate", "ISO-8601"),
    ({"StartDate": "2030-01-02T00:00:00Z", "EndDate": "2030-01-01T00:00:00Z"}, "EndDate", "must be after start_date"),
    ({"StartDate": "2030-01-01T00:00:00Z", "EndDate": "2030-01-01T00:00:00Z"}, "EndDate", "must be after start_date"),
    ({"StartDate": ""}, "StartDate", "must not be empty"),
])
def test_window_cross_field_rules(change, path, words):
    violations = check("CreateMaintenanceWindow", WINDOW, change)
    assert [v.path for v in violations] == [path]
    assert words in violations[0].message


def test_dates_without_zone_are_read_in_the_schedule_timezone():
    # 01:00 in New York is after 05:30 UTC the same day.
    change = {"ScheduleTimezone": "America/New_York", "StartDate": "2030-01-01T05:30:00Z", "EndDate": "2030-01-01T01:00:00"}
    assert check("CreateMaintenanceWindow", WINDOW, change) == []


def test_update_checks_only_what_the_request_carries():
    assert check_request("UpdateMaintenanceWindow", {"WindowId": WINDOW_ID, "Cutoff": 20}, MODEL) == []
    both = {"WindowId": WINDOW_ID, "Cutoff": 20, "Duration": 4}
    assert paths(check_request("UpdateMaintenanceWindow", both, MODEL)) == ["Cutoff"]
    assert check_window_fields({"Cutoff": 20, "Duration": 4}) != []


def test_update_with_replace_requires_create_fields():
    violations = check_request("UpdateMaintenanceWindow", {"WindowId": WINDOW_ID, "Replace": True, "Duration": 4}, MODEL)
    assert sorted(paths(violations)) == ["AllowUnassociatedTargets", "Cutoff", "Name", "Schedule"]
    assert all(v.constraint == "Member must not be null" for v in violations)
    target = check_request("UpdateMaintenanceWindowTarget",
                           {"WindowId": WINDOW_ID, "WindowTargetId": TARGET_ID, "Replace": True}, MODEL)
    assert paths(target) == ["Targets"]
    task = check_request("UpdateMaintenanceWindowTask", {"WindowId": WINDOW_ID, "WindowTaskId": TASK_ID, "Replace": True}, MODEL)
    assert paths(task) == ["TaskArn"]


@pytest.mark.parametrize("resource_type, targets, words", [
    ("INSTANCE", [{"Key": "InstanceIds", "Values": ["i-1"]}, {"Key": "tag:a", "Values": ["b"]}], "cannot be combined"),
    ("INSTANCE", [{"Key": "InstanceIds", "Values": []}], "1 to 50 instance IDs"),
    ("INSTANCE", [], "got none"),
    ("INSTANCE", [{"Key": "Name", "Values": ["x"]}], "must be InstanceIds, tag-key or tag:<tag-key>"),
    ("INSTANCE", [{"Key": "tag:", "Values": ["x"]}], "must be InstanceIds, tag-key or tag:<tag-key>"),
    ("INSTANCE", [{"Key": "resource-groups:Name", "Values": ["g"]}], "only be used when ResourceType is RESOURCE_GROUP"),
    ("RESOURCE_GROUP", [{"Key": "tag:a", "Values": ["b"]}], "must be resource-groups:Name"),
    ("RESOURCE_GROUP", [{"Key": "resource-groups:ResourceTypeFilters", "Values": ["AWS::EC2::Instance"]}],
     "exactly one resource-groups:Name"),
    ("RESOURCE_GROUP", [{"Key": "resource-groups:Name", "Values": ["a"]}, {"Key": "resource-groups:Name", "Values": ["b"]}],
     "exactly one resource-groups:Name"),
    ("RESOURCE_GROUP", [{"Key": "resource-groups:Name", "Values": ["a", "b"]}], "exactly one resource group"),
])
def test_window_target_shapes(resource_type, targets, words):
    violations = check_target_fields({"ResourceType": resource_type, "Targets": targets})
    assert violations and any(words in v.message for v in violations), violations


def test_more_than_five_tag_entries_is_a_shape_error():
    targets = [{"Key": "tag:k%d" % i, "Values": ["v"]} for i in range(6)]
    violations = check("RegisterTargetWithMaintenanceWindow", TARGET, {"Targets": targets})
    assert ("Targets", "Member must have length less than or equal to 5") in [(v.path, v.constraint) for v in violations]


@pytest.mark.parametrize("change, path, words", [
    ({"MaxConcurrency": None}, "MaxConcurrency", "is required for a task with targets"),
    ({"MaxErrors": None}, "MaxErrors", "is required for a task with targets"),
    ({"Targets": None}, "Targets", "a RUN_COMMAND task needs targets"),
    ({"Targets": [{"Key": "tag:a", "Values": ["b"]}]}, "Targets[0].Key", "must be WindowTargetIds or InstanceIds"),
    ({"Targets": [{"Key": "WindowTargetIds", "Values": [TARGET_ID] * 11}]}, "Targets[0].Values", "1 to 10 values"),
    ({"Targets": [{"Key": "WindowTargetIds", "Values": [TARGET_ID]}, {"Key": "InstanceIds", "Values": ["i-1"]}]},
     "Targets", "exactly one target entry"),
    ({"TaskInvocationParameters": {"Automation": {"DocumentVersion": "$LATEST"}}}, "TaskInvocationParameters.Automation",
     "takes only TaskInvocationParameters.RunCommand"),
])
def test_task_cross_field_rules(change, path, words):
    violations = check("RegisterTaskWithMaintenanceWindow", TASK, change)
    assert path in paths(violations)
    assert any(words in v.message for v in violations if v.path == path)


@pytest.mark.parametrize("name", ["MaxConcurrency", "MaxErrors"])
def test_targetless_task_refuses_rate_controls(name):
    params = {"WindowId": WINDOW_ID, "TaskArn": "f", "TaskType": "LAMBDA", name: "1"}
    (violation,) = check_request("RegisterTaskWithMaintenanceWindow", params, MODEL)
    assert violation.constraint == "Maintenance window tasks without targets don't support %s values" % name
    assert aws_error_message([violation]) == violation.constraint


def test_task_rules_on_merged_state_and_partial_updates():
    assert check_task_fields({"TaskType": "LAMBDA", "Targets": [], "MaxErrors": "1"}) != []
    assert check_task_fields({"TaskType": "LAMBDA", "Targets": []}) == []
    partial = {"WindowId": WINDOW_ID, "WindowTaskId": TASK_ID, "Targets": [{"Key": "WindowTargetIds", "Values": [TARGET_ID]}]}
    assert check_request("UpdateMaintenanceWindowTask", partial, MODEL) == []  # rate controls may be stored already
    assert paths(check_task_fields({"Targets": [], "MaxConcurrency": "2"}, complete=False)) == ["MaxConcurrency"]


# --------------------------------------------------------------------------- messages


def test_aws_error_message_single_and_multiple():
    one = check("CreateMaintenanceWindow", WINDOW, {"Duration": 25})
    assert aws_error_message(one) == ("1 validation error detected: Value '25' at 'duration' failed to satisfy "
                                      "constraint: Member must have value less than or equal to 24")
    two = check("CreateMaintenanceWindow", WINDOW, {"Duration": 25, "Name": None})
    text = aws_error_message(two)
    assert text.startswith("2 validation errors detected: ")
    assert "Value null at 'name' failed to satisfy constraint: Member must not be null" in text
    assert "; " in text


def test_shape_errors_come_before_cross_field_errors_in_the_message():
    violations = check("CreateMaintenanceWindow", WINDOW, {"Duration": 25, "Schedule": "nope"})
    assert aws_error_message(violations).startswith("1 validation error detected: Value '25' at 'duration'")
    assert aws_error_message([]) == ""


@pytest.mark.parametrize("path, printed", [
    ("Duration", "duration"),
    ("Targets[1].Values", "targets.2.member.values"),
    ("TaskInvocationParameters.RunCommand.TimeoutSeconds", "taskInvocationParameters.runCommand.timeoutSeconds"),
    ("TaskInvocationParameters.Automation.Parameters['Instance.Id']", "taskInvocationParameters.automation.parameters.Instance.Id"),
])
def test_aws_paths(path, printed):
    assert aws_path(path) == printed


def test_violation_is_frozen_and_message_is_plain():
    (violation,) = check("CreateMaintenanceWindow", WINDOW, {"Duration": 25})
    assert violation == Violation("Duration", 25, "Member must have value less than or equal to 24", "must be at most 24 (got 25)")
    with pytest.raises(Exception):
        violation.path = "x"  # type: ignore[misc]
