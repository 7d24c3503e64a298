"""The sandbox over HTTP with boto3: added operations, fidelity fixes, validation, switches."""

from __future__ import annotations

import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

CRON = "cron(0 2 ? * TUE *)"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:patch"


@pytest.fixture(autouse=True)
def clean(sandbox):
    sandbox.reset()
    yield


@pytest.fixture(name="raw_ssm")
def fixture_raw_ssm(sandbox):
    """A client that skips botocore's own parameter checks, so the server's checks are what we see."""
    return boto3.client("ssm", endpoint_url=sandbox.endpoint, region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}, parameter_validation=False))


def make_window(ssm, name: str = "prod-patching", **extra: Any) -> str:
    params: Dict[str, Any] = dict(Name=name, Schedule=CRON, Duration=4, Cutoff=1, AllowUnassociatedTargets=False)
    params.update(extra)
    return ssm.create_maintenance_window(**params)["WindowId"]


def make_target(ssm, window_id: str, **extra: Any) -> str:
    params: Dict[str, Any] = dict(WindowId=window_id, ResourceType="INSTANCE",
                                  Targets=[{"Key": "tag:PatchGroup", "Values": ["prod"]}])
    params.update(extra)
    return ssm.register_target_with_maintenance_window(**params)["WindowTargetId"]


def make_task(ssm, window_id: str, target_id: str, **extra: Any) -> str:
    params: Dict[str, Any] = dict(
        WindowId=window_id, TaskArn="AWS-RunPatchBaseline", TaskType="RUN_COMMAND", Priority=1,
        Targets=[{"Key": "WindowTargetIds", "Values": [target_id]}], MaxConcurrency="10%", MaxErrors="1",
        TaskInvocationParameters={"RunCommand": {"Parameters": {"Operation": ["Install"]}, "TimeoutSeconds": 600,
                                                 "Comment": "patch"}},
    )
    params.update(extra)
    return ssm.register_task_with_maintenance_window(**params)["WindowTaskId"]


def error_of(call, **kwargs: Any) -> Dict[str, Any]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return {"code": info.value.response["Error"]["Code"], "message": info.value.response["Error"]["Message"],
            "status": info.value.response["ResponseMetadata"]["HTTPStatusCode"]}


def window_count(ssm) -> int:
    return sum(len(p["WindowIdentities"]) for p in ssm.get_paginator("describe_maintenance_windows").paginate())


# --------------------------------------------------------------------------- added operations


def test_update_window_changes_only_given_fields(ssm_client):
    wid = make_window(ssm_client, Description="first", ScheduleTimezone="America/New_York")
    before = ssm_client.get_maintenance_window(WindowId=wid)
    time.sleep(0.01)
    out = ssm_client.update_maintenance_window(WindowId=wid, Duration=6, Enabled=False)
    after = ssm_client.get_maintenance_window(WindowId=wid)
    assert out["WindowId"] == wid and out["Duration"] == 6
    assert (after["Duration"], after["Enabled"], after["Description"], after["ScheduleTimezone"]) == \
        (6, False, "first", "America/New_York")
    assert after["CreatedDate"] == before["CreatedDate"]
    assert after["ModifiedDate"] > before["ModifiedDate"]


def test_update_window_replace_requires_create_fields_and_nulls_optionals(ssm_client):
    wid = make_window(ssm_client, Description="first", ScheduleOffset=2)
    err = error_of(ssm_client.update_maintenance_window, WindowId=wid, Replace=True, Duration=5)
    assert err["code"] == "ValidationException"
    assert "Value null at 'name' failed to satisfy constraint: Member must not be null" in err["message"]
    ssm_client.update_maintenance_window(WindowId=wid, Replace=True, Name="renamed", Schedule="rate(7 days)",
                                         Duration=5, Cutoff=0, AllowUnassociatedTargets=True)
    got = ssm_client.get_maintenance_window(WindowId=wid)
    assert got["Name"] == "renamed" and got["AllowUnassociatedTargets"] is True
    assert "Description" not in got and "ScheduleOffset" not in got


def test_update_target_partial_and_replace(ssm_client):
    wid = make_window(ssm_client)
    tid = make_target(ssm_client, wid, Name="web", OwnerInformation="team-web", Description="d")
    ssm_client.update_maintenance_window_target(WindowId=wid, WindowTargetId=tid, OwnerInformation="team-ops")
    (target,) = ssm_client.describe_maintenance_window_targets(WindowId=wid)["Targets"]
    assert (target["OwnerInformation"], target["Name"], target["Description"]) == ("team-ops", "web", "d")
    ssm_client.update_maintenance_window_target(WindowId=wid, WindowTargetId=tid, Replace=True,
                                                Targets=[{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}])
    (target,) = ssm_client.describe_maintenance_window_targets(WindowId=wid)["Targets"]
    assert target["Targets"] == [{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}]
    assert "OwnerInformation" not in target and "Name" not in target


def test_update_task_drops_invocation_parameters_not_sent_again(ssm_client):
    wid = make_window(ssm_client)
    task_id = make_task(ssm_client, wid, make_target(ssm_client, wid))
    ssm_client.update_maintenance_window_task(WindowId=wid, WindowTaskId=task_id, Priority=5)
    got = ssm_client.get_maintenance_window_task(WindowId=wid, WindowTaskId=task_id)
    assert got["Priority"] == 5 and "TaskInvocationParameters" not in got
    ssm_client.update_maintenance_window_task(
        WindowId=wid, WindowTaskId=task_id, TaskInvocationParameters={"RunCommand": {"TimeoutSeconds": 900}})
    got = ssm_client.get_maintenance_window_task(WindowId=wid, WindowTaskId=task_id)
    assert got["TaskInvocationParameters"] == {"RunCommand": {"TimeoutSeconds": 900}}
    assert (got["MaxConcurrency"], got["MaxErrors"], got["TaskType"]) == ("10%", "1", "RUN_COMMAND")


def test_update_task_replace_nulls_optionals(ssm_client):
    wid = make_window(ssm_client)
    tid = make_target(ssm_client, wid)
    task_id = make_task(ssm_client, wid, tid, Name="patch", Description="d")
    err = error_of(ssm_client.update_maintenance_window_task, WindowId=wid, WindowTaskId=task_id, Replace=True,
                   TaskArn="AWS-RunShellScript")
    assert err["code"] == "ValidationException" and "targets" in err["message"].lower()
    ssm_client.update_maintenance_window_task(
        WindowId=wid, WindowTaskId=task_id, Replace=True, TaskArn="AWS-RunShellScript",
        Targets=[{"Key": "WindowTargetIds", "Values": [tid]}], MaxConcurrency="2", MaxErrors="0")
    got = ssm_client.get_maintenance_window_task(WindowId=wid, WindowTaskId=task_id)
    assert got["TaskArn"] == "AWS-RunShellScript" and got["MaxErrors"] == "0"
    assert "Name" not in got and "Priority" not in got and "Description" not in got


def test_get_task_round_trips_lambda_payload_bytes(ssm_client):
    wid = make_window(ssm_client)
    payload = b'{"window": "{{WINDOW_ID}}", "n": 1}'
    task_id = ssm_client.register_task_with_maintenance_window(
        WindowId=wid, TaskArn=LAMBDA_ARN, TaskType="LAMBDA",
        TaskInvocationParameters={"Lambda": {"Payload": payload, "Qualifier": "live"}})["WindowTaskId"]
    got = ssm_client.get_maintenance_window_task(WindowId=wid, WindowTaskId=task_id)
    assert got["TaskInvocationParameters"]["Lambda"] == {"Payload": payload, "Qualifier": "live"}
    # A task without targets reads back with SSM's placeholder rate controls.
    assert (got["MaxConcurrency"], got["MaxErrors"]) == ("1", "1")


def test_describe_windows_for_target(ssm_client):
    first, second = make_window(ssm_client, "first-window"), make_window(ssm_client, "second-window")
    make_target(ssm_client, first, Targets=[{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}])
    make_target(ssm_client, second)
    found = ssm_client.describe_maintenance_windows_for_target(
        Targets=[{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}], ResourceType="INSTANCE")
    assert found["WindowIdentities"] == [{"WindowId": first, "Name": "first-window"}]


# --------------------------------------------------------------------------- fidelity fixes


def test_get_window_round_trips_every_field(ssm_client):
    wid = make_window(ssm_client, Description="desc", ScheduleTimezone="Europe/Berlin", ScheduleOffset=2,
                      StartDate="2030-01-01T00:00:00Z", EndDate="2031-01-01T00:00:00Z", AllowUnassociatedTargets=True)
    got = ssm_client.get_maintenance_window(WindowId=wid)
    assert {k: got[k] for k in ("Name", "Description", "Schedule", "ScheduleTimezone", "ScheduleOffset", "Duration",
                                "Cutoff", "AllowUnassociatedTargets", "Enabled", "StartDate", "EndDate")} == {
        "Name": "prod-patching", "Description": "desc", "Schedule": CRON, "ScheduleTimezone": "Europe/Berlin",
        "ScheduleOffset": 2, "Duration": 4, "Cutoff": 1, "AllowUnassociatedTargets": True, "Enabled": True,
        "StartDate": "2030-01-01T00:00:00Z", "EndDate": "2031-01-01T00:00:00Z"}
    assert isinstance(got["CreatedDate"], datetime.datetime) and isinstance(got["ModifiedDate"], datetime.datetime)
    assert got["NextExecutionTime"].startswith("2030-01-")  # first Tuesday + 2 days, Berlin time


def test_disabled_window_has_no_next_execution_time(ssm_client):
    wid = make_window(ssm_client)
    assert "NextExecutionTime" in ssm_client.get_maintenance_window(WindowId=wid)
    ssm_client.update_maintenance_window(WindowId=wid, Enabled=False)
    assert "NextExecutionTime" not in ssm_client.get_maintenance_window(WindowId=wid)


def test_describe_windows_filters_by_name_and_enabled(ssm_client):
    on, off = make_window(ssm_client, "win-on"), make_window(ssm_client, "win-off")
    ssm_client.update_maintenance_window(WindowId=off, Enabled=False)

    def ids(filters: List[Dict[str, Any]]) -> List[str]:
        return [w["WindowId"] for w in ssm_client.describe_maintenance_windows(Filters=filters)["WindowIdentities"]]

    assert ids([{"Key": "Enabled", "Values": ["false"]}]) == [off]
    assert ids([{"Key": "Enabled", "Values": ["True"]}]) == [on]
    assert ids([{"Key": "Name", "Values": ["win-off", "nope"]}]) == [off]
    assert ids([{"Key": "Name", "Values": ["win-on"]}, {"Key": "Enabled", "Values": ["false"]}]) == []


def test_describe_windows_pages_with_max_results(ssm_client):
    made = [make_window(ssm_client, "win-%02d" % i) for i in range(21)]
    first = ssm_client.describe_maintenance_windows(MaxResults=10)
    assert len(first["WindowIdentities"]) == 10 and first["NextToken"]
    pages = list(ssm_client.get_paginator("describe_maintenance_windows").paginate(PaginationConfig={"PageSize": 10}))
    assert [len(p["WindowIdentities"]) for p in pages] == [10, 10, 1]
    assert [w["WindowId"] for p in pages for w in p["WindowIdentities"]] == made
    assert "NextToken" not in pages[-1]


def test_target_filters_and_owner_information(ssm_client):
    wid = make_window(ssm_client)
    web = make_target(ssm_client, wid, OwnerInformation="team-web")
    group = make_target(ssm_client, wid, ResourceType="RESOURCE_GROUP",
                        Targets=[{"Key": "resource-groups:Name", "Values": ["prod-group"]}])

    def ids(key: str, values: List[str]) -> List[str]:
        found = ssm_client.describe_maintenance_window_targets(WindowId=wid, Filters=[{"Key": key, "Values": values}])
        return [t["WindowTargetId"] for t in found["Targets"]]

    assert ids("OwnerInformation", ["team-web"]) == [web]
    assert ids("Type", ["RESOURCE_GROUP"]) == [group]
    assert ids("WindowTargetId", [web, group]) == [web, group]
    all_targets = ssm_client.describe_maintenance_window_targets(WindowId=wid)["Targets"]
    assert all_targets[0]["OwnerInformation"] == "team-web"


def test_task_filters_and_describe_fields(ssm_client):
    wid = make_window(ssm_client)
    tid = make_target(ssm_client, wid)
    alarm = {"IgnorePollAlarmFailure": True, "Alarms": [{"Name": "cpu-high"}]}
    patch = make_task(ssm_client, wid, tid, Priority=1, CutoffBehavior="CANCEL_TASK", AlarmConfiguration=alarm)
    notify = ssm_client.register_task_with_maintenance_window(
        WindowId=wid, TaskArn=LAMBDA_ARN, TaskType="LAMBDA", Priority=2)["WindowTaskId"]

    def ids(key: str, values: List[str]) -> List[str]:
        found = ssm_client.describe_maintenance_window_tasks(WindowId=wid, Filters=[{"Key": key, "Values": values}])
        return [t["WindowTaskId"] for t in found["Tasks"]]

    assert ids("TaskType", ["LAMBDA"]) == [notify]
    assert ids("Priority", ["1"]) == [patch]
    assert ids("TaskArn", ["AWS-RunPatchBaseline"]) == [patch]
    assert ids("WindowTaskId", [notify]) == [notify]
    described = {t["WindowTaskId"]: t for t in ssm_client.describe_maintenance_window_tasks(WindowId=wid)["Tasks"]}
    assert described[patch]["Type"] == "RUN_COMMAND"
    assert described[patch]["CutoffBehavior"] == "CANCEL_TASK"
    assert described[patch]["AlarmConfiguration"] == alarm
    assert described[notify]["CutoffBehavior"] == "CONTINUE_TASK"  # the documented default


@pytest.mark.parametrize("operation, kwargs", [
    ("get_maintenance_window", {"WindowId": "mw-0123456789abcdef0"}),
    ("delete_maintenance_window", {"WindowId": "mw-0123456789abcdef0"}),
    ("update_maintenance_window", {"WindowId": "mw-0123456789abcdef0", "Duration": 3}),
    ("describe_maintenance_window_targets", {"WindowId": "mw-0123456789abcdef0"}),
    ("deregister_target_from_maintenance_window", {"WindowTargetId": "00000000-0000-0000-0000-000000000000"}),
    ("deregister_task_from_maintenance_window", {"WindowTaskId": "00000000-0000-0000-0000-000000000000"}),
    ("update_maintenance_window_target", {"WindowTargetId": "00000000-0000-0000-0000-000000000000"}),
    ("update_maintenance_window_task", {"WindowTaskId": "00000000-0000-0000-0000-000000000000"}),
    ("get_maintenance_window_task", {"WindowTaskId": "00000000-0000-0000-0000-000000000000"}),
])
def test_unknown_ids_answer_does_not_exist(ssm_client, operation, kwargs):
    if "WindowId" not in kwargs:
        kwargs = dict(kwargs, WindowId=make_window(ssm_client))
    err = error_of(getattr(ssm_client, operation), **kwargs)
    assert (err["code"], err["status"]) == ("DoesNotExistException", 400)
    assert "does not exist" in err["message"]


def test_client_token_makes_create_and_register_idempotent(ssm_client):
    first = make_window(ssm_client, ClientToken="token-1")
    assert make_window(ssm_client, ClientToken="token-1") == first
    assert window_count(ssm_client) == 1
    err = error_of(ssm_client.create_maintenance_window, Name="other-name", Schedule=CRON, Duration=4, Cutoff=1,
                   AllowUnassociatedTargets=False, ClientToken="token-1")
    assert err["code"] == "IdempotentParameterMismatch"
    tid = make_target(ssm_client, first, ClientToken="token-2")
    assert make_target(ssm_client, first, ClientToken="token-2") == tid
    task = make_task(ssm_client, first, tid, ClientToken="token-3")
    assert make_task(ssm_client, first, tid, ClientToken="token-3") == task
    assert len(ssm_client.describe_maintenance_window_tasks(WindowId=first)["Tasks"]) == 1


def test_safe_deregister_refuses_a_target_in_use(ssm_client):
    wid = make_window(ssm_client)
    tid = make_target(ssm_client, wid)
    make_task(ssm_client, wid, tid)
    err = error_of(ssm_client.deregister_target_from_maintenance_window, WindowId=wid, WindowTargetId=tid, Safe=True)
    assert err["code"] == "TargetInUseException"
    assert len(ssm_client.describe_maintenance_window_targets(WindowId=wid)["Targets"]) == 1
    ssm_client.deregister_target_from_maintenance_window(WindowId=wid, WindowTargetId=tid)
    assert ssm_client.describe_maintenance_window_targets(WindowId=wid)["Targets"] == []


def test_delete_window_removes_it_and_its_tags(ssm_client):
    wid = make_window(ssm_client, Tags=[{"Key": "Environment", "Value": "prod"}])
    tags = ssm_client.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=wid)["TagList"]
    assert tags == [{"Key": "Environment", "Value": "prod"}]
    ssm_client.add_tags_to_resource(ResourceType="MaintenanceWindow", ResourceId=wid, Tags=[{"Key": "a", "Value": "b"}])
    assert ssm_client.delete_maintenance_window(WindowId=wid)["WindowId"] == wid
    err = error_of(ssm_client.list_tags_for_resource, ResourceType="MaintenanceWindow", ResourceId=wid)
    assert err["code"] == "InvalidResourceId"
    assert window_count(ssm_client) == 0


# --------------------------------------------------------------------------- validation

WINDOW = dict(Name="prod-patching", Schedule=CRON, Duration=4, Cutoff=1, AllowUnassociatedTargets=False)


@pytest.mark.parametrize("change, expected", [
    ({"Duration": 25}, "Value '25' at 'duration' failed to satisfy constraint: Member must have value less than or equal to 24"),
    ({"Cutoff": 4}, "Cutoff was 4 but must be at most 3 (Duration - 1)"),
    ({"Name": "bad name with spaces!"}, "at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern"),
    ({"Schedule": "every tuesday"}, "Invalid schedule expression"),
    ({"Schedule": "cron(0/1 * * * ? *)"}, "Invalid schedule expression"),
    ({"ScheduleTimezone": "Mars/Olympus"}, "not an IANA time zone"),
    ({"Schedule": "rate(7 days)", "ScheduleOffset": 2}, "cron expressions only"),
    ({"ScheduleOffset": 7}, "Member must have value less than or equal to 6"),
    ({"StartDate": "2030-02-01T00:00:00Z", "EndDate": "2030-01-01T00:00:00Z"}, "EndDate must be later than StartDate"),
    ({"StartDate": "next week"}, "ISO-8601"),
    ({"StartDate": ""}, "Value '' at 'startDate' failed to satisfy constraint: Member must have length greater than or equal to 1"),
])
def test_invalid_windows_are_rejected_and_change_nothing(ssm_client, raw_ssm, change, expected):
    err = error_of(raw_ssm.create_maintenance_window, **dict(WINDOW, **change))
    assert err["code"] == "ValidationException" and err["status"] == 400
    assert expected in err["message"]
    assert window_count(ssm_client) == 0


def test_two_shape_errors_are_reported_together(ssm_client):
    err = error_of(ssm_client.create_maintenance_window, **{**WINDOW, "Duration": 25, "Cutoff": 24})
    assert err["message"].startswith("2 validation errors detected: Value '24' at 'cutoff'") or \
        err["message"].startswith("2 validation errors detected: Value '25' at 'duration'")


def test_rejected_update_leaves_the_window_as_it_was(ssm_client):
    wid = make_window(ssm_client)
    before = ssm_client.get_maintenance_window(WindowId=wid)
    err = error_of(ssm_client.update_maintenance_window, WindowId=wid, Cutoff=4)  # merged: Duration 4
    assert err["code"] == "ValidationException" and "Cutoff was 4" in err["message"]
    after = ssm_client.get_maintenance_window(WindowId=wid)
    assert (after["Cutoff"], after["ModifiedDate"]) == (before["Cutoff"], before["ModifiedDate"])


@pytest.mark.parametrize("targets, resource_type, expected", [
    ([{"Key": "InstanceIds", "Values": ["i-%017x" % i for i in range(51)]}], "INSTANCE",
     "Member must have length less than or equal to 50"),
    ([{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}, {"Key": "tag:a", "Values": ["b"]}], "INSTANCE",
     "single target with key InstanceIds"),
    ([{"Key": "resource-groups:Name", "Values": ["g"]}], "INSTANCE", "only supported for the RESOURCE_GROUP"),
    ([{"Key": "tag:a", "Values": ["b"]}], "RESOURCE_GROUP", "only the keys resource-groups:Name"),
    ([{"Key": "resource-groups:Name", "Values": ["g1", "g2"]}], "RESOURCE_GROUP", "only one resource group"),
    ([{"Key": "tag:a", "Values": ["b"]}], "BANANA", "Member must satisfy enum value set: [INSTANCE, RESOURCE_GROUP]"),
])
def test_invalid_window_targets_are_rejected(ssm_client, raw_ssm, targets, resource_type, expected):
    wid = make_window(ssm_client)
    err = error_of(raw_ssm.register_target_with_maintenance_window, WindowId=wid, ResourceType=resource_type,
                   Targets=targets)
    assert err["code"] == "ValidationException" and expected in err["message"]
    assert ssm_client.describe_maintenance_window_targets(WindowId=wid)["Targets"] == []


@pytest.mark.parametrize("change, expected", [
    ({"MaxConcurrency": None}, "MaxConcurrency is required"),
    ({"MaxErrors": "05"}, "at 'maxErrors' failed to satisfy constraint: Member must satisfy regular expression pattern"),
    ({"MaxConcurrency": "101%"}, "at 'maxConcurrency' failed to satisfy constraint"),
    ({"Targets": None, "MaxConcurrency": None, "MaxErrors": None},
     "One or more targets must be specified for maintenance window Run Command-type tasks"),
    ({"TaskType": "BANANA"}, "Member must satisfy enum value set"),
    ({"TaskInvocationParameters": {"Lambda": {"Qualifier": "x"}}}, "does not match TaskType RUN_COMMAND"),
    ({"TaskInvocationParameters": {"RunCommand": {"TimeoutSeconds": 29}}},
     "Value '29' at 'taskInvocationParameters.runCommand.timeoutSeconds' failed to satisfy constraint: "
     "Member must have value greater than or equal to 30"),
    ({"Targets": [{"Key": "tag:a", "Values": ["b"]}]}, "either 1 target with key InstanceIds"),
    ({"Targets": [{"Key": "WindowTargetIds", "Values": ["00000000-0000-0000-0000-%012d" % i for i in range(11)]}]},
     "between 1 and 10 maintenance window target IDs"),
    ({"Targets": [{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}]}, "does not allow unassociated targets"),
])
def test_invalid_tasks_are_rejected(ssm_client, raw_ssm, change, expected):
    wid = make_window(ssm_client)
    tid = make_target(ssm_client, wid)
    params = dict(WindowId=wid, TaskArn="AWS-RunPatchBaseline", TaskType="RUN_COMMAND",
                  Targets=[{"Key": "WindowTargetIds", "Values": [tid]}], MaxConcurrency="1", MaxErrors="0")
    params.update(change)
    err = error_of(raw_ssm.register_task_with_maintenance_window, **{k: v for k, v in params.items() if v is not None})
    assert err["code"] == "ValidationException" and expected in err["message"]
    assert ssm_client.describe_maintenance_window_tasks(WindowId=wid)["Tasks"] == []


def test_targetless_task_refuses_rate_controls_with_the_aws_message(ssm_client):
    wid = make_window(ssm_client)
    err = error_of(ssm_client.register_task_with_maintenance_window, WindowId=wid, TaskArn=LAMBDA_ARN,
                   TaskType="LAMBDA", MaxConcurrency="5")
    assert err["message"] == "Maintenance window tasks without targets don't support MaxConcurrency values"


def test_task_target_must_be_registered_in_the_window(ssm_client):
    wid = make_window(ssm_client)
    err = error_of(ssm_client.register_task_with_maintenance_window, WindowId=wid, TaskArn="AWS-RunPatchBaseline",
                   TaskType="RUN_COMMAND", MaxConcurrency="1", MaxErrors="0",
                   Targets=[{"Key": "WindowTargetIds", "Values": ["00000000-0000-0000-0000-000000000000"]}])
    assert err["code"] == "DoesNotExistException"


def test_bad_window_id_pattern_is_a_validation_error(ssm_client):
    err = error_of(ssm_client.get_maintenance_window, WindowId="mw-0c50858d01EXAMPLE")
    assert err["code"] == "ValidationException" and "at 'windowId'" in err["message"]


# --------------------------------------------------------------------------- schedule


def test_describe_schedule_lists_upcoming_starts_with_filters_and_paging(ssm_client):
    wid = make_window(ssm_client, Schedule="cron(0 2 ? * TUE *)", ScheduleTimezone="America/New_York")
    filters = [{"Key": "ScheduledAfter", "Values": ["2030-03-01T00:00:00Z"]},
               {"Key": "ScheduledBefore", "Values": ["2030-04-01T00:00:00Z"]}]
    first = ssm_client.describe_maintenance_window_schedule(WindowId=wid, Filters=filters, MaxResults=2)
    rest = ssm_client.describe_maintenance_window_schedule(WindowId=wid, Filters=filters, MaxResults=2,
                                                           NextToken=first["NextToken"])
    times = [r["ExecutionTime"] for r in first["ScheduledWindowExecutions"] + rest["ScheduledWindowExecutions"]]
    # Tuesdays in March 2030 at 02:00 New York time; DST starts on 10 March.
    assert times == ["2030-03-05T02:00-05:00", "2030-03-12T02:00-04:00", "2030-03-19T02:00-04:00",
                     "2030-03-26T02:00-04:00"]
    assert "NextToken" not in rest
    assert first["ScheduledWindowExecutions"][0]["Name"] == "prod-patching"


def test_describe_schedule_unknown_window(ssm_client):
    err = error_of(ssm_client.describe_maintenance_window_schedule, WindowId="mw-0123456789abcdef0")
    assert err["code"] == "DoesNotExistException"


# --------------------------------------------------------------------------- switches


def test_request_log_records_api_calls_only(sandbox, ssm_client):
    sandbox.reset_requests()
    wid = make_window(ssm_client)
    ssm_client.get_maintenance_window(WindowId=wid)
    error_of(ssm_client.update_maintenance_window, WindowId=wid, Duration=25)
    sandbox.requests()  # control calls are not logged
    log = sandbox.requests()
    assert [(r["operation"], r["write"], r["status"]) for r in log] == [
        ("CreateMaintenanceWindow", True, 200), ("GetMaintenanceWindow", False, 200),
        ("UpdateMaintenanceWindow", True, 400)]
    assert sandbox.write_requests() == ["CreateMaintenanceWindow", "UpdateMaintenanceWindow"]
    sandbox.reset_requests()
    assert sandbox.requests() == []


def test_fault_injection_throttles_reproducibly(sandbox, ssm_client):
    wid = make_window(ssm_client)
    # No retry at all (botocore's max_attempts=1 still means one retry after the first try).
    once = boto3.client("ssm", endpoint_url=sandbox.endpoint, region_name="us-east-1",
                        config=Config(retries={"total_max_attempts": 1}))

    def pattern() -> List[bool]:
        out = []
        for _attempt in range(30):
            try:
                once.get_maintenance_window(WindowId=wid)
                out.append(False)
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "ThrottlingException"
                assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400
                out.append(True)
        return out

    sandbox.set_faults(throttle_rate=0.3, seed=7)
    first = pattern()
    sandbox.set_faults(throttle_rate=0.3, seed=7)
    assert pattern() == first
    assert 3 <= sum(first) <= 20
    assert sum(r["throttled"] for r in sandbox.requests()) == 2 * sum(first)
    sandbox.set_faults(throttle_rate=0.0)
    assert not any(pattern())


def test_fault_injection_limited_to_some_operations(sandbox, ssm_client):
    sandbox.set_faults(throttle_rate=1.0, seed=1, operations=["CreateMaintenanceWindow"])
    assert error_of(ssm_client.create_maintenance_window, **WINDOW)["code"] == "ThrottlingException"
    assert ssm_client.describe_maintenance_windows()["WindowIdentities"] == []
    sandbox.reset()  # also switches faults off
    assert make_window(ssm_client)


def test_moto_reset_wipes_windows_and_log(sandbox, ssm_client):
    make_window(ssm_client)
    assert sandbox.requests()
    request = urllib.request.Request(sandbox.endpoint + "/moto-api/reset", data=b"", method="POST")
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request) as response:
        assert response.status == 200
    assert sandbox.requests() == []
    assert window_count(ssm_client) == 0


def test_iam_still_served(sandbox):
    iam = boto3.client("iam", endpoint_url=sandbox.endpoint, region_name="us-east-1",
                       config=Config(retries={"max_attempts": 1}))
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    arn = iam.create_role(RoleName="mw-service-role", AssumeRolePolicyDocument=policy)["Role"]["Arn"]
    assert iam.get_role(RoleName="mw-service-role")["Role"]["Arn"] == arn
    assert {"operation": "CreateRole", "service": "iam", "write": True, "throttled": False, "status": 200} \
        in sandbox.requests()


def test_regions_are_separate(sandbox, ssm_client):
    make_window(ssm_client)
    other = boto3.client("ssm", endpoint_url=sandbox.endpoint, region_name="eu-west-1",
                         config=Config(retries={"max_attempts": 1}))
    assert other.describe_maintenance_windows()["WindowIdentities"] == []


# --------------------------------------------------------------------------- command line


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_cli_serves_and_stops_on_sigterm(tmp_path):
    port = _free_port()
    pid_file = tmp_path / "sandbox.pid"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent))
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "mwsandbox", "--host", "127.0.0.1", "--port", str(port),
                             "--pid-file", str(pid_file)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "mwsandbox listening on http://127.0.0.1:%d" % port, proc.stderr.read()
        ready = time.monotonic() - started
        assert int(pid_file.read_text()) == proc.pid
        ssm = boto3.client("ssm", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                           config=Config(retries={"max_attempts": 1}))
        wid = make_window(ssm)
        assert ssm.get_maintenance_window(WindowId=wid)["Name"] == "prod-patching"
        from mwsandbox import SandboxClient  # pylint: disable=import-outside-toplevel

        assert SandboxClient("http://127.0.0.1:%d" % port).write_requests() == ["CreateMaintenanceWindow"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert not pid_file.exists()
        assert ready < 15
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_unsigned_json_calls_reach_ssm(sandbox, ssm_client):
    """Tools without SigV4 (curl, Ansible's uri) can call the sandbox with just X-Amz-Target."""
    wid = make_window(ssm_client)
    request = urllib.request.Request(sandbox.endpoint + "/", data=json.dumps({"WindowId": wid}).encode(), headers={
        "X-Amz-Target": "AmazonSSM.GetMaintenanceWindow", "Content-Type": "application/x-amz-json-1.1"})
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request) as response:
        assert json.loads(response.read())["Name"] == "prod-patching"


def test_describe_schedule_for_targets_merges_windows(ssm_client):
    early = make_window(ssm_client, "early-window", Schedule="cron(0 1 ? * MON *)")
    late = make_window(ssm_client, "late-window", Schedule="cron(0 3 ? * MON *)")
    make_window(ssm_client, "other-window")
    for wid in (early, late):
        make_target(ssm_client, wid, Targets=[{"Key": "tag:PatchGroup", "Values": ["web"]}])
    found = ssm_client.describe_maintenance_window_schedule(
        Targets=[{"Key": "tag:PatchGroup", "Values": ["web"]}], ResourceType="INSTANCE", MaxResults=4,
        Filters=[{"Key": "ScheduledAfter", "Values": ["2030-01-01T00:00:00Z"]}])
    rows = [(r["Name"], r["ExecutionTime"]) for r in found["ScheduledWindowExecutions"]]
    assert rows == [("early-window", "2030-01-07T01:00Z"), ("late-window", "2030-01-07T03:00Z"),
                    ("early-window", "2030-01-14T01:00Z"), ("late-window", "2030-01-14T03:00Z")]


MOCK_AWS_SCRIPT = """
import boto3, moto, mwsandbox
from botocore.exceptions import ClientError
mwsandbox.install()
with moto.mock_aws():
    ssm = boto3.client("ssm", region_name="us-east-1")
    wid = ssm.create_maintenance_window(Name="mock-window", Schedule="rate(1 day)", Duration=2, Cutoff=0,
                                        AllowUnassociatedTargets=False)["WindowId"]
    ssm.update_maintenance_window(WindowId=wid, Duration=6)
    assert ssm.get_maintenance_window(WindowId=wid)["Duration"] == 6
    try:
        ssm.update_maintenance_window(WindowId=wid, Duration=25)
    except ClientError as exc:
        print(exc.response["Error"]["Code"], exc.response["Error"]["Message"])
"""


@pytest.mark.slow
def test_install_works_under_mock_aws_with_validation():
    """Run apart: mock_aws resets moto's backends, which this process's sandbox shares."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent))
    out = subprocess.run([sys.executable, "-c", MOCK_AWS_SCRIPT], capture_output=True, text=True, env=env,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ValidationException 1 validation error detected: Value '25' at 'duration'")


def test_iam_has_the_aws_managed_maintenance_window_policy(sandbox) -> None:
    """Real IAM always has AWS managed policies; the service_role role attaches this one."""
    iam = boto3.client("iam", endpoint_url=sandbox.endpoint, region_name="us-east-1")
    arn = "arn:aws:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == "AmazonSSMMaintenanceWindowRole"
