"""Pure parts of the executor action mwops.ssm.mw_run."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.mwops.ssm.plugins.action import mw_run
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_plan import InventoryHost, build_plan


def test_estimates_are_minutes_zero_or_more():
    assert mw_run._estimates({"AWS-RunShellScript": "2.5", "x": 0}) == {"AWS-RunShellScript": 2.5, "x": 0.0}
    with pytest.raises(AnsibleActionFail, match=r"preflight_estimates\['x'\] must be a number of minutes"):
        mw_run._estimates({"x": "soon"})
    with pytest.raises(AnsibleActionFail, match="got -1"):
        mw_run._estimates({"x": -1})


def test_report_basename_and_output_free_record():
    record = {"window_name": "w" * 200, "id": "e-1",
              "task_executions": [{"invocations": [{"target": "a", "output": "secret-ish"}]}]}
    assert mw_run._report_basename(record) == f"{'w' * mw_run.REPORT_NAME_PREFIX}_e-1"
    stripped = mw_run._without_output(record)
    assert stripped["task_executions"][0]["invocations"] == [{"target": "a"}]
    assert record["task_executions"][0]["invocations"][0]["output"] == "secret-ish"  # the original is kept


def test_plan_preview_names_groups_and_resolved_rate_controls():
    window = {"name": "win", "duration": 2, "cutoff": 1, "targets": [],
              "tasks": [{"name": "patch", "task_arn": "AWS-RunShellScript", "max_concurrency": "50%", "max_errors": "1",
                         "targets": [{"key": "InstanceIds", "values": ["a", "b"]}],
                         "task_invocation_parameters": {"run_command": {"parameters": {"commands": ["true"]}}}}]}
    hosts = [InventoryHost("a", {}, frozenset()), InventoryHost("b", {}, frozenset())]
    preview = mw_run._plan_preview(build_plan(window, hosts, mw_run._service_model()))
    assert preview["duration_seconds"] == 7200.0 and preview["cutoff_seconds"] == 3600.0
    assert preview["tasks"] == [{"name": "patch", "priority": 1, "task_arn": "AWS-RunShellScript", "max_concurrency": 1,
                                 "max_errors": 1, "cutoff_behavior": "CONTINUE_TASK", "target_groups": [["a", "b"]]}]
