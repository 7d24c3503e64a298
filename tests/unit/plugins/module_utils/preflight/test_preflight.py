"""Preflight decision core: facts (and history) in, verdicts out."""

from __future__ import annotations

import json

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _preflight as P
from ansible_collections.mwops.ssm.plugins.module_utils import _preflight_estimate as E
from ansible_collections.mwops.ssm.plugins.module_utils._preflight_local import local_preflight

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/mw-role"


def window(**overrides):
    doc = {
        "name": "prod-patching", "duration": 4, "cutoff": 1,
        "targets": [{"name": "web", "resource_type": "INSTANCE", "targets": [{"key": "tag:Role", "values": ["web"]}]}],
        "tasks": [{"name": "patch", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunPatchBaseline", "priority": 1,
                   "max_concurrency": "2", "max_errors": "1", "targets": [{"window_target": "web"}],
                   "service_role_arn": ROLE,
                   "task_invocation_parameters": {"run_command": {"parameters": {"Operation": ["Install"]}}}}],
    }
    doc.update(overrides)
    return doc


def node(instance_id, group="Prod-Linux", key="Patch Group", ping="Online", managed=True, pending=0):
    tags = {"Role": "web"}
    if group is not None:
        tags[key] = group
    return P.Instance(instance_id, tags, managed=managed, ping_status=ping if managed else None,
                      platform_type="Linux", platform_name="Amazon Linux", platform_version="2023.4",
                      pending_reboot=pending)


def facts(instances, win=None, **kw):
    win = win or window()
    base = dict(window=win, target_instances={"web": [i.instance_id for i in instances]},
                instances={i.instance_id: i for i in instances},
                patch_groups={"Prod-Linux": {"AMAZON_LINUX_2023": "pb-1"}},
                estimates={"patch": 10})
    base.update(kw)
    return P.Facts(**base)


def check(report, name):
    return next(c for c in report["checks"] if c["check"] == name)


def run(f):
    return P.preflight_window(f, "us-east-1", ACCOUNT)


# ----------------------------------------------------------------------------- targets

def test_targets_pass_when_every_node_is_online():
    result = check(run(facts([node("i-1"), node("i-2")])), "targets_resolve")
    assert result["status"] == "pass" and result["evidence"]["tasks"] == {"patch": 2}
    assert (result["failure"], result["cause"], result["fix"]) == (
        "Tasks don't run", "No targets resolved", "Verify tags / resource groups")


def test_targets_warn_names_unmanaged_and_offline_nodes():
    result = check(run(facts([node("i-1"), node("i-2", ping="ConnectionLost"), node("i-3", managed=False)])),
                   "targets_resolve")
    assert result["status"] == "warn"
    assert [(f["status"], f["instance_ids"]) for f in result["findings"]] == [("warn", ["i-3"]), ("warn", ["i-2"])]


def test_targets_fail_when_a_task_reaches_nothing():
    result = check(run(facts([])), "targets_resolve")
    assert result["status"] == "fail"
    assert [f["status"] for f in result["findings"]] == ["warn", "fail"]
    assert "resolves to no online managed node" in result["findings"][1]["message"]


def test_targets_fail_on_resource_group_error():
    f = facts([node("i-1")], target_errors={"web": "resource group 'nope' does not exist"})
    assert check(run(f), "targets_resolve")["status"] == "fail"


# ----------------------------------------------------------------------------- patch groups

def test_patch_groups_pass():
    assert check(run(facts([node("i-1"), node("i-2", key="PatchGroup")])), "patch_groups_match")["status"] == "pass"


@pytest.mark.parametrize("instance, words", [
    (node("i-1", key="patchgroup"), "tag key 'patchgroup'"),
    (node("i-1", key="Patch_Group"), "tag key 'Patch_Group'"),
    (node("i-1", group="Prod-Linux "), "near miss of the registered 'Prod-Linux'"),
    (node("i-1", group="prod-linux"), "near miss"),
    (node("i-1", group="Test-Linux"), "not registered to any patch baseline"),
])
def test_patch_groups_fail_on_near_misses_and_unregistered(instance, words):
    result = check(run(facts([instance])), "patch_groups_match")
    assert result["status"] == "fail"
    assert words in result["findings"][0]["message"] and result["findings"][0]["instance_ids"] == ["i-1"]
    assert result["fix"] == "Standardize tagging"


def test_patch_groups_fail_when_group_has_no_baseline_for_the_os():
    windows = node("i-w")
    windows.platform_type, windows.platform_name = "Windows", "Microsoft Windows Server 2022 Datacenter"
    result = check(run(facts([windows])), "patch_groups_match")
    assert result["status"] == "fail" and "no baseline for WINDOWS" in result["findings"][0]["message"]


def test_patch_groups_warn_without_tag():
    result = check(run(facts([node("i-1", group=None)])), "patch_groups_match")
    assert result["status"] == "warn" and "default patch baseline" in result["findings"][0]["message"]


def test_patch_groups_ignore_windows_without_patch_tasks():
    win = window(tasks=[dict(window()["tasks"][0], task_arn="AWS-RunShellScript")])
    assert check(run(facts([node("i-1", key="patchgroup")], win=win)), "patch_groups_match")["status"] == "pass"


def test_operating_system_mapping():
    assert P.operating_system(P.Instance("i", platform_type="Linux", platform_name="Amazon Linux",
                                         platform_version="2")) == "AMAZON_LINUX_2"
    assert P.operating_system(P.Instance("i", platform_type="Linux", platform_name="Ubuntu")) == "UBUNTU"
    assert P.operating_system(P.Instance("i", platform_type="Linux", platform_name="Plan 9")) is None


# ----------------------------------------------------------------------------- reboots

def no_reboot(priority=1):
    task = window()["tasks"][0]
    return dict(task, priority=priority, task_invocation_parameters={"run_command": {"parameters": {
        "Operation": ["Install"], "RebootOption": ["NoReboot"]}}})


def test_reboots_pass_with_default_option():
    assert check(run(facts([node("i-1")])), "reboots_not_missed")["status"] == "pass"


def test_reboots_fail_on_noreboot_without_later_reboot():
    result = check(run(facts([node("i-1"), node("i-2")], win=window(tasks=[no_reboot()]))), "reboots_not_missed")
    assert result["status"] == "fail" and result["findings"][0]["instance_ids"] == ["i-1", "i-2"]
    assert result["fix"] == "Use RebootOption"


def test_reboots_pass_when_a_later_task_reboots():
    reboot = {"name": "reboot", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunShellScript", "priority": 2,
              "max_concurrency": "1", "max_errors": "0", "targets": [{"window_target": "web"}],
              "task_invocation_parameters": {"run_command": {"parameters": {"commands": ["sudo shutdown -r now"]}}}}
    f = facts([node("i-1")], win=window(tasks=[no_reboot(), reboot]), estimates={"patch": 1, "reboot": 1})
    assert check(run(f), "reboots_not_missed")["status"] == "pass"
    # The same reboot at the same priority runs alongside the install, not after it.
    f.window["tasks"][1]["priority"] = 1
    assert check(run(f), "reboots_not_missed")["status"] == "fail"


def test_reboots_fail_on_invalid_option():
    task = no_reboot()
    task["task_invocation_parameters"]["run_command"]["parameters"]["RebootOption"] = ["noreboot"]
    result = check(run(facts([node("i-1")], win=window(tasks=[task]))), "reboots_not_missed")
    assert result["status"] == "fail" and "'noreboot' is not one of" in result["findings"][0]["message"]


def test_reboots_warn_on_pending_reboot():
    result = check(run(facts([node("i-1", pending=3), node("i-2")])), "reboots_not_missed")
    assert result["status"] == "warn" and result["findings"][0]["instance_ids"] == ["i-1"]


# ----------------------------------------------------------------------------- window length

def execution(task="patch", minutes=(10,), window_name="prod-patching", status="Success"):
    invocations = [{"status": status, "start_time": "2026-01-01T02:00:00.000000Z",
                    "end_time": f"2026-01-01T02:{m:02d}:00.000000Z"} for m in minutes]
    return {"schema": E.SCHEMA, "window_name": window_name,
            "task_executions": [{"name": task, "invocations": invocations}]}


def test_p90_nearest_rank():
    assert E.p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == 9
    assert E.p90([5]) == 5
    assert E.p90(list(range(1, 21))) == 18


def test_length_from_history_waves_and_levels():
    # 10 online nodes, MaxConcurrency 20% -> 2 at a time -> 5 waves; p90 of 10 samples (1..10 min) is 9 min.
    nodes = [node(f"i-{n}") for n in range(10)]
    win = window()
    win["tasks"][0]["max_concurrency"] = "20%"
    second = dict(win["tasks"][0], name="verify", priority=2, max_concurrency="10")
    win["tasks"].append(second)
    history = [execution(minutes=range(1, 11)), execution(task="verify", minutes=(3, 4))]
    result = check(run(facts(nodes, win=win, history=[("ssm history", history)])), "window_long_enough")
    patch, verify = result["evidence"]["tasks"]
    assert (patch["p90_minutes"], patch["waves"], patch["minutes"], patch["source"]) == (9.0, 5, 45.0, "ssm history")
    assert (verify["p90_minutes"], verify["waves"], verify["minutes"]) == (4.0, 1, 4.0)
    assert result["evidence"]["needed_minutes"] == 49.0 and result["evidence"]["available_minutes"] == 180.0
    assert result["status"] == "pass"


def test_length_fails_when_fleet_outgrows_window():
    nodes = [node(f"i-{n}") for n in range(40)]
    win = window(duration=2, cutoff=1)
    win["tasks"][0]["max_concurrency"] = "1"
    result = check(run(facts(nodes, win=win, estimates={"patch": 5})), "window_long_enough")
    assert result["status"] == "fail" and result["evidence"]["needed_minutes"] == 200.0
    assert "leaves 60 min" in result["findings"][0]["message"] and result["fix"] == "Increase duration"


def test_length_warns_close_to_limit_and_without_estimate():
    nodes = [node(f"i-{n}") for n in range(10)]
    win = window(duration=2, cutoff=1)
    win["tasks"][0]["max_concurrency"] = "1"
    assert check(run(facts(nodes, win=win, estimates={"patch": 5.5})), "window_long_enough")["status"] == "warn"
    result = check(run(facts(nodes, win=win, estimates={})), "window_long_enough")
    assert result["status"] == "warn" and "no history and no declared estimate" in result["findings"][0]["message"]


def test_local_history_wins_over_supplied_history_and_estimate():
    f = facts([node("i-1")], history=[("local history", [execution(minutes=(2,))]),
                                      ("supplied history", [execution(minutes=(50,))])])
    task = check(run(f), "window_long_enough")["evidence"]["tasks"][0]
    assert (task["source"], task["p90_minutes"]) == ("local history", 2.0)


def test_ssm_history_first_and_the_sources_consulted_are_evidence():
    ssm = [execution(minutes=(30,)), execution(minutes=(20,)), execution(minutes=(9,), window_name="other")]
    f = facts([node("i-1")], history=[("SSM history", ssm), ("local history", [execution(minutes=(2,))])])
    result = check(run(f), "window_long_enough")
    task = result["evidence"]["tasks"][0]
    assert (task["source"], task["samples"], task["p90_minutes"]) == ("SSM history", 2, 30.0)
    assert result["evidence"]["history_sources"] == [{"source": "SSM history", "executions": 2},
                                                     {"source": "local history", "executions": 1}]
    assert E.executions_of(ssm, None, None) == 0


def test_history_of_other_windows_and_cancelled_invocations_is_ignored():
    history = [execution(minutes=(50,), window_name="other"), execution(minutes=(40,), status="Cancelled")]
    task = check(run(facts([node("i-1")], history=[("h", history)])), "window_long_enough")["evidence"]["tasks"][0]
    assert task["source"] == "declared estimate"


def test_task_timeout_against_p90_and_time_left():
    win = window()
    win["tasks"][0]["task_invocation_parameters"]["run_command"]["timeout_seconds"] = 300
    result = check(run(facts([node("i-1")], win=win)), "window_long_enough")
    assert result["status"] == "fail" and "exceeds its own timeout 5 min" in result["findings"][0]["message"]
    win["tasks"][0]["task_invocation_parameters"]["run_command"]["timeout_seconds"] = 4 * 3600
    result = check(run(facts([node("i-1")], win=win)), "window_long_enough")
    assert result["status"] == "warn" and "left when its priority level starts" in result["findings"][0]["message"]


def test_load_history_dir_reads_only_the_schema(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(execution()))
    (tmp_path / "b.json").write_text(json.dumps({"schema": "other"}))
    (tmp_path / "c.json").write_text("{torn")
    assert len(E.load_history_dir(str(tmp_path))) == 1


# ----------------------------------------------------------------------------- role

def role_facts(**kw):
    role = P.RoleFacts(ROLE, exists=True, trusts_ssm=True, pass_role="allowed",
                       decisions={("ssm:SendCommand", "arn:aws:ssm:us-east-1::document/AWS-RunPatchBaseline"): "allowed",
                                  ("ssm:ListCommands", "*"): "allowed"})
    for key, value in kw.items():
        setattr(role, key, value)
    return {ROLE: role}


def test_role_pass():
    assert check(run(facts([node("i-1")], roles=role_facts())), "role_is_right")["status"] == "pass"


@pytest.mark.parametrize("kw, words", [
    ({"exists": False}, "does not exist"),
    ({"trusts_ssm": False}, "does not trust ssm.amazonaws.com"),
    ({"decisions": {("ssm:ListCommands", "*"): "allowed"}}, "ssm:SendCommand on arn:aws:ssm:us-east-1::document"),
    ({"pass_role": "implicitDeny"}, "may not iam:PassRole"),
])
def test_role_fail(kw, words):
    result = check(run(facts([node("i-1")], roles=role_facts(**kw), caller_arn="arn:aws:iam::1:user/ci")),
                   "role_is_right")
    assert result["status"] == "fail" and words in result["findings"][0]["message"]
    assert result["fix"] == "Validate service role"


def test_role_warn_when_not_verifiable():
    result = check(run(facts([node("i-1")], roles=role_facts(error="AccessDenied on iam:GetRole"))), "role_is_right")
    assert result["status"] == "warn"


def test_required_actions_per_task_type():
    lam = {"task_type": "LAMBDA", "task_arn": "arn:aws:lambda:us-east-1:1:function:SSM-x"}
    sfn = {"task_type": "STEP_FUNCTIONS", "task_arn": "arn:aws:states:us-east-1:1:stateMachine:SSM-m"}
    auto = {"task_type": "AUTOMATION", "task_arn": "AWS-RestartEC2Instance"}
    assert P.required_actions(lam, {}, "us-east-1", "1") == [("lambda:InvokeFunction", lam["task_arn"])]
    by_name = {"task_type": "LAMBDA", "task_arn": "SSM-x"}
    assert P.required_actions(by_name, {}, "us-east-1", "1") == [
        ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:1:function:SSM-x")]
    assert P.required_actions(sfn, {}, "us-east-1", "1") == [
        ("states:StartExecution", sfn["task_arn"]),
        ("states:DescribeExecution", "arn:aws:states:us-east-1:1:execution:SSM-m:*")]
    assert [pair[0] for pair in P.required_actions(auto, {}, "us-east-1", "1")] == [
        "ssm:StartAutomationExecution", "ssm:GetAutomationExecution"]
    rg = {"targets": [{"name": "g", "resource_type": "RESOURCE_GROUP"}]}
    assert ("resource-groups:ListGroupResources", "*") in P.required_actions(
        dict(auto, targets=[{"window_target": "g"}]), rg, "us-east-1", "1")


def test_service_linked_role_used_without_service_role():
    task = {"name": "t", "task_type": "AUTOMATION"}
    assert P.role_for_task(task, "1").endswith(":role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM")


# ----------------------------------------------------------------------------- report and local

def test_window_status_is_the_worst_check_and_summary_names_fix():
    report = run(facts([node("i-1", key="patchgroup")], roles=role_facts()))
    assert report["status"] == "fail"
    lines = P.summary_table([report])
    assert any("patch_groups_match" in line and "fail" in line and "Standardize tagging" in line for line in lines)
    assert any("tag key 'patchgroup'" in line and "[i-1]" in line for line in lines)


def test_local_preflight(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps(execution(minutes=(30,))))
    win = window(duration=2, cutoff=1)
    win["tasks"][0]["max_concurrency"] = "1"
    report = local_preflight(win, {"web": ["h1", "h2", "h3"]},
                             {"h1": {"Patch Group": "Prod-Linux"}, "h2": {"patchgroup": "x"},
                              "h3": {"Patch Group": "Prod-Linux "}}, history_dir=str(tmp_path))
    assert [c["check"] for c in report["checks"]] == ["targets_resolve", "patch_groups_match",
                                                      "reboots_not_missed", "window_long_enough"]
    assert check(report, "targets_resolve")["status"] == "pass"
    patch = check(report, "patch_groups_match")
    assert sorted(i for f in patch["findings"] for i in f["instance_ids"]) == ["h2", "h3"]
    length = check(report, "window_long_enough")
    assert length["status"] == "fail" and length["evidence"]["needed_minutes"] == 90.0
