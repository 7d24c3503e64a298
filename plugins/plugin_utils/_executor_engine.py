# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The local executor's engine: one ordinary ``ansible-playbook`` child run per SSM task.

The engine runs priority groups one after another (same-priority tasks as parallel children),
refuses to start a group after the window's cutoff, and folds what the gate action recorded
into SSM-shaped history. Each child play has one task, ``mwops.ssm.mw_invoke`` (the gate), run
by the builtin ``linear`` strategy with ``throttle`` and forks equal to the task's resolved
MaxConcurrency, so Ansible keeps a sliding window of invocations and the gate decides, under a
lock, whether each one may start (spec B.4, C.2).

Trust: the generated child playbook holds no text from the definition or the inventory (no task,
window or host names); the gate reads everything from the JSON spec named by an environment
variable and adds the target hosts to a group of the child's inventory by index. Vault secrets
reach the children through pipes (``--vault-id ID@/dev/fd/N``), never through files. The engine
holds an exclusive lock on ``engine.lock`` while it lives; gates refuse admission and a small
watchdog stops each child as soon as that lock is free (the engine was killed).
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_core as core
from ansible_collections.mwops.ssm.plugins.plugin_utils import _history as history
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_ledger import (
    EVENT_END,
    EVENT_REFUSED,
    EVENT_START,
    TaskLedger,
)
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_plan import ExecutionPlan, TaskSpec

GATE_ACTION = "mwops.ssm.mw_invoke"
# The child's gates find their spec through this variable: no path or name in the playbook text.
GATE_SPEC_ENV = "MWOPS_SSM_GATE_SPEC"
RUNS_DIR = ".runs"
LOCKS_DIR = ".locks"
ENGINE_LOCK = "engine.lock"
LEGACY_SECRETS_DIR = "secrets"  # vault password files of older versions; removed at every start
STALE_RUN_SECONDS = 60.0
NEW_RUN_PREFIX = ".new-"
MAX_PIPE_SECRET = 60000  # stays below the pipe buffer, so writing never blocks
WATCHDOG_POLL_SECONDS = 0.5
# A CANCEL_TASK child still running this long after the cutoff is stopped from the outside;
# normally the gate's task timeout and the target-side timeout end it first.
CANCEL_BACKSTOP_SECONDS = 15.0
NOT_DISPATCHED = "not_dispatched"
BARRIER_FILE = "barrier.json"
HISTORY_REFRESH_SECONDS = 1.0
CHILD_TEARDOWN_SECONDS = 60.0
SUMMARY_REASONS_PER_TASK = 20


# Runs in front of every child (same process group): hands the secret pipes on, then stops the
# whole group within seconds once the engine's lock is free, i.e. the engine is gone.
WATCHDOG = r"""
import fcntl, os, signal, subprocess, sys, time
lock, fds, command = sys.argv[1], [int(f) for f in sys.argv[2].split(",") if f], sys.argv[3:]
child = subprocess.Popen(command, pass_fds=fds)
for fd in fds:
    os.close(fd)
def engine_gone():
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
while child.poll() is None:
    if engine_gone():
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.killpg(0, signal.SIGTERM)
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(0, signal.SIGKILL)
        sys.exit(143)
    time.sleep(%s)
sys.exit(child.returncode if child.returncode >= 0 else 128 - child.returncode)
""" % WATCHDOG_POLL_SECONDS


class Interrupted(Exception):
    """The engine was asked to stop (SIGTERM, Ctrl-C, its caller ended, or a caller's task timeout)."""


def engine_alive(lock_path: str | os.PathLike[str]) -> bool:
    """Whether the engine that holds ``lock_path`` still runs (it holds an exclusive flock)."""
    try:
        fd = os.open(lock_path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except OSError as exc:
        return exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK)
    finally:
        os.close(fd)


def _secret_pipe(secret: bytes) -> int:
    """The read end of a pipe that holds ``secret`` and is closed for writing."""
    if len(secret) > MAX_PIPE_SECRET:
        raise ValueError("a vault secret longer than 60,000 bytes cannot be handed to the child runs")
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, secret)
    finally:
        os.close(write_fd)
    return read_fd


@dataclass
class ChildLauncher:
    """How to start one child ``ansible-playbook`` run; built by the action from the parent's CLI."""

    command: Sequence[str]  # e.g. [python, -m, ansible, playbook, -i, inv, ...]
    env: Mapping[str, str]
    cwd: str | None = None
    vault_secrets: Sequence[tuple[str, bytes]] = ()  # (vault ID, secret), handed over through pipes

    def start(self, playbook: Path, forks: int, log: Path, engine_lock: Path,
              gate_spec: Path) -> subprocess.Popen[bytes]:
        fds: list[int] = []
        try:
            vault_args: list[str] = []
            for vault_id, secret in self.vault_secrets:
                fds.append(_secret_pipe(secret))
                vault_args += ["--vault-id", f"{vault_id}@/dev/fd/{fds[-1]}"]
            out = history.create_private_file(log)
            try:
                command = [sys.executable, "-c", WATCHDOG, str(engine_lock), ",".join(map(str, fds)),
                           *self.command, *vault_args, "--forks", str(forks), str(playbook)]
                return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                        env={**self.env, GATE_SPEC_ENV: str(gate_spec)}, cwd=self.cwd,
                                        start_new_session=True, pass_fds=fds)
            finally:
                os.close(out)
        finally:
            for fd in fds:
                os.close(fd)


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


def target_group_name(task: TaskRunState, index: int) -> str:
    """The child-inventory group of one target group (a name no inventory uses by chance)."""
    return f"mwops_ssm_{task.execution_id.replace('-', '')}_{index}"


def _child_play(task: TaskRunState, number: int) -> list[dict[str, Any]]:
    """The child playbook: only constants and numbers, nothing from the definition or inventory."""
    invoke: dict[str, Any] = {
        "name": f"Window task #{number}",
        GATE_ACTION: {"step": "invoke"},
        "throttle": task.concurrency,
        # The gate records every outcome itself; a failed invocation must not remove the host
        # from the play or stop the playbook.
        "ignore_errors": True,
        "ignore_unreachable": True,
    }
    if task.cancel_at is not None:
        # Evaluated as each invocation starts: the time left until the cutoff (CANCEL_TASK).
        invoke["timeout"] = "{{ [1, (%r - now().timestamp()) | round(0, 'ceil') | int] | max }}" % task.cancel_at
    # The child may start while the previous priority still runs: a first play on the controller
    # holds it at the barrier without keeping the per-host play's slot loop busy, then adds the
    # targets (by index into the gate spec) to this run's groups: host names never become patterns.
    targets = task.spec.targets
    barrier = {"name": f"Window task #{number}: wait for its priority",
               "hosts": "localhost", "connection": "local", "gather_facts": False,
               "tasks": [{"name": "Wait for the priority barrier", GATE_ACTION: {"step": "barrier"}},
                         {"name": "Add the targets", GATE_ACTION: {"step": "add_host", "index": "{{ item }}"},
                          "loop": list(range(len(targets)))}]}
    plays = [barrier]
    groups = [g for g in task.spec.groups if g.hosts]
    for index, group in enumerate(groups, start=1):
        plays.append({
            "name": f"Window task #{number}: target group {index}/{len(groups)}",
            "hosts": target_group_name(task, index),
            "gather_facts": False,
            "strategy": "ansible.builtin.linear",
            "order": "inventory",
            "tasks": [invoke],
        })
    return plays if groups else []


class Engine:
    """Run one execution of a window plan and keep its history file up to date."""

    def __init__(self, plan: ExecutionPlan, history_dir: str | os.PathLike[str], launcher: ChildLauncher,
                 display: Callable[[str], None], user_documents: Mapping[str, Any] | None = None,
                 forks_ceiling: int = 50, retention_days: float = history.RETENTION_DAYS,
                 allow_empty_targets: bool = False, clock: Callable[[], float] = time.time,
                 poll_interval: float = 0.1) -> None:
        history.check_retention_days(retention_days)
        self.plan = plan
        self.history_dir = Path(history_dir)
        self.launcher = launcher
        self.display = display
        self.user_documents = dict(user_documents or {})
        self.forks_ceiling = forks_ceiling
        self.retention_days = retention_days
        self.allow_empty_targets = allow_empty_targets
        self.clock = clock
        self.poll_interval = poll_interval
        self.execution_id = str(uuid.uuid4())
        self.start = 0.0
        self.last_start = 0.0
        self.state_dir = self.history_dir / RUNS_DIR / self.execution_id
        self.tasks: list[TaskRunState] = []
        self.file: Path | None = None
        self.record: dict[str, Any] = {}
        self.finished = False
        self.interrupted = False
        self.stop_reason: str | None = None  # set by a signal handler, acted on by the main loop
        self.parent_pid = os.getppid()
        self.engine_lock = self.state_dir / ENGINE_LOCK

    # ------------------------------------------------------------------ public

    def run(self) -> dict[str, Any]:
        for directory in (self.history_dir, self.history_dir / RUNS_DIR, self.history_dir / LOCKS_DIR,
                          self.history_dir / history.OUTPUT_DIR):
            history.private_dir(directory)
        self._remove_leftovers()
        self.start = self.clock()
        self.last_start = core.last_task_start(self.start, self.plan.duration, self.plan.cutoff)
        self.file = history.execution_file(self.history_dir, self.plan.window_name, self.start, self.execution_id)
        lock_fd = self._lock_window()
        try:
            if lock_fd is None:
                return self._skipped_overlapping()
            return self._run_locked()
        finally:
            if lock_fd is not None:
                os.close(lock_fd)
            history.prune(self.history_dir, self.clock(), self.retention_days, keep=frozenset({self.execution_id}))

    # ------------------------------------------------------------------ setup

    def _remove_leftovers(self) -> None:
        """Secrets files of older versions, and state of engines that were killed (lock free)."""
        runs = self.history_dir / RUNS_DIR
        legacy = runs / LEGACY_SECRETS_DIR
        if legacy.is_symlink() or legacy.is_file():
            legacy.unlink()
        elif legacy.is_dir():
            shutil.rmtree(legacy, ignore_errors=True)  # rmtree never follows symlinks inside
        now = time.time()
        for entry in runs.iterdir():
            if entry.is_symlink() or not entry.is_dir():
                continue
            if history.EXECUTION_ID.match(entry.name):
                stale = True  # such a directory holds a locked engine.lock from its first instant on
            elif entry.name.startswith(NEW_RUN_PREFIX):
                try:
                    stale = now - entry.stat().st_mtime > STALE_RUN_SECONDS
                except OSError:
                    continue
            else:
                continue
            if stale and not engine_alive(entry / ENGINE_LOCK):
                shutil.rmtree(entry, ignore_errors=True)

    def _hold_engine_lock(self) -> int:
        """Create this run's state directory and hold its engine lock for as long as we live.

        The directory is prepared under a temporary name and renamed once locked, so another
        engine cleaning up leftovers never sees it unlocked."""
        staging = Path(tempfile.mkdtemp(prefix=NEW_RUN_PREFIX, dir=self.history_dir / RUNS_DIR))
        fd = history.create_private_file(staging / ENGINE_LOCK)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(staging, self.state_dir)
        return fd

    def _lock_window(self) -> int | None:
        path = self.history_dir / LOCKS_DIR / f"{history.safe_name(self.plan.window_name)}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return None
            raise
        return fd

    def _skipped_overlapping(self) -> dict[str, Any]:
        self.record = self._window_record(core.overlap_status(previous_running=True) or core.SKIPPED_OVERLAPPING,
                                          "Skipped: an execution of this window is still in progress.")
        self.record["end_time"] = history.iso(self.start)
        self._write()
        self.display(f"mw_run [{self.plan.window_name}]: SKIPPED_OVERLAPPING, another execution is in progress")
        return self.record

    def _prepare_tasks(self) -> None:
        for index, spec in enumerate(self.plan.tasks):
            concurrency = min(spec.max_concurrency, self.forks_ceiling) if self.forks_ceiling else spec.max_concurrency
            run = TaskRunState(
                spec=spec, execution_id=str(uuid.uuid4()),
                ledger=TaskLedger(self.state_dir / f"task{index}").create(),
                concurrency=concurrency, capped=concurrency < spec.max_concurrency,
                cancel_at=self.last_start if spec.cutoff_behavior == core.CANCEL_TASK else None,
                child_log=history.child_log_path(self.history_dir, self.execution_id, spec.name))
            self.tasks.append(run)

    def _gate_spec(self, task: TaskRunState) -> dict[str, Any]:
        return {
            "version": 1,
            "ledger": str(task.ledger.directory),
            "window_name": self.plan.window_name,
            "task_name": task.spec.name,
            "document": task.spec.task_arn,
            "parameters": task.spec.parameters,
            "user_documents": self.user_documents,
            "max_errors": task.spec.max_errors,
            "cancel_at": task.cancel_at,
            "history_dir": str(self.history_dir),
            "execution_id": self.execution_id,
            "barrier": str(task.ledger.directory / BARRIER_FILE),
            "engine_lock": str(self.engine_lock),
            "engine_pid": os.getpid(),  # for diagnostics only; liveness is the lock
            # add_host step: target i of the task joins the child inventory group groups[i]
            "hosts": list(task.spec.targets),
            "groups": [target_group_name(task, index) for index, group in
                       enumerate([g for g in task.spec.groups if g.hosts], start=1) for dummy in group.hosts],
            "pseudo": {
                "WINDOW_ID": self.plan.window_id,
                "WINDOW_TASK_ID": task.spec.window_task_id,
                "WINDOW_EXECUTION_ID": self.execution_id,
                "TASK_EXECUTION_ID": task.execution_id,
            },
            "targets": {h: {"WINDOW_TARGET_ID": g.window_target_id, "TARGET_TYPE": g.target_type}
                        for g in task.spec.groups for h in g.hosts},
        }

    # ------------------------------------------------------------------ main loop

    def _run_locked(self) -> dict[str, Any]:
        # Ctrl-C reaches this worker as SIGINT and ansible-core's cleanup follows at once with
        # SIGTERM (WORKER_SHUTDOWN_POLL_COUNT is 0). A handler that raised would raise again,
        # for the second signal, inside the cleanup and skip it: the run stayed IN_PROGRESS.
        # So handlers only note the request; the main loop stops at its next poll.
        previous = {signum: signal.signal(signum, self._on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
        lock_fd = self._hold_engine_lock()
        interrupted: BaseException | None = None
        try:
            self._prepare_tasks()
            self.record = self._window_record(core.IN_PROGRESS, "In progress.")
            self._write()
            try:
                self._run_groups()
            except BaseException as exc:  # a stop request or a caller's task timeout: record it, then re-raise
                interrupted = exc
                # Say so on disk first: ansible-core may end this worker while children are stopped.
                self._finish(interrupted)
                self._stop_children()
            self._finish(interrupted)
            shutil.rmtree(self.state_dir, ignore_errors=True)
        finally:
            os.close(lock_fd)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if interrupted is not None:
            raise interrupted
        return self.record

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.stop_reason is None:
            self.stop_reason = f"received {signal.Signals(signum).name}"

    def _check_stop(self) -> None:
        """Raise Interrupted once a signal arrived or the ansible-playbook run that started us ended."""
        if self.stop_reason is None and os.getppid() != self.parent_pid:
            self.stop_reason = "the ansible-playbook run that started the executor has ended"
        if self.stop_reason is not None:
            raise Interrupted(self.stop_reason)

    def _run_groups(self) -> None:
        by_name = {t.spec.name: t for t in self.tasks}
        groups = [[by_name[p.name] for p in group] for group in core.priority_groups(t.spec.plan() for t in self.tasks)]
        for index, runs in enumerate(groups):
            self._check_stop()
            for run in runs:
                if run.process is None:
                    self._launch(run)
            now = self.clock()
            if not core.task_may_start(now, self.last_start):
                for run in runs:
                    self._open_barrier(run, go=False)
                    self.display(f"mw_run [{self.plan.window_name}] task {run.spec.name!r}: not started, "
                                 "the window's cutoff has passed")
                continue
            for run in runs:
                self._release(run, now)
            # Start the next priority's children now, held at their barrier, so their start-up
            # overlaps this priority instead of adding to the makespan.
            if index + 1 < len(groups):
                for run in groups[index + 1]:
                    self._launch(run)
            self._wait(runs)
        self._reap()

    def _launch(self, run: TaskRunState) -> None:
        """Start a task's child run; its gates wait at the barrier until the engine opens it."""
        task_dir = run.ledger.directory
        spec_path = task_dir / "gate.json"
        history.write_json_atomic(spec_path, self._gate_spec(run))
        plays = _child_play(run, self.tasks.index(run) + 1)
        if not plays:
            return
        playbook = task_dir / "play.yml"
        history.write_json_atomic(playbook, plays)  # JSON is YAML
        run.process = self.launcher.start(playbook, max(1, run.concurrency), run.child_log, self.engine_lock,
                                          spec_path)

    def _open_barrier(self, run: TaskRunState, go: bool) -> None:
        history.write_json_atomic(run.ledger.directory / BARRIER_FILE, {"go": go, "time": self.clock()})

    def _release(self, run: TaskRunState, now: float) -> None:
        run.start = now
        run.started = True
        targets = run.spec.targets
        note = f", capped at {run.concurrency} by the forks ceiling" if run.capped else ""
        self.display(f"mw_run [{self.plan.window_name}] task {run.spec.name!r} (priority {run.spec.priority}): "
                     f"starting on {len(targets)} target(s), MaxConcurrency {run.spec.max_concurrency}{note}, "
                     f"MaxErrors {run.spec.max_errors}")
        self._open_barrier(run, go=True)
        if run.process is None:
            run.end = now  # no targets

    def _ledger_end(self, run: TaskRunState) -> float | None:
        """When the last target of a task reached a final state, or None while one has not."""
        final: dict[str, float] = {}
        for event in run.ledger.events():
            if event.get("event") in (EVENT_END, EVENT_REFUSED):
                final[event["target"]] = event["time"]
        if set(run.spec.targets) <= set(final):
            return max(final.values(), default=run.start)
        return None

    def _wait(self, runs: list[TaskRunState]) -> None:
        """Until every task of the group ended: all targets final in its ledger, or its child exited."""
        last_write = 0.0
        while True:
            self._check_stop()
            now = self.clock()
            for run in runs:
                if run.end is not None:
                    continue
                ended = self._ledger_end(run)
                if ended is not None:
                    run.end = ended
                elif run.process is not None and run.process.poll() is not None:
                    run.end = now
                elif run.cancel_at is not None and now > run.cancel_at + CANCEL_BACKSTOP_SECONDS:
                    run.killed_at_cutoff = True
                    _kill_group(run.process)
            changed = self._progress(runs)
            done = all(r.end is not None for r in runs)
            if done or (changed and now - last_write >= HISTORY_REFRESH_SECONDS):
                self._refresh()
                last_write = now
            if done:
                break
            time.sleep(self.poll_interval)
        for run in runs:
            self.display(self._task_line(run, final=True))

    def _reap(self) -> None:
        """Let every child finish its own teardown (they have nothing left to run)."""
        deadline = time.monotonic() + CHILD_TEARDOWN_SECONDS
        for run in self.tasks:
            while run.process is not None and run.process.poll() is None:
                self._check_stop()
                if time.monotonic() > deadline:
                    _kill_group(run.process)
                    break
                time.sleep(self.poll_interval)

    def _stop_children(self) -> None:
        for run in self.tasks:
            if run.process is not None and run.process.poll() is None:
                run.interrupted = True
                _kill_group(run.process)
                if run.end is None and run.started:
                    run.end = self.clock()

    # ------------------------------------------------------------------ progress and history

    def _counts(self, run: TaskRunState) -> tuple[int, int, int, int]:
        started = succeeded = failed = refused = 0
        for event in run.ledger.events():
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

    def _task_line(self, run: TaskRunState, final: bool = False) -> str:
        started, succeeded, failed, refused = self._counts(run)
        total = len(run.spec.targets)
        if final:
            refused = total - started
        text = (f"mw_run [{self.plan.window_name}] task {run.spec.name!r}: {started}/{total} started, "
                f"{succeeded} succeeded, {failed} failed, {refused} not started")
        if final:
            status = self._task_record(run)["status"]
            text += f" -> {status}"
        return text

    def _progress(self, runs: list[TaskRunState]) -> bool:
        changed = False
        for run in runs:
            counts = self._counts(run)
            if counts != run.last_progress:
                run.last_progress = counts
                changed = True
                if run.end is None:
                    self.display(self._task_line(run))
        return changed

    def _results(self, run: TaskRunState) -> tuple[list[core.InvocationResult], dict[str, dict[str, Any]]]:
        """Invocation results of a task from its ledger, plus extra fields per target."""
        results = {t: core.InvocationResult(t) for t in run.spec.targets}
        extra: dict[str, dict[str, Any]] = {t: {} for t in run.spec.targets}
        for event in run.ledger.events():
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
                    extra[target]["status_details"] = "Cancelled at the window's cutoff (CANCEL_TASK)."
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

    def _invocation_record(self, run: TaskRunState, result: core.InvocationResult,
                           extra: dict[str, Any]) -> dict[str, Any]:
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
            "start_time": history.iso(result.start),
            "end_time": history.iso(result.end),
            "counted_as_error": result.counted,
            "exit_code": extra.get("exit_code"),
            "output": extra.get("output") or "",
            "output_path": extra.get("output_path"),
        }

    def _task_record(self, run: TaskRunState) -> dict[str, Any]:
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
            "start_time": history.iso(run.start),
            "end_time": history.iso(run.end),
            "child_log": str(run.child_log) if run.process is not None else None,
        }
        if not run.started:
            if not (self.interrupted or self.finished or self._past_cutoff()):
                return {**base, "status": core.PENDING, "status_details": "Waiting for earlier priorities.",
                        "errors_counted": 0, "invocations": []}
            if self.interrupted:
                status, details = core.CANCELLED, "Not started: the executor was interrupted."
            else:
                status, details = core.fold_task_status([], spec.max_errors, started=False)
            invocations = [{"id": None, "target": t, "window_target_id": None, "status": core.CANCELLED,
                            "status_details": details, "start_time": None, "end_time": None,
                            "counted_as_error": False, "exit_code": None, "output": "", "output_path": None}
                           for t in spec.targets]
            return {**base, "status": status, "status_details": details, "errors_counted": 0,
                    "invocations": invocations}
        results, extra = self._results(run)
        invocations = [self._invocation_record(run, r, extra[r.target]) for r in results]
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
        if spec.empty_targets and run.end is not None and not run.interrupted:
            empty = (f"{', '.join(spec.empty_targets)} resolved to 0 inventory hosts")
            if self.allow_empty_targets:
                details += f" No targets: {empty} (allowed by allow_empty_targets)."
            else:
                status = core.FAILED
                details = (f"Failed: {empty}; the task did not run there. Fix the targets or the inventory, "
                           f"or set allow_empty_targets. {details}")
        return {**base, "status": status, "status_details": details, "errors_counted": errors,
                "invocations": invocations}

    def _past_cutoff(self) -> bool:
        return not core.task_may_start(self.clock(), self.last_start)

    def _window_record(self, status: str, details: str) -> dict[str, Any]:
        return {
            "schema": history.SCHEMA,
            "id": self.execution_id,
            "window_id": self.plan.window_id,
            "window_name": self.plan.window_name,
            "status": status,
            "status_details": details,
            "start_time": history.iso(self.start),
            "end_time": None,
            "duration_seconds": self.plan.duration,
            "cutoff_seconds": self.plan.cutoff,
            "last_task_start_time": history.iso(self.last_start),
            "window_end_time": history.iso(self.start + self.plan.duration),
            "forks_ceiling": self.forks_ceiling,
            "task_executions": [self._task_record(t) for t in self.tasks],
        }

    def _refresh(self) -> None:
        self.record["task_executions"] = [self._task_record(t) for t in self.tasks]
        self._write()

    def _finish(self, interrupted: BaseException | None) -> None:
        self.finished = True
        self.interrupted = interrupted is not None
        tasks = [self._task_record(t) for t in self.tasks]
        if interrupted is not None:
            status = core.CANCELLED
            details = f"Interrupted: {type(interrupted).__name__}: {interrupted}".rstrip(": ")
        else:
            status, details = core.fold_window_status([t["status"] for t in tasks])
        self.record.update(status=status, status_details=details, end_time=history.iso(self.clock()),
                           task_executions=tasks)
        self._write()

    def _write(self) -> None:
        if self.file is None:
            raise RuntimeError("the execution file is set when the run starts")
        history.write_json_atomic(self.file, self.record)

    # ------------------------------------------------------------------ summary

    def summary_table(self) -> str:
        rows = [("priority", "task", "status", "targets", "ok", "failed", "not started", "errors/max")]
        for task in self.record.get("task_executions", []):
            invs = task["invocations"]
            ok = sum(i["status"] == core.SUCCESS for i in invs)
            failed = sum(i["status"] in (core.FAILED, core.TIMED_OUT) for i in invs)
            not_started = sum(i["start_time"] is None for i in invs)
            rows.append((str(task["priority"]), task["name"], task["status"], str(task["target_count"]), str(ok),
                         str(failed), str(not_started), f"{task['errors_counted']}/{task['max_errors']}"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        head = (f"window {self.record.get('window_name')} execution {self.record.get('id')}: "
                f"{self.record.get('status')} ({self.record.get('status_details')})")
        return "\n".join([head, *lines, *self.summary_reasons(), f"history: {self.file}"])

    def summary_reasons(self, per_task: int = SUMMARY_REASONS_PER_TASK) -> list[str]:
        """Why: one line per task that did not succeed, then per failed or not-started host."""
        lines: list[str] = []
        for task in self.record.get("task_executions", []):
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


def _kill_group(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
    except ProcessLookupError:
        pass
