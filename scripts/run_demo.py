"""The mwops.ssm demo: maintenance windows as code, end to end, with no AWS account.

Starts the loopback SSM/IAM sandbox and, in one run:
  1. creates the maintenance-window service roles (prod and non-prod) and who may pass them,
  2. converges a sample estate of windows with targets and tasks, then converges it again (changed=0),
  3. converges environment windows (dev -> staging -> prod, order checked before writing),
  4. converges follow-the-sun windows in three regions (overlap checked before writing),
  5. prints a schedule preview (window, local time, UTC, next runs),
  6. runs a blue/green tiered-patching window on four local hosts with the local executor, where
     blue fails its health check, and prints the execution summary,
then stops the sandbox. Uses the pinned venv and collection tree of scripts/devenv.py.

    ./scripts/run-demo              # concise output
    ./scripts/run-demo --verbose    # the full Ansible output of every step
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import devenv  # noqa: E402  pylint: disable=wrong-import-position

REGIONS = ["ap-southeast-2", "eu-west-1", "us-east-1"]
# The JSON result the default callback prints after "ok: [localhost] => ".
RESULT = re.compile(r"^(?:ok|changed): \[localhost\] => (\{\n.*?\n\})$", re.S | re.M)
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen([str(devenv.venv_python()), "-m", "mwsandbox", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.stdout is not None:
        line = proc.stdout.readline()
        if "listening on" in line:
            return proc
        if proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("[demo] the sandbox did not start")


def messages(output: str) -> list[str]:
    """The msg of every debug task, in order, one line per list element."""
    lines: list[str] = []
    for match in RESULT.finditer(output):
        try:
            result = json.loads(match.group(1))
        except ValueError:
            continue
        msg = result.get("msg")
        if isinstance(msg, list):
            lines.extend(str(item) for item in msg)
        elif isinstance(msg, str) and msg != "All assertions passed":
            lines.append(msg)
    return lines


class Demo:
    def __init__(self, env: dict[str, str], coll: Path, endpoint: str, verbose: bool) -> None:
        self.env, self.coll, self.endpoint, self.verbose = env, coll, endpoint, verbose
        self.number = 0

    def step(self, title: str, playbook: str, *args: str) -> int:
        """Run one playbook; print its title, its messages and how much it changed."""
        self.number += 1
        print(f"\n=== {self.number}. {title}", flush=True)
        cmd = [str(devenv.venv_bin() / "ansible-playbook"), "-i", "localhost,", f"playbooks/{playbook}",
               "-e", f"mwops_endpoint={self.endpoint}", *args]
        print(f"    $ ansible-playbook playbooks/{playbook} {' '.join(args)}".rstrip(), flush=True)
        proc = subprocess.run(cmd, env=self.env, cwd=self.coll, capture_output=True, text=True, check=False)
        if self.verbose:
            print(proc.stdout)
        for line in messages(proc.stdout):
            print(f"    {line}")
        recap = RECAP.search(proc.stdout)
        if proc.returncode != 0 or recap is None:
            print(proc.stdout[-4000:], proc.stderr[-2000:], sep="\n", file=sys.stderr)
            raise SystemExit(f"[demo] step {self.number} failed (exit {proc.returncode})")
        changed = int(recap.group(2))
        print(f"    -> changed={changed}", flush=True)
        return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true", help="print the full Ansible output of every step")
    args = parser.parse_args()
    devenv.ensure_venv(devenv.MAIN_CORE)
    os.environ.setdefault("MWOPS_TREE", "demo")
    root = devenv.build_tree()
    coll = devenv.collection_dir(root)
    env = devenv.test_env(root)
    env.update(ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_PYTHON_INTERPRETER=str(devenv.venv_python()), NO_PROXY="127.0.0.1,localhost")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    sandbox = start_sandbox(env, port)
    print(f"[demo] SSM/IAM sandbox listening on {endpoint} (no AWS account is used)", flush=True)
    demo = Demo(env, coll, endpoint, args.verbose)
    try:
        with tempfile.TemporaryDirectory(prefix="mwops-demo-") as state:
            demo.step("IAM service roles for prod and non-prod, and which operators may pass them",
                      "pattern_service_role.yml", "-e", "mwops_create_operator_groups=true")
            first = demo.step("Windows as code: converge a sample estate (windows, targets, tasks)", "demo_estate.yml")
            second = demo.step("The same estate again: nothing to change, no write call", "demo_estate.yml")
            if first == 0 or second != 0:
                raise SystemExit(f"[demo] expected changes on the first run and none on the second ({first}, {second})")
            demo.step("The estate as maintenance_window_info reads it back", "demo_show.yml")
            demo.step("Environment windows: dev -> staging -> prod after Patch Tuesday (order checked first)",
                      "pattern_environment_windows.yml")
            demo.step("Follow the sun: 02:00 local in Sydney, London, New York (UTC overlap checked over a year)",
                      "pattern_follow_the_sun.yml")
            demo.step("Schedule preview: when do the deployed windows open (local time, UTC, last task start)?",
                      "schedule_preview.yml", "-e", json.dumps({"preview_regions": REGIONS, "preview_count": 2}))
            demo.step("Tiered patching on 4 on-prem hosts with the local executor: blue fails its health check",
                      "pattern_tiered_patching_onprem.yml", "-i", "playbooks/inventories/onprem_tiers.yml",
                      "-e", f"mwops_state_dir={state}")
    finally:
        sandbox.terminate()
        try:
            sandbox.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sandbox.kill()
        print("\n[demo] sandbox stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
