# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""How long a window needs, from past executions: the "window long enough" preflight check.

Pure Python, no Ansible or boto3. History is a list of execution documents in the schema
``mwops.ssm/window-execution/1`` (what the local executor writes and the SSM history reader
returns). Per task: the p90 invocation time (nearest rank) from the first history source that
has samples for it, else a declared estimate. Per priority level: the slowest task's
``p90 x ceil(targets / resolved MaxConcurrency)`` (tasks of one priority run side by side);
levels run one after another, so the window needs their sum, compared with
``duration - cutoff``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ._rate_control import RateControlError, resolve_max_concurrency

SCHEMA = "mwops.ssm/window-execution/1"
# Statuses of invocations that ran to an end; a cancelled or skipped one says nothing about speed.
TIMED_STATUSES = ("Success", "Failed", "TimedOut", "SUCCESS", "FAILED", "TIMED_OUT")
DEFAULT_MARGIN = 0.2

Doc = dict[str, Any]


@dataclass
class TaskTime:
    """The estimate for one task and how it was made."""

    name: str
    priority: int
    targets: int
    concurrency: int
    waves: int
    p90_minutes: float | None
    source: str
    samples: int = 0
    timeout_minutes: float | None = None

    @property
    def minutes(self) -> float | None:
        return None if self.p90_minutes is None else round(self.p90_minutes * self.waves, 2)

    def as_dict(self) -> Doc:
        return {"task": self.name, "priority": self.priority, "targets": self.targets,
                "max_concurrency": self.concurrency, "waves": self.waves, "p90_minutes": self.p90_minutes,
                "source": self.source, "samples": self.samples, "minutes": self.minutes,
                "timeout_minutes": self.timeout_minutes}


@dataclass
class Estimate:
    available_minutes: float
    levels: list[Doc] = field(default_factory=list)
    tasks: list[TaskTime] = field(default_factory=list)

    @property
    def needed_minutes(self) -> float:
        return round(sum(level["minutes"] for level in self.levels), 2)


# ----------------------------------------------------------------------------- history

def _seconds(text: Any) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def load_history_dir(path: str) -> list[Doc]:
    """Execution documents in a local executor history directory (unreadable files skipped)."""
    found = []
    for item in sorted(Path(path).glob("*.json")):
        try:
            data = json.loads(item.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("schema") == SCHEMA:
            found.append(data)
    return found


def _same_window(execution: Mapping[str, Any], window_name: str | None, window_id: str | None) -> bool:
    if window_id and execution.get("window_id") == window_id:
        return True
    return bool(window_name) and execution.get("window_name") == window_name


def _same_task(task_execution: Mapping[str, Any], task: Mapping[str, Any]) -> bool:
    if task_execution.get("name"):
        return task_execution.get("name") == task.get("name")
    return bool(task.get("task_arn")) and task_execution.get("task_arn") == task.get("task_arn")


def executions_of(history: Sequence[Mapping[str, Any]], window_name: str | None, window_id: str | None) -> int:
    """How many executions of this window a history source holds (shown as evidence)."""
    return sum(1 for e in history if isinstance(e, Mapping) and _same_window(e, window_name, window_id))


def invocation_seconds(history: Sequence[Mapping[str, Any]], window_name: str | None, window_id: str | None,
                       task: Mapping[str, Any]) -> list[float]:
    """Durations of the task's finished invocations across the executions of this window."""
    samples = []
    for execution in history:
        if not isinstance(execution, Mapping) or not _same_window(execution, window_name, window_id):
            continue
        for task_execution in execution.get("task_executions") or []:
            if not _same_task(task_execution, task):
                continue
            for invocation in task_execution.get("invocations") or []:
                start, end = _seconds(invocation.get("start_time")), _seconds(invocation.get("end_time"))
                if invocation.get("status") in TIMED_STATUSES and start is not None and end is not None and end >= start:
                    samples.append(end - start)
    return samples


def p90(samples: Sequence[float]) -> float:
    """Nearest-rank 90th percentile (the smallest sample at or above 90 % of them)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def declared_estimate(estimates: Mapping[str, Any], window_name: str | None, task: Mapping[str, Any]) -> float | None:
    """Minutes declared for ``window/task``, then for the task name, then for its task ARN."""
    for key in (f"{window_name}/{task.get('name')}", task.get("name"), task.get("task_arn")):
        if key and key in estimates and estimates[key] is not None:
            return float(estimates[key])
    return None


def task_timeout_minutes(task: Mapping[str, Any]) -> float | None:
    """The task's own time limit: the document's ``executionTimeout``, else ``timeout_seconds``."""
    run_command = (task.get("task_invocation_parameters") or {}).get("run_command") or {}
    value = (run_command.get("parameters") or {}).get("executionTimeout")
    if isinstance(value, list):
        value = value[0] if value else None
    if value in (None, ""):
        value = run_command.get("timeout_seconds")
    try:
        return None if value in (None, "") else round(float(value) / 60.0, 2)
    except (TypeError, ValueError):
        return None


def _waves(task: Mapping[str, Any], targets: int | None) -> tuple[int, int, int]:
    """(targets, resolved concurrency, waves); a targetless task runs once."""
    if targets is None:
        return 1, 1, 1
    if targets == 0:
        return 0, 0, 0
    try:
        concurrency = resolve_max_concurrency(task.get("max_concurrency") or "1", targets)
    except RateControlError:
        concurrency = 1
    return targets, concurrency, math.ceil(targets / concurrency)


def estimate_task(task: Mapping[str, Any], targets: int | None, window_name: str | None, window_id: str | None,
                  sources: Sequence[tuple[str, Sequence[Mapping[str, Any]]]],
                  estimates: Mapping[str, Any]) -> TaskTime:
    count, concurrency, waves = _waves(task, targets)
    base = dict(name=str(task.get("name") or task.get("window_task_id") or "(unnamed)"),
                priority=int(task.get("priority") or 1), targets=count, concurrency=concurrency, waves=waves,
                timeout_minutes=task_timeout_minutes(task))
    for label, history in sources:
        samples = invocation_seconds(history, window_name, window_id, task)
        if samples:
            return TaskTime(p90_minutes=round(p90(samples) / 60.0, 2), source=label, samples=len(samples), **base)
    declared = declared_estimate(estimates, window_name, task)
    if declared is not None:
        return TaskTime(p90_minutes=declared, source="declared estimate", **base)
    return TaskTime(p90_minutes=None, source="none", **base)


def estimate_window(window: Mapping[str, Any], task_targets: Mapping[str, int | None],
                    sources: Sequence[tuple[str, Sequence[Mapping[str, Any]]]],
                    estimates: Mapping[str, Any]) -> Estimate:
    """Per-level and total minutes for a window. ``task_targets``: task name -> online targets
    (None for a task without targets)."""
    # Hours; fractions come from the local executor's duration_seconds / cutoff_seconds overrides.
    duration = float(window.get("duration") or 0)
    cutoff = float(window.get("cutoff") or 0)
    result = Estimate(available_minutes=float(max(0, duration - cutoff) * 60))
    for task in window.get("tasks") or []:
        name = str(task.get("name") or task.get("window_task_id") or "(unnamed)")
        result.tasks.append(estimate_task(task, task_targets.get(name), window.get("name"), window.get("window_id"),
                                          sources, estimates))
    for priority in sorted({x.priority for x in result.tasks}):
        level = [x for x in result.tasks if x.priority == priority]
        minutes = max((x.minutes or 0.0) for x in level)
        result.levels.append({"priority": priority, "tasks": [x.name for x in level], "minutes": round(minutes, 2)})
    return result


def length_findings(estimate: Estimate, margin: float = DEFAULT_MARGIN) -> list[tuple[str, str, str]]:
    """(status, subject, message) for the window-length check; empty means it fits."""
    findings: list[tuple[str, str, str]] = []
    needed, available = estimate.needed_minutes, estimate.available_minutes
    for task in estimate.tasks:
        if task.p90_minutes is None and task.waves:
            findings.append(("warn", f"task {task.name}",
                             "no history and no declared estimate: its time is not counted (declare one in estimates)"))
    if needed > available:
        findings.append(("fail", "window",
                         f"needs about {needed:g} min (sum over priorities of p90 x waves) but duration - cutoff "
                         f"leaves {available:g} min"))
    elif needed > available * (1.0 - margin):
        findings.append(("warn", "window",
                         f"needs about {needed:g} of {available:g} min: less than {int(margin * 100)} % to spare"))
    elapsed = 0.0
    for level in estimate.levels:
        left = available - elapsed
        for task in (x for x in estimate.tasks if x.priority == level["priority"]):
            if task.timeout_minutes is None or not task.waves:
                continue
            if task.p90_minutes is not None and task.p90_minutes > task.timeout_minutes:
                findings.append(("fail", f"task {task.name}",
                                 f"p90 invocation time {task.p90_minutes:g} min exceeds its own timeout "
                                 f"{task.timeout_minutes:g} min: invocations will time out"))
            elif task.timeout_minutes > left:
                findings.append(("warn", f"task {task.name}",
                                 f"its own timeout {task.timeout_minutes:g} min is longer than the {max(left, 0):g} min "
                                 "left when its priority level starts"))
        elapsed += level["minutes"]
    return findings
