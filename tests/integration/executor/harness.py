"""Run windows with the local executor through ansible-playbook and read their history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

COLLECTION = Path(__file__).resolve().parents[3]


class Unsafe(str):
    """A string written to YAML as ``!unsafe`` so Ansible never templates it."""


yaml.SafeDumper.add_representer(Unsafe, lambda dumper, value: dumper.represent_scalar("!unsafe", str(value)))
HOSTS = [f"h{i:02d}" for i in range(1, 11)]


def collections_root() -> Path:
    """The directory holding ansible_collections/ with this collection in it."""
    if COLLECTION.parent.parent.name == "ansible_collections":
        return COLLECTION.parent.parent.parent
    root = COLLECTION / ".cache" / "pyroot"  # made by tests/conftest.py for plain checkouts
    link = root / "ansible_collections" / "mwops" / "ssm"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(COLLECTION, link)
    return root


def ansible_playbook() -> str:
    return str(Path(sys.executable).parent / "ansible-playbook")


def env() -> dict[str, str]:
    result = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    result.update(
        ANSIBLE_COLLECTIONS_PATH=str(collections_root()),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_HOST_KEY_CHECKING="false",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        ANSIBLE_DEPRECATION_WARNINGS="false",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    result.pop("PYTHONPATH", None)
    return result


def write_inventory(directory: Path, host_vars: dict[str, dict[str, Any]] | None = None,
                    extra_hosts: dict[str, dict[str, Any]] | None = None) -> Path:
    """Ten local-connection hosts; h01-h05 are 'web' (tag Role=web), h06-h10 'db'."""
    host_vars = host_vars or {}
    web = {h: {"mw_tags": {"Role": "web", "Patch": "yes"}, **host_vars.get(h, {})} for h in HOSTS[:5]}
    db = {h: {"mw_tags": {"Role": "db"}, **host_vars.get(h, {})} for h in HOSTS[5:]}
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local",
                     "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
            "children": {"web": {"hosts": web}, "db": {"hosts": db}},
        }
    }
    if extra_hosts:
        inventory["all"]["children"]["other"] = {"hosts": extra_hosts}
    path = directory / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path


def run_playbook(directory: Path, playbook: str, inventory: Path, *extra: str,
                 timeout: float = 240) -> subprocess.CompletedProcess[str]:
    cmd = [ansible_playbook(), "-i", str(inventory), playbook, *extra]
    return subprocess.run(cmd, cwd=directory, env=env(), capture_output=True, text=True, timeout=timeout,
                          check=False)


def write_play(directory: Path, window: dict[str, Any], after: list[dict[str, Any]] | None = None,
               **options: Any) -> Path:
    """A playbook that runs ``window`` (written to a file, read without templating) with mw_run."""
    window_file = directory / f"{window['name']}.yml"
    window_file.write_text(yaml.safe_dump(window, sort_keys=False))
    args = {"window_file": str(window_file), "history_dir": str(directory / "history"),
            **options}
    play = [{"name": "Run a window", "hosts": "localhost", "gather_facts": False,
             "tasks": [{"name": "Run it", "mwops.ssm.mw_run": args, "register": "run"}, *(after or [])]}]
    path = directory / f"play-{window['name']}.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    return path


def executions(history_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(history_dir.glob("*.json"))]


def only_execution(history_dir: Path) -> dict[str, Any]:
    found = executions(history_dir)
    assert len(found) == 1, [e.get("id") for e in found]
    return found[0]


def shell_task(name: str, commands: list[str] | str, targets: list[dict[str, Any]], priority: int = 1,
               conc: str = "3", errors: str = "0", **extra: Any) -> dict[str, Any]:
    parameters = {"commands": [commands] if isinstance(commands, str) else commands}
    parameters.update(extra.pop("parameters", {}))
    return {"name": name, "task_type": "RUN_COMMAND", "task_arn": "AWS-RunShellScript", "priority": priority,
            "targets": targets, "max_concurrency": conc, "max_errors": errors,
            "task_invocation_parameters": {"run_command": {"parameters": parameters}}, **extra}
