"""The local executor under hostile or careless input (issue 9): every attack of the issue, run.

Assertions read the history, the files on disk and the processes; never wall-clock durations
(the waits below are generous upper bounds for a loaded machine, not measurements).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from . import harness as h
from . import invariants as inv

pytestmark = pytest.mark.slow

WEB = {"window_target": "web"}
TARGETS = [{"name": "web", "resource_type": "INSTANCE", "targets": [{"key": "tag:Role", "values": ["web"]}]}]
HOSTILE_HOST = "x;touch${IFS}pwned;#"


def window(name, tasks, targets=None):
    return {"name": name, "duration": 2, "cutoff": 1, "targets": TARGETS if targets is None else targets,
            "tasks": tasks}


def private_tree(root: Path) -> list[str]:
    """Paths under root that are not 0600 files / 0700 directories."""
    loose = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        if (path.is_dir() and mode != 0o700) or (path.is_file() and mode != 0o600):
            loose.append(f"{path} {mode:04o}")
    return loose


def files_containing(root: Path, secret: bytes) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and not p.is_symlink() and secret in p.read_bytes()]


def test_a_task_name_from_a_window_file_cannot_run_code(tmp_path):
    attack = h.shell_task("t-{{ lookup('ansible.builtin.pipe', 'touch pwned') }}", "true", [WEB])
    play = h.write_play(tmp_path, window("name-attack", [attack]))
    proc = h.run_playbook(tmp_path, str(play), h.write_inventory(tmp_path))
    assert proc.returncode != 0
    assert "tasks[0].name: must match the pattern ^[a-zA-Z0-9_\\-.]{3,128}$" in proc.stdout
    assert not (tmp_path / "pwned").exists() and not h.executions(tmp_path / "history")


def test_a_hostile_host_name_never_reaches_a_shell(tmp_path):
    inventory = h.write_inventory(tmp_path, extra_hosts={HOSTILE_HOST: {"mw_tags": {"Role": "web"}}})
    # were the value pasted in, 'touch pwned' would run in tmp_path
    task = h.shell_task("echo-target", f"cd {tmp_path} && echo target={{{{TARGET_ID}}}}", [WEB], conc="6", errors="1")
    play = h.write_play(tmp_path, window("host-attack", [task]))
    proc = h.run_playbook(tmp_path, str(play), inventory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (tmp_path / "pwned").exists() and not (Path.home() / "pwned").exists()
    invocations = inv.by_target(inv.task(h.only_execution(tmp_path / "history"), "echo-target"))
    hostile = invocations[HOSTILE_HOST]
    assert hostile["status"] == "FAILED" and "{{TARGET_ID}}" in hostile["status_details"]
    assert "not a safe token" in hostile["status_details"] and "nothing was run" in hostile["status_details"]
    assert hostile["output"] == ""
    assert all(invocations[name]["output"].strip() == f"target={name}" for name in h.HOSTS[:5])
    # the summary says why the host failed
    assert f"{HOSTILE_HOST}: FAILED: Failed: pseudo parameter {{{{TARGET_ID}}}}" in proc.stdout


def test_one_documented_way_to_give_a_definition(tmp_path):
    inventory = h.write_inventory(tmp_path)
    definition = window("bare-window", [h.shell_task("touch-it", f"touch {tmp_path}/ran-{{{{TARGET_ID}}}}", [WEB])])
    definition["tags"] = {"Environment": "prod"}
    (tmp_path / "window.yml").write_text(yaml.safe_dump(definition))
    bare = h.run_playbook(tmp_path, "mwops.ssm.run_window", inventory, "-e", "@window.yml",
                          "-e", "mw_history_dir=history")
    assert bare.returncode != 0
    assert "given as top-level extra variables" in bare.stdout and "-e mw_window_file=window.yml" in bare.stdout
    no_history = h.run_playbook(tmp_path, "mwops.ssm.run_window", inventory, "-e", "mw_window_file=window.yml")
    assert no_history.returncode != 0 and "history_dir is required" in no_history.stdout
    assert "-e mw_history_dir=DIR" in no_history.stdout
    assert not list(tmp_path.glob("ran-*")) and not (tmp_path / "history").exists()
    # The definition nested under mw_window is data: its pseudo parameters are not templated
    (tmp_path / "vars.yml").write_text(yaml.safe_dump({"mw_window": definition}))
    nested = h.run_playbook(tmp_path, "mwops.ssm.run_window", inventory, "-e", "@vars.yml",
                            "-e", "mw_history_dir=history")
    assert nested.returncode == 0, nested.stdout + nested.stderr
    assert sorted(p.name for p in tmp_path.glob("ran-*")) == [f"ran-{name}" for name in h.HOSTS[:5]]


def test_secrets_never_touch_disk_and_planted_paths_are_refused(tmp_path):
    password = tmp_path / "vault-pass"
    password.write_text("s3cret-never-on-disk\n")
    vault = subprocess.run([str(Path(h.ansible_playbook()).parent / "ansible-vault"), "encrypt_string",
                            "--vault-password-file", str(password), "echo vaulted-pm", "--name", "x"],
                           env=h.env(), capture_output=True, text=True, check=True).stdout
    group_vars = tmp_path / "group_vars"
    group_vars.mkdir()
    (group_vars / "web.yml").write_text(f"mw_patch_command: {vault.split('x:', 1)[1].strip()}\n")
    # A legacy secrets directory left world-writable, with a planted symlink where the password went
    history_dir = tmp_path / "history"
    planted = history_dir / ".runs" / "secrets"
    planted.mkdir(parents=True)
    planted.chmod(0o777)
    trap = tmp_path / "trap"
    for index in range(3):
        (planted / f"vault-{index}").symlink_to(trap)
    task = {"name": "scan", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunPatchBaseline", "priority": 1,
            "targets": [{"key": "InstanceIds", "values": ["h01"]}], "max_concurrency": "1", "max_errors": "0",
            "task_invocation_parameters": {"run_command": {"parameters": {"Operation": ["Scan"]}}}}
    play = h.write_play(tmp_path, window("vault-window", [task]))
    cmd = [h.ansible_playbook(), "-i", str(h.write_inventory(tmp_path)), str(play), "--vault-password-file",
           str(password)]
    proc = subprocess.run(cmd, cwd=tmp_path, env=h.env(), capture_output=True, text=True, timeout=240, check=False,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = inv.by_target(inv.task(h.only_execution(history_dir), "scan"))["h01"]
    assert record["status"] == "SUCCESS" and "vaulted-pm scan" in record["output"], json.dumps(record)
    assert not trap.exists() and not planted.exists()  # leftovers removed, never written through
    assert files_containing(history_dir, b"s3cret-never-on-disk") == []
    assert private_tree(history_dir) == []  # history, output, child log, state: 0600 / 0700
    # A state directory someone else can write to is refused before anything runs
    (history_dir / ".runs").chmod(0o777)
    again = subprocess.run(cmd, cwd=tmp_path, env=h.env(), capture_output=True, text=True, timeout=240,
                           check=False, stdin=subprocess.DEVNULL)
    assert again.returncode != 0 and "writable by group or others" in again.stdout
    assert len(h.executions(history_dir)) == 1


def _child_pids(marker: str) -> list[int]:
    """Processes whose environment names this test's gate spec directory (the child runs)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_a_killed_engine_leaves_no_secret_no_orphan_and_no_new_invocation(tmp_path):
    password = tmp_path / "vault-pass"
    password.write_text("kill-me-secret\n")
    # The kill comes once the invocation's shell runs: it runs under timeout(1), in a process
    # group of its own, which the watchdog must reach too.
    running = tmp_path / "running"
    slow = h.shell_task("slow", f"touch {running}; sleep 120", [{"key": "InstanceIds", "values": ["h01", "h02", "h03"]}],
                        conc="1", errors="3")
    play = h.write_play(tmp_path, window("kill-window", [slow]))
    history_dir = tmp_path / "history"
    first = subprocess.Popen([h.ansible_playbook(), "-i", str(h.write_inventory(tmp_path)), str(play),
                              "--vault-password-file", str(password)], cwd=tmp_path, env=h.env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 120
        specs: list[Path] = []
        while time.time() < deadline:
            specs = list((history_dir / ".runs").glob("*/task0/gate.json")) if history_dir.exists() else []
            events = specs[0].parent / "events.jsonl" if specs else None
            if events and events.exists() and '"start"' in events.read_text() and running.exists():
                break
            time.sleep(0.3)
        else:
            pytest.fail("the run never started an invocation")
        spec = json.loads(specs[0].read_text())
        os.kill(spec["engine_pid"], signal.SIGKILL)
        # The watchdog stops every child run; generous bound for a loaded 2-core machine
        marker = str(specs[0])
        deadline = time.time() + 60
        while _child_pids(marker) and time.time() < deadline:
            time.sleep(0.5)
        assert _child_pids(marker) == []
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(60)
    events = [json.loads(line) for line in (specs[0].parent / "events.jsonl").read_text().splitlines()]
    assert [e["target"] for e in events if e["event"] == "start"] == ["h01"]  # nothing admitted after
    assert files_containing(tmp_path / "history", b"kill-me-secret") == []
    assert files_containing(tmp_path, b"kill-me-secret") == [str(password)]
    # The next start removes the dead engine's state
    quick = h.write_play(tmp_path, window("next-window", [h.shell_task("quick", "true", [WEB])]))
    proc = h.run_playbook(tmp_path, str(quick), h.write_inventory(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (history_dir / ".runs" / spec["execution_id"]).exists()
    assert [p.name for p in (history_dir / ".runs").iterdir()] == []


def test_empty_targets_fail_the_window_and_the_summary_says_why(tmp_path):
    targets = TARGETS + [{"name": "nobody", "resource_type": "INSTANCE",
                          "targets": [{"key": "tag:Role", "values": ["no-such-role"]}]}]
    tasks = [h.shell_task("empty", "true", [{"window_target": "nobody"}]),
             h.shell_task("fails", "case {{TARGET_ID}} in h02) exit 3;; esac", [WEB], conc="1", errors="0")]
    # Preflight would refuse this run (test_executor_preflight_report.py); here the run goes on, so
    # the same rule must show in the history.
    play = h.write_play(tmp_path, window("empty-window", tasks, targets), preflight_fail_on=[])
    inventory = h.write_inventory(tmp_path)
    proc = h.run_playbook(tmp_path, str(play), inventory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = h.only_execution(tmp_path / "history")
    assert run["status"] == "FAILED"
    empty = inv.task(run, "empty")
    assert empty["status"] == "FAILED" and empty["invocations"] == []
    assert "window target 'nobody' resolved to 0 inventory hosts" in empty["status_details"]
    out = proc.stdout
    assert "task 'empty': FAILED: Failed: window target 'nobody' resolved to 0 inventory hosts" in out
    assert "h02: FAILED: Failed: exit code 3." in out
    assert "h03: NOT STARTED: Not started: the task's error threshold (MaxErrors 0) was exceeded." in out
    # allowed explicitly: the empty task succeeds and says so
    allowed = h.write_play(tmp_path, window("empty-ok", tasks[:1], targets), allow_empty_targets=True)
    proc = h.run_playbook(tmp_path, str(allowed), inventory)
    run = next(e for e in h.executions(tmp_path / "history") if e["window_name"] == "empty-ok")
    assert run["status"] == "SUCCESS", run
    assert "(allowed by allow_empty_targets)" in inv.task(run, "empty")["status_details"]


def test_pruning_and_retention_are_checked(tmp_path):
    inventory = h.write_inventory(tmp_path)
    history_dir = tmp_path / "history"
    history_dir.mkdir(mode=0o700)
    old = "2000-01-01T00:00:00.000000Z"
    planted = {"dotdot.json": {"schema": "mwops.ssm/window-execution/1", "id": "..", "start_time": old},
               "other-schema.json": {"schema": "someone/else", "id": "0b1c9f8e-2f6d-4e0a-9d0c-1a2b3c4d5e6f",
                                     "start_time": old}}
    for name, data in planted.items():
        (history_dir / name).write_text(json.dumps(data))
    task = h.shell_task("quick", "true", [WEB])
    zero = h.write_play(tmp_path, window("zero-retention", [task]), retention_days=0)
    proc = h.run_playbook(tmp_path, str(zero), inventory)
    assert proc.returncode != 0 and "retention_days must be at least 1" in proc.stdout
    play = h.write_play(tmp_path, window("prune-window", [task]), retention_days=1)
    proc = h.run_playbook(tmp_path, str(play), inventory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in history_dir.glob("*.json") if p.name in planted) == sorted(planted)
    run = next(e for e in h.executions(history_dir) if e.get("window_name") == "prune-window")
    assert Path(inv.task(run, "quick")["invocations"][0]["output_path"]).is_file()
