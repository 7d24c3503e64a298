"""The sandbox runs windows: outcomes chosen by tags, the executor core's semantics, SSM's reads."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

START = "2026-03-10T02:00:00Z"


@pytest.fixture(autouse=True)
def clean(sandbox):
    sandbox.reset()
    yield


@pytest.fixture(name="ec2")
def fixture_ec2(sandbox):
    return boto3.client("ec2", endpoint_url=sandbox.endpoint, region_name="us-east-1")


def instances(ec2, outcomes, group="web", runtime=None):
    """EC2 instances tagged PatchGroup=<group> with the given outcome tags, in launch order."""
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-12345678", MinCount=len(outcomes),
                                                      MaxCount=len(outcomes))["Instances"]]
    for instance, outcome in zip(ids, outcomes):
        tags = [{"Key": "PatchGroup", "Value": group}, {"Key": "mwsandbox:outcome", "Value": outcome}]
        if runtime:
            tags.append({"Key": "mwsandbox:runtime", "Value": str(runtime)})
        ec2.create_tags(Resources=[instance], Tags=tags)
    return ids


def window(ssm, groups, duration=2, cutoff=1, tasks=(("patch", 1, "2", "1", "CONTINUE_TASK"),)):
    """A window with one target per PatchGroup value and the given tasks on all of them."""
    window_id = ssm.create_maintenance_window(Name="sandbox-run", Schedule="rate(7 days)", Duration=duration,
                                              Cutoff=cutoff, AllowUnassociatedTargets=False)["WindowId"]
    target_ids = [ssm.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="INSTANCE", OwnerInformation=f"team-{g}",
        Targets=[{"Key": "tag:PatchGroup", "Values": [g]}])["WindowTargetId"] for g in groups]
    for name, priority, concurrency, errors, behavior in tasks:
        ssm.register_task_with_maintenance_window(
            WindowId=window_id, Name=name, TaskType="RUN_COMMAND", TaskArn="AWS-RunShellScript", Priority=priority,
            MaxConcurrency=concurrency, MaxErrors=errors, CutoffBehavior=behavior,
            Targets=[{"Key": "WindowTargetIds", "Values": target_ids}],
            TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": ["yum -y update"]},
                                                     "OutputS3BucketName": "audit-logs"}})
    return window_id


def read_all(ssm, execution_id):
    """Task executions (Get) with their invocations (Describe, paged), by priority."""
    tasks = []
    for page in ssm.get_paginator("describe_maintenance_window_execution_tasks").paginate(
            WindowExecutionId=execution_id):
        for identity in page["WindowExecutionTaskIdentities"]:
            task = ssm.get_maintenance_window_execution_task(WindowExecutionId=execution_id,
                                                             TaskId=identity["TaskExecutionId"])
            task["invocations"] = [i for p in ssm.get_paginator(
                "describe_maintenance_window_execution_task_invocations").paginate(
                    WindowExecutionId=execution_id, TaskId=identity["TaskExecutionId"],
                    PaginationConfig={"PageSize": 10})
                for i in p["WindowExecutionTaskInvocationIdentities"]]
            tasks.append(task)
    return sorted(tasks, key=lambda t: t["Priority"])


def target(invocation):
    return json.loads(invocation["Parameters"])["instanceIds"][0]


def test_outcomes_follow_tags_and_the_error_threshold_stops_the_task(sandbox, ssm_client, ec2):
    ids = instances(ec2, ["success", "failure:3", "success", "timeout", "success", "success"])
    sandbox.register_managed_instance("mi-0123456789abcdef0", {"PatchGroup": "web", "mwsandbox:outcome": "success"})
    window_id = window(ssm_client, ["web"])
    ran = sandbox.run_window(window_id, START)
    execution = ssm_client.get_maintenance_window_execution(WindowExecutionId=ran["window_execution_id"])
    assert execution["Status"] == ran["status"] == "FAILED"
    assert execution["StartTime"] == datetime.datetime(2026, 3, 10, 2, 0, tzinfo=datetime.timezone.utc)
    (task,) = read_all(ssm_client, ran["window_execution_id"])
    assert execution["TaskIds"] == [task["TaskExecutionId"]]
    statuses = [(target(i), i["Status"]) for i in task["invocations"]]
    # MaxConcurrency 2, MaxErrors 1, 60 s each: hosts run in pairs; the 4th host's timeout is the
    # second error (more than MaxErrors), so nothing starts after the second pair.
    assert statuses == [(ids[0], "SUCCESS"), (ids[1], "FAILED"), (ids[2], "SUCCESS"), (ids[3], "TIMED_OUT"),
                        (ids[4], "CANCELLED"), (ids[5], "CANCELLED"), ("mi-0123456789abcdef0", "CANCELLED")]
    assert task["Status"] == "FAILED" and "error threshold was exceeded" in task["StatusDetails"]
    not_started = task["invocations"][4]
    assert "StartTime" not in not_started and "ExecutionId" not in not_started
    assert "MaxErrors 1" in not_started["StatusDetails"]
    assert {i["OwnerInformation"] for i in task["invocations"]} == {"team-web"}
    assert [s["status"] for s in ran["tasks"][0]["invocations"]] == [s for dummy, s in statuses]
    failed = task["invocations"][1]
    command = ssm_client.get_command_invocation(CommandId=failed["ExecutionId"], InstanceId=ids[1])
    assert (command["Status"], command["ResponseCode"]) == ("Failed", 3)
    assert command["StandardOutputUrl"].startswith("https://s3.us-east-1.amazonaws.com/audit-logs/")
    one = ssm_client.get_maintenance_window_execution_task_invocation(
        WindowExecutionId=ran["window_execution_id"], TaskId=task["TaskExecutionId"], InvocationId=failed["InvocationId"])
    assert (one["Status"], one["StatusDetails"]) == ("FAILED", "Failed: exit code 3.")


def test_sliding_concurrency_priorities_and_undeliverable(sandbox, ssm_client, ec2):
    ids = instances(ec2, ["success", "undeliverable", "success", "failure", "success"])
    window_id = window(ssm_client, ["web"], tasks=(("patch", 1, "2", "1", "CONTINUE_TASK"),
                                                   ("verify", 2, "40%", "0", "CONTINUE_TASK")))
    ran = sandbox.run_window(window_id, START)
    patch, verify = read_all(ssm_client, ran["window_execution_id"])
    # Undeliverable does not count toward MaxErrors: one error (the failure) is within MaxErrors 1.
    assert [i["Status"] for i in patch["invocations"]] == ["SUCCESS", "FAILED", "SUCCESS", "FAILED", "SUCCESS"]
    assert patch["Status"] == "SUCCESS" and "1 undeliverable" in patch["StatusDetails"]
    undeliverable = ssm_client.get_command_invocation(CommandId=patch["invocations"][1]["ExecutionId"],
                                                      InstanceId=ids[1])
    assert undeliverable["StatusDetails"] == "Undeliverable"
    for task, limit in ((patch, 2), (verify, 2)):  # 40% of 5 is 2
        started = [i for i in task["invocations"] if "StartTime" in i]
        events = sorted([(i["StartTime"], 1) for i in started] + [(i["EndTime"], -1) for i in started],
                        key=lambda e: (e[0], e[1]))
        running = peak = 0
        for dummy, delta in events:
            running += delta
            peak = max(peak, running)
        assert peak == limit
    assert verify["StartTime"] >= patch["EndTime"]  # priority 2 waits for all of priority 1
    assert verify["Status"] == "FAILED"  # MaxErrors 0: the first failure stops it
    assert (verify["MaxConcurrency"], verify["MaxErrors"]) == ("40%", "0")


def test_cancel_task_at_the_cutoff(sandbox, ssm_client, ec2):
    instances(ec2, ["success", "success", "success"], runtime=2400)
    window_id = window(ssm_client, ["web"], duration=2, cutoff=1, tasks=(("patch", 1, "1", "1", "CANCEL_TASK"),))
    ran = sandbox.run_window(window_id, START)
    (task,) = read_all(ssm_client, ran["window_execution_id"])
    assert [i["Status"] for i in task["invocations"]] == ["SUCCESS", "TIMED_OUT", "CANCELLED"]
    assert task["invocations"][1]["EndTime"] == datetime.datetime(2026, 3, 10, 3, 0, tzinfo=datetime.timezone.utc)
    assert "cutoff" in task["invocations"][2]["StatusDetails"]
    assert task["Status"] == "TIMED_OUT" and ran["status"] == "TIMED_OUT"


def test_executions_are_listed_newest_first_with_filters_and_paging(sandbox, ssm_client, ec2):
    instances(ec2, ["success"])
    window_id = window(ssm_client, ["web"])
    started = [f"2026-03-{day:02d}T02:00:00Z" for day in range(1, 13)]
    for moment in started:
        sandbox.run_window(window_id, moment)
    first = ssm_client.describe_maintenance_window_executions(WindowId=window_id, MaxResults=10)
    assert len(first["WindowExecutions"]) == 10 and first["NextToken"]
    rest = ssm_client.describe_maintenance_window_executions(WindowId=window_id, MaxResults=10,
                                                             NextToken=first["NextToken"])
    listed = [e["StartTime"] for e in first["WindowExecutions"] + rest["WindowExecutions"]]
    assert listed == sorted(listed, reverse=True) and len(listed) == 12 and "NextToken" not in rest
    filtered = ssm_client.describe_maintenance_window_executions(WindowId=window_id, Filters=[
        {"Key": "ExecutedAfter", "Values": ["2026-03-05T00:00:00Z"]},
        {"Key": "ExecutedBefore", "Values": ["2026-03-07T23:00:00Z"]}])["WindowExecutions"]
    assert [e["StartTime"].day for e in filtered] == [7, 6, 5]


def test_unknown_ids_and_bad_outcome_tags_are_clear_errors(sandbox, ssm_client, ec2):
    with pytest.raises(ClientError) as caught:
        ssm_client.get_maintenance_window_execution(WindowExecutionId="00000000-0000-0000-0000-000000000000")
    assert caught.value.response["Error"]["Code"] == "DoesNotExistException"
    with pytest.raises(ValueError, match="does not exist"):
        sandbox.run_window("mw-0123456789abcdef0")
    instances(ec2, ["explode"])
    window_id = window(ssm_client, ["web"])
    with pytest.raises(ValueError, match="mwsandbox:outcome must be success, failure"):
        sandbox.run_window(window_id)
    with pytest.raises(ValueError, match="instance_id must be an EC2 instance ID .* or a managed-instance ID"):
        sandbox.register_managed_instance("web-1", {})
    with pytest.raises(ValueError, match="tags is for mi- managed nodes only"):
        sandbox.register_managed_instance("i-0123456789abcdef0", {"PatchGroup": "web"})
    assert ssm_client.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"] == []


def test_runs_and_instance_information_read_one_managed_node_registry(sandbox, ssm_client):
    """A node registered once is a run target (by its tags) and a managed node SSM reports, Online
    by default; a batch registration with tags works the same, and its ping status rules both
    readers (ConnectionLost: undeliverable); removing a node drops it from both."""
    sandbox.register_managed_instance("mi-0aaaaaaaaaaaaaaa1", {"PatchGroup": "web", "mwsandbox:outcome": "failure:4"})
    sandbox.register_managed_nodes([{"instance_id": "mi-0aaaaaaaaaaaaaaa2", "tags": {"PatchGroup": "web"},
                                     "ping_status": "ConnectionLost", "platform_type": "Windows",
                                     "platform_name": "Microsoft Windows Server 2022"}])
    info = ssm_client.describe_instance_information()["InstanceInformationList"]
    assert [(i["InstanceId"], i["PingStatus"], i["PlatformType"], i["ResourceType"]) for i in info] == [
        ("mi-0aaaaaaaaaaaaaaa1", "Online", "Linux", "ManagedInstance"),
        ("mi-0aaaaaaaaaaaaaaa2", "ConnectionLost", "Windows", "ManagedInstance")]
    window_id = window(ssm_client, ["web"])
    ran = sandbox.run_window(window_id, START)
    assert [(i["target"], i["status"]) for i in ran["tasks"][0]["invocations"]] == [
        ("mi-0aaaaaaaaaaaaaaa1", "FAILED"), ("mi-0aaaaaaaaaaaaaaa2", "FAILED")]
    details = [i["StatusDetails"] for i in read_all(ssm_client, ran["window_execution_id"])[0]["invocations"]]
    assert details == ["Failed: exit code 4.", "Undeliverable: the managed node is not reachable"]
    assert [n["instance_id"] for n in sandbox.managed_nodes()] == ["mi-0aaaaaaaaaaaaaaa1", "mi-0aaaaaaaaaaaaaaa2"]
    sandbox.register_managed_nodes(remove=["mi-0aaaaaaaaaaaaaaa1"])
    assert [i["InstanceId"] for i in ssm_client.describe_instance_information()["InstanceInformationList"]] == [
        "mi-0aaaaaaaaaaaaaaa2"]
    ran = sandbox.run_window(window_id, START)
    assert [i["target"] for i in ran["tasks"][0]["invocations"]] == ["mi-0aaaaaaaaaaaaaaa2"]


def test_a_refused_registration_names_the_field_and_writes_nothing(sandbox):
    sandbox.register_managed_instance("mi-0aaaaaaaaaaaaaaa1", {"PatchGroup": "web"})
    for body, reason in (
            ({"instances": [{"instance_id": "mi-0aaaaaaaaaaaaaaa3"}, {"instance_id": "mi-0aaaaaaaaaaaaaaa4",
                                                                      "ping_status": "Sleeping"}]},
             r"instances\[1\]\.ping_status must be one of Online, ConnectionLost, Inactive"),
            ({"instance_ids": ["mi-0aaaaaaaaaaaaaaa3"], "defaults": {"pingstatus": "Online"}},
             r"instance_ids\[0\] has unknown fields pingstatus"),
            ({"instance_id": "mi-0aaaaaaaaaaaaaaa3", "remove": ["mi-0aaaaaaaaaaaaaaa1", "web-1"]},
             r"remove\[1\] must be an EC2 instance ID"),
            ({"ping_status": "Online"}, "ping_status need instance_id"),
            ({}, "nothing to do")):
        with pytest.raises(ValueError, match=reason):
            sandbox.register_managed_nodes(**body)
    assert [(n["instance_id"], n["tags"]) for n in sandbox.managed_nodes()] == [
        ("mi-0aaaaaaaaaaaaaaa1", {"PatchGroup": "web"})]


def test_command_line_runs_a_window(sandbox, ssm_client):
    sandbox_dir = Path(__file__).resolve().parent
    registered = subprocess.run(
        [sys.executable, "-m", "mwsandbox", "register-managed-instance", "--endpoint", sandbox.endpoint,
         "--instance-id", "mi-00000000000000001", "--tag", "PatchGroup=web", "--tag", "mwsandbox:outcome=failure:7",
         "--platform-name", "Rocky Linux"], cwd=sandbox_dir, capture_output=True, text=True, check=False)
    assert registered.returncode == 0, registered.stderr
    (info,) = ssm_client.describe_instance_information()["InstanceInformationList"]
    assert (info["InstanceId"], info["PingStatus"], info["PlatformName"]) == ("mi-00000000000000001", "Online",
                                                                              "Rocky Linux")
    window_id = window(ssm_client, ["web"])
    proc = subprocess.run([sys.executable, "-m", "mwsandbox", "run-window", "--endpoint", sandbox.endpoint,
                           "--window-id", window_id, "--start-time", START],
                          cwd=sandbox_dir, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["status"] == "FAILED"
    assert answer["tasks"][0]["invocations"] == [{"target": "mi-00000000000000001", "status": "FAILED",
                                                  "started": True}]
    bad = subprocess.run([sys.executable, "-m", "mwsandbox", "run-window", "--endpoint", sandbox.endpoint,
                          "--window-id", "mw-0123456789abcdef0"], cwd=sandbox_dir, capture_output=True, text=True,
                         check=False)
    assert bad.returncode == 1 and "does not exist" in bad.stderr
