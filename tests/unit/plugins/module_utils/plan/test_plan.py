"""Planning of write calls: no-op plans, in-place updates, replacement, validation before writes."""

from __future__ import annotations

import copy

import botocore.loaders
import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _plan as p
from ansible_collections.mwops.ssm.plugins.module_utils import _plan_window
from ansible_collections.mwops.ssm.plugins.module_utils import _ssm
from ansible_collections.mwops.ssm.plugins.module_utils._plan_target import plan_target
from ansible_collections.mwops.ssm.plugins.module_utils._plan_task import plan_task

MODEL = botocore.loaders.create_loader().load_service_model("ssm", "service-2")
WID = "mw-0123456789abcdef0"
WEB = "11111111-1111-4111-8111-111111111111"
DB = "22222222-2222-4222-8222-222222222222"
PATCH = "33333333-3333-4333-8333-333333333333"
LAM = "44444444-4444-4444-8444-444444444444"


def plan_window(desired, st, model, **options):
    """The window plan with the AWS layer's tag comparison, as ``_converge`` calls it."""
    return _plan_window.plan_window(desired, st, model, compare_tags=_ssm.window_tag_changes, **options)


def state() -> p.WindowState:
    return p.WindowState(
        api_window={"WindowId": WID, "Name": "prod", "Schedule": "cron(0 2 ? * TUE#2 *)", "Duration": 4,
                    "Cutoff": 1, "AllowUnassociatedTargets": False, "Enabled": True,
                    "ScheduleTimezone": "America/New_York", "NextExecutionTime": "2026-01-01T02:00-05:00"},
        tags={"Env": "prod", "aws:cloudformation:stack-name": "x"},
        api_targets=[
            {"WindowId": WID, "WindowTargetId": WEB, "Name": "web", "ResourceType": "INSTANCE",
             "Targets": [{"Key": "tag:PatchGroup", "Values": ["B", "A"]}]},
            {"WindowId": WID, "WindowTargetId": DB, "Name": "dbs", "ResourceType": "INSTANCE",
             "Targets": [{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}], "OwnerInformation": "dba"},
        ],
        api_tasks=[
            {"WindowId": WID, "WindowTaskId": PATCH, "Name": "patch", "TaskType": "RUN_COMMAND",
             "TaskArn": "AWS-RunPatchBaseline", "Priority": 1, "MaxConcurrency": "10%", "MaxErrors": "1",
             "CutoffBehavior": "CONTINUE_TASK",
             "ServiceRoleArn": "arn:aws:iam::1:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM",
             "Targets": [{"Key": "WindowTargetIds", "Values": [DB, WEB]}],
             "TaskInvocationParameters": {"RunCommand": {"Parameters": {"Operation": ["Install"]},
                                                         "TimeoutSeconds": 600}}},
            {"WindowId": WID, "WindowTaskId": LAM, "Name": "lam", "TaskType": "LAMBDA",
             "TaskArn": "arn:aws:lambda:us-east-1:1:function:f", "Priority": 0, "MaxConcurrency": "1",
             "MaxErrors": "1", "CutoffBehavior": "CONTINUE_TASK", "Targets": [],
             "TaskInvocationParameters": {"Lambda": {"Payload": '{"w": "{{WINDOW_ID}}"}'}}},
        ],
    )


def definition() -> dict:
    doc = p.state_document(state())
    return {k: v for k, v in doc.items() if k != "window_id"}


def ops(plan):
    return [op.operation for op in plan.ops]


def test_state_document_round_trip_is_a_no_op():
    plan = plan_window(definition(), state(), MODEL)
    assert ops(plan) == [] and plan.changed_fields == []


def test_user_spelling_round_trip_is_a_no_op():
    desired = {
        "name": "prod", "schedule": "cron(0 2 ? * TUE#2 *)", "duration": 4, "cutoff": 1,
        "schedule_timezone": "America/New_York", "tags": {"Env": "prod"},
        "targets": [{"name": "dbs", "owner_information": "dba",
                     "targets": [{"key": "InstanceIds", "values": ["i-0123456789abcdef0"]}]},
                    {"name": "web", "targets": [{"key": "tag:PatchGroup", "values": ["A", "B"]}]}],
        "tasks": [{"name": "lam", "task_type": "LAMBDA", "task_arn": "arn:aws:lambda:us-east-1:1:function:f",
                   "priority": 0, "task_invocation_parameters": {"lambda": {"payload": '{"w": "{{WINDOW_ID}}"}'}}},
                  {"name": "patch", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunPatchBaseline",
                   "targets": [{"window_target": "web"}, {"key": "WindowTargetIds", "values": [DB]}],
                   "max_concurrency": "10%", "max_errors": 1,
                   "task_invocation_parameters": {"run_command": {"parameters": {"Operation": "Install"},
                                                                  "timeout_seconds": "600"}}}],
    }
    plan = plan_window(desired, state(), MODEL)
    assert ops(plan) == [], plan.changed_fields


@pytest.mark.parametrize("change,expected_ops,field", [
    (lambda w: w.update(schedule="cron(0 3 ? * TUE#2 *)"), ["UpdateMaintenanceWindow"], "schedule"),
    (lambda w: w.pop("schedule_timezone"), ["UpdateMaintenanceWindow"], "schedule_timezone"),
    (lambda w: w.update(enabled=False), ["UpdateMaintenanceWindow"], "enabled"),
    (lambda w: w.update(tags={"Env": "test"}), ["AddTagsToResource"], "tags"),
    (lambda w: w.update(tags={}), ["RemoveTagsFromResource"], "tags"),
    (lambda w: w["targets"][0].update(owner_information="ops"), ["UpdateMaintenanceWindowTarget"],
     "targets[dbs].owner_information"),
    (lambda w: w["tasks"][1].update(priority=5), ["UpdateMaintenanceWindowTask"], "tasks[patch].priority"),
    (lambda w: w["tasks"][1]["task_invocation_parameters"]["run_command"].update(timeout_seconds=900),
     ["UpdateMaintenanceWindowTask"], "tasks[patch].task_invocation_parameters.run_command.timeout_seconds"),
    (lambda w: w["tasks"].pop(0), ["DeregisterTaskFromMaintenanceWindow"], "tasks[lam]: deregistered"),
])
def test_each_kind_of_update_is_one_in_place_call(change, expected_ops, field):
    desired = definition()
    change(desired)
    plan = plan_window(desired, state(), MODEL)
    assert ops(plan) == expected_ops
    assert field in plan.changed_fields


def test_aws_tags_are_never_purged():
    desired = definition()
    desired["tags"] = {}
    plan = plan_window(desired, state(), MODEL)
    assert plan.ops[0].request["TagKeys"] == ["Env"]


def test_task_update_resends_everything():
    desired = definition()
    desired["tasks"][1]["priority"] = 5
    request = plan_window(desired, state(), MODEL).ops[0].request
    assert request["Replace"] is True and request["WindowTaskId"] == PATCH
    assert request["TaskInvocationParameters"]["RunCommand"]["Parameters"] == {"Operation": ["Install"]}
    assert request["Targets"] == [{"Key": "WindowTargetIds", "Values": sorted([WEB, DB])}]


def test_resource_type_change_registers_updates_task_then_deregisters():
    desired = definition()
    desired["targets"][1] = {"name": "web", "resource_type": "RESOURCE_GROUP",
                             "targets": [{"key": "resource-groups:Name", "values": ["rg"]}]}
    plan = plan_window(desired, state(), MODEL)
    assert ops(plan) == ["RegisterTargetWithMaintenanceWindow", "UpdateMaintenanceWindowTask",
                         "DeregisterTargetFromMaintenanceWindow"]
    new_id = plan.ops[0].result_id
    assert new_id in plan.ops[1].request["Targets"][0]["Values"]


def test_removing_a_target_in_use_fails_before_any_write_and_names_the_task():
    desired = definition()
    desired["targets"] = [t for t in desired["targets"] if t["name"] != "dbs"]
    desired["tasks"][1]["targets"] = [{"window_target": "web"}]
    assert ops(plan_window(desired, state(), MODEL)) == ["UpdateMaintenanceWindowTask",
                                                         "DeregisterTargetFromMaintenanceWindow"]
    desired = definition()
    desired["targets"] = [t for t in desired["targets"] if t["name"] != "dbs"]
    desired["tasks"][1]["targets"] = [{"window_target": "web"}, {"key": "WindowTargetIds", "values": [DB]}]
    with pytest.raises(p.DefinitionError) as err:
        plan_window(desired, state(), MODEL)
    assert "patch" in str(err.value) and DB in str(err.value)
    plan = plan_window(desired, state(), MODEL, force=True)
    assert plan.ops[-1].request["Safe"] is False


def test_purge_false_keeps_unlisted_targets_and_tasks():
    desired = definition()
    desired["targets"] = desired["targets"][:1]
    desired["tasks"] = desired["tasks"][:1]
    plan = plan_window(desired, state(), MODEL, purge_targets=False, purge_tasks=False)
    assert ops(plan) == []


def test_create_plan_uses_placeholders_and_disables_after_create():
    desired = definition()
    desired["enabled"] = False
    # A new window: its definition carries no IDs (and no tags AWS set on another window).
    desired["tags"] = {k: v for k, v in desired["tags"].items() if not k.startswith("aws:")}
    for item in desired["targets"] + desired["tasks"]:
        item.pop("window_target_id", None)
        item.pop("window_task_id", None)
    plan = plan_window(desired, None, MODEL)
    assert ops(plan)[:2] == ["CreateMaintenanceWindow", "UpdateMaintenanceWindow"]
    assert all(op.request.get("WindowId", p.NEW_WINDOW_ID) == p.NEW_WINDOW_ID for op in plan.ops[1:]
               if "WindowId" in op.request)
    assert plan.after["window_id"] is None
    assert all(t["window_target_id"] is None for t in plan.after["targets"])


def test_invalid_definition_names_fields_and_plans_nothing():
    desired = definition()
    desired["cutoff"] = 9
    desired["tasks"][1]["max_concurrency"] = "0"
    desired["tasks"][0]["task_invocation_parameters"]["lambda"]["qualifier"] = ""
    desired["targets"][0]["targets"][0]["values"] = ["i-%d" % n for n in range(51)]
    with pytest.raises(p.DefinitionError) as err:
        plan_window(desired, state(), MODEL)
    paths = [x.path for x in err.value.problems]
    assert "cutoff" in paths and "tasks[1].max_concurrency" in paths
    assert any(x.startswith("targets[0].targets") for x in paths)


def test_delete_plan():
    plan = plan_window(None, state(), MODEL)
    assert ops(plan) == ["DeleteMaintenanceWindow"] and plan.after is None
    assert plan_window(None, None, MODEL).ops == []


def test_mw_target_plan_absent_in_use():
    with pytest.raises(p.DefinitionError) as err:
        plan_target({"name": "web"}, False, state(), MODEL)
    assert "patch" in str(err.value)
    assert ops(plan_target({"name": "web"}, False, state(), MODEL, force=True)) == [
        "DeregisterTargetFromMaintenanceWindow"]


def test_mw_task_plan_no_op_and_update():
    st = state()
    current = copy.deepcopy(st.api_tasks[0])
    desired = {"name": "patch", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunPatchBaseline",
               "targets": [{"window_target": "web"}, {"window_target": "dbs"}], "max_concurrency": "10%",
               "max_errors": "1", "task_invocation_parameters": {"run_command": {
                   "parameters": {"Operation": ["Install"]}, "timeout_seconds": 600}}}
    assert ops(plan_task(desired, True, st, [current], MODEL)) == []
    desired["max_errors"] = "2"
    plan = plan_task(desired, True, st, [current], MODEL)
    assert ops(plan) == ["UpdateMaintenanceWindowTask"] and plan.changed_fields == ["max_errors"]
