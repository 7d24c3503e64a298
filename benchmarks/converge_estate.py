"""Converge an estate of 20 windows x (2 targets, 5 tasks) against the sandbox and count calls.

Prints, per window, the read and write calls of the first run and of a no-op run, and the wall
time of two ways to converge the same estate with ansible-playbook:

* nested: one ``maintenance_window`` call per window, with its targets and tasks;
* per resource: one ``maintenance_window`` + 2 ``mw_target`` + 5 ``mw_task`` calls per window.

Goals: the no-op run makes 0 writes and at most 5 + (number of tasks) reads per window; nested is
several times faster. Run from a checkout with the pinned venv:

    ~/.cache/mwops-ssm/venv-core219/bin/python benchmarks/converge_estate.py [--windows 20]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "sandbox"))
import mwsandbox  # noqa: E402  pylint: disable=wrong-import-position


def _harness():
    spec = importlib.util.spec_from_file_location("mw_harness", ROOT / "tests" / "integration" / "mw_harness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


H = _harness()
TASKS_PER_WINDOW = 5


def window_definition(index: int, prefix: str) -> Dict[str, Any]:
    name = f"{prefix}-{index:02d}"
    return {
        "name": name,
        "description": f"estate window {index}",
        "schedule": f"cron(0 {index % 24} ? * SUN#{1 + index % 4} *)",
        "schedule_timezone": "Europe/Berlin",
        "duration": 4,
        "cutoff": 1,
        "tags": {"Estate": prefix, "Index": str(index)},
        "targets": [
            {"name": "web", "targets": [{"key": "tag:Role", "values": ["web"]}, {"key": "tag:Env", "values": ["prod"]}],
             "owner_information": "team-web"},
            {"name": "dbs", "targets": [{"key": "tag:Role", "values": ["db"]}]},
        ],
        "tasks": [
            {"name": "scan", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunPatchBaseline", "priority": 0,
             "targets": [{"window_target": "web"}, {"window_target": "dbs"}], "max_concurrency": "100%",
             "max_errors": "10%", "task_invocation_parameters": {"run_command": {"parameters": {"Operation": "Scan"}}}},
            {"name": "patch-web", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunPatchBaseline", "priority": 1,
             "targets": [{"window_target": "web"}], "max_concurrency": "25%", "max_errors": "1",
             "task_invocation_parameters": {"run_command": {
                 "parameters": {"Operation": "Install", "RebootOption": "RebootIfNeeded"},
                 "timeout_seconds": 600, "cloudwatch_output_config": {"cloudwatch_output_enabled": True}}}},
            {"name": "patch-db", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunPatchBaseline", "priority": 2,
             "targets": [{"window_target": "dbs"}], "max_concurrency": "1", "max_errors": "0",
             "cutoff_behavior": "CANCEL_TASK",
             "task_invocation_parameters": {"run_command": {"parameters": {"Operation": "Install"}}}},
            {"name": "restart-app", "task_type": "AUTOMATION", "task_arn": "AWS-RestartEC2Instance", "priority": 3,
             "targets": [{"window_target": "web"}], "max_concurrency": "10%", "max_errors": "0",
             "task_invocation_parameters": {"automation": {"document_version": "$DEFAULT",
                                                           "parameters": {"AutomationAssumeRole": "arn:aws:iam::1:role/a"}}}},
            {"name": "report", "task_type": "LAMBDA", "priority": 9,
             "task_arn": "arn:aws:lambda:eu-central-1:123456789012:function:patch-report",
             "task_invocation_parameters": {"lambda": {"payload": json.dumps({"window": name})}}},
        ],
    }


def per_resource_calls(window: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The same window as separate module calls (window, then targets, then tasks)."""
    calls = [{"module": "window", "args": {k: v for k, v in window.items() if k not in ("targets", "tasks")}}]
    calls += [{"module": "target", "args": dict(t, window=window["name"])} for t in window["targets"]]
    calls += [{"module": "task", "args": dict(t, window=window["name"])} for t in window["tasks"]]
    return calls


CHECKPOINT_TASKS = [
    {"name": "mark", "ansible.builtin.uri": {"url": "{{ endpoint }}/mwsandbox/requests", "return_content": True},
     "register": "before"},
]


def record_task(out: str) -> Dict[str, Any]:
    line = "{{ {'window': window.name, 'from': before.json | length, 'to': after.json | length} | to_json }}"
    return {"name": "record", "ansible.builtin.lineinfile": {"path": out, "line": line, "create": True,
                                                             "mode": "0644"}}


def nested_playbook(tmp: Path, endpoint: str, windows: List[Dict[str, Any]], out: Path) -> Path:
    per_window = CHECKPOINT_TASKS + [
        {"name": "converge", "mwops.ssm.maintenance_window": "{{ window }}", "register": "result"},
        {"name": "after", "ansible.builtin.uri": {"url": "{{ endpoint }}/mwsandbox/requests", "return_content": True},
         "register": "after"},
        record_task(str(out)),
    ]
    (tmp / "nested_window.json").write_text(json.dumps(per_window))
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "module_defaults": H.module_defaults(endpoint), "vars": {"endpoint": endpoint, "windows": windows},
             "tasks": [{"ansible.builtin.include_tasks": str(tmp / "nested_window.json"),
                        "loop": "{{ windows }}", "loop_control": {"loop_var": "window", "label": "{{ window.name }}"}}]}]
    return H.write_playbook(tmp / "nested.json", play)


def per_resource_playbook(tmp: Path, endpoint: str, windows: List[Dict[str, Any]], out: Path) -> Path:
    per_window = CHECKPOINT_TASKS + [
        {"name": "window", "mwops.ssm.maintenance_window": "{{ call.args }}",
         "loop": "{{ calls | selectattr('module', 'equalto', 'window') }}",
         "loop_control": {"loop_var": "call", "label": "{{ call.args.name }}"}},
        {"name": "targets", "mwops.ssm.mw_target": "{{ call.args }}",
         "loop": "{{ calls | selectattr('module', 'equalto', 'target') }}",
         "loop_control": {"loop_var": "call", "label": "{{ call.args.name }}"}},
        {"name": "tasks", "mwops.ssm.mw_task": "{{ call.args }}",
         "loop": "{{ calls | selectattr('module', 'equalto', 'task') }}",
         "loop_control": {"loop_var": "call", "label": "{{ call.args.name }}"}},
        {"name": "after", "ansible.builtin.uri": {"url": "{{ endpoint }}/mwsandbox/requests", "return_content": True},
         "register": "after"},
        record_task(str(out)),
    ]
    (tmp / "resource_window.json").write_text(json.dumps(per_window))
    items = [{"name": w["name"], "calls": per_resource_calls(w)} for w in windows]
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "module_defaults": H.module_defaults(endpoint), "vars": {"endpoint": endpoint, "items_": items},
             "tasks": [{"ansible.builtin.include_tasks": str(tmp / "resource_window.json"),
                        "vars": {"calls": "{{ window.calls }}"},
                        "loop": "{{ items_ }}", "loop_control": {"loop_var": "window", "label": "{{ window.name }}"}}]}]
    return H.write_playbook(tmp / "per_resource.json", play)


def run(playbook: Path, sandbox, out: Path) -> Dict[str, Any]:
    if out.exists():
        out.unlink()
    started = time.monotonic()
    proc = H.run_playbook(playbook)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(H.describe_failure(proc))
    log = sandbox.requests()
    rows = []
    for point in H.read_checkpoints(out):
        calls = [r for r in log[point["from"]:point["to"]] if r["operation"]]
        rows.append({"window": point["window"], "reads": sum(1 for r in calls if not r["write"]),
                     "writes": sum(1 for r in calls if r["write"])})
    return {"seconds": seconds, "rows": rows}


def summary(label: str, result: Dict[str, Any]) -> str:
    rows = result["rows"]
    reads = [r["reads"] for r in rows]
    writes = [r["writes"] for r in rows]
    return (f"{label:<34} {result['seconds']:7.1f} s  reads/window min {min(reads)} max {max(reads)}  "
            f"writes/window min {min(writes)} max {max(writes)}  (windows: {len(rows)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--windows", type=int, default=20)
    args = parser.parse_args()
    with mwsandbox.start() as sandbox, tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        out = tmp / "checkpoints.jsonl"
        nested_windows = [window_definition(i, "estate-nested") for i in range(args.windows)]
        resource_windows = [window_definition(i, "estate-split") for i in range(args.windows)]
        nested = nested_playbook(tmp, sandbox.endpoint, nested_windows, out)
        split = per_resource_playbook(tmp, sandbox.endpoint, resource_windows, out)

        results = {
            "nested, first run": run(nested, sandbox, out),
            "nested, no-op run": run(nested, sandbox, out),
            "per resource, first run": run(split, sandbox, out),
            "per resource, no-op run": run(split, sandbox, out),
        }
        print(f"estate: {args.windows} windows x (2 targets, {TASKS_PER_WINDOW} tasks); ansible-playbook, sandbox")
        print("\nper window (nested: one maintenance_window call)")
        print(f"{'window':<20}{'first reads':>12}{'first writes':>13}{'no-op reads':>12}{'no-op writes':>13}")
        for first, noop in zip(results["nested, first run"]["rows"], results["nested, no-op run"]["rows"]):
            print(f"{first['window']:<20}{first['reads']:>12}{first['writes']:>13}{noop['reads']:>12}{noop['writes']:>13}")
        print()
        for label, result in results.items():
            print(summary(label, result))
        noop_rows = results["nested, no-op run"]["rows"]
        budget = 5 + TASKS_PER_WINDOW
        ok_writes = all(r["writes"] == 0 for r in noop_rows)
        ok_reads = all(r["reads"] <= budget for r in noop_rows)
        speed_first = results["per resource, first run"]["seconds"] / results["nested, first run"]["seconds"]
        speed_noop = results["per resource, no-op run"]["seconds"] / results["nested, no-op run"]["seconds"]
        print(f"\nno-op writes 0: {'yes' if ok_writes else 'NO'}; no-op reads <= {budget}/window: "
              f"{'yes' if ok_reads else 'NO'}; nested faster: x{speed_first:.1f} (first run), x{speed_noop:.1f} (no-op)")
        return 0 if ok_writes and ok_reads else 1


if __name__ == "__main__":
    sys.exit(main())
