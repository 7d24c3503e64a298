"""mw_run's preflight core: the plan in, the preflight report and the refusal out."""

from __future__ import annotations

import pytest

from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_preflight as pre
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_plan import (
    ExecutionPlan,
    InventoryHost,
    TargetGroup,
    TaskSpec,
    empty_targets_reason,
)

HOSTS = [InventoryHost(f"h0{i}", {"Role": "web"}, frozenset({"web"})) for i in (1, 2)]
WEB = TargetGroup("tg-web", "INSTANCE", ("h01", "h02"), "window target 'web'")
NOBODY = TargetGroup("tg-nobody", "INSTANCE", (), "window target 'nobody'")
BY_NAME = TargetGroup("", "INSTANCE", ("h02",), "InstanceIds")


def definition(task_targets):
    return {"name": "w", "duration": 2, "cutoff": 1,
            "targets": [{"name": "web", "targets": [{"key": "tag:Role", "values": ["web"]}]},
                        {"name": "nobody", "targets": [{"key": "tag:Role", "values": ["none"]}]}],
            "tasks": [{"name": "t", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunShellScript", "priority": 1,
                       "max_concurrency": "1", "max_errors": "0", "targets": task_targets}]}


def plan(groups, duration=7200.0, cutoff=3600.0):
    empty = tuple(g.label for g in groups if not g.hosts)
    task = TaskSpec("t", "wt", "RUN_COMMAND", "AWS-RunShellScript", 1, "1", "0", 1, 0, "CONTINUE_TASK",
                    {"commands": ["true"]}, tuple(groups), empty)
    return ExecutionPlan("w", "mw-0123456789abcdef0", duration, cutoff, (task,), targets={"web": WEB, "nobody": NOBODY})


def targets_check(report):
    return next(c for c in report["checks"] if c["check"] == "targets_resolve")


def task_findings(report):
    return [(f["status"], f["message"]) for f in targets_check(report)["findings"] if f["subject"] == "task t"]


@pytest.mark.parametrize("allowed, status", [(False, "fail"), (True, "warn")])
def test_an_empty_target_follows_the_one_rule(allowed, status):
    executed = plan([WEB, NOBODY])
    report = pre.run_preflight(definition([{"window_target": "web"}, {"window_target": "nobody"}]), executed, HOSTS,
                               None, {}, allowed)
    # The preflight core alone only warns about a partly empty task; the executor's rule decides.
    assert task_findings(report) == [(status, empty_targets_reason(executed.tasks[0], allowed))]
    assert targets_check(report)["status"] == status
    assert (pre.refusal(report, ["fail"]) is None) is allowed
    assert pre.refusal(report, []) is None


def test_a_task_with_no_host_at_all_is_not_reported_twice():
    executed = plan([NOBODY])
    allowed = pre.run_preflight(definition([{"window_target": "nobody"}]), executed, HOSTS, None, {}, True)
    assert task_findings(allowed) == [("warn", empty_targets_reason(executed.tasks[0], True))]
    refused = pre.run_preflight(definition([{"window_target": "nobody"}]), executed, HOSTS, None, {}, False)
    assert task_findings(refused) == [("fail", empty_targets_reason(executed.tasks[0], False))]
    message = pre.refusal(refused, ["fail"])
    assert message.startswith("Preflight refused to run window 'w' (preflight_fail_on: fail); nothing was executed")
    assert "targets_resolve fail: task t: Failed: window target 'nobody' resolved to 0 inventory hosts" in message


def test_instance_ids_hosts_resolve_and_the_run_length_is_the_plans():
    report = pre.run_preflight(definition([{"key": "InstanceIds", "values": ["h02"]}]), plan([BY_NAME], 600.0, 120.0),
                               HOSTS, None, {"t": 1}, False)
    assert task_findings(report) == []  # h02 is an inventory host: reached (only window target 'nobody' warns)
    assert targets_check(report)["evidence"]["tasks"] == {"t": 1}
    length = next(c for c in report["checks"] if c["check"] == "window_long_enough")
    assert length["evidence"]["available_minutes"] == 8.0  # (600 - 120) s, not the definition's 2 h - 1 h
    assert length["status"] == "pass"
