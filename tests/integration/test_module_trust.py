"""Windows as code you can trust: races, crashes, identity, failed runs and peer configurations.

Everything here runs real ``ansible-playbook`` processes against the sandbox, and the sandbox's
request log is the witness. Races and crashes are placed exactly with sandbox holds: a
``barrier`` makes two runs send the same call at the same time, a ``gate`` stops one run at a
chosen call so the test can SIGKILL it there (and ``drop`` the call, as if the process died
before sending it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest

from . import mw_harness as H

SLR = "arn:aws:iam::123456789012:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"


# ---------------------------------------------------------------------------------------------
# helpers

def _play(tmp_path: Path, sandbox, tasks: str, name: str = "play.yml") -> Path:
    return H.localhost_play(tmp_path, sandbox.endpoint, tasks, name)


def _window_play(tmp_path: Path, sandbox, definition: Dict[str, Any], name: str = "window.json",
                 register_to: Path = None) -> Path:
    tasks: List[Dict[str, Any]] = [{"name": "converge", "mwops.ssm.maintenance_window": definition, "register": "out"}]
    if register_to:
        tasks.append({"name": "keep", "ansible.builtin.copy": {"content": "{{ out | to_json }}",
                                                               "dest": str(register_to), "mode": "0600"},
                      "check_mode": False})
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "module_defaults": H.module_defaults(sandbox.endpoint), "tasks": tasks}]
    return H.write_playbook(tmp_path / name, play)


def _start(playbook: Path, *args: str) -> subprocess.Popen:
    cmd = [H.ansible_bin("ansible-playbook"), "-i", "localhost,", str(playbook), *args]
    # A session of its own: the test kills this run (and only it) by its process IDs.
    return subprocess.Popen(cmd, env=H.environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=str(playbook.parent), start_new_session=True)


def _wait_held(sandbox, operation: str, count: int = 1, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sandbox.holds().get(operation, {}).get("waiting", 0) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"no {operation} call was held within {timeout} s")


def _descendants(pid: int) -> List[int]:
    """Process IDs below ``pid`` (from /proc), children first."""
    parents: Dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(text[text.rindex(")") + 2:].split()[1])
    out, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        children = [p for p, parent in parents.items() if parent == current]
        out += children
        frontier += children
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _kill(pids: List[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _writes(log: List[Dict[str, Any]]) -> List[str]:
    return [r["operation"] for r in log if r["write"] and r.get("service", "ssm") == "ssm"]


def _run(sandbox, playbook: Path, *args: str, ok: bool = True):
    start = len(sandbox.requests())
    proc = H.run_playbook(playbook, args=args)
    log = sandbox.requests()[start:]
    H.record_calls(log, ["maintenance_window", "mw_target", "mw_task"])
    if ok:
        assert proc.returncode == 0, H.describe_failure(proc)
    return proc, log


def _window_ids(ssm_client, name: str) -> List[str]:
    pages = ssm_client.get_paginator("describe_maintenance_windows").paginate(Filters=[{"Key": "Name", "Values": [name]}])
    return sorted(w["WindowId"] for page in pages for w in page["WindowIdentities"] if w["Name"] == name)


def _names(items: List[Dict[str, Any]]) -> List[str]:
    return sorted(x.get("Name") or "" for x in items)


def _targets(ssm_client, window_id: str) -> List[Dict[str, Any]]:
    return ssm_client.describe_maintenance_window_targets(WindowId=window_id)["Targets"]


def _tasks(ssm_client, window_id: str) -> List[Dict[str, Any]]:
    return ssm_client.describe_maintenance_window_tasks(WindowId=window_id)["Tasks"]


def _definition(name: str, *, resource_type: str = "INSTANCE", targets: int = 2, tasks: int = 2) -> Dict[str, Any]:
    group = {"resource_type": "RESOURCE_GROUP", "targets": [{"key": "resource-groups:Name", "values": ["grp"]}]}
    tag = {"resource_type": "INSTANCE", "targets": [{"key": "tag:Role", "values": ["web"]}]}
    window_targets = [dict(group if (n == 0 and resource_type == "RESOURCE_GROUP") else tag, name=f"tg-{n}")
                      for n in range(targets)]
    window_tasks = [{"name": f"task-{n}", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunShellScript", "priority": n,
                     "targets": [{"window_target": f"tg-{n % targets}"}], "max_concurrency": "1", "max_errors": "0",
                     "task_invocation_parameters": {"run_command": {"parameters": {"commands": [f"echo {n}"]}}}}
                    for n in range(tasks)]
    return {"name": name, "schedule": "cron(0 2 ? * SUN *)", "duration": 3, "cutoff": 1,
            "targets": window_targets, "tasks": window_tasks}


@pytest.fixture(autouse=True)
def _clean_sandbox(sandbox):
    sandbox.set_faults(throttle_rate=0.0)
    sandbox.clear_holds()
    yield
    sandbox.clear_holds()


# ---------------------------------------------------------------------------------------------
# 1. Concurrency

def test_simultaneous_converges_of_one_definition_never_duplicate(sandbox, ssm_client, tmp_path):
    name = f"race-{uuid.uuid4().hex[:8]}"
    playbook = _window_play(tmp_path, sandbox, _definition(name, targets=2, tasks=3))
    # Both runs must have seen "no such window" and send their create at the same moment.
    sandbox.hold("CreateMaintenanceWindow", count=2, mode="barrier", timeout=120)
    start = len(sandbox.requests())
    runs = [_start(playbook), _start(playbook)]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    log = sandbox.requests()[start:]
    creates = [r for r in log if r["operation"] == "CreateMaintenanceWindow"]
    assert len(creates) == 2 and all(r.get("held") for r in creates), "the two runs did not race"
    ids = _window_ids(ssm_client, name)
    assert len(ids) == 1, f"{len(ids)} windows named {name}"
    assert _names(_targets(ssm_client, ids[0])) == ["tg-0", "tg-1"]
    assert _names(_tasks(ssm_client, ids[0])) == ["task-0", "task-1", "task-2"]
    assert all(run.returncode == 0 for run in runs), outputs
    # Both registered every target and task, and SSM answered both with the same resources.
    assert _writes(log).count("RegisterTargetWithMaintenanceWindow") == 4
    proc, again = _run(sandbox, playbook)
    assert _writes(again) == [] and "changed=0" in proc.stdout
    ssm_client.delete_maintenance_window(WindowId=ids[0])


def test_simultaneous_mw_target_and_mw_task_runs_never_duplicate(sandbox, ssm_client, tmp_path):
    name = f"race-one-{uuid.uuid4().hex[:8]}"
    window_id = ssm_client.create_maintenance_window(Name=name, Schedule="rate(1 day)", Duration=2, Cutoff=0,
                                                     AllowUnassociatedTargets=False)["WindowId"]
    playbook = _play(tmp_path, sandbox, f"""\
        - name: One target
          mwops.ssm.mw_target:
            window: {name}
            name: web
            targets: [{{key: "tag:Role", values: [web]}}]
        - name: One task on it
          mwops.ssm.mw_task:
            window: {name}
            name: patch
            task_type: RUN_COMMAND
            task_arn: AWS-RunPatchBaseline
            targets: [{{window_target: web}}]
            max_concurrency: "1"
            max_errors: "0"
        """)
    sandbox.hold("RegisterTargetWithMaintenanceWindow", count=2, mode="barrier", timeout=120)
    sandbox.hold("RegisterTaskWithMaintenanceWindow", count=2, mode="barrier", timeout=120)
    start = len(sandbox.requests())
    runs = [_start(playbook), _start(playbook)]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    log = sandbox.requests()[start:]
    assert _names(_targets(ssm_client, window_id)) == ["web"]
    assert [r.get("held") for r in log if r["operation"] == "RegisterTaskWithMaintenanceWindow"] == [True, True]
    assert _names(_tasks(ssm_client, window_id)) == ["patch"]
    assert all(run.returncode == 0 for run in runs), outputs
    ssm_client.delete_maintenance_window(WindowId=window_id)


def test_two_different_definitions_racing_fail_clearly_instead_of_duplicating(sandbox, ssm_client, tmp_path):
    """Same name, different content: one run wins, the other fails naming the conflict."""
    name = f"race-diff-{uuid.uuid4().hex[:8]}"
    first = _window_play(tmp_path, sandbox, _definition(name, targets=1, tasks=0), "first.json")
    other = _definition(name, targets=1, tasks=0)
    other["duration"] = 5
    second = _window_play(tmp_path, sandbox, other, "second.json")
    sandbox.hold("CreateMaintenanceWindow", count=2, mode="barrier", timeout=120)
    runs = [_start(first), _start(second)]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert len(_window_ids(ssm_client, name)) == 1
    codes = sorted(run.returncode for run in runs)
    assert codes[0] == 0, outputs
    if codes[1] != 0:
        assert any("IdempotentParameterMismatch" in out or "ClientToken" in out for out in outputs), outputs
    ssm_client.delete_maintenance_window(WindowId=_window_ids(ssm_client, name)[0])


def test_recreating_a_deleted_target_gets_a_fresh_token(sandbox, ssm_client, tmp_path):
    """Same observed state as the first registration, but the token's target is gone: a new one."""
    name = f"again-{uuid.uuid4().hex[:8]}"
    definition = _definition(name, targets=1, tasks=0)
    playbook = _window_play(tmp_path, sandbox, definition)
    _run(sandbox, playbook)
    window_id = _window_ids(ssm_client, name)[0]
    (first,) = _targets(ssm_client, window_id)
    ssm_client.deregister_target_from_maintenance_window(WindowId=window_id, WindowTargetId=first["WindowTargetId"])
    _run(sandbox, playbook)
    (second,) = _targets(ssm_client, window_id)
    assert second["WindowTargetId"] != first["WindowTargetId"] and second["Name"] == "tg-0"
    ssm_client.delete_maintenance_window(WindowId=window_id)


# ---------------------------------------------------------------------------------------------
# 2. Crashes

@pytest.mark.parametrize("killed_at", ["UpdateMaintenanceWindowTask", "DeregisterTargetFromMaintenanceWindow"])
def test_run_killed_during_a_resource_type_change_is_repaired(sandbox, ssm_client, tmp_path, killed_at):
    name = f"crash-{uuid.uuid4().hex[:8]}"
    _run(sandbox, _window_play(tmp_path, sandbox, _definition(name, targets=1, tasks=1), "before.json"))
    window_id = _window_ids(ssm_client, name)[0]
    changed = _window_play(tmp_path, sandbox, _definition(name, resource_type="RESOURCE_GROUP", targets=1, tasks=1),
                           "after.json")
    sandbox.hold(killed_at, count=1, mode="gate", timeout=300)
    run = _start(changed)
    try:
        _wait_held(sandbox, killed_at)
        family = [run.pid] + _descendants(run.pid)
        _kill(family)  # the whole run, module included: a crash
        run.wait(timeout=60)
    finally:
        sandbox.release(killed_at, drop=True)
    targets = _targets(ssm_client, window_id)
    assert _names(targets) == ["tg-0", "tg-0"], "the crash did not leave two targets of one name"
    # The next run brings the window to exactly the definition, and the one after is a no-op.
    proc, log = _run(sandbox, changed)
    (target,) = _targets(ssm_client, window_id)
    assert target["ResourceType"] == "RESOURCE_GROUP"
    (task,) = _tasks(ssm_client, window_id)
    assert task["Targets"] == [{"Key": "WindowTargetIds", "Values": [target["WindowTargetId"]]}]
    assert "DeregisterTargetFromMaintenanceWindow" in _writes(log)
    _proc, again = _run(sandbox, changed)
    assert _writes(again) == []
    ssm_client.delete_maintenance_window(WindowId=window_id)


def test_killed_playbook_stops_the_module_before_its_next_write(sandbox, ssm_client, tmp_path):
    name = f"orphan-{uuid.uuid4().hex[:8]}"
    playbook = _window_play(tmp_path, sandbox, _definition(name, targets=3, tasks=3))
    sandbox.hold("RegisterTargetWithMaintenanceWindow", count=1, mode="gate", timeout=300)
    start = len(sandbox.requests())
    run = _start(playbook)
    _wait_held(sandbox, "RegisterTargetWithMaintenanceWindow")
    below = _descendants(run.pid)
    modules = [pid for pid in below if "AnsiballZ" in _cmdline(pid)]
    assert modules, "the module process was not found"
    os.kill(run.pid, signal.SIGKILL)  # ansible-playbook only: the module process lives on
    run.wait(timeout=60)
    sandbox.release("RegisterTargetWithMaintenanceWindow")  # the held call completes
    deadline = time.monotonic() + 120
    while any(_alive(pid) for pid in modules) and time.monotonic() < deadline:
        time.sleep(0.2)
    still = [pid for pid in modules if _alive(pid)]
    _kill(below)
    assert not still, "the module went on running after its controller was killed"
    writes = _writes(sandbox.requests()[start:])
    # Created the window and the held target, then stopped: no other target, no task.
    assert writes == ["CreateMaintenanceWindow", "RegisterTargetWithMaintenanceWindow"], writes
    window_id = _window_ids(ssm_client, name)[0]
    _run(sandbox, playbook)  # the next run completes the definition
    assert _names(_targets(ssm_client, window_id)) == ["tg-0", "tg-1", "tg-2"]
    assert _names(_tasks(ssm_client, window_id)) == ["task-0", "task-1", "task-2"]
    ssm_client.delete_maintenance_window(WindowId=window_id)


def test_duplicates_made_by_hand_are_repaired_or_named(sandbox, ssm_client, tmp_path):
    name = f"twins-{uuid.uuid4().hex[:8]}"
    definition = _definition(name, targets=1, tasks=1)
    _run(sandbox, _window_play(tmp_path, sandbox, definition, "first.json"))
    window_id = _window_ids(ssm_client, name)[0]
    # A second tg-0 that differs from the definition and that no task uses: provably the extra.
    ssm_client.register_target_with_maintenance_window(WindowId=window_id, ResourceType="INSTANCE", Name="tg-0",
                                                       Targets=[{"Key": "tag:Role", "Values": ["db"]}])
    # Two task-0 twins that both differ from the definition: nothing tells which to keep.
    for priority in (7, 8):
        ssm_client.register_task_with_maintenance_window(
            WindowId=window_id, Name="task-x", TaskType="AUTOMATION", TaskArn="AWS-Doc", Priority=priority)
    twins = sorted(t["WindowTaskId"] for t in _tasks(ssm_client, window_id) if t["Name"] == "task-x")
    definition["tasks"].append({"name": "task-x", "task_type": "AUTOMATION", "task_arn": "AWS-Doc", "priority": 1})
    out = tmp_path / "result.json"
    proc, log = _run(sandbox, _window_play(tmp_path, sandbox, definition, "second.json", register_to=out), ok=False)
    assert proc.returncode != 0 and _writes(log) == []
    assert twins[0] in proc.stdout and twins[1] in proc.stdout and "window_task_id" in proc.stdout
    # Choosing one by ID resolves it: the other is removed (purge), and the extra target too.
    definition["tasks"][-1]["window_task_id"] = twins[1]
    _run(sandbox, _window_play(tmp_path, sandbox, definition, "third.json"))
    assert _names(_targets(ssm_client, window_id)) == ["tg-0"]
    assert sorted(t["WindowTaskId"] for t in _tasks(ssm_client, window_id) if t["Name"] == "task-x") == [twins[1]]
    ssm_client.delete_maintenance_window(WindowId=window_id)


# ---------------------------------------------------------------------------------------------
# 3/4. Identity

def test_unknown_ids_and_contradicting_names_write_nothing(sandbox, ssm_client, tmp_path):
    a_name, b_name = f"id-a-{uuid.uuid4().hex[:6]}", f"id-b-{uuid.uuid4().hex[:6]}"
    a = ssm_client.create_maintenance_window(Name=a_name, Schedule="rate(1 day)", Duration=2, Cutoff=0,
                                             AllowUnassociatedTargets=False)["WindowId"]
    b = ssm_client.create_maintenance_window(Name=b_name, Schedule="rate(1 day)", Duration=2, Cutoff=0,
                                             AllowUnassociatedTargets=False)["WindowId"]
    web = ssm_client.register_target_with_maintenance_window(
        WindowId=a, ResourceType="INSTANCE", Name="web", Targets=[{"Key": "tag:Role", "Values": ["web"]}])["WindowTargetId"]
    db = ssm_client.register_target_with_maintenance_window(
        WindowId=a, ResourceType="INSTANCE", Name="dbs", Targets=[{"Key": "tag:Role", "Values": ["db"]}])["WindowTargetId"]
    ssm_client.register_task_with_maintenance_window(WindowId=a, Name="patch", TaskType="AUTOMATION", TaskArn="AWS-Doc")
    nowhere = str(uuid.uuid4())
    window = "schedule: rate(1 day)\n    duration: 2\n    cutoff: 0"
    cases = {
        "task_unknown_id": (f"mwops.ssm.mw_task: {{window: {a_name}, name: patch, window_task_id: {nowhere}, "
                            f"task_type: AUTOMATION, task_arn: AWS-Doc}}", "no task with ID"),
        "target_unknown_id": (f"mwops.ssm.mw_target: {{window: {a_name}, name: web, window_target_id: {nowhere}, "
                              f"targets: [{{key: 'tag:Role', values: [web]}}]}}", "no window target with ID"),
        "nested_target_unknown_id": (f"mwops.ssm.maintenance_window:\n    name: {a_name}\n    {window}\n    targets:\n"
                                     f"      - {{name: web, window_target_id: {nowhere}, targets: [{{key: 'tag:Role', values: [web]}}]}}",
                                     "no window target with ID"),
        "nested_task_unknown_id": (f"mwops.ssm.maintenance_window:\n    name: {a_name}\n    {window}\n    tasks:\n"
                                   f"      - {{name: patch, window_task_id: {nowhere}, task_type: AUTOMATION, task_arn: AWS-Doc}}",
                                   "no task with ID"),
        "absent_name_and_other_id": (f"mwops.ssm.maintenance_window: {{name: {a_name}, window_id: {b}, state: absent}}",
                                     "must agree"),
        "present_name_and_other_id": (f"mwops.ssm.maintenance_window:\n    name: {a_name}\n    window_id: {b}\n    {window}",
                                      "must agree"),
        "mw_target_window_and_other_id": (f"mwops.ssm.mw_target: {{window: {a_name}, window_id: {b}, name: web, "
                                          f"targets: [{{key: 'tag:Role', values: [web]}}]}}", "must agree"),
        "mw_task_absent_window_and_other_id": (f"mwops.ssm.mw_task: {{window: {b_name}, window_id: {a}, name: patch, "
                                               f"state: absent}}", "must agree"),
        "target_name_and_other_id": (f"mwops.ssm.mw_target: {{window_id: {a}, name: web, window_target_id: {db}, "
                                     f"targets: [{{key: 'tag:Role', values: [web]}}]}}", "must agree"),
        "target_absent_name_and_other_id": (f"mwops.ssm.mw_target: {{window_id: {a}, name: web, window_target_id: {db}, "
                                            f"state: absent}}", "must agree"),
    }
    out = tmp_path / "results.json"
    body = "".join(f"- name: {case}\n  {task}\n  register: {case}\n  ignore_errors: true\n"
                   for case, (task, _words) in cases.items())
    collect = "{{ {" + ", ".join(f"'{c}': {c}" for c in cases) + "} | to_json }}"
    body += f"- name: collect\n  ansible.builtin.copy:\n    content: \"{collect}\"\n    dest: {out}\n    mode: '0600'\n"
    _proc, log = _run(sandbox, _play(tmp_path, sandbox, body))
    results = json.loads(out.read_text())
    for case, (_task, words) in cases.items():
        assert results[case].get("failed"), f"{case} did not fail: {results[case]}"
        assert words in results[case]["msg"], f"{case}: {results[case]['msg']}"
    assert _writes(log) == []
    assert _window_ids(ssm_client, b_name) == [b]
    assert _names(_targets(ssm_client, a)) == ["dbs", "web"] and _names(_tasks(ssm_client, a)) == ["patch"]
    assert web
    for window_id in (a, b):
        ssm_client.delete_maintenance_window(WindowId=window_id)


# ---------------------------------------------------------------------------------------------
# 6. Lists: absent leaves them alone, [] means none

def test_absent_lists_are_left_alone_and_empty_lists_mean_none(sandbox, ssm_client, tmp_path):
    name = f"lists-{uuid.uuid4().hex[:8]}"
    definition = _definition(name, targets=1, tasks=1)
    _run(sandbox, _window_play(tmp_path, sandbox, definition, "full.json"))
    window_id = _window_ids(ssm_client, name)[0]
    bare = {k: v for k, v in definition.items() if k not in ("targets", "tasks")}
    _proc, log = _run(sandbox, _window_play(tmp_path, sandbox, bare, "bare.json"))
    assert _writes(log) == [] and len(_tasks(ssm_client, window_id)) == 1
    out = tmp_path / "check.json"
    _proc, log = _run(sandbox, _window_play(tmp_path, sandbox, dict(bare, tasks=[]), "none.json", register_to=out),
                      "--check", "--diff")
    result = json.loads(out.read_text())
    assert _writes(log) == [] and result["changed"]
    assert result["changed_fields"] == ["tasks[task-0]: deregistered"]
    assert result["diff"]["after"]["tasks"] == [] and len(result["diff"]["before"]["tasks"]) == 1
    _run(sandbox, _window_play(tmp_path, sandbox, dict(bare, tasks=[]), "none.json"))
    assert _tasks(ssm_client, window_id) == [] and len(_targets(ssm_client, window_id)) == 1
    ssm_client.delete_maintenance_window(WindowId=window_id)


def test_the_windows_role_leaves_unlisted_lists_alone(sandbox, ssm_client, tmp_path):
    """A definition without targets/tasks given to the windows role keeps the window's own."""
    name = f"role-lists-{uuid.uuid4().hex[:8]}"
    definition = _definition(name, targets=1, tasks=1)
    _run(sandbox, _window_play(tmp_path, sandbox, definition, "full.json"))
    window_id = _window_ids(ssm_client, name)[0]
    bare = {k: v for k, v in definition.items() if k not in ("targets", "tasks")}
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "module_defaults": H.module_defaults(sandbox.endpoint),
             "tasks": [{"name": "role", "ansible.builtin.include_role": {"name": "mwops.ssm.windows"},
                        "vars": {"windows_definitions": [bare]}}]}]
    _proc, log = _run(sandbox, H.write_playbook(tmp_path / "role.json", play))
    assert [w for w in _writes(log) if "Task" in w or "Target" in w] == []
    assert _names(_tasks(ssm_client, window_id)) == ["task-0"] and _names(_targets(ssm_client, window_id)) == ["tg-0"]
    ssm_client.delete_maintenance_window(WindowId=window_id)


# ---------------------------------------------------------------------------------------------
# 8. Peer configurations

def test_service_linked_role_converges_without_a_perpetual_diff(sandbox, ssm_client, tmp_path):
    name = f"slr-{uuid.uuid4().hex[:8]}"
    definition = _definition(name, targets=1, tasks=1)
    definition["tasks"][0]["service_role_arn"] = SLR
    playbook = _window_play(tmp_path, sandbox, definition)
    _run(sandbox, playbook)
    proc, log = _run(sandbox, playbook)
    assert _writes(log) == [] and "changed=0" in proc.stdout
    ssm_client.delete_maintenance_window(WindowId=_window_ids(ssm_client, name)[0])


def test_check_mode_predicts_a_whole_fresh_estate(sandbox, ssm_client, tmp_path):
    name = f"plan-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "plan.json"
    playbook = _play(tmp_path, sandbox, f"""\
        - name: A new window
          mwops.ssm.maintenance_window:
            name: {name}
            schedule: cron(0 2 ? * SUN *)
            duration: 3
            cutoff: 1
          register: window
        - name: A target of it
          mwops.ssm.mw_target:
            window: {name}
            name: web
            targets: [{{key: "tag:Role", values: [web]}}]
          register: target
        - name: A task of it on that target
          mwops.ssm.mw_task:
            window: {name}
            name: patch
            task_type: RUN_COMMAND
            task_arn: AWS-RunPatchBaseline
            targets: [{{window_target: web}}]
            max_concurrency: "1"
            max_errors: "0"
          register: task
        - name: Keep the plan
          ansible.builtin.copy:
            content: "{{{{ {{'window': window, 'target': target, 'task': task}} | to_json }}}}"
            dest: {out}
            mode: "0600"
          check_mode: false
        """)
    _proc, log = _run(sandbox, playbook, "--check")
    assert _writes(log) == [] and _window_ids(ssm_client, name) == []
    plan = json.loads(out.read_text())
    assert plan["window"]["changed"] and plan["window"]["changed_fields"] == ["window: created"]
    assert plan["target"]["changed"] and plan["target"]["changed_fields"] == ["registered"]
    assert plan["target"]["target"]["name"] == "web" and plan["target"]["window_target_id"] is None
    assert plan["task"]["changed"] and plan["task"]["changed_fields"] == ["registered"]
    assert plan["task"]["task"]["targets"] == [{"window_target": "web"}]


def test_unnamed_targets_and_tasks_are_created_and_kept(sandbox, ssm_client, tmp_path):
    name = f"unnamed-{uuid.uuid4().hex[:8]}"
    definition = {"name": name, "schedule": "rate(1 day)", "duration": 2, "cutoff": 0,
                  "targets": [{"targets": [{"key": "tag:Role", "values": ["web"]}]},
                              {"name": "dbs", "targets": [{"key": "tag:Role", "values": ["db"]}]}],
                  "tasks": [{"task_type": "AUTOMATION", "task_arn": "AWS-RestartEC2Instance",
                             "targets": [{"window_target": "dbs"}], "max_concurrency": "1", "max_errors": "0"},
                            {"task_type": "LAMBDA", "task_arn": "arn:aws:lambda:us-east-1:123456789012:function:f"}]}
    playbook = _window_play(tmp_path, sandbox, definition)
    _run(sandbox, playbook)
    window_id = _window_ids(ssm_client, name)[0]
    before = (sorted(t["WindowTargetId"] for t in _targets(ssm_client, window_id)),
              sorted(t["WindowTaskId"] for t in _tasks(ssm_client, window_id)))
    assert _names(_targets(ssm_client, window_id)) == ["", "dbs"] and len(before[1]) == 2
    proc, log = _run(sandbox, playbook)
    assert _writes(log) == [] and "changed=0" in proc.stdout
    after = (sorted(t["WindowTargetId"] for t in _targets(ssm_client, window_id)),
             sorted(t["WindowTaskId"] for t in _tasks(ssm_client, window_id)))
    assert after == before
    # A standalone unnamed target is matched by its content too.
    single = _play(tmp_path, sandbox, f"""\
        - mwops.ssm.mw_target:
            window_id: {window_id}
            targets: [{{key: "tag:Role", values: [web]}}]
        """, "single.yml")
    _proc, log = _run(sandbox, single)
    assert _writes(log) == []
    ssm_client.delete_maintenance_window(WindowId=window_id)


# ---------------------------------------------------------------------------------------------
# 9. A failed run reports what it wrote

def test_a_run_that_fails_after_writing_reports_changed_and_its_writes(sandbox, ssm_client, tmp_path):
    name = f"half-{uuid.uuid4().hex[:8]}"
    window_id = ssm_client.create_maintenance_window(Name=name, Schedule="rate(1 day)", Duration=2, Cutoff=0,
                                                     AllowUnassociatedTargets=False)["WindowId"]
    definition = {"name": name, "schedule": "rate(1 day)", "duration": 2, "cutoff": 0,
                  "targets": [{"name": "web", "targets": [{"key": "tag:Role", "values": ["web"]}]}],
                  # Locally valid; SSM refuses it because no such window target exists.
                  "tasks": [{"name": "ghost", "task_type": "AUTOMATION", "task_arn": "AWS-Doc",
                             "targets": [{"key": "WindowTargetIds", "values": [str(uuid.uuid4())]}],
                             "max_concurrency": "1", "max_errors": "0"}]}
    out = tmp_path / "result.json"
    playbook = _play(tmp_path, sandbox, f"""\
        - name: Converge
          mwops.ssm.maintenance_window: {json.dumps(definition)}
          register: result
          ignore_errors: true
        - name: Keep
          ansible.builtin.copy:
            content: "{{{{ result | to_json }}}}"
            dest: {out}
            mode: "0600"
        """)
    _proc, log = _run(sandbox, playbook)
    result = json.loads(out.read_text())
    assert result["failed"] and result["changed"] is True
    assert [w["operation"] for w in result["completed_writes"]] == ["RegisterTargetWithMaintenanceWindow"]
    (target,) = _targets(ssm_client, window_id)
    assert result["completed_writes"][0]["window_target_id"] == target["WindowTargetId"]
    assert _writes(log) == ["RegisterTargetWithMaintenanceWindow", "RegisterTaskWithMaintenanceWindow"]
    ssm_client.delete_maintenance_window(WindowId=window_id)
