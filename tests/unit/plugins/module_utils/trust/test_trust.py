"""The pure rules behind "windows as code you can trust" (issue 10): value rules, identity and
repair of duplicates, derived ClientTokens, crash-safe replacement order, the lifeline."""

from __future__ import annotations

import copy
import os

import botocore.loaders
import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _definition as d
from ansible_collections.mwops.ssm.plugins.module_utils import _definition_rules as rules
from ansible_collections.mwops.ssm.plugins.module_utils import _lifeline
from ansible_collections.mwops.ssm.plugins.module_utils import _plan as p
from ansible_collections.mwops.ssm.plugins.module_utils import _schedule
from ansible_collections.mwops.ssm.plugins.module_utils import _ssm_rules

from ..plan.test_plan import DB, LAM, PATCH, WEB, WID, definition, ops, plan_target, plan_task, plan_window, state

MODEL = botocore.loaders.create_loader().load_service_model("ssm", "service-2")
SLR = "arn:aws:iam::123456789012:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"


def _paths(problems):
    return [x.path for x in problems]


# ---------------------------------------------------------------------------------------------
# Values

@pytest.mark.parametrize("value", [{"Install": True}, [{"x": 1}], [["a"]]])
def test_parameter_values_that_are_not_strings_are_refused(value):
    problems = rules.parameter_problems({"Operation": value}, "parameters")
    assert _paths(problems) == ["parameters['Operation']"]
    assert "string" in problems[0].message


@pytest.mark.parametrize("value", ["Install", ["echo a", "echo b"], 3, True, [1, "x"], None])
def test_scalar_parameter_values_are_accepted(value):
    assert rules.parameter_problems({"p": value}, "parameters") == []


def test_aws_tag_keys_are_refused_unless_aws_set_them_already():
    assert _paths(rules.tag_problems({"aws:owner": "me", "Team": "a"}, {})) == ["tags['aws:owner']"]
    assert _paths(rules.tag_problems({"AWS:x": "1"}, {})) == ["tags['AWS:x']"]
    # Read back from maintenance_window_info and fed in again: nothing would be written.
    assert rules.tag_problems({"aws:cloudformation:stack-name": "s"}, {"aws:cloudformation:stack-name": "s"}) == []


@pytest.mark.parametrize("zone", ["localtime", "posix/Europe/Berlin", "right/UTC", "Factory", "posixrules",
                                  "/etc/localtime", "../zoneinfo/UTC"])
def test_tzdata_files_are_not_time_zones(zone):
    assert not _schedule.is_zone_name(zone)
    with pytest.raises(_schedule.ScheduleError):
        _schedule.load_timezone(zone)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Etc/GMT+5", "America/Argentina/Buenos_Aires"])
def test_iana_names_are_time_zones(zone):
    assert _schedule.is_zone_name(zone)
    _schedule.load_timezone(zone)


def test_timezone_rule_is_the_one_the_api_check_uses():
    violations = _ssm_rules.check_request("CreateMaintenanceWindow", {
        "Name": "w-1", "Schedule": "rate(1 day)", "Duration": 2, "Cutoff": 0, "AllowUnassociatedTargets": False,
        "ScheduleTimezone": "posix/Europe/Berlin"}, MODEL)
    assert [v.path for v in violations] == ["ScheduleTimezone"]


def test_empty_strings_and_booleans_for_integers_are_refused_by_field():
    window = {"name": "w-1", "description": "", "duration": True, "cutoff": 0, "schedule_offset": False,
              "targets": [{"name": "web", "targets": [{"key": "tag:Role", "values": ["web", ""]}]}],
              "tasks": [{"name": "t-1", "priority": True, "task_arn": "",
                         "task_invocation_parameters": {"run_command": {"timeout_seconds": False,
                                                                        "parameters": {"x": ""}}}}]}
    paths = _paths(rules.value_problems(window))
    assert sorted(paths) == sorted([
        "description", "duration", "schedule_offset", "targets[0].targets[0].values[1]", "tasks[0].priority",
        "tasks[0].task_arn", "tasks[0].task_invocation_parameters.run_command.timeout_seconds"])
    # An empty Run Command parameter value is a value AWS accepts (AWS-RunShellScript's workingDirectory).


def test_schedule_offset_zero_reaches_the_range_rule():
    desired = {k: v for k, v in definition().items() if k not in ("targets", "tasks")}
    desired["schedule"] = "cron(0 2 ? * TUE#2 *)"
    desired["schedule_offset"] = 0
    with pytest.raises(p.DefinitionError) as err:
        plan_window(desired, state(), MODEL)
    assert [(x.path, "at least 1" in x.message) for x in err.value.problems] == [("schedule_offset", True)]


@pytest.mark.parametrize("priority,ok", [(2 ** 31 - 1, True), (2 ** 31, False), (2 ** 40, False)])
def test_integers_without_a_bound_of_their_own_are_java_ints(priority, ok):
    violations = _ssm_rules.check_request("RegisterTaskWithMaintenanceWindow", {
        "WindowId": WID, "TaskArn": "AWS-Doc", "TaskType": "AUTOMATION", "Priority": priority}, MODEL)
    assert (violations == []) is ok
    if not ok:
        assert violations[0].path == "Priority" and "2147483647" in violations[0].message


# ---------------------------------------------------------------------------------------------
# Peer configurations

def test_service_linked_role_is_no_role_on_both_sides():
    assert d.normalize_task({"name": "t-1", "service_role_arn": SLR}).get("service_role_arn") is None
    desired = definition()
    desired["tasks"][1]["service_role_arn"] = SLR  # patch: AWS reports the service-linked role
    plan = plan_window(desired, state(), MODEL)
    assert ops(plan) == [] and plan.changed_fields == []


def test_unnamed_targets_and_tasks_are_matched_by_content():
    st = state()
    st.api_targets.append({"WindowId": WID, "WindowTargetId": "55555555-5555-4555-8555-555555555555",
                           "ResourceType": "INSTANCE", "Targets": [{"Key": "tag:Role", "Values": ["x"]}]})
    desired = definition()
    desired["targets"].append({"targets": [{"key": "tag:Role", "values": ["x"]}]})
    assert ops(plan_window(desired, st, MODEL)) == []
    desired["targets"][-1]["targets"][0]["values"] = ["y"]
    plan = plan_window(desired, st, MODEL)
    assert ops(plan) == ["RegisterTargetWithMaintenanceWindow", "DeregisterTargetFromMaintenanceWindow"]


def test_check_mode_plans_against_a_predicted_window():
    predicted = p.WindowState(api_window={"WindowId": p.NEW_WINDOW_ID, "Name": "new"}, predicted=True)
    task = {"name": "patch", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunPatchBaseline",
            "targets": [{"window_target": "web"}], "max_concurrency": "1", "max_errors": "0"}
    plan = plan_task(task, True, predicted, [], MODEL, unknown_targets_ok=True)
    assert ops(plan) == ["RegisterTaskWithMaintenanceWindow"] and plan.changed_fields == ["registered"]
    assert plan.after["targets"] == [{"window_target": "web"}] and plan.after["window_task_id"] is None
    with pytest.raises(p.DefinitionError):  # outside check mode an unknown window target stays an error
        plan_task(task, True, predicted, [], MODEL)


# ---------------------------------------------------------------------------------------------
# Identity and repair

def test_an_unknown_id_is_a_problem_never_a_registration():
    desired = definition()
    desired["tasks"][0]["window_task_id"] = "99999999-9999-4999-8999-999999999999"
    desired["targets"][0]["window_target_id"] = "88888888-8888-4888-8888-888888888888"
    with pytest.raises(p.DefinitionError) as err:
        plan_window(desired, state(), MODEL)
    messages = {x.path: x.message for x in err.value.problems}
    assert "no task with ID 99999999" in messages["tasks[0].window_task_id"]
    assert "no window target with ID 88888888" in messages["targets[0].window_target_id"]


def test_a_name_that_contradicts_the_id_is_refused():
    desired = definition()
    desired["targets"][0]["name"] = "other"
    with pytest.raises(p.DefinitionError) as err:
        plan_window(desired, state(), MODEL)
    assert any(x.path == "targets[0].name" and "must agree" in x.message for x in err.value.problems)
    with pytest.raises(p.DefinitionError):
        plan_target({"name": "web", "window_target_id": DB}, False, state(), MODEL)
    with pytest.raises(p.DefinitionError):
        plan_task({"name": "lam", "window_task_id": PATCH}, False, state(), [state().api_tasks[0]], MODEL)


def test_absent_with_an_id_that_is_gone_is_a_no_op():
    plan = plan_target({"window_target_id": "88888888-8888-4888-8888-888888888888"}, False, state(), MODEL)
    assert plan.ops == [] and plan.problems == []


def test_crash_state_of_a_resource_type_change_is_repaired():
    """Register ran, deregister did not: two targets named web, the new one equal to the definition."""
    st = state()
    new_web = "66666666-6666-4666-8666-666666666666"
    st.api_targets.append({"WindowId": WID, "WindowTargetId": new_web, "Name": "web", "ResourceType": "RESOURCE_GROUP",
                           "Targets": [{"Key": "resource-groups:Name", "Values": ["grp"]}]})
    desired = definition()
    desired["targets"] = [{"name": "web", "resource_type": "RESOURCE_GROUP",
                           "targets": [{"key": "resource-groups:Name", "values": ["grp"]}]},
                          {k: v for k, v in desired["targets"][0].items() if k != "window_target_id"}]
    desired["targets"][1] = next(dict(t) for t in definition()["targets"] if t["name"] == "dbs")
    for task in desired["tasks"]:
        task.pop("window_task_id", None)
    plan = plan_window(desired, st, MODEL)
    # The task moves to the kept target before the old one goes; nothing is registered again.
    assert ops(plan) == ["UpdateMaintenanceWindowTask", "DeregisterTargetFromMaintenanceWindow"]
    assert plan.ops[-1].request["WindowTargetId"] == WEB
    assert new_web in plan.ops[0].request["Targets"][0]["Values"]


def test_duplicates_are_kept_by_content_then_by_use_else_named():
    a = {"name": "x", "window_target_id": "a", "resource_type": "INSTANCE", "targets": [{"key": "tag:A", "values": ["1"]}]}
    b = dict(a, window_target_id="b", targets=[{"key": "tag:A", "values": ["2"]}])
    want = {"name": "x", "resource_type": "INSTANCE", "targets": [{"key": "tag:A", "values": ["2"]}]}
    same = p.same_target
    by_content = d.match_by_identity([want], [a, b], "window_target_id", "window target", same)
    assert by_content.pairs[0][1] is b and by_content.extras == [a] and by_content.problems == []
    other = dict(want, targets=[{"key": "tag:A", "values": ["3"]}])
    by_use = d.match_by_identity([other], [a, b], "window_target_id", "window target", same, referenced={"a"})
    assert by_use.pairs[0][1] is a and by_use.extras == [b]
    undecided = d.match_by_identity([other], [a, b], "window_target_id", "window target", same)
    assert undecided.pairs[0][1] is None and "(a, b)" in undecided.problems[0].message
    assert "window_target_id" in undecided.problems[0].message


def test_replacements_register_before_they_deregister():
    st = state()
    plan = plan_target({"name": "web", "resource_type": "RESOURCE_GROUP",
                        "targets": [{"key": "resource-groups:Name", "values": ["grp"]}]}, True,
                       p.WindowState(api_window=st.api_window, api_targets=st.api_targets), MODEL)
    assert ops(plan) == ["RegisterTargetWithMaintenanceWindow", "DeregisterTargetFromMaintenanceWindow"]
    desired = definition()
    lam = next(t for t in desired["tasks"] if t["name"] == "lam")
    lam.update(task_type="STEP_FUNCTIONS", task_arn="arn:aws:states:us-east-1:1:stateMachine:m",
               task_invocation_parameters=None)
    plan = plan_window(desired, st, MODEL)
    assert ops(plan) == ["RegisterTaskWithMaintenanceWindow", "DeregisterTaskFromMaintenanceWindow"]
    assert plan.ops[1].request["WindowTaskId"] == LAM


# ---------------------------------------------------------------------------------------------
# Derived ClientTokens

def test_tokens_are_derived_from_what_was_observed():
    seed = p.token_seed("web", [])
    one = p.client_token("RegisterTargetWithMaintenanceWindow", WID, seed)
    assert one == p.client_token("RegisterTargetWithMaintenanceWindow", WID, p.token_seed("web", []))
    assert len(one) <= 64 and one.startswith("mwops-")
    others = {
        p.client_token("RegisterTargetWithMaintenanceWindow", "mw-11111111111111111", seed),  # another window
        p.client_token("RegisterTargetWithMaintenanceWindow", WID, p.token_seed("db1", [])),  # another name
        p.client_token("RegisterTargetWithMaintenanceWindow", WID, p.token_seed("web", [WEB])),  # observed one
        p.client_token("RegisterTargetWithMaintenanceWindow", WID, seed, stale=[WEB]),  # its resource is gone
        p.client_token("RegisterTaskWithMaintenanceWindow", WID, seed),  # another operation
    }
    assert one not in others and len(others) == 5


def test_every_creation_carries_a_token_seed():
    desired = definition()
    desired["name"] = "brand-new"
    desired["tags"] = {}
    for item in desired["targets"] + desired["tasks"]:
        item.pop("window_target_id", None)
        item.pop("window_task_id", None)
    plan = plan_window(desired, None, MODEL)
    creates = [op for op in plan.ops if op.operation.startswith(("Create", "Register"))]
    assert creates and all(op.token_seed for op in creates)
    assert {op.token_seed["identity"] for op in creates} == {"brand-new", "web", "dbs", "patch", "lam"}


# ---------------------------------------------------------------------------------------------
# The lifeline

def test_lifeline_sees_its_ancestors_and_notices_one_going():
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc: the lifeline always answers yes there")
    chain = _lifeline.ancestors()
    assert chain and chain[0][0] == os.getppid()
    line = _lifeline.Lifeline()
    assert line.keep_going()
    # A parent whose PID was reused (another start time), then an ancestor that is gone.
    line._chain = [(chain[0][0], "0")] + chain[1:]  # pylint: disable=protected-access
    assert not line.keep_going()
    line._chain = copy.deepcopy(chain) + [(2 ** 22 + 7, "1")]  # pylint: disable=protected-access
    assert not line.keep_going()
