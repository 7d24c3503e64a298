"""Run ansible-playbook against the sandbox for the module integration tests.

Shared by tests/integration/test_module_*.py and benchmarks/converge_estate.py: finds
ansible-playbook next to the running interpreter (the runner's venv for MWOPS_CORE), builds the
environment (collections path with amazon.aws, roles path for the targets) and a wrapper play
that passes the sandbox endpoint through ``module_defaults: group/mwops.ssm.ssm``.

The module targets (test_module_targets.py) can also run against a real AWS account, opt-in:
``MWOPS_TEST_AWS_PROFILE`` names the profile (``MWOPS_TEST_AWS_REGION`` the region, else the
profile's). ``target_account`` picks the mode; ``delete_windows`` is the cleanup run after a
target against AWS, failed or not. The other integration tests need the sandbox's request log,
fault injection and holds, and always use it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

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


# The sandbox's fake credentials and region; never used against a real account.
SANDBOX_AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                   "AWS_EC2_METADATA_DISABLED": "true"}
PROFILE_VARIABLE = "MWOPS_TEST_AWS_PROFILE"
REGION_VARIABLE = "MWOPS_TEST_AWS_REGION"


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
        **SANDBOX_AWS_ENV,
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    env.update(extra or {})
    return env


def module_defaults(endpoint: str) -> Dict[str, Any]:
    defaults = {"endpoint_url": endpoint, "region": "us-east-1", "access_key": "testing", "secret_key": "testing"}
    return {"group/mwops.ssm.ssm": defaults}


@dataclass(frozen=True)
class Account:
    """Where the module targets run: the loopback sandbox (``endpoint``), or, opt-in, the real
    AWS account of a named ``profile`` (no endpoint, no fake keys)."""

    endpoint: Optional[str] = None
    profile: Optional[str] = None
    region: Optional[str] = None

    @property
    def is_sandbox(self) -> bool:
        return self.profile is None

    def module_defaults(self) -> Dict[str, Any]:
        if self.is_sandbox:
            return module_defaults(str(self.endpoint))
        defaults: Dict[str, Any] = {"profile": self.profile}
        if self.region:
            defaults["region"] = self.region
        return {"group/mwops.ssm.ssm": defaults}

    def environment(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        """ansible-playbook's environment; against AWS without the sandbox's fake keys and region,
        so that only the profile supplies credentials."""
        env = environment(extra)
        if not self.is_sandbox:
            for name in (*SANDBOX_AWS_ENV, "AWS_SESSION_TOKEN"):
                env.pop(name, None)
        return env


def target_account(sandbox_endpoint: str, env: Optional[Dict[str, str]] = None) -> Account:
    """The sandbox, unless ``MWOPS_TEST_AWS_PROFILE`` opts in to a real account."""
    env = os.environ if env is None else env
    profile = env.get(PROFILE_VARIABLE, "").strip()
    if not profile:
        return Account(endpoint=sandbox_endpoint)
    return Account(profile=profile, region=env.get(REGION_VARIABLE, "").strip() or None)


def delete_windows(prefix: str, client: Any) -> List[str]:
    """Delete every maintenance window whose name starts with ``prefix`` (its targets and tasks go
    with it); return their IDs. ``client`` is a boto3 SSM client; the cleanup after a target run
    against AWS, failed or not."""
    if not prefix:
        raise ValueError("refusing to delete windows without a name prefix")
    doomed = []
    for page in client.get_paginator("describe_maintenance_windows").paginate():
        doomed += [w["WindowId"] for w in page["WindowIdentities"] if w.get("Name", "").startswith(prefix)]
    for window_id in doomed:
        client.delete_maintenance_window(WindowId=window_id)
    return doomed


def account_client(account: Account) -> Any:
    """A boto3 SSM client for the account's profile and region (only for a real account)."""
    import boto3  # pylint: disable=import-outside-toplevel

    return boto3.session.Session(profile_name=account.profile, region_name=account.region).client("ssm")


def register_cleanup(account: Account, prefix: str, addfinalizer: Callable[[Callable[[], Any]], Any],
                     client_factory: Callable[[Account], Any] = account_client) -> bool:
    """Against a real account, have ``addfinalizer`` (pytest's) delete the prefix's windows after the
    test, passed or failed; the sandbox needs no cleanup. True when a cleanup was registered."""
    if account.is_sandbox:
        return False
    addfinalizer(lambda: delete_windows(prefix, client_factory(account)))
    return True


def wrapper_play(target: str, endpoint: str, variables: Dict[str, Any],
                 account: Optional[Account] = None) -> List[Dict[str, Any]]:
    """A play on localhost that runs one target as a role, like ansible-test does; against the
    sandbox at ``endpoint`` unless ``account`` says otherwise."""
    account = account or Account(endpoint=endpoint)
    return [{
        "name": f"integration target {target}",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "module_defaults": account.module_defaults(),
        "vars": variables,
        "roles": [{"role": str(TARGETS / target)}],
    }]


def run_playbook(playbook: Path, env_extra: Optional[Dict[str, str]] = None,
                 args: Sequence[str] = (), account: Optional[Account] = None) -> subprocess.CompletedProcess:
    cmd = [ansible_bin("ansible-playbook"), "-i", "localhost,", str(playbook), *args]
    env = account.environment(env_extra) if account else environment(env_extra)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=str(playbook.parent), check=False)


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
