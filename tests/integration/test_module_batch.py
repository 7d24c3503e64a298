"""maintenance_windows: a list of windows in one module run, against the sandbox.

Real ``ansible-playbook`` runs; the sandbox's request log is the witness for reads and writes.
Each test uses window names of its own (a uuid prefix), since the sandbox is shared by the session.
"""

from __future__ import annotations

import copy
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import pytest

from . import mw_harness as H

MODULE = "mwops.ssm.maintenance_windows"


@pytest.fixture(autouse=True)
def _clean_sandbox(sandbox):
    sandbox.set_faults(throttle_rate=0.0)
    sandbox.clear_holds()
    yield
    sandbox.set_faults(throttle_rate=0.0)
    sandbox.clear_holds()


def _window(name: str, tasks: int = 2) -> Dict[str, Any]:
    return {
        "name": name, "schedule": "cron(0 2 ? * SUN *)", "duration": 3, "cutoff": 1,
        "tags": {"Team": "batch"},
        "targets": [{"name": f"tg-{n}", "targets": [{"key": "tag:Role", "values": [f"role-{n}"]}]} for n in range(2)],
        "tasks": [{"name": f"task-{n}", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunShellScript", "priority": n,
                   "targets": [{"window_target": f"tg-{n % 2}"}], "max_concurrency": "1", "max_errors": "0",
                   "task_invocation_parameters": {"run_command": {"parameters": {"commands": [f"echo {n}"]}}}}
                  for n in range(tasks)],
    }


def _windows(prefix: str, count: int) -> List[Dict[str, Any]]:
    return [_window(f"{prefix}-{n}") for n in range(count)]


def _play(tmp_path: Path, sandbox, args: Dict[str, Any], name: str) -> Tuple[Path, Path]:
    out = tmp_path / f"{name}.result.json"
    tasks = [{"name": "converge", MODULE: args, "register": "out", "ignore_errors": True},
             {"name": "keep", "ansible.builtin.copy": {"content": "{{ out | to_json }}", "dest": str(out),
                                                       "mode": "0600"}, "check_mode": False}]
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "module_defaults": H.module_defaults(sandbox.endpoint), "tasks": tasks}]
    return H.write_playbook(tmp_path / f"{name}.json", play), out


def _converge(sandbox, tmp_path: Path, args: Dict[str, Any], *cli: str) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """One run of the module; its result and the sandbox calls it made."""
    playbook, out = _play(tmp_path, sandbox, args, f"run-{uuid.uuid4().hex[:6]}")
    start = len(sandbox.requests())
    proc = H.run_playbook(playbook, args=cli)
    log = sandbox.requests()[start:]
    H.record_calls(log, ["maintenance_windows"])
    assert proc.returncode == 0, H.describe_failure(proc)
    return json.loads(out.read_text()), log


def _writes(log: Sequence[Dict[str, Any]]) -> List[str]:
    return [r["operation"] for r in log if r["write"]]


def _window_ids(ssm_client, name: str) -> List[str]:
    found = ssm_client.describe_maintenance_windows(Filters=[{"Key": "Name", "Values": [name]}])["WindowIdentities"]
    return [w["WindowId"] for w in found if w["Name"] == name]


def _names(items: Sequence[Dict[str, Any]]) -> List[str]:
    return sorted(x.get("Name") for x in items)


def _targets(ssm_client, window_id: str) -> List[Dict[str, Any]]:
    return ssm_client.describe_maintenance_window_targets(WindowId=window_id)["Targets"]


def _tasks(ssm_client, window_id: str) -> List[Dict[str, Any]]:
    return ssm_client.describe_maintenance_window_tasks(WindowId=window_id)["Tasks"]


def _delete(ssm_client, names: Sequence[str]) -> None:
    for name in names:
        for window_id in _window_ids(ssm_client, name):
            ssm_client.delete_maintenance_window(WindowId=window_id)


def _rhythm(sandbox, tmp_path, args) -> List[Tuple[Dict[str, Any], List[Dict[str, Any]]]]:
    """check -> real -> check -> real, in diff mode."""
    return [_converge(sandbox, tmp_path, args, *cli) for cli in (["--check", "--diff"], ["--diff"],
                                                                 ["--check", "--diff"], ["--diff"])]


# ---------------------------------------------------------------------------------------------
# 1. The four-step rhythm over 5 windows: create, update, delete

def test_four_step_rhythm_over_five_windows(sandbox, ssm_client, tmp_path):
    prefix = f"batch-{uuid.uuid4().hex[:8]}"
    windows = _windows(prefix, 5)
    names = [w["name"] for w in windows]

    # Create
    (check, check_log), (real, real_log), (check2, check2_log), (noop, noop_log) = _rhythm(
        sandbox, tmp_path, {"windows": windows})
    assert check["changed"] and [w["changed"] for w in check["windows"]] == [True] * 5
    assert [w["name"] for w in check["windows"]] == names  # input order
    assert _writes(check_log) == []
    assert [w["window_id"] for w in check["windows"]] == [None] * 5
    assert real["changed"] and not real["failed_windows"]
    assert _writes(real_log).count("CreateMaintenanceWindow") == 5
    assert _writes(real_log).count("RegisterTargetWithMaintenanceWindow") == 10
    assert _writes(real_log).count("RegisterTaskWithMaintenanceWindow") == 10
    for result in real["windows"]:
        assert _window_ids(ssm_client, result["name"]) == [result["window_id"]]
        assert result["maintenance_window"]["name"] == result["name"]
        assert [w["operation"] for w in result["completed_writes"]][0] == "CreateMaintenanceWindow"
        assert result["diff"]["before"] == {} and result["diff"]["after"]["window_id"] == result["window_id"]
    for result, log in ((check2, check2_log), (noop, noop_log)):
        assert not result["changed"] and [w["changed"] for w in result["windows"]] == [False] * 5
        assert _writes(log) == []
        # One paged listing found every window: no per-window lookup by name.
        describes = [r for r in log if r["operation"] == "DescribeMaintenanceWindows"]
        assert 1 <= len(describes) <= 1 + len(ssm_client.describe_maintenance_windows()["WindowIdentities"]) // 100
    assert [w["window_id"] for w in noop["windows"]] == [w["window_id"] for w in real["windows"]]
    ids = [w["window_id"] for w in real["windows"]]

    # Update two of the five: a window field in one, a task removed in another
    changed = copy.deepcopy(windows)
    changed[1]["schedule"] = "cron(0 4 ? * SUN *)"
    changed[3]["tasks"] = changed[3]["tasks"][:1]
    (check, check_log), (real, real_log), (check2, check2_log), (noop, noop_log) = _rhythm(
        sandbox, tmp_path, {"windows": changed})
    assert [w["changed"] for w in check["windows"]] == [False, True, False, True, False]
    assert _writes(check_log) == []
    assert check["windows"][1]["changed_fields"] == ["schedule"]
    assert [w["changed"] for w in real["windows"]] == [False, True, False, True, False]
    assert sorted(_writes(real_log)) == ["DeregisterTaskFromMaintenanceWindow", "UpdateMaintenanceWindow"]
    assert [w["operation"] for w in real["windows"][3]["completed_writes"]] == ["DeregisterTaskFromMaintenanceWindow"]
    assert _names(_tasks(ssm_client, ids[3])) == ["task-0"]
    assert [w["window_id"] for w in real["windows"]] == ids  # IDs never change
    for result, log in ((check2, check2_log), (noop, noop_log)):
        assert not result["changed"] and _writes(log) == []

    # Delete one (state: absent in the list)
    changed[0] = {"name": names[0], "state": "absent"}
    (check, check_log), (real, real_log), (check2, check2_log), (noop, noop_log) = _rhythm(
        sandbox, tmp_path, {"windows": changed})
    assert [w["changed"] for w in check["windows"]] == [True, False, False, False, False]
    assert _writes(check_log) == []
    assert _writes(real_log) == ["DeleteMaintenanceWindow"]
    assert real["windows"][0]["window_id"] == ids[0] and _window_ids(ssm_client, names[0]) == []
    for result, log in ((check2, check2_log), (noop, noop_log)):
        assert not result["changed"] and _writes(log) == []
    _delete(ssm_client, names)


# ---------------------------------------------------------------------------------------------
# 2. Validation of every definition before the first write

@pytest.mark.parametrize("breakage, path", [
    ("rate", "windows[3].tasks[1].max_concurrency"),
    ("type", "windows[3]"),
    ("duplicate", "windows[3].name"),
    ("cross-field", "windows[3].cutoff"),
])
def test_one_bad_definition_refuses_the_whole_list_before_any_write(sandbox, ssm_client, tmp_path, breakage, path):
    prefix = f"batch-bad-{uuid.uuid4().hex[:8]}"
    windows = _windows(prefix, 5)
    if breakage == "rate":
        windows[3]["tasks"][1]["max_concurrency"] = "0"
    elif breakage == "type":
        windows[3]["tasks"][1]["priority"] = "first"
    elif breakage == "duplicate":
        windows[3]["name"] = windows[1]["name"]
    else:
        windows[3]["cutoff"] = 5  # not shorter than the 3-hour duration
    result, log = _converge(sandbox, tmp_path, {"windows": windows})
    assert result["failed"] and not result["changed"]
    assert "nothing was changed" in result["msg"]
    assert [p["path"] for p in result["problems"]] == [path], result["problems"]
    assert _writes(log) == []
    assert all(_window_ids(ssm_client, w["name"]) == [] for w in windows)


def test_a_bad_definition_refuses_even_when_the_others_would_update(sandbox, ssm_client, tmp_path):
    prefix = f"batch-bad2-{uuid.uuid4().hex[:8]}"
    windows = _windows(prefix, 3)
    _converge(sandbox, tmp_path, {"windows": windows})
    windows[0]["duration"] = 5
    windows[2]["tasks"][0]["targets"] = [{"window_target": "no-such-target"}]
    result, log = _converge(sandbox, tmp_path, {"windows": windows})
    assert result["failed"] and [p["path"] for p in result["problems"]] == ["windows[2].tasks[0].targets[0].window_target"]
    assert _writes(log) == []
    window_id = _window_ids(ssm_client, windows[0]["name"])[0]
    assert ssm_client.get_maintenance_window(WindowId=window_id)["Duration"] == 3
    _delete(ssm_client, [w["name"] for w in windows])


# ---------------------------------------------------------------------------------------------
# 3. Per-window failures

def _ghost(window: Dict[str, Any]) -> Dict[str, Any]:
    """Locally valid; SSM refuses the task because no such window target exists."""
    window["tasks"] = [{"name": "ghost", "task_type": "AUTOMATION", "task_arn": "AWS-Doc",
                        "targets": [{"key": "WindowTargetIds", "values": [str(uuid.uuid4())]}],
                        "max_concurrency": "1", "max_errors": "0"}]
    return window


def test_one_window_failing_is_named_and_the_others_converge(sandbox, ssm_client, tmp_path):
    prefix = f"batch-fail-{uuid.uuid4().hex[:8]}"
    windows = _windows(prefix, 4)
    _ghost(windows[1])
    result, _log = _converge(sandbox, tmp_path, {"windows": windows, "workers": 2})
    assert result["failed"] and result["changed"]
    assert [f["name"] for f in result["failed_windows"]] == [windows[1]["name"]]
    assert result["failed_windows"][0]["index"] == 1
    assert windows[1]["name"] in result["msg"] and "1 of 4 windows failed" in result["msg"]
    bad = result["windows"][1]
    assert bad["failed"] and "register maintenance window task" in bad["msg"]
    # It failed after writing: its writes are reported (the window and its targets exist).
    assert [w["operation"] for w in bad["completed_writes"]][:1] == ["CreateMaintenanceWindow"]
    assert bad["changed"]
    for n in (0, 2, 3):
        good = result["windows"][n]
        assert not good["failed"] and good["changed"]
        (window_id,) = _window_ids(ssm_client, windows[n]["name"])
        assert _names(_tasks(ssm_client, window_id)) == ["task-0", "task-1"]
    assert result["not_started"] == []
    _delete(ssm_client, [w["name"] for w in windows])


def test_fail_fast_stops_starting_windows_and_names_them(sandbox, ssm_client, tmp_path):
    prefix = f"batch-ff-{uuid.uuid4().hex[:8]}"
    windows = _windows(prefix, 3)
    _ghost(windows[0])
    # One worker: window 0 runs (and fails) before the others would start.
    result, log = _converge(sandbox, tmp_path, {"windows": windows, "workers": 1, "fail_fast": True})
    assert result["failed"]
    assert [f["name"] for f in result["failed_windows"]] == [windows[0]["name"]]
    assert result["not_started"] == [windows[1]["name"], windows[2]["name"]]
    assert "not started (fail_fast)" in result["msg"]
    assert _writes(log).count("CreateMaintenanceWindow") == 1
    assert _window_ids(ssm_client, windows[1]["name"]) == [] and _window_ids(ssm_client, windows[2]["name"]) == []
    _delete(ssm_client, [w["name"] for w in windows])


# ---------------------------------------------------------------------------------------------
# 4. Throttling

def test_a_throttled_batch_run_converges(sandbox, ssm_client, tmp_path):
    prefix = f"batch-thr-{uuid.uuid4().hex[:8]}"
    windows = _windows(prefix, 5)
    sandbox.set_faults(throttle_rate=0.3, seed=17)
    first, first_log = _converge(sandbox, tmp_path, {"windows": windows, "workers": 4})
    again, again_log = _converge(sandbox, tmp_path, {"windows": windows, "workers": 4})
    sandbox.set_faults(throttle_rate=0.0)
    throttled = [r for r in first_log + again_log if r.get("throttled")]
    assert len(throttled) >= 10, "the fault injection did not bite"
    assert {r["operation"] for r in throttled} & {"DescribeMaintenanceWindows", "CreateMaintenanceWindow",
                                                  "RegisterTaskWithMaintenanceWindow"}
    assert not first.get("failed") and not first["failed_windows"] and first["changed"]
    assert not again["changed"] and _writes([r for r in again_log if not r.get("throttled")]) == []
    for window in windows:
        (window_id,) = _window_ids(ssm_client, window["name"])
        assert _names(_targets(ssm_client, window_id)) == ["tg-0", "tg-1"]
        assert _names(_tasks(ssm_client, window_id)) == ["task-0", "task-1"]
    _delete(ssm_client, [w["name"] for w in windows])


# ---------------------------------------------------------------------------------------------
# 5. Concurrency safety: two batch runs at once

def test_two_batch_runs_at_once_leave_no_duplicates(sandbox, ssm_client, tmp_path):
    prefix = f"batch-race-{uuid.uuid4().hex[:8]}"
    windows = _windows(prefix, 3)
    playbook, _out = _play(tmp_path, sandbox, {"windows": windows, "workers": 3}, "race")
    # All six creates wait until all arrived: both runs saw no window of any of the three names.
    sandbox.hold("CreateMaintenanceWindow", count=6, mode="barrier", timeout=180)
    start = len(sandbox.requests())
    runs = [subprocess.Popen([H.ansible_bin("ansible-playbook"), "-i", "localhost,", str(playbook)],
                             env=H.environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             cwd=str(tmp_path)) for _run in range(2)]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    log = sandbox.requests()[start:]
    creates = [r for r in log if r["operation"] == "CreateMaintenanceWindow"]
    assert len(creates) == 6 and all(r.get("held") for r in creates), "the two runs did not race"
    assert all(run.returncode == 0 for run in runs), outputs
    assert all("failed=0" in out for out in outputs), outputs
    for window in windows:
        ids = _window_ids(ssm_client, window["name"])
        assert len(ids) == 1, f"{len(ids)} windows named {window['name']}"
        assert _names(_targets(ssm_client, ids[0])) == ["tg-0", "tg-1"]
        assert _names(_tasks(ssm_client, ids[0])) == ["task-0", "task-1"]
    again, again_log = _converge(sandbox, tmp_path, {"windows": windows})
    assert not again["changed"] and _writes(again_log) == []
    _delete(ssm_client, [w["name"] for w in windows])


# ---------------------------------------------------------------------------------------------
# 6. Ownership and purge, decided once for the whole list

def test_purge_deletes_only_this_owners_unlisted_windows(sandbox, ssm_client, tmp_path):
    prefix = f"batch-own-{uuid.uuid4().hex[:8]}"
    owner, other = f"team-{prefix}", f"other-{prefix}"
    mine = _windows(f"{prefix}-mine", 3)
    theirs = _windows(f"{prefix}-theirs", 1)
    _converge(sandbox, tmp_path, {"windows": mine, "owner": owner})
    _converge(sandbox, tmp_path, {"windows": theirs, "owner": other})
    untagged = ssm_client.create_maintenance_window(Name=f"{prefix}-untagged", Schedule="rate(1 day)", Duration=2,
                                                    Cutoff=0, AllowUnassociatedTargets=False)["WindowId"]
    (window_id,) = _window_ids(ssm_client, mine[0]["name"])
    tags = ssm_client.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)["TagList"]
    assert {"Key": "mwops:owner", "Value": owner} in tags

    keep = mine[1:]
    check, check_log = _converge(sandbox, tmp_path, {"windows": keep, "owner": owner, "purge": True}, "--check")
    assert _writes(check_log) == []
    assert [(w["name"], w["purged"], w["changed"]) for w in check["windows"]] == [
        (keep[0]["name"], False, False), (keep[1]["name"], False, False), (mine[0]["name"], True, True)]
    real, real_log = _converge(sandbox, tmp_path, {"windows": keep, "owner": owner, "purge": True})
    assert _writes(real_log) == ["DeleteMaintenanceWindow"]
    assert real["windows"][2]["window_id"] == window_id and _window_ids(ssm_client, mine[0]["name"]) == []
    assert len(_window_ids(ssm_client, theirs[0]["name"])) == 1
    assert ssm_client.get_maintenance_window(WindowId=untagged)["Name"] == f"{prefix}-untagged"
    again, again_log = _converge(sandbox, tmp_path, {"windows": keep, "owner": owner, "purge": True})
    assert not again["changed"] and _writes(again_log) == []

    # An empty list purges everything of the owner only with purge_all
    refused, refused_log = _converge(sandbox, tmp_path, {"windows": [], "owner": owner, "purge": True})
    assert refused["failed"] and "purge_all" in refused["msg"] and refused_log == []
    emptied, emptied_log = _converge(sandbox, tmp_path, {"windows": [], "owner": owner, "purge": True,
                                                         "purge_all": True})
    assert _writes(emptied_log) == ["DeleteMaintenanceWindow"] * 2 and emptied["changed"]
    assert len(_window_ids(ssm_client, theirs[0]["name"])) == 1
    ssm_client.delete_maintenance_window(WindowId=untagged)
    _delete(ssm_client, [theirs[0]["name"]])


def test_purge_needs_an_owner_and_an_owner_tag_may_not_be_contradicted(sandbox, tmp_path):
    prefix = f"batch-own2-{uuid.uuid4().hex[:8]}"
    windows = _windows(prefix, 2)
    result, log = _converge(sandbox, tmp_path, {"windows": windows, "purge": True})
    assert result["failed"] and "owner is required when purge is true" in result["msg"] and log == []
    windows[1]["tags"]["mwops:owner"] = "someone-else"
    result, log = _converge(sandbox, tmp_path, {"windows": windows, "owner": "me"})
    assert result["failed"] and [p["path"] for p in result["problems"]] == ["windows[1].tags.mwops:owner"]
    assert log == []
