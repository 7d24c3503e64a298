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
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ansible_collections.mwops.ssm.plugins.module_utils import _execution_schema as schema
from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_core as core
from ansible_collections.mwops.ssm.plugins.plugin_utils import _history as history
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_children import (
    ChildLauncher,
    child_playbook,
    engine_alive,
    kill_group,
    target_group_name,
)
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_gate import GateSpec
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_ledger import (
    EVENT_END,
    EVENT_REFUSED,
    TaskLedger,
)
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_plan import ExecutionPlan
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_records import ExecutionRecords, TaskRunState

RUNS_DIR = ".runs"
LOCKS_DIR = ".locks"
ENGINE_LOCK = "engine.lock"
LEGACY_SECRETS_DIR = "secrets"  # vault password files of older versions; removed at every start
STALE_RUN_SECONDS = 60.0
NEW_RUN_PREFIX = ".new-"
# A CANCEL_TASK child still running this long after the cutoff is stopped from the outside;
# normally the gate's task timeout and the target-side timeout end it first.
CANCEL_BACKSTOP_SECONDS = 15.0
BARRIER_FILE = "barrier.json"
HISTORY_REFRESH_SECONDS = 1.0
CHILD_TEARDOWN_SECONDS = 60.0


class Interrupted(Exception):
    """The engine was asked to stop (SIGTERM, Ctrl-C, its caller ended, or a caller's task timeout)."""


class Engine(ExecutionRecords):
    """Run one execution of a window plan and keep its history file up to date."""

    def __init__(self, plan: ExecutionPlan, history_dir: str | os.PathLike[str], launcher: ChildLauncher,
                 display: Callable[[str], None], user_documents: Mapping[str, Any] | None = None,
                 forks_ceiling: int = 50, retention_days: float = history.RETENTION_DAYS,
                 allow_empty_targets: bool = False, clock: Callable[[], float] = time.time,
                 poll_interval: float = 0.1, patch_baselines: Mapping[str, Any] | None = None) -> None:
        history.check_retention_days(retention_days)
        self.plan = plan
        self.history_dir = Path(history_dir)
        self.launcher = launcher
        self.display = display
        self.user_documents = dict(user_documents or {})
        self.patch_baselines = dict(patch_baselines or {})  # host -> baseline assignment (_patch_local)
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
        self.record["end_time"] = schema.iso(self.start)
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

    def _gate_spec(self, task: TaskRunState) -> GateSpec:
        return GateSpec(
            ledger=str(task.ledger.directory),
            window_name=self.plan.window_name,
            task_name=task.spec.name,
            document=task.spec.task_arn,
            parameters=dict(task.spec.parameters),
            user_documents=self.user_documents,
            max_errors=task.spec.max_errors,
            cancel_at=task.cancel_at,
            history_dir=str(self.history_dir),
            execution_id=self.execution_id,
            barrier=str(task.ledger.directory / BARRIER_FILE),
            engine_lock=str(self.engine_lock),
            engine_pid=os.getpid(),
            hosts=list(task.spec.targets),
            groups=[target_group_name(task, index) for index, group in
                    enumerate([g for g in task.spec.groups if g.hosts], start=1) for dummy in group.hosts],
            pseudo={
                "WINDOW_ID": self.plan.window_id,
                "WINDOW_TASK_ID": task.spec.window_task_id,
                "WINDOW_EXECUTION_ID": self.execution_id,
                "TASK_EXECUTION_ID": task.execution_id,
            },
            targets={h: {"WINDOW_TARGET_ID": g.window_target_id, "TARGET_TYPE": g.target_type}
                     for g in task.spec.groups for h in g.hosts},
            patch_baselines=self.patch_baselines,
        )

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
        history.write_json_atomic(spec_path, self._gate_spec(run).to_json())
        plays = child_playbook(run, self.tasks.index(run) + 1)
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
                    kill_group(run.process)
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
                    kill_group(run.process)
                    break
                time.sleep(self.poll_interval)

    def _stop_children(self) -> None:
        for run in self.tasks:
            if run.process is not None and run.process.poll() is None:
                run.interrupted = True
                kill_group(run.process)
                if run.end is None and run.started:
                    run.end = self.clock()

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
        self.record.update(status=status, status_details=details, end_time=schema.iso(self.clock()),
                           task_executions=tasks)
        self._write()

    def _write(self) -> None:
        if self.file is None:
            raise RuntimeError("the execution file is set when the run starts")
        history.write_json_atomic(self.file, self.record)
