"""Converge 10 patch baselines with patch groups against the sandbox; count calls per baseline.

Prints, per baseline, the read and write calls of the first run and of a no-op run (one
``mwops.ssm.patch_baseline`` call each, the request log sliced around it). Goal: the no-op run
makes 0 writes and a fixed, small number of reads per baseline (find by name, get, tags, the
OS default). Run from a checkout with a pinned venv:

    ~/.cache/mwops-ssm/venv-core221/bin/python benchmarks/patch_baselines.py [--baselines 10]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "sandbox"))
import mwsandbox  # noqa: E402  pylint: disable=wrong-import-position


def _harness():
    spec = importlib.util.spec_from_file_location("mw_harness", ROOT / "tests" / "integration" / "mw_harness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


H = _harness()
OPERATING_SYSTEMS = ("AMAZON_LINUX_2023", "UBUNTU", "WINDOWS", "REDHAT_ENTERPRISE_LINUX", "AMAZON_LINUX_2")


def baseline_definition(index: int) -> dict[str, Any]:
    os_name = OPERATING_SYSTEMS[index % len(OPERATING_SYSTEMS)]
    if os_name == "UBUNTU":
        rule = {"patch_filter_group": {"patch_filters": [{"key": "PRIORITY", "values": ["Required", "Important"]}]}}
    elif os_name == "WINDOWS":
        rule = {"patch_filter_group": {"patch_filters": [{"key": "CLASSIFICATION", "values": ["SecurityUpdates"]},
                                                         {"key": "MSRC_SEVERITY", "values": ["Critical"]}]},
                "approve_after_days": 7, "compliance_level": "CRITICAL"}
    else:
        rule = {"patch_filter_group": {"patch_filters": [{"key": "CLASSIFICATION", "values": ["Security"]}]},
                "approve_after_days": index % 10}
    return {"name": f"bench-{index:02d}", "operating_system": os_name, "description": f"baseline {index}",
            "approval_rules": {"patch_rules": [rule]}, "rejected_patches": [f"pkg-{index}"],
            "patch_groups": [f"bench-{index:02d}-a", f"bench-{index:02d}-b"], "tags": {"Bench": str(index)}}


def playbook(tmp: Path, endpoint: str, baselines: list[dict[str, Any]], out: Path) -> Path:
    mark = {"name": "mark", "ansible.builtin.uri": {"url": "{{ endpoint }}/mwsandbox/requests",
                                                    "return_content": True}, "register": "before"}
    line = "{{ {'baseline': baseline.name, 'from': before.json | length, 'to': after.json | length} | to_json }}"
    per_baseline = [
        mark,
        {"name": "converge", "mwops.ssm.patch_baseline": "{{ baseline }}"},
        dict(mark, name="after", register="after"),
        {"name": "record", "ansible.builtin.lineinfile": {"path": str(out), "line": line, "create": True,
                                                          "mode": "0600"}},
    ]
    (tmp / "one.json").write_text(json.dumps(per_baseline))
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "module_defaults": H.module_defaults(endpoint), "vars": {"endpoint": endpoint, "baselines": baselines},
             "tasks": [{"ansible.builtin.include_tasks": str(tmp / "one.json"), "loop": "{{ baselines }}",
                        "loop_control": {"loop_var": "baseline", "label": "{{ baseline.name }}"}}]}]
    return H.write_playbook(tmp / "baselines.json", play)


def run(path: Path, sandbox, out: Path) -> list[dict[str, Any]]:
    if out.exists():
        out.unlink()
    proc = H.run_playbook(path)
    if proc.returncode != 0:
        raise SystemExit(H.describe_failure(proc))
    log = sandbox.requests()
    rows = []
    for point in H.read_checkpoints(out):
        calls = log[point["from"]:point["to"]]
        calls = [r for r in calls if r["operation"] and r.get("service", "ssm") == "ssm"]
        rows.append({"baseline": point["baseline"], "reads": sum(1 for r in calls if not r["write"]),
                     "writes": sum(1 for r in calls if r["write"]),
                     "operations": Counter(r["operation"] for r in calls)})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baselines", type=int, default=10)
    args = parser.parse_args()
    baselines = [baseline_definition(i) for i in range(args.baselines)]
    with mwsandbox.start() as sandbox, tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        out = tmp / "checkpoints.jsonl"
        path = playbook(tmp, sandbox.endpoint, baselines, out)
        first, noop = run(path, sandbox, out), run(path, sandbox, out)
    print(f"{args.baselines} patch baselines x 2 patch groups; one patch_baseline call each; ansible-playbook, sandbox")
    print(f"{'baseline':<12}{'first reads':>12}{'first writes':>13}{'no-op reads':>12}{'no-op writes':>13}")
    for a, b in zip(first, noop):
        print(f"{a['baseline']:<12}{a['reads']:>12}{a['writes']:>13}{b['reads']:>12}{b['writes']:>13}")
    reads = sorted({r["reads"] for r in noop})
    print(f"\nno-op reads per baseline: {', '.join(map(str, reads))} "
          f"({', '.join(f'{op} {n}' for op, n in sorted(noop[0]['operations'].items()))})")
    ok = all(r["writes"] == 0 for r in noop)
    print(f"no-op writes 0: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
