# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixed cost of one module invocation, as an ansible-playbook task pays it.

Starts the loopback sandbox in this process and, for each module, runs one playbook task with
ANSIBLE_KEEP_REMOTE_FILES so the AnsiballZ payload (a zip of the module and its module_utils,
imported from source: no bytecode cache) stays behind. The first window task creates a window
with a target and a task; every payload is then re-run by hand, as the host would, with
arguments that change nothing. Printed per module (medians): the playbook's wall seconds, the
payload's wall and CPU seconds, and the milliseconds `python -X importtime` books to our
collection's modules and to amazon.aws's.

Run with the venv of the core under test, the built collection tree and tests/sandbox on the path:

    tree=$(MWOPS_TREE=x ./scripts/run-tests --prepare | tail -1)   # .../ansible_collections/mwops/ssm
    PYTHONPATH=tests/sandbox:${tree%/ansible_collections/*} \\
        ~/.cache/mwops-ssm/venv-core221/bin/python benchmarks/module_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import mwsandbox

TASK = {"name": "ping", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunShellScript",
        "targets": [{"window_target": "all"}], "max_concurrency": "1", "max_errors": "0",
        "task_invocation_parameters": {"run_command": {"parameters": {"commands": ["true"]}}}}
WINDOW = {"name": "bench-window", "schedule": "rate(1 day)", "duration": 2, "cutoff": 0,
          "targets": [{"name": "all", "targets": [{"key": "tag-key", "values": ["Patch"]}]}],
          "tasks": [TASK]}
CASES = (
    ("maintenance_window", WINDOW),
    ("mw_target", {"window": "bench-window", "name": "all", "targets": [{"key": "tag-key", "values": ["Patch"]}]}),
    ("mw_task", {"window": "bench-window", **TASK}),
    ("maintenance_window_info", {"name": "bench-window"}),
)


def playbook(module: str, args: dict, connection: dict, workdir: str) -> tuple[float, str]:
    """Run the module as one playbook task; (wall seconds, path of the kept AnsiballZ payload)."""
    play = [{"hosts": "localhost", "gather_facts": False,
             "tasks": [{"mwops.ssm.%s" % module: {**connection, **args}}]}]
    path = os.path.join(workdir, "play.yml")
    with open(path, "w") as f:
        json.dump(play, f)
    remote = os.path.join(workdir, "remote-%s" % module)
    env = dict(os.environ, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=remote,
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_COLLECTIONS_PATH=collections_root(),
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    start = time.perf_counter()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                           "-i", "localhost,", "-c", "local", path],
                          capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit("playbook for %s failed:\n%s%s" % (module, proc.stdout, proc.stderr))
    return wall, glob.glob(os.path.join(remote, "*", "AnsiballZ_%s.py" % module))[0]


def collections_root() -> str:
    import ansible_collections.mwops.ssm as ours
    return os.path.dirname(os.path.dirname(os.path.dirname(list(ours.__path__)[0])))


def run_payload(payload: str) -> tuple[float, float, float, float]:
    """(wall s, CPU s, import ms of mwops.ssm, import ms of amazon.aws) of one payload run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-X", "importtime", payload], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(proc.stdout)
    if result.get("failed") or result.get("changed"):
        raise SystemExit("%s did not run as a no-op: %s" % (payload, result.get("msg", "changed")))
    ours = theirs = 0.0
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            self_us, _cumulative, name = line[len("import time:"):].split("|")
            if "ansible_collections.mwops." in name:
                ours += int(self_us) / 1000
            elif "ansible_collections.amazon." in name:
                theirs += int(self_us) / 1000
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    with mwsandbox.start() as sandbox, tempfile.TemporaryDirectory() as workdir:
        connection = {"endpoint_url": sandbox.endpoint, "region": "us-east-1",
                      "access_key": "testing", "secret_key": "testing"}
        print("%-24s %11s %10s %9s %11s %12s" % ("module", "playbook s", "payload s", "cpu s", "mwops ms", "amazon ms"))
        for module, args in CASES:
            play_wall, payload = playbook(module, args, connection, workdir)
            runs = [run_payload(payload) for run in range(options.runs)]
            print("%-24s %11.2f %10.3f %9.3f %11.1f %12.1f" % (
                (module, play_wall) + tuple(statistics.median(r[i] for r in runs) for i in range(4))))


if __name__ == "__main__":
    main()
