# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Rollout order between environments' maintenance windows (pure; no Ansible imports).

Environments patch in a fixed order, e.g. dev -> staging -> prod. For each consecutive pair
(earlier, later), every run of the later environment is paired with the earlier environment's
run nearest to it in time (its run "of the same cycle"). That run must come first, and its
window must end at least ``min_gap`` before the later run starts.

A later run is judged only when the earlier environment has known runs on both sides of it
(or at the same instant), so the edges of the computed horizon never produce false alarms.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ansible_collections.mwops.ssm.plugins.module_utils._schedule import format_instant


@dataclass(frozen=True)
class Run:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class OrderViolation:
    earlier: str
    later: str
    later_start: datetime
    earlier_run: Run
    message: str


def order_violations(stages: Sequence[tuple[str, Sequence[Run]]], min_gap: timedelta) -> list[OrderViolation]:
    """Every run of a later stage that the order or the minimum gap forbids, in time order."""
    found: list[OrderViolation] = []
    for (earlier, earlier_runs), (later, later_runs) in zip(stages, stages[1:]):
        found.extend(_pair_violations(earlier, sorted(earlier_runs, key=_start),
                                      later, sorted(later_runs, key=_start), min_gap))
    return sorted(found, key=lambda v: v.later_start)


def _start(run: Run) -> datetime:
    return run.start


def _pair_violations(earlier: str, earlier_runs: list[Run], later: str, later_runs: list[Run],
                     min_gap: timedelta) -> list[OrderViolation]:
    found = []
    starts = [run.start for run in earlier_runs]
    for run in later_runs:
        position = bisect.bisect_left(starts, run.start)
        if position == 0 or position == len(starts):
            continue  # the horizon does not show the earlier environment on both sides
        before, after = earlier_runs[position - 1], earlier_runs[position]
        if after.start - run.start < run.start - before.start:
            found.append(OrderViolation(
                earlier, later, run.start, after,
                f"{later} starts {_fmt(run.start)}, before {earlier}'s window of the same cycle "
                f"({_fmt(after.start)})"))
        elif before.end + min_gap > run.start:
            gap_hours = (run.start - before.end).total_seconds() / 3600
            found.append(OrderViolation(
                earlier, later, run.start, before,
                f"{later} starts {_fmt(run.start)}, {gap_hours:g} h after {earlier}'s window "
                f"{_fmt(before.start)} - {_fmt(before.end)} ends; the minimum gap is "
                f"{min_gap.total_seconds() / 3600:g} h"))
    return found


def _fmt(moment: datetime) -> str:
    return format_instant(moment)
