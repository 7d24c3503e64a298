"""Converge an estate of windows x (2 targets, 5 tasks) against the sandbox: wall time and calls.

Prints, in one run:

* batch path (``maintenance_windows``, one module call for the whole list): the no-op wall time of
  one ``ansible-playbook`` run for 1 window and for ``--batch-windows`` (50) windows, the ratio
  between the two (goal: at most 3x), and the reads and writes per window of the first and the no-op
  run from the sandbox's request log;
* the old path (one ``maintenance_window`` call per window, in a loop) for ``--legacy-windows``
  windows (default 10: 50 take minutes), its no-op seconds per window and the same 50 extrapolated;
* an estate of ``--regions`` (10) account-regions x ``--batch-windows`` windows in one
  ``ansible-playbook`` run with ``--forks`` (2): one inventory host per account-region, delegated to
  localhost, each with its own sandbox region;
* with ``--per-resource``, also the per-resource path (window + 2 mw_target + 5 mw_task calls).

Run from a checkout with the pinned venv:

    ~/.cache/mwops-ssm/venv-core221/bin/python benchmarks/converge_estate.py
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


REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
           "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ca-central-1", "sa-east-1"]


def batch_playbook(tmp: Path, endpoint: str, windows: List[Dict[str, Any]], name: str) -> Path:
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "module_defaults": H.module_defaults(endpoint), "vars": {"windows_": windows},
             "tasks": [{"name": "converge the list", "mwops.ssm.maintenance_windows": {"windows": "{{ windows_ }}"}}]}]
    return H.write_playbook(tmp / f"{name}.json", play)


def run_counted(playbook: Path, sandbox, windows: int, args: List[str] = ()) -> Dict[str, Any]:
    """Wall time of one ansible-playbook run and its calls per window (the log holds only this run)."""
    start = len(sandbox.requests())
    started = time.monotonic()
    proc = H.run_playbook(playbook, args=args)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(H.describe_failure(proc))
    calls = [r for r in sandbox.requests()[start:] if r["operation"]]
    return {"seconds": seconds, "windows": windows, "reads": sum(1 for r in calls if not r["write"]),
            "writes": sum(1 for r in calls if r["write"]), "throttled": sum(1 for r in calls if r.get("throttled"))}


def per_window(result: Dict[str, Any]) -> str:
    n = result["windows"]
    return f"reads/window {result['reads'] / n:5.1f}  writes/window {result['writes'] / n:5.1f}"


def estate_inventory(tmp: Path, endpoint: str, regions: List[str], windows: int) -> Path:
    """One host per account-region, run on localhost, with its own region and credentials."""
    hosts = {}
    for n, region in enumerate(regions):
        hosts[f"acct{n:02d}-{region}"] = {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "mw_region": region, "mw_access_key": "testing", "mw_secret_key": "testing",
            "mw_windows": [window_definition(i, f"estate-{region}") for i in range(windows)],
        }
    path = tmp / "estate-inventory.json"
    path.write_text(json.dumps({"all": {"children": {"estate": {"hosts": hosts}}}}))
    return path


def estate_playbook(tmp: Path, endpoint: str) -> Path:
    defaults = {"endpoint_url": endpoint, "region": "{{ mw_region }}", "access_key": "{{ mw_access_key }}",
                "secret_key": "{{ mw_secret_key }}"}
    play = [{"hosts": "estate", "gather_facts": False, "module_defaults": {"group/mwops.ssm.ssm": defaults},
             "tasks": [{"name": "converge this account-region", "mwops.ssm.maintenance_windows": {
                 "windows": "{{ mw_windows }}"}}]}]
    return H.write_playbook(tmp / "estate.json", play)


def legacy(sandbox, tmp: Path, count: int) -> Dict[str, Any]:
    """The old way: one maintenance_window call per window, in a loop."""
    windows = [window_definition(i, "estate-loop") for i in range(count)]
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "module_defaults": H.module_defaults(sandbox.endpoint), "vars": {"windows_": windows},
             "tasks": [{"name": "one call per window", "mwops.ssm.maintenance_window": "{{ window }}",
                        "loop": "{{ windows_ }}", "loop_control": {"loop_var": "window", "label": "{{ window.name }}"}}]}]
    playbook = H.write_playbook(tmp / "loop.json", play)
    run_counted(playbook, sandbox, count)
    return run_counted(playbook, sandbox, count)


def per_resource(sandbox, tmp: Path, count: int) -> None:
    out = tmp / "checkpoints.jsonl"
    nested = nested_playbook(tmp, sandbox.endpoint, [window_definition(i, "estate-nested") for i in range(count)], out)
    split = per_resource_playbook(tmp, sandbox.endpoint, [window_definition(i, "estate-split") for i in range(count)],
                                  out)
    results = {
        "nested, first run": run(nested, sandbox, out),
        "nested, no-op run": run(nested, sandbox, out),
        "per resource, first run": run(split, sandbox, out),
        "per resource, no-op run": run(split, sandbox, out),
    }
    print(f"\nper-resource comparison ({count} windows, one include per window):")
    for label, result in results.items():
        print(summary(label, result))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-windows", type=int, default=50)
    parser.add_argument("--legacy-windows", type=int, default=10)
    parser.add_argument("--regions", type=int, default=10, choices=range(0, len(REGIONS) + 1))
    parser.add_argument("--forks", type=int, default=2)
    parser.add_argument("--per-resource", type=int, default=0, metavar="WINDOWS",
                        help="also time the per-resource path for this many windows")
    args = parser.parse_args()
    ok = True
    with mwsandbox.start() as sandbox, tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        print(f"windows of 2 targets x {TASKS_PER_WINDOW} tasks; ansible-playbook against the sandbox; "
              f"wall time of whole ansible-playbook runs\n")

        print("batch path: mwops.ssm.maintenance_windows, one call for the list")
        timings = {}
        for count in (1, args.batch_windows):
            playbook = batch_playbook(tmp, sandbox.endpoint, [window_definition(i, f"estate-batch{count}")
                                                              for i in range(count)], f"batch{count}")
            first = run_counted(playbook, sandbox, count)
            noop = run_counted(playbook, sandbox, count)
            timings[count] = noop
            print(f"  {count:>3} window(s)  first run {first['seconds']:6.1f} s  ({per_window(first)})")
            print(f"  {count:>3} window(s)  no-op run {noop['seconds']:6.1f} s  ({per_window(noop)})")
            ok &= noop["writes"] == 0
        ratio = timings[args.batch_windows]["seconds"] / timings[1]["seconds"]
        print(f"  no-op {args.batch_windows} windows / no-op 1 window: x{ratio:.2f} (goal <= 3)")
        ok &= ratio <= 3

        if args.legacy_windows:
            old = legacy(sandbox, tmp, args.legacy_windows)
            per = old["seconds"] / args.legacy_windows
            print(f"\nold path: one maintenance_window call per window, {args.legacy_windows} windows in a loop")
            print(f"  no-op run {old['seconds']:6.1f} s = {per:.1f} s/window ({per_window(old)}); "
                  f"{args.batch_windows} windows would take about {per * args.batch_windows:.0f} s "
                  f"(batch: {timings[args.batch_windows]['seconds']:.1f} s, "
                  f"x{per * args.batch_windows / timings[args.batch_windows]['seconds']:.1f} faster)")

        if args.regions:
            regions = REGIONS[:args.regions]
            inventory = estate_inventory(tmp, sandbox.endpoint, regions, args.batch_windows)
            playbook = estate_playbook(tmp, sandbox.endpoint)
            cli = ["-i", str(inventory), "--forks", str(args.forks)]
            total = len(regions) * args.batch_windows
            first = run_counted(playbook, sandbox, total, cli)
            noop = run_counted(playbook, sandbox, total, cli)
            print(f"\nestate: {total} windows over {len(regions)} account-regions (one inventory host each, one "
                  f"sandbox region each), one ansible-playbook run, forks {args.forks}")
            print(f"  first run {first['seconds']:6.1f} s  ({per_window(first)})")
            print(f"  no-op run {noop['seconds']:6.1f} s  ({per_window(noop)})")
            ok &= noop["writes"] == 0

        if args.per_resource:
            per_resource(sandbox, tmp, args.per_resource)
    print(f"\nno-op writes 0 and batch ratio within goal: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
