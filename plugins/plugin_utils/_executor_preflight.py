# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The inventory-side preflight of ``mw_run``: what the plan resolved, checked before anything runs.

Pure Python, no Ansible imports. The checks themselves are ``_preflight_local.local_preflight``
(the same checks and report shape as ``mw_preflight``); this file feeds it the executor's plan
(window targets resolved to inventory hosts, host tags from the tags variable, the duration the
run will really have) and applies the executor's one rule for empty targets
(``_executor_plan.empty_targets_reason``), so preflight and the history never disagree about a
target that resolves to no host.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.mwops.ssm.plugins.module_utils._preflight import (
    FAIL,
    WARN,
    summary_table,
    worst,
)
from ansible_collections.mwops.ssm.plugins.module_utils._preflight_local import local_preflight
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_plan import (
    HOUR,
    ExecutionPlan,
    InventoryHost,
    empty_targets_reason,
)

# Hosts named by InstanceIds task entries: a key no window target can have (names match [a-zA-Z0-9_\-.]).
INSTANCE_IDS_KEY = "(InstanceIds)"
DEFAULT_FAIL_ON = (FAIL,)
CHECK_NAME = "targets_resolve"


def run_preflight(window: Mapping[str, Any], plan: ExecutionPlan, hosts: Sequence[InventoryHost],
                  history_dir: str | None, estimates: Mapping[str, Any] | None,
                  allow_empty_targets: bool) -> dict[str, Any]:
    """The preflight report for the plan about to run (same shape as one window of mw_preflight)."""
    hosts_by_target = {name: list(group.hosts) for name, group in plan.targets.items()}
    hosts_by_target[INSTANCE_IDS_KEY] = [h for task in plan.tasks for g in task.groups
                                         if not g.window_target_id for h in g.hosts]
    # The run's real length (duration_seconds / cutoff_seconds override the definition's hours),
    # and the local window ID, under which local history of this window is found.
    definition = {**window, "duration": plan.duration / HOUR, "cutoff": plan.cutoff / HOUR,
                  "window_id": plan.window_id}
    report = local_preflight(definition, hosts_by_target, {h.name: dict(h.tags) for h in hosts}, history_dir,
                             estimates)
    return apply_empty_targets_rule(report, plan, allow_empty_targets)


def apply_empty_targets_rule(report: dict[str, Any], plan: ExecutionPlan, allowed: bool) -> dict[str, Any]:
    """A task with a target entry that resolves to no host: ``fail`` unless allow_empty_targets,
    then ``warn`` (the run goes on and the history says why those targets were skipped)."""
    check = next((c for c in report["checks"] if c["check"] == CHECK_NAME), None)
    if check is None:
        return report
    for task in plan.tasks:
        reason = empty_targets_reason(task, allowed)
        if reason is None:
            continue
        subject = f"task {task.name}"
        status = WARN if allowed else FAIL
        kept = [f for f in check["findings"] if f["subject"] != subject or "resolves to no online" not in f["message"]]
        check["findings"] = [*kept, {"status": status, "subject": subject, "message": reason, "instance_ids": []}]
    check["status"] = worst(f["status"] for f in check["findings"])
    report["status"] = worst(c["status"] for c in report["checks"])
    return report


def refusal(report: Mapping[str, Any], fail_on: Sequence[str]) -> str | None:
    """Why the run is refused (checks whose status is in ``fail_on``), or None to go on."""
    stopping = [c for c in report["checks"] if c["status"] in fail_on]
    if not stopping:
        return None
    found = "; ".join(f"{c['check']} {c['status']}: {f['subject']}: {f['message']}"
                      for c in stopping for f in c["findings"] if f["status"] in fail_on)
    return (f"Preflight refused to run window {report.get('window_name')!r} (preflight_fail_on: "
            f"{', '.join(fail_on)}); nothing was executed and no execution was recorded. {found}")


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    return [f"preflight of window {report.get('window_name')}: {report['status']}", *summary_table([report])]
