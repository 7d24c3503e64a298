"""Run ansible-playbook against the sandbox for the module integration tests.

Shared by tests/integration/test_module_*.py and benchmarks/converge_estate.py: finds
ansible-playbook next to the running interpreter (the runner's venv for MWOPS_CORE), builds the
environment (collections path with amazon.aws, roles path for the targets) and a wrapper play
that passes the sandbox endpoint through ``module_defaults: group/mwops.ssm.ssm``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

COLLECTION = Path(__file__).resolve().parents[2]
TARGETS = COLLECTION / "tests" / "integration" / "targets"
WORK = Path(os.environ.get("MWOPS_WORK", Path.home() / ".cache" / "mwops-ssm"))

# Every AWS call the modules' runs made, as IAM actions ("ssm:GetMaintenanceWindow",
# "ec2:DescribeInstances"), and the modules those runs exercised: for the IAM policy test
# (tests/integration/test_modules_iam_policy.py), filled as the tests run.
OPERATIONS_SEEN: set = set()
MODULES_SEEN: set = set()


def record_calls(log: Sequence[Dict[str, Any]], modules: Sequence[str]) -> None:
    """Remember the request-log entries of a module run (only the run's own calls: slice the log
    or reset it before the run) and the modules it exercised. The IAM action prefix is the
    signing name the sandbox logs (ssm, ec2, iam, sts, resource-groups)."""
    OPERATIONS_SEEN.update(f"{r.get('service') or 'ssm'}:{r['operation']}" for r in log)
    MODULES_SEEN.update(modules)


def ansible_bin(tool: str) -> str:
    candidate = Path(sys.executable).parent / tool
    return str(candidate) if candidate.exists() else tool


def collections_path() -> str:
    """The runner sets ANSIBLE_COLLECTIONS_PATH; from a plain checkout use conftest's symlink
    root plus the extracted amazon.aws."""
    if os.environ.get("ANSIBLE_COLLECTIONS_PATH"):
        return os.environ["ANSIBLE_COLLECTIONS_PATH"]
    if COLLECTION.parent.parent.name == "ansible_collections":
        root = COLLECTION.parent.parent.parent
    else:
        root = COLLECTION / ".cache" / "pyroot"
    return os.pathsep.join([str(root), str(WORK / "collections")])


def environment(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=collections_path(),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_ROLES_PATH=str(TARGETS),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    env.update(extra or {})
    return env


def module_defaults(endpoint: str) -> Dict[str, Any]:
    defaults = {"endpoint_url": endpoint, "region": "us-east-1", "access_key": "testing", "secret_key": "testing"}
    return {"group/mwops.ssm.ssm": defaults}


def wrapper_play(target: str, endpoint: str, variables: Dict[str, Any]) -> List[Dict[str, Any]]:
    """A play on localhost that runs one target as a role, like ansible-test does."""
    return [{
        "name": f"integration target {target}",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "module_defaults": module_defaults(endpoint),
        "vars": variables,
        "roles": [{"role": str(TARGETS / target)}],
    }]


def run_playbook(playbook: Path, env_extra: Optional[Dict[str, str]] = None,
                 args: Sequence[str] = ()) -> subprocess.CompletedProcess:
    cmd = [ansible_bin("ansible-playbook"), "-i", "localhost,", str(playbook), *args]
    return subprocess.run(cmd, env=environment(env_extra), capture_output=True, text=True, cwd=str(playbook.parent),
                          check=False)


def write_playbook(path: Path, plays: List[Dict[str, Any]]) -> Path:
    # JSON is YAML; it keeps the file free of any YAML-dumper subtleties.
    path.write_text(json.dumps(plays, indent=1))
    return path


def localhost_play(tmp_path: Path, endpoint: str, tasks: str, name: str = "play.yml") -> Path:
    """A one-play playbook on localhost whose ``tasks`` (YAML text) reach the sandbox at ``endpoint``."""
    defaults = json.dumps(module_defaults(endpoint))
    text = textwrap.dedent("""\
        - hosts: localhost
          connection: local
          gather_facts: false
          module_defaults: {defaults}
          tasks:
        """).format(defaults=defaults) + textwrap.indent(textwrap.dedent(tasks), "    ")
    path = tmp_path / name
    path.write_text(text)
    return path


def read_checkpoints(path: Path) -> List[Dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def describe_failure(proc: subprocess.CompletedProcess) -> str:
    tail = "\n".join(proc.stdout.splitlines()[-60:])
    return textwrap.dedent(f"rc={proc.returncode}\n--- stdout (tail) ---\n{tail}\n--- stderr ---\n{proc.stderr[-3000:]}")
