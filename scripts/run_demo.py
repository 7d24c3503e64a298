"""Demo of mwops.ssm's windows as code, against the loopback SSM sandbox (no AWS account needed).

Starts the sandbox, converges the sample estate in playbooks/demo_estate.yml, converges it again
to show changed=0, lists the windows it created with maintenance_window_info, and stops the
sandbox. Uses the pinned venv and collection tree of scripts/devenv.py (built on first use).

    ./scripts/run-demo    (a wrapper around this file)
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import devenv  # noqa: E402  pylint: disable=wrong-import-position


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([str(devenv.venv_python()), "-m", "mwsandbox", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "listening on" in line:
            print(f"[demo] {line.strip()}", flush=True)
            return proc
        if proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("[demo] the sandbox did not start")


def playbook(env: dict, coll: Path, name: str, endpoint: str) -> str:
    cmd = [str(devenv.venv_bin() / "ansible-playbook"), "-i", "localhost,", str(coll / "playbooks" / name),
           "-e", f"mwops_endpoint={endpoint}"]
    print(f"\n[demo] $ ansible-playbook playbooks/{name}", flush=True)
    proc = subprocess.run(cmd, env=env, cwd=coll, capture_output=True, text=True, check=False)
    print(proc.stdout, flush=True)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        raise SystemExit(f"[demo] {name} failed (exit {proc.returncode})")
    return proc.stdout


def changed_count(output: str) -> int:
    match = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", output)
    return int(match.group(1)) if match else -1


def main() -> int:
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
    try:
        first = playbook(env, coll, "demo_estate.yml", endpoint)
        second = playbook(env, coll, "demo_estate.yml", endpoint)
        playbook(env, coll, "demo_show.yml", endpoint)
        print(f"[demo] first run: changed={changed_count(first)}; second run: changed={changed_count(second)}")
        if changed_count(second) != 0:
            raise SystemExit("[demo] the second run should change nothing")
    finally:
        sandbox.terminate()
        try:
            sandbox.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sandbox.kill()
        print("[demo] sandbox stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
