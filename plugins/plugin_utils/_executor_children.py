# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""How the local executor starts its child ``ansible-playbook`` runs, and how they outlive nothing.

``child_playbook`` builds a task's child playbook (constants and numbers only), ``ChildLauncher``
starts it. Pure Python, no Ansible imports. Each child runs behind a small watchdog (same process group)
that hands the vault secrets on through pipes (``--vault-id ID@/dev/fd/N``: no secret file) and
stops the whole group within seconds once the engine's lock is free, i.e. the engine is gone.
The gates (``mw_invoke``) use the same lock test at every admission.
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ansible_collections.mwops.ssm.plugins.plugin_utils import _history as history

if TYPE_CHECKING:  # the gate imports this module too; it needs no plan or record types
    from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_records import TaskRunState

GATE_ACTION = "mwops.ssm.mw_invoke"
# The child's gates find their spec through this variable: no path or name in the playbook text.
GATE_SPEC_ENV = "MWOPS_SSM_GATE_SPEC"
MAX_PIPE_SECRET = 60000  # stays below the pipe buffer, so writing never blocks
WATCHDOG_POLL_SECONDS = 0.5


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
def stray_groups():
    # Invocations may run in process groups of their own (timeout(1) makes one): find them by
    # this child's gate spec, which every process it started inherits in its environment.
    marker = b"%s=" + os.environ.get("%s", "").encode() + b"\0"
    groups = set()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        try:
            with open("/proc/" + entry + "/environ", "rb") as fh:
                if entry.isdigit() and marker in fh.read() + b"\0":
                    groups.add(os.getpgid(int(entry)))
        except OSError:
            continue
    groups.discard(os.getpgid(0))
    return groups
while child.poll() is None:
    if engine_gone():
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        strays = stray_groups()
        os.killpg(0, signal.SIGTERM)
        for group in strays | stray_groups():
            try:
                os.killpg(group, signal.SIGKILL)
            except OSError:
                pass
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(0, signal.SIGKILL)
        sys.exit(143)
    time.sleep(%s)
sys.exit(child.returncode if child.returncode >= 0 else 128 - child.returncode)
""" % (GATE_SPEC_ENV, GATE_SPEC_ENV, WATCHDOG_POLL_SECONDS)


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


def target_group_name(task: TaskRunState, index: int) -> str:
    """The child-inventory group of one target group (a name no inventory uses by chance)."""
    return f"mwops_ssm_{task.execution_id.replace('-', '')}_{index}"


def child_playbook(task: TaskRunState, number: int) -> list[dict[str, Any]]:
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


def secret_pipe(secret: bytes) -> int:
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
                fds.append(secret_pipe(secret))
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


def kill_group(process: subprocess.Popen[bytes] | None) -> None:
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
