# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The local executor's scheduling core: SSM maintenance-window semantics, no Ansible, no clock.

Everything here is pure and takes time as a float argument (seconds), so tests drive it with a
fake clock. The engine and the gate action use the same predicates at run time:

* ``priority_groups``: lower priority first, equal priorities together (spec C.1).
* ``last_task_start`` / ``task_may_start``: no task starts after end - cutoff (spec A.8, C.2).
* ``admission_refusal``: the per-invocation gate: more than MaxErrors errors received, or the
  cutoff passed for a CANCEL_TASK task, means no new invocation (spec B.4, C.2).
* ``fold_task_status`` / ``fold_window_status``: SSM statuses from invocation results (spec C.5).
* ``simulate_window``: a discrete-event model of a whole window (spec B.6 ``async-slots-v1``
  plus priorities and cutoff), used by tests and by check-mode previews.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

# MaintenanceWindowExecutionStatus (spec C.5).
PENDING = "PENDING"
IN_PROGRESS = "IN_PROGRESS"
SUCCESS = "SUCCESS"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"
CANCELLING = "CANCELLING"
CANCELLED = "CANCELLED"
SKIPPED_OVERLAPPING = "SKIPPED_OVERLAPPING"
WINDOW_STATUSES = (PENDING, IN_PROGRESS, SUCCESS, FAILED, TIMED_OUT, CANCELLING, CANCELLED,
                   SKIPPED_OVERLAPPING)
TASK_STATUSES = WINDOW_STATUSES[:-1]

CONTINUE_TASK = "CONTINUE_TASK"
CANCEL_TASK = "CANCEL_TASK"

# What one invocation ended with. UNDELIVERABLE (host unreachable before anything ran) is
# recorded as FAILED but does not count toward MaxErrors (spec B.5).
OUTCOME_SUCCESS = "SUCCESS"
OUTCOME_FAILED = "FAILED"
OUTCOME_TIMED_OUT = "TIMED_OUT"
OUTCOME_UNDELIVERABLE = "UNDELIVERABLE"
OUTCOMES = (OUTCOME_SUCCESS, OUTCOME_FAILED, OUTCOME_TIMED_OUT, OUTCOME_UNDELIVERABLE)

# Why an invocation or a task never started.
REFUSED_ERRORS = "errors"
REFUSED_CUTOFF = "cutoff"

NOT_STARTED_DETAILS = {
    REFUSED_ERRORS: "Not started: the task's error threshold (MaxErrors {max_errors}) was exceeded.",
    REFUSED_CUTOFF: "Not started: the window's cutoff passed (CANCEL_TASK).",
}


# Outcome classification: how the gate names what one invocation ended with.
# coreutils timeout exits 124 after SIGTERM, 137 after the SIGKILL that follows the grace period.
TIMEOUT_EXIT_CODES = (124, 137)
# The time limits are whole seconds: the target-side limit is rounded down, the task timeout
# ansible-core enforces is rounded up, and a signal lands a few hundred ms after the instant it
# aims at on a loaded host. So a timeout counts as "at the cutoff" when it fires no earlier than
# one rounding second plus half a second of scheduling slack before the cutoff ...
CUTOFF_SLACK_SECONDS = 1.5
# ... and an exit code 124/137 counts as "our time limit" (not the script's own exit code) once
# the invocation ran for its whole limit less one rounding second.
TIMEOUT_SLACK_SECONDS = 1.0
CANCELLED_AT_CUTOFF_DETAILS = "Cancelled at the window's cutoff (CANCEL_TASK)."


@dataclass(frozen=True)
class ClassifiedOutcome:
    """What one invocation ended with, in the words the ledger and the history record."""

    outcome: str
    status_details: str
    cancelled_at_cutoff: bool = False


def reached_cutoff(now: float, cancel_at: float | None) -> bool:
    """True once ``now`` is at the CANCEL_TASK cutoff, give or take the slack of whole-second limits."""
    return cancel_at is not None and now >= float(cancel_at) - CUTOFF_SLACK_SECONDS


def classify_task_timeout(now: float, cancel_at: float | None) -> ClassifiedOutcome:
    """ansible-core's task timeout ended the invocation (the gate sets it to the cutoff)."""
    at_cutoff = reached_cutoff(now, cancel_at)
    return ClassifiedOutcome(OUTCOME_TIMED_OUT, CANCELLED_AT_CUTOFF_DETAILS if at_cutoff else "Timed out.", at_cutoff)


def classify_result(rc: int | None, failed: bool, msg: str, elapsed: float, limit: int | None, now: float,
                    cancel_at: float | None) -> ClassifiedOutcome:
    """The outcome of a module result: ``rc`` its exit code, ``limit`` the target-side time limit."""
    if limit and rc in TIMEOUT_EXIT_CODES and elapsed >= limit - TIMEOUT_SLACK_SECONDS:
        at_cutoff = reached_cutoff(now, cancel_at)
        details = CANCELLED_AT_CUTOFF_DETAILS if at_cutoff else f"Execution timed out after {limit} s."
        return ClassifiedOutcome(OUTCOME_TIMED_OUT, details, at_cutoff)
    if failed or (rc is not None and rc != 0):
        return ClassifiedOutcome(OUTCOME_FAILED, f"Failed: exit code {rc}." if rc is not None else f"Failed: {msg}")
    return ClassifiedOutcome(OUTCOME_SUCCESS, "Success")


def counts_as_error(outcome: str) -> bool:
    """Failed and execution-timed-out invocations count toward MaxErrors; undeliverable does not."""
    return outcome in (OUTCOME_FAILED, OUTCOME_TIMED_OUT)


def invocation_status(outcome: str) -> str:
    """The SSM status recorded for an invocation outcome."""
    return OUTCOME_FAILED if outcome == OUTCOME_UNDELIVERABLE else outcome


@dataclass(frozen=True)
class TaskPlan:
    """One window task with its targets resolved and its rate controls resolved to numbers.

    ``target_groups`` are processed one after another (one per window target the task names,
    spec G.12); MaxConcurrency applies within a group, the error count spans the task.
    """

    name: str
    priority: int
    target_groups: tuple[tuple[str, ...], ...]
    max_concurrency: int
    max_errors: int
    cutoff_behavior: str = CONTINUE_TASK

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(itertools.chain.from_iterable(self.target_groups))

    @property
    def cancels_at_cutoff(self) -> bool:
        return self.cutoff_behavior == CANCEL_TASK


@dataclass(frozen=True)
class WindowPlan:
    name: str
    duration: float  # seconds
    cutoff: float  # seconds before the end after which no task starts
    tasks: tuple[TaskPlan, ...]


def last_task_start(window_start: float, duration: float, cutoff: float) -> float:
    """The last instant at which a task may start: start + duration - cutoff (spec A.8)."""
    return window_start + duration - cutoff


def task_may_start(now: float, last_start: float) -> bool:
    # "No maintenance window tasks are permitted to start *after*" the instant: equal is fine.
    return now <= last_start


def admission_refusal(errors: int, max_errors: int, now: float, cancel_at: float | None) -> str | None:
    """Why a new invocation may not start now, or None when it may.

    ``cancel_at`` is the cutoff instant for CANCEL_TASK tasks (None for CONTINUE_TASK, which keeps
    dispatching after the cutoff, spec C.2). An invocation is not started at the very cutoff
    instant of a CANCEL_TASK task because it would be cancelled at once.
    """
    if errors > max_errors:
        return REFUSED_ERRORS
    if cancel_at is not None and now >= cancel_at:
        return REFUSED_CUTOFF
    return None


def priority_groups(tasks: Iterable[TaskPlan]) -> list[list[TaskPlan]]:
    """Tasks grouped by priority, lowest number first; definition order within a group."""
    ordered = sorted(tasks, key=lambda t: t.priority)
    return [list(group) for dummy, group in itertools.groupby(ordered, key=lambda t: t.priority)]


@dataclass
class InvocationResult:
    """One target of one task: what happened to it, with times on the run's clock."""

    target: str
    outcome: str | None = None  # one of OUTCOMES once it ran; None when it never started
    start: float | None = None
    end: float | None = None
    not_started_reason: str | None = None  # REFUSED_* when outcome is None
    cancelled_at_cutoff: bool = False  # a CANCEL_TASK invocation still running at the cutoff

    @property
    def started(self) -> bool:
        return self.start is not None

    @property
    def counted(self) -> bool:
        return self.outcome is not None and counts_as_error(self.outcome)

    @property
    def status(self) -> str:
        if self.outcome is None:
            return CANCELLED
        return invocation_status(self.outcome)


def fold_task_status(results: Sequence[InvocationResult], max_errors: int,
                     started: bool = True) -> tuple[str, str]:
    """SSM status and status details of a task execution from its invocation results.

    Conventions (spec B.5, C.2, C.5; OPEN ones marked):
    * a task that never started is CANCELLED (OPEN: spec G.9 leaves the name to us);
    * cutoff with CANCEL_TASK (invocations cancelled or not started) makes it TIMED_OUT (DOC);
    * more than MaxErrors errors make it FAILED; so does a task where nothing succeeded;
    * 0 < errors <= MaxErrors is SUCCESS with the counts in the details (OPEN, after Run
      Command's "the value of max-errors wasn't reached").
    """
    total = len(results)
    if not started:
        return CANCELLED, "Not started: the window's cutoff passed before this priority became eligible."
    if total == 0:
        return SUCCESS, "No targets to run on."
    succeeded = sum(1 for r in results if r.outcome == OUTCOME_SUCCESS)
    errors = sum(1 for r in results if r.counted)
    undeliverable = sum(1 for r in results if r.outcome == OUTCOME_UNDELIVERABLE)
    timed_out = sum(1 for r in results if r.outcome == OUTCOME_TIMED_OUT)
    not_started = sum(1 for r in results if not r.started)
    cutoff_hit = any(r.cancelled_at_cutoff or r.not_started_reason == REFUSED_CUTOFF for r in results)
    counts = (f"{succeeded} of {total} succeeded, {errors} error(s) counted (MaxErrors {max_errors}), "
              f"{timed_out} timed out, {undeliverable} undeliverable, {not_started} not started.")
    if cutoff_hit:
        return TIMED_OUT, "The window's cutoff was reached (CANCEL_TASK): " + counts
    if errors > max_errors:
        return FAILED, "The error threshold was exceeded: " + counts
    if succeeded == 0:
        return FAILED, "No invocation succeeded: " + counts
    if succeeded < total:
        return SUCCESS, "Completed within the error threshold: " + counts
    return SUCCESS, "Success: " + counts


def fold_window_status(task_statuses: Sequence[str]) -> tuple[str, str]:
    """Window execution status: FAILED beats TIMED_OUT (cutoff) beats SUCCESS (spec C.5, G.9)."""
    if not task_statuses:
        return SUCCESS, "No tasks to execute."
    failed = sum(1 for s in task_statuses if s == FAILED)
    timed_out = sum(1 for s in task_statuses if s == TIMED_OUT)
    not_started = sum(1 for s in task_statuses if s == CANCELLED)
    total = len(task_statuses)
    summary = f"{total} task(s): {failed} failed, {timed_out} timed out, {not_started} not started."
    if failed:
        return FAILED, summary
    if timed_out or not_started:
        return TIMED_OUT, summary
    return SUCCESS, summary


# ---------------------------------------------------------------------------------------------
# Discrete-event model (fake clock)


class TaskRun:
    """The dispatch state of one task: a sliding window of ``max_concurrency`` slots.

    ``poll(now)`` returns the targets to start now; ``finish`` reports a completion. Completions
    that arrive at the same instant must all be reported before the next ``poll`` (the model
    ``async-slots-v1``: collect completions, count errors, then fill free slots in target order).
    """

    def __init__(self, plan: TaskPlan, cancel_at: float | None = None) -> None:
        self.plan = plan
        self.cancel_at = cancel_at if plan.cancels_at_cutoff else None
        self.results: dict[str, InvocationResult] = {}
        self._groups = [list(g) for g in plan.target_groups]
        self._running: set[str] = set()
        self.errors = 0
        self.stop_reason: str | None = None
        for target in plan.targets:
            self.results.setdefault(target, InvocationResult(target))

    @property
    def running(self) -> frozenset[str]:
        return frozenset(self._running)

    @property
    def done(self) -> bool:
        return not self._running and not any(self._groups)

    def _stop(self, reason: str) -> None:
        self.stop_reason = reason
        for group in self._groups:
            for target in group:
                self.results[target].not_started_reason = reason
        self._groups = []

    def poll(self, now: float) -> list[str]:
        started: list[str] = []
        while self._groups and not self._groups[0] and not self._running:
            self._groups.pop(0)  # next window-target group only after the previous one ended
        while self._groups and self._groups[0] and len(self._running) < self.plan.max_concurrency:
            refusal = admission_refusal(self.errors, self.plan.max_errors, now, self.cancel_at)
            if refusal is not None:
                self._stop(refusal)
                break
            target = self._groups[0].pop(0)
            self._running.add(target)
            self.results[target].start = now
            started.append(target)
        return started

    def finish(self, target: str, outcome: str, now: float, cancelled_at_cutoff: bool = False) -> None:
        self._running.discard(target)
        result = self.results[target]
        result.outcome = outcome
        result.end = now
        result.cancelled_at_cutoff = cancelled_at_cutoff
        if counts_as_error(outcome):
            self.errors += 1

    def status(self) -> tuple[str, str]:
        return fold_task_status(list(self.results.values()), self.plan.max_errors)


@dataclass
class SimulatedTask:
    plan: TaskPlan
    start: float | None
    end: float | None
    results: list[InvocationResult]
    status: str
    status_details: str


@dataclass
class SimulatedWindow:
    start: float
    end: float
    last_task_start: float
    tasks: list[SimulatedTask] = field(default_factory=list)
    status: str = PENDING
    status_details: str = ""

    def task(self, name: str) -> SimulatedTask:
        return next(t for t in self.tasks if t.plan.name == name)


RuntimeFn = Callable[[TaskPlan, str], float]
OutcomeFn = Callable[[TaskPlan, str], str]


def _run_group(group: list[TaskPlan], now: float, cancel_at: float,
               runtime: RuntimeFn, outcome: OutcomeFn) -> tuple[list[TaskRun], dict[str, float]]:
    runs = [TaskRun(task, cancel_at) for task in group]
    ends: dict[str, float] = {}
    counter = itertools.count()
    heap: list[tuple[float, int, int, str, str, bool]] = []
    while True:
        for index, run in enumerate(runs):
            for target in run.poll(now):
                end, result, cancelled = now + runtime(run.plan, target), outcome(run.plan, target), False
                if run.cancel_at is not None and end > run.cancel_at:
                    end, result, cancelled = run.cancel_at, OUTCOME_TIMED_OUT, True
                heapq.heappush(heap, (end, next(counter), index, target, result, cancelled))
        for index, run in enumerate(runs):
            if run.done and run.plan.name not in ends:
                ends[run.plan.name] = now
        if not heap:
            return runs, ends
        now = heap[0][0]
        while heap and heap[0][0] == now:
            dummy, dummy, index, target, result, cancelled = heapq.heappop(heap)
            runs[index].finish(target, result, now, cancelled)


def simulate_window(plan: WindowPlan, start: float, runtime: RuntimeFn, outcome: OutcomeFn) -> SimulatedWindow:
    """Run a whole window on a fake clock: priorities, sliding concurrency, MaxErrors, cutoff."""
    last_start = last_task_start(start, plan.duration, plan.cutoff)
    window = SimulatedWindow(start=start, end=start, last_task_start=last_start)
    now = start
    for group in priority_groups(plan.tasks):
        if not task_may_start(now, last_start):
            for task in group:
                results = [InvocationResult(t, not_started_reason=REFUSED_CUTOFF) for t in task.targets]
                window.tasks.append(SimulatedTask(task, None, None, results,
                                                  *fold_task_status(results, task.max_errors, started=False)))
            continue
        runs, ends = _run_group(group, now, last_start, runtime, outcome)
        for run in runs:
            window.tasks.append(SimulatedTask(run.plan, now, ends[run.plan.name],
                                              list(run.results.values()), *run.status()))
        now = max([now, *ends.values()])
    window.end = now
    window.status, window.status_details = fold_window_status([t.status for t in window.tasks])
    return window


def overlap_status(previous_running: bool) -> str | None:
    """A scheduled start that finds the same window still running is skipped (spec C.6)."""
    return SKIPPED_OVERLAPPING if previous_running else None
