"""Makespan of the local executor against plain ansible-playbook with ``throttle``.

One window: 12 local-connection hosts, two priorities (one task each), MaxConcurrency 3, every
invocation sleeps 2 s. The baseline is the same work as one ``ansible-playbook`` run: one play
over the 12 hosts with two tasks, each ``throttle: 3`` (the linear strategy finishes the first
task everywhere before the second, like the priority barrier).

    python benchmarks/executor_makespan.py [--repeat N] [--core-venv PATH]

Prints the ideal makespan, both measured wall times (median over the repeats), their ratios to
the ideal and to each other, and the overhead per invocation. Goal: ours <= 1.15 x baseline.
Run it with the Python of a venv that has ansible-core (its ansible-playbook is used).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLLECTION = Path(__file__).resolve().parent.parent
HOSTS = [f"b{i:02d}" for i in range(1, 13)]
CONCURRENCY = 3
SLEEP = 2
PRIORITIES = 2


def collections_root() -> Path:
    """Where ansible_collections/mwops/ssm lives (the sandbox package's rule, shared with the tests)."""
    sys.path.insert(0, str(COLLECTION / "tests" / "sandbox"))
    from mwsandbox._paths import collection_root  # pylint: disable=import-outside-toplevel

    return collection_root()


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections_root()), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="false", ANSIBLE_FORKS="5")
    env.pop("PYTHONPATH", None)
    return env


def write_files(work: Path) -> tuple[Path, Path, Path]:
    lines = ["all:", "  vars:", "    ansible_connection: local",
             '    ansible_python_interpreter: "{{ ansible_playbook_python }}"', "  hosts:"]
    lines += [f"    {h}:" for h in HOSTS]
    inventory = work / "inventory.yml"
    inventory.write_text("\n".join(lines) + "\n")
    window = {
        "name": "makespan",
        "duration": 2,
        "cutoff": 1,
        "targets": [{"name": "all", "resource_type": "RESOURCE_GROUP",
                     "targets": [{"key": "resource-groups:Name", "values": ["all"]}]}],
        "tasks": [{"name": f"priority-{p}", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunShellScript", "priority": p,
                   "targets": [{"window_target": "all"}], "max_concurrency": str(CONCURRENCY), "max_errors": "0",
                   "task_invocation_parameters": {"run_command": {"parameters": {"commands": [f"sleep {SLEEP}"]}}}}
                  for p in range(1, PRIORITIES + 1)],
    }
    window_file = work / "window.json"
    window_file.write_text(json.dumps(window))
    ours = work / "ours.yml"
    ours.write_text(json.dumps([{"name": "executor", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "run", "mwops.ssm.mw_run": {"window_file": str(window_file), "history_dir": str(work / "history")}}]}]))
    baseline = work / "baseline.yml"
    baseline.write_text(json.dumps([{"name": "baseline", "hosts": "all", "gather_facts": False, "tasks": [
        {"name": f"p{p}", "ansible.builtin.shell": f"sleep {SLEEP}", "throttle": CONCURRENCY, "changed_when": False}
        for p in range(1, PRIORITIES + 1)]}]))
    return inventory, ours, baseline


def timed_run(playbook: Path, inventory: Path, work: Path) -> float:
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(playbook)]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=work, env=environment(), capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"{playbook.name} failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def history_span(work: Path) -> float:
    """First invocation start to last invocation end of the newest execution (CLI start-up excluded)."""
    newest = sorted((work / "history").glob("*.json"))[-1]
    record = json.loads(newest.read_text())
    from datetime import datetime  # pylint: disable=import-outside-toplevel

    def ts(text: str) -> float:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

    invocations = [i for t in record["task_executions"] for i in t["invocations"]]
    assert all(i["status"] == "SUCCESS" for i in invocations), "every invocation must succeed"
    return max(ts(i["end_time"]) for i in invocations) - min(ts(i["start_time"]) for i in invocations)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each variant, interleaved (median reported)")
    args = parser.parse_args()
    invocations = len(HOSTS) * PRIORITIES
    ideal = PRIORITIES * math.ceil(len(HOSTS) / CONCURRENCY) * SLEEP
    ours: list[float] = []
    base: list[float] = []
    spans: list[float] = []
    with tempfile.TemporaryDirectory(prefix="mw-makespan-") as tmp:
        work = Path(tmp)
        inventory, ours_play, base_play = write_files(work)
        for dummy in range(args.repeat):
            base.append(timed_run(base_play, inventory, work))
            ours.append(timed_run(ours_play, inventory, work))
            spans.append(history_span(work))
    o, b, s = statistics.median(ours), statistics.median(base), statistics.median(spans)
    print(f"window: {len(HOSTS)} hosts, {PRIORITIES} priorities, MaxConcurrency {CONCURRENCY}, "
          f"{SLEEP} s per invocation, {invocations} invocations, {args.repeat} run(s) each")
    print(f"ideal makespan                 {ideal:7.2f} s")
    print(f"baseline (linear + throttle 3) {b:7.2f} s  ({b / ideal:.2f} x ideal)  runs: "
          + ", ".join(f"{x:.2f}" for x in base))
    print(f"ours (mw_run)                  {o:7.2f} s  ({o / ideal:.2f} x ideal)  runs: "
          + ", ".join(f"{x:.2f}" for x in ours))
    print(f"ours / baseline                {o / b:7.3f}   (goal <= 1.15)")
    print(f"ours, invocation span only     {s:7.2f} s  (first start to last end, CLI start-up excluded)")
    print(f"overhead per invocation        ours {(o - ideal) / invocations:.3f} s, "
          f"baseline {(b - ideal) / invocations:.3f} s, ours - baseline {(o - b) / invocations:.3f} s")
    return 0 if o / b <= 1.15 else 1


if __name__ == "__main__":
    sys.exit(main())
