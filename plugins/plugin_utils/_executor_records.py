# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""SSM-shaped records and the summary, folded from what the gates wrote in the task ledgers.

Pure functions of data (a task's run state, its ledger events, the plan, instants): no Ansible,
no files, no clock, so tests build records from plain lists. ``ExecutionRecords`` is the
engine's read side (the engine inherits it): it reads the ledgers and the clock and calls them.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ansible_collections.mwops.ssm.plugins.module_utils import _execution_schema as schema
from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_core as core
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_ledger import (
    EVENT_END,
    EVENT_REFUSED,
    EVENT_START,
    TaskLedger,
)
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_plan import (
    ExecutionPlan,
    TaskSpec,
    empty_targets_reason,
)

NOT_DISPATCHED = "not_dispatched"
SUMMARY_REASONS_PER_TASK = 20


@dataclass
class TaskRunState:
    spec: TaskSpec
    execution_id: str
    ledger: TaskLedger
    concurrency: int
    capped: bool
    cancel_at: float | None
    child_log: Path
    process: subprocess.Popen[bytes] | None = None
    start: float | None = None
    end: float | None = None
    started: bool = False
    killed_at_cutoff: bool = False
    interrupted: bool = False
    last_progress: tuple[int, int, int, int] | None = None
    record: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Pure record building


def ledger_counts(events: Iterable[Mapping[str, Any]]) -> tuple[int, int, int, int]:
    """Started, succeeded, failed and refused invocations in a task's ledger events."""
    started = succeeded = failed = refused = 0
    for event in events:
        kind = event.get("event")
        if kind == EVENT_START:
            started += 1
        elif kind == EVENT_REFUSED:
            refused += 1
        elif kind == EVENT_END:
            if event.get("outcome") == core.OUTCOME_SUCCESS:
                succeeded += 1
            else:
                failed += 1
    return started, succeeded, failed, refused


def invocation_results(run: TaskRunState, events: Iterable[Mapping[str, Any]]
                       ) -> tuple[list[core.InvocationResult], dict[str, dict[str, Any]]]:
    """Invocation results of a task from its ledger events, plus extra fields per target."""
    results = {t: core.InvocationResult(t) for t in run.spec.targets}
    extra: dict[str, dict[str, Any]] = {t: {} for t in run.spec.targets}
    for event in events:
        target = event.get("target")
        if target not in results:
            continue
        result = results[target]
        kind = event.get("event")
        if kind == EVENT_START:
            result.start = event["time"]
            extra[target]["id"] = event.get("invocation_id")
        elif kind == EVENT_REFUSED:
            result.not_started_reason = event.get("reason")
        elif kind == EVENT_END:
            result.outcome = event.get("outcome")
            result.end = event["time"]
            result.cancelled_at_cutoff = bool(event.get("cancelled_at_cutoff"))
            extra[target].update({k: event.get(k) for k in ("status_details", "output", "output_path",
                                                            "exit_code", "rebooted")})
    finished = run.end is not None
    for target, result in results.items():
        if result.started and result.outcome is None and finished:
            if run.killed_at_cutoff or (run.cancel_at is not None and run.end >= run.cancel_at):
                result.outcome, result.cancelled_at_cutoff = core.OUTCOME_TIMED_OUT, True
                extra[target]["status_details"] = core.CANCELLED_AT_CUTOFF_DETAILS
            elif run.interrupted:
                extra[target]["status_details"] = "Interrupted: the executor was stopped while this ran."
            else:
                result.outcome = core.OUTCOME_FAILED
                extra[target]["status_details"] = ("The invocation ended without a result; "
                                                   f"see {run.child_log}.")
            result.end = run.end
        elif not result.started and result.not_started_reason is None and finished:
            result.not_started_reason = NOT_DISPATCHED
    return list(results.values()), extra


def invocation_record(run: TaskRunState, result: core.InvocationResult, extra: Mapping[str, Any]) -> dict[str, Any]:
    if result.started and result.outcome is None:
        status = core.IN_PROGRESS if run.end is None else core.CANCELLED
        details = extra.get("status_details") or "In progress."
    elif result.started:
        status = result.status
        details = extra.get("status_details") or result.status.title()
    elif result.not_started_reason in core.NOT_STARTED_DETAILS:
        status = core.CANCELLED
        details = core.NOT_STARTED_DETAILS[result.not_started_reason].format(max_errors=run.spec.max_errors)
    elif result.not_started_reason == NOT_DISPATCHED:
        status = core.CANCELLED
        details = ("Not started: the task's run stopped before reaching this target" +
                   (" (interrupted)." if run.interrupted else f"; see {run.child_log}."))
    else:
        status = core.PENDING
        details = "Waiting to start."
    group = next((g for g in run.spec.groups if result.target in g.hosts), None)
    return {
        "id": extra.get("id"),
        "target": result.target,
        "window_target_id": (group.window_target_id or None) if group else None,
        "status": status,
        "status_details": details,
        "start_time": schema.iso(result.start),
        "end_time": schema.iso(result.end),
        "counted_as_error": result.counted,
        "exit_code": extra.get("exit_code"),
        "output": extra.get("output") or "",
        "output_path": extra.get("output_path"),
        "owner_information": (group.owner_information or None) if group else None,
        "execution_id": None,  # no Run Command behind a local invocation
        "output_location": extra.get("output_path"),
    }


def task_record(run: TaskRunState, events: Iterable[Mapping[str, Any]], allow_empty_targets: bool,
                interrupted: bool, no_more_starts: bool) -> dict[str, Any]:
    """A task execution record. ``no_more_starts``: the run ended or the cutoff passed, so a task
    that has not started never will."""
    spec = run.spec
    base = {
        "id": run.execution_id,
        "window_task_id": spec.window_task_id,
        "name": spec.name,
        "task_type": spec.task_type,
        "task_arn": spec.task_arn,
        "priority": spec.priority,
        "max_concurrency": run.concurrency,
        "max_errors": spec.max_errors,
        "max_concurrency_spec": spec.max_concurrency_spec,
        "max_errors_spec": spec.max_errors_spec,
        "cutoff_behavior": spec.cutoff_behavior,
        "target_count": len(spec.targets),
        "start_time": schema.iso(run.start),
        "end_time": schema.iso(run.end),
        "child_log": str(run.child_log) if run.process is not None else None,
        "parameters": schema.mask_parameters(dict(spec.parameters)),  # secrets never reach the history
    }
    if not run.started:
        if not (interrupted or no_more_starts):
            return {**base, "status": core.PENDING, "status_details": "Waiting for earlier priorities.",
                    "errors_counted": 0, "invocations": []}
        owners = {h: g.owner_information or None for g in spec.groups for h in g.hosts}
        if interrupted:
            status, details = core.CANCELLED, "Not started: the executor was interrupted."
        else:
            status, details = core.fold_task_status([], spec.max_errors, started=False)
        invocations = [{"id": None, "target": t, "window_target_id": None, "status": core.CANCELLED,
                        "status_details": details, "start_time": None, "end_time": None,
                        "counted_as_error": False, "exit_code": None, "output": "", "output_path": None,
                        "owner_information": owners.get(t), "execution_id": None, "output_location": None}
                       for t in spec.targets]
        return {**base, "status": status, "status_details": details, "errors_counted": 0,
                "invocations": invocations}
    results, extra = invocation_results(run, events)
    invocations = [invocation_record(run, r, extra[r.target]) for r in results]
    errors = sum(r.counted for r in results)
    if run.end is None:
        status, details = core.IN_PROGRESS, "In progress."
    elif run.interrupted:
        status, details = core.CANCELLED, "Cancelled: the executor was interrupted."
    else:
        status, details = core.fold_task_status(results, spec.max_errors)
    if run.capped:
        details += (f" MaxConcurrency {spec.max_concurrency} was capped at {run.concurrency} "
                    "by the forks ceiling.")
    empty = empty_targets_reason(spec, allow_empty_targets)
    if empty and run.end is not None and not run.interrupted:
        if allow_empty_targets:
            details += f" {empty}"
        else:
            status = core.FAILED
            details = f"{empty} {details}"
    return {**base, "status": status, "status_details": details, "errors_counted": errors,
            "invocations": invocations}


def window_record(plan: ExecutionPlan, execution_id: str, start: float, last_start: float, forks_ceiling: int,
                  status: str, details: str, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema": schema.SCHEMA,
        "id": execution_id,
        "window_id": plan.window_id,
        "window_name": plan.window_name,
        "status": status,
        "status_details": details,
        "start_time": schema.iso(start),
        "end_time": None,
        "duration_seconds": plan.duration,
        "cutoff_seconds": plan.cutoff,
        "last_task_start_time": schema.iso(last_start),
        "window_end_time": schema.iso(start + plan.duration),
        "forks_ceiling": forks_ceiling,
        "task_executions": tasks,
        "source": "local",
        "tags": dict(plan.tags),
        "description": plan.description,
    }


def summary_reasons(record: Mapping[str, Any], per_task: int = SUMMARY_REASONS_PER_TASK) -> list[str]:
    """Why: one line per task that did not succeed, then per failed or not-started host."""
    lines: list[str] = []
    for task in record.get("task_executions", []):
        if task["status"] != core.SUCCESS or not task["invocations"]:
            lines.append(f"task {task['name']!r}: {task['status']}: {task['status_details']}")
        bad = [i for i in task["invocations"] if i["status"] in (core.FAILED, core.TIMED_OUT)
               or i["start_time"] is None]
        for invocation in bad[:per_task]:
            state = invocation["status"] if invocation["start_time"] is not None else "NOT STARTED"
            lines.append(f"  {invocation['target']}: {state}: {invocation['status_details']}")
        if len(bad) > per_task:
            lines.append(f"  ... and {len(bad) - per_task} more; see the history file")
    return lines


def summary_table(record: Mapping[str, Any], history_file: Path | None) -> str:
    rows = [("priority", "task", "status", "targets", "ok", "failed", "not started", "errors/max")]
    for task in record.get("task_executions", []):
        invs = task["invocations"]
        ok = sum(i["status"] == core.SUCCESS for i in invs)
        failed = sum(i["status"] in (core.FAILED, core.TIMED_OUT) for i in invs)
        not_started = sum(i["start_time"] is None for i in invs)
        rows.append((str(task["priority"]), task["name"], task["status"], str(task["target_count"]), str(ok),
                     str(failed), str(not_started), f"{task['errors_counted']}/{task['max_errors']}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    head = (f"window {record.get('window_name')} execution {record.get('id')}: "
            f"{record.get('status')} ({record.get('status_details')})")
    return "\n".join([head, *lines, *summary_reasons(record), f"history: {history_file}"])


# ---------------------------------------------------------------------------------------------
# The engine's read side: ledgers and clock in, pure functions above


class ExecutionRecords:
    """Task, invocation and window records of one execution, and the summary shown at the end."""

    plan: ExecutionPlan
    tasks: list[TaskRunState]
    record: dict[str, Any]
    clock: Callable[[], float]
    start: float
    last_start: float
    execution_id: str
    forks_ceiling: int
    allow_empty_targets: bool
    finished: bool
    interrupted: bool
    file: Path | None
    display: Callable[[str], None]

    def _task_line(self, run: TaskRunState, final: bool = False) -> str:
        started, succeeded, failed, refused = ledger_counts(run.ledger.events())
        total = len(run.spec.targets)
        if final:
            refused = total - started
        text = (f"mw_run [{self.plan.window_name}] task {run.spec.name!r}: {started}/{total} started, "
                f"{succeeded} succeeded, {failed} failed, {refused} not started")
        if final:
            text += f" -> {self._task_record(run)['status']}"
        return text

    def _progress(self, runs: list[TaskRunState]) -> bool:
        changed = False
        for run in runs:
            counts = ledger_counts(run.ledger.events())
            if counts != run.last_progress:
                run.last_progress = counts
                changed = True
                if run.end is None:
                    self.display(self._task_line(run))
        return changed

    def _task_record(self, run: TaskRunState) -> dict[str, Any]:
        if run.started:
            return task_record(run, run.ledger.events(), self.allow_empty_targets, self.interrupted, True)
        no_more_starts = self.interrupted or self.finished or not core.task_may_start(self.clock(), self.last_start)
        return task_record(run, [], self.allow_empty_targets, self.interrupted, no_more_starts)

    def _window_record(self, status: str, details: str) -> dict[str, Any]:
        return window_record(self.plan, self.execution_id, self.start, self.last_start, self.forks_ceiling,
                             status, details, [self._task_record(t) for t in self.tasks])

    def summary_table(self) -> str:
        return summary_table(self.record, self.file)

    def summary_reasons(self, per_task: int = SUMMARY_REASONS_PER_TASK) -> list[str]:
        return summary_reasons(self.record, per_task)
