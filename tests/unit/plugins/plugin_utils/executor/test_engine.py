"""The engine without Ansible: signals, locks, leftovers and the child playbook it generates."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import time
from pathlib import Path

from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_children as children
from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_engine as eng
from ansible_collections.mwops.ssm.plugins.plugin_utils import _history as history
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_plan import (
    ExecutionPlan,
    TargetGroup,
    TaskSpec,
)

HOSTILE = "{{ lookup('ansible.builtin.pipe', 'touch pwned') }}"


def plan(name="engine-window", hosts=("h01", "h02")):
    task = TaskSpec("slow-task", "wt-id", "RUN_COMMAND", "AWS-RunShellScript", 1, "2", "0", 2, 0, "CONTINUE_TASK",
                    {"commands": ["sleep 30"]}, (TargetGroup("tg-id", "INSTANCE", tuple(hosts), "window target 'web'"),))
    return ExecutionPlan(name, "mw-0123456789abcdef0", 3600.0, 0.0, (task,))


class SleepLauncher(children.ChildLauncher):
    """Stands in for ansible-playbook: a child that never records anything."""

    def __init__(self, pid_file: Path) -> None:
        super().__init__(["sleep", "30"], {})
        self.pid_file = pid_file

    def start(self, playbook, forks, log, engine_lock=None, gate_spec=None):  # pylint: disable=unused-argument
        process = subprocess.Popen(["sleep", "30"], start_new_session=True)
        self.pid_file.write_text(str(process.pid))
        return process


def _run_engine(history_dir: str, pid_file: str) -> None:
    engine = eng.Engine(plan(), history_dir, SleepLauncher(Path(pid_file)), lambda line: None, poll_interval=0.05)
    try:
        engine.run()
    except eng.Interrupted:
        os._exit(3)
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def _wait_for(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_sigint_then_sigterm_at_once_still_ends_cancelled(tmp_path):
    # What Ctrl-C does to the engine's worker: SIGINT, and ansible-core's cleanup sends SIGTERM
    # right after it (WORKER_SHUTDOWN_POLL_COUNT is 0). A handler that raised for each signal
    # raised again inside the cleanup and left the execution IN_PROGRESS.
    history_dir, pid_file = tmp_path / "history", tmp_path / "child.pid"
    for attempt in range(3):
        proc = multiprocessing.get_context("fork").Process(target=_run_engine, args=(str(history_dir), str(pid_file)))
        proc.start()

        def in_progress():
            found = [json.loads(p.read_text()) for p in history_dir.glob("*.json")] if history_dir.exists() else []
            return len(found) == attempt + 1 and pid_file.exists() and any(
                e["status"] == "IN_PROGRESS" and e["task_executions"][0]["status"] == "IN_PROGRESS" for e in found)
        _wait_for(in_progress)
        os.kill(proc.pid, signal.SIGINT)
        os.kill(proc.pid, signal.SIGTERM)
        proc.join(60)
        statuses = [json.loads(p.read_text())["status"] for p in history_dir.glob("*.json")]
        assert statuses == ["CANCELLED"] * (attempt + 1)
        assert proc.exitcode == 3
        child = int(pid_file.read_text())
        pid_file.unlink()
        _wait_for(lambda: not _alive(child), 10)  # the child run was stopped
    details = {json.loads(p.read_text())["status_details"] for p in history_dir.glob("*.json")}
    assert details == {"Interrupted: Interrupted: received SIGINT"}


def test_distinct_long_window_names_do_not_share_a_lock(tmp_path):
    common = "w" * 100
    first = eng.Engine(plan(common + "-first"), tmp_path, SleepLauncher(tmp_path / "p"), print)
    second = eng.Engine(plan(common + "-second"), tmp_path, SleepLauncher(tmp_path / "p"), print)
    history.private_dir(tmp_path / eng.LOCKS_DIR)
    held = first._lock_window()  # pylint: disable=protected-access
    try:
        other = second._lock_window()  # pylint: disable=protected-access
        assert other is not None
        os.close(other)
        same = eng.Engine(plan(common + "-first"), tmp_path, SleepLauncher(tmp_path / "p"), print)
        assert same._lock_window() is None  # pylint: disable=protected-access
    finally:
        os.close(held)


def test_leftovers_are_removed_without_following_symlinks(tmp_path):
    history_dir = tmp_path / "history"
    runs = history_dir / eng.RUNS_DIR
    secrets = runs / eng.LEGACY_SECRETS_DIR
    secrets.mkdir(parents=True)
    secrets.chmod(0o777)
    target = tmp_path / "keep-me"
    target.write_text("not ours")
    (secrets / "vault-1-0").symlink_to(target)
    (secrets / "passwords-1.json").write_text('{"ansible_password": "x"}')
    dead = runs / "0b1c9f8e-2f6d-4e0a-9d0c-1a2b3c4d5e6f"
    dead.mkdir()
    (dead / eng.ENGINE_LOCK).write_text("")
    unrelated = runs / "not-an-execution"
    unrelated.mkdir()
    eng.Engine(plan(), history_dir, SleepLauncher(tmp_path / "p"), print)._remove_leftovers()  # pylint: disable=protected-access
    assert not secrets.exists() and not dead.exists()
    assert target.read_text() == "not ours" and unrelated.exists()


def test_engine_alive_is_the_lock_not_a_pid(tmp_path):
    lock = tmp_path / "engine.lock"
    assert not children.engine_alive(lock)
    fd = history.create_private_file(lock)
    assert not children.engine_alive(lock)
    import fcntl  # pylint: disable=import-outside-toplevel
    fcntl.flock(fd, fcntl.LOCK_EX)
    assert children.engine_alive(lock)
    os.close(fd)
    assert not children.engine_alive(lock)


def test_the_child_playbook_holds_no_definition_or_inventory_text(tmp_path):
    hosts = (HOSTILE, "web[1:3]", "all", "x;touch${IFS}pwned;#")
    engine = eng.Engine(plan(hosts=hosts), tmp_path, SleepLauncher(tmp_path / "p"), print)
    history.private_dir(tmp_path / eng.RUNS_DIR)
    engine.state_dir.mkdir()
    engine._prepare_tasks()  # pylint: disable=protected-access
    run = engine.tasks[0]
    text = json.dumps(children.child_playbook(run, 1))
    for fragment in ("lookup", "web[", "pwned", "slow-task", "\"all\"", "{{ lookup"):
        assert fragment not in text, fragment
    plays = json.loads(text)
    assert plays[1]["hosts"] == children.target_group_name(run, 1)
    assert plays[0]["tasks"][1]["loop"] == [0, 1, 2, 3]
    spec = engine._gate_spec(run)  # pylint: disable=protected-access
    assert spec.hosts == list(hosts) and spec.groups == [children.target_group_name(run, 1)] * 4


def test_secrets_reach_the_child_through_a_pipe_and_nothing_is_written(tmp_path):
    print_secrets = 'for a; do case "$a" in *@/dev/fd/*) cat "${a#*@}";; esac; done'
    launcher = children.ChildLauncher(["sh", "-c", print_secrets, "sh"], dict(os.environ), str(tmp_path),
                                      [("prod", b"pipe-secret")])
    lock = tmp_path / "engine.lock"
    fd = history.create_private_file(lock)
    import fcntl  # pylint: disable=import-outside-toplevel
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        process = launcher.start(tmp_path / "play.yml", 1, tmp_path / "out" / "child.log", lock, tmp_path / "g.json")
        process.wait(30)
    finally:
        os.close(fd)
    log = tmp_path / "out" / "child.log"
    assert log.read_bytes() == b"pipe-secret"  # what the child read from /dev/fd/N
    assert oct(log.stat().st_mode & 0o777) == "0o600" and oct((tmp_path / "out").stat().st_mode & 0o777) == "0o700"
    assert [p.name for p in tmp_path.rglob("*") if b"pipe-secret" in (p.read_bytes() if p.is_file() else b"")] == [
        "child.log"]


def test_a_child_stops_within_seconds_once_the_engine_lock_is_free(tmp_path):
    lock = tmp_path / "engine.lock"
    fd = history.create_private_file(lock)
    import fcntl  # pylint: disable=import-outside-toplevel
    fcntl.flock(fd, fcntl.LOCK_EX)
    launcher = children.ChildLauncher(["sh", "-c", "sleep 60", "sh"], dict(os.environ), str(tmp_path))
    process = launcher.start(tmp_path / "play.yml", 1, tmp_path / "child.log", lock, tmp_path / "g.json")
    time.sleep(1)
    assert process.poll() is None
    os.close(fd)  # the engine is gone
    assert process.wait(30) == 143

    def group_gone():  # the whole group, the child too (zombies waiting for init do not count)
        return not any(_alive(int(d.name)) for d in Path("/proc").iterdir() if d.name.isdigit()
                       and _pgid(int(d.name)) == process.pid)
    _wait_for(group_gone, 10)


def test_history_records_carry_the_schema_fields_with_secrets_masked(tmp_path):
    """Window tags and source, masked task parameters, the target's owner information (issue 13)."""
    task = TaskSpec("patch", "wt-id", "RUN_COMMAND", "AWS-RunShellScript", 1, "1", "0", 1, 0, "CONTINUE_TASK",
                    {"commands": ["true"], "DbPassword": "hunter2"},
                    (TargetGroup("tg-id", "INSTANCE", ("h01",), "window target 'web'", "team-web"),))
    window = ExecutionPlan("masked", "mw-0123456789abcdef0", 3600.0, 0.0, (task,), {"ChangeTicket": "CHG-1"})
    engine = eng.Engine(window, tmp_path / "history", SleepLauncher(tmp_path / "p"), print)
    history.private_dir(engine.state_dir)
    engine._prepare_tasks()  # pylint: disable=protected-access
    engine.finished = True
    record = engine._window_record("SUCCESS", "done")  # pylint: disable=protected-access
    assert (record["source"], record["tags"]) == ("local", {"ChangeTicket": "CHG-1"})
    (written,) = record["task_executions"]
    assert written["parameters"] == {"commands": ["true"], "DbPassword": "********"}
    assert "hunter2" not in json.dumps(record)
    (invocation,) = written["invocations"]
    assert (invocation["owner_information"], invocation["execution_id"], invocation["output_location"]) == (
        "team-web", None, None)
