# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter mw_rollout_violations: check that environments patch in order (docs: mw_rollout_violations.yml)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.mwops.ssm.plugins.module_utils._schedule import format_instant, parse_instant
from ansible_collections.mwops.ssm.plugins.plugin_utils._rollout import Run, order_violations


def _runs(stage: Any, index: int) -> tuple[str, list[Run]]:
    if not isinstance(stage, dict) or "name" not in stage or not isinstance(stage.get("runs"), list):
        raise AnsibleFilterError(f"mw_rollout_violations: item {index} must be a dict with 'name' and a list 'runs'")
    runs = []
    for number, run in enumerate(stage["runs"]):
        if not isinstance(run, dict) or "start" not in run or "end" not in run:
            raise AnsibleFilterError(
                f"mw_rollout_violations: {stage['name']}.runs[{number}] needs 'start' and 'end' "
                "(use the mw_schedule lookup with duration)")
        try:
            runs.append(Run(parse_instant(str(run["start"])), parse_instant(str(run["end"]))))
        except ValueError as exc:
            raise AnsibleFilterError(f"mw_rollout_violations: {stage['name']}.runs[{number}]: {exc}") from exc
    return str(stage["name"]), runs


def mw_rollout_violations(stages: Any, min_gap_hours: float = 0) -> list[dict[str, Any]]:
    if not isinstance(stages, list):
        raise AnsibleFilterError("mw_rollout_violations: input must be a list of {name, runs} in rollout order")
    if min_gap_hours < 0:
        raise AnsibleFilterError("mw_rollout_violations: min_gap_hours must be 0 or more")
    parsed = [_runs(stage, index) for index, stage in enumerate(stages)]
    return [
        {
            "earlier": v.earlier,
            "later": v.later,
            "later_start": format_instant(v.later_start),
            "earlier_start": format_instant(v.earlier_run.start),
            "earlier_end": format_instant(v.earlier_run.end),
            "message": v.message,
        }
        for v in order_violations(parsed, timedelta(hours=min_gap_hours))
    ]


class FilterModule:
    """Rollout-order filters."""

    def filters(self) -> dict[str, Any]:
        return {"mw_rollout_violations": mw_rollout_violations}
