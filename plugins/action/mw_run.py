# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run a maintenance-window definition on inventory hosts with SSM's semantics (controller side)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ansible import constants as C
from ansible import context
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.mwops.ssm.plugins.plugin_utils import _history as history
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_engine import ChildLauncher, Engine
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_plan import (
    ExecutionPlan,
    InventoryHost,
    PlanError,
    build_plan,
    host_tags,
)

display = Display()

WINDOW_KEYS = ("name", "description", "duration", "cutoff", "targets", "tasks")


def _own_collections_root() -> str | None:
    """The collections root this collection was loaded from, so children find mwops.ssm.mw_invoke."""
    parents = Path(os.path.abspath(__file__)).parents  # not resolve(): keep a symlinked tree as loaded
    if len(parents) > 5 and parents[4].name == "ansible_collections":
        return str(parents[5])
    return None


OWN_COLLECTIONS_ROOT = _own_collections_root()
CLI_VALUE_OPTIONS = {
    "remote_user": "--user",
    "connection": "--connection",
    "private_key_file": "--private-key",
    "timeout": "--timeout",
    "ssh_common_args": "--ssh-common-args",
    "ssh_extra_args": "--ssh-extra-args",
    "sftp_extra_args": "--sftp-extra-args",
    "scp_extra_args": "--scp-extra-args",
    "become_method": "--become-method",
    "become_user": "--become-user",
}

ARGUMENT_SPEC = {
    "window": {"type": "dict"},
    "window_file": {"type": "path"},
    "history_dir": {"type": "path", "required": True},
    "inventory": {"type": "list", "elements": "str"},
    "tags_variable": {"type": "str", "default": "tags"},
    "documents": {"type": "dict", "default": {}},
    "duration_seconds": {"type": "float"},
    "cutoff_seconds": {"type": "float"},
    "forks_ceiling": {"type": "int", "default": 50},
    "retention_days": {"type": "float", "default": history.RETENTION_DAYS},
    "fail_on_status": {"type": "list", "elements": "str", "default": []},
    "child_args": {"type": "list", "elements": "str", "default": []},
}


def _plain(value: Any) -> Any:
    """Plain JSON-able Python data (drops ansible-core's tagged/unsafe string subclasses)."""
    return json.loads(json.dumps(value, default=to_text))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC,
                                                  mutually_exclusive=[("window", "window_file")])
        window = self._window(args, task_vars)
        sources = args["inventory"] or list(task_vars.get("ansible_inventory_sources") or [])
        hosts = self._hosts(args, task_vars)
        try:
            plan = build_plan(window, hosts, _plain(args["documents"]), args["duration_seconds"],
                              args["cutoff_seconds"])
        except PlanError as exc:
            raise AnsibleActionFail(str(exc)) from None
        if self._task.check_mode:
            result.update(changed=False, msg="Check mode: the window would run as planned.", plan=_plan_preview(plan))
            return result
        secrets_dir = Path(args["history_dir"]) / ".runs" / "secrets"
        launcher = self._launcher(sources, args["child_args"], secrets_dir)
        engine = Engine(plan, args["history_dir"], launcher, display.display, user_documents=_plain(args["documents"]),
                        forks_ceiling=args["forks_ceiling"], retention_days=args["retention_days"],
                        tags_variable=args["tags_variable"])
        try:
            record = engine.run()
        finally:
            _remove_secrets(launcher)
        table = engine.summary_table()
        display.display(table)
        status = record["status"]
        result.update(changed=True, status=status, status_details=record["status_details"],
                      window_execution=_without_output(record), history_file=str(engine.file), summary=table.splitlines())
        if status in args["fail_on_status"]:
            result.update(failed=True, msg=f"The window execution ended {status}: {record['status_details']}")
        else:
            result["msg"] = f"The window execution ended {status}."
        return result

    # ------------------------------------------------------------------ inputs

    def _window(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        if args["window"] is not None:
            return _plain(args["window"])
        if args["window_file"]:
            return _plain(self._loader.load_from_file(args["window_file"]))
        if "tasks" in task_vars and "name" in task_vars:
            # ``-e @window.yml`` with a bare definition: its keys are top-level variables.
            return _plain({k: self._templar.template(task_vars[k]) for k in WINDOW_KEYS if k in task_vars})
        raise AnsibleActionFail("Give the window definition as 'window', 'window_file' or as top-level "
                                "variables (ansible-playbook -e @window.yml).")

    def _hosts(self, args: dict[str, Any], task_vars: dict[str, Any]) -> list[InventoryHost]:
        if args["inventory"]:
            return _load_inventory(self._loader, args["inventory"], args["tags_variable"])
        hostvars = task_vars.get("hostvars") or {}
        groups: Mapping[str, list[str]] = task_vars.get("groups") or {}
        membership: dict[str, set[str]] = {}
        for group, names in groups.items():
            for name in names:
                membership.setdefault(name, set()).add(group)
        hosts = []
        for name in groups.get("all", []):
            tags = hostvars[name].get(args["tags_variable"]) if name in hostvars else None
            hosts.append(InventoryHost(name, host_tags(_plain(self._templar.template(tags))),
                                       frozenset(membership.get(name, ()))))
        return hosts

    # ------------------------------------------------------------------ child runs

    def _launcher(self, sources: list[str], child_args: list[str], secrets_dir: Path) -> ChildLauncher:
        cli = context.CLIARGS
        command = [sys.executable, "-m", "ansible", "playbook"]
        for source in sources:
            command += ["--inventory", source]
        for option, flag in CLI_VALUE_OPTIONS.items():
            value = cli.get(option)
            if value not in (None, ""):
                command += [flag, to_text(value)]
        if cli.get("become"):
            command.append("--become")
        for module_path in cli.get("module_path") or []:
            command += ["--module-path", module_path]
        for extra in cli.get("extra_vars") or ():
            command += ["--extra-vars", extra]
        secret_files: list[str] = []
        secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Vault secrets already loaded by this run (from files, scripts or prompts) go to the
        # children as files readable only by us, so a child never prompts (AWX has no terminal).
        for index, (vault_id, secret) in enumerate(getattr(self._loader, "_vault").secrets or []):
            path = secrets_dir / f"vault-{os.getpid()}-{index}"
            _write_private(path, secret.bytes)
            secret_files.append(str(path))
            command += ["--vault-id", f"{vault_id}@{path}"]
        passwords: dict[str, str] = {}
        if cli.get("ask_pass") and self._play_context.password:
            passwords["ansible_password"] = to_text(self._play_context.password)
        if cli.get("become_ask_pass") and self._play_context.become_pass:
            passwords["ansible_become_password"] = to_text(self._play_context.become_pass)
        if passwords:
            path = secrets_dir / f"passwords-{os.getpid()}.json"
            _write_private(path, to_bytes(json.dumps(passwords)))
            secret_files.append(str(path))
            command += ["--extra-vars", f"@{path}"]
        command += list(child_args)
        env = dict(os.environ)
        collection_paths = [p for p in [OWN_COLLECTIONS_ROOT, *C.COLLECTIONS_PATHS] if p]
        collection_paths = list(dict.fromkeys(collection_paths))
        env.update(
            ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(collection_paths),
            # Child output goes to a log file; the parent's callbacks (AWX events, profilers) stay out.
            ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
        )
        for name in ("ANSIBLE_CALLBACKS_ENABLED", "ANSIBLE_CALLBACK_WHITELIST"):
            env.pop(name, None)
        launcher = ChildLauncher(command, env, os.getcwd())
        setattr(launcher, "secret_files", secret_files)
        return launcher


def _without_output(record: dict[str, Any]) -> dict[str, Any]:
    """The execution record without invocation output (it stays in the history file)."""
    copy = json.loads(json.dumps(record))
    for task in copy.get("task_executions", []):
        for invocation in task.get("invocations", []):
            invocation.pop("output", None)
    return copy


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _remove_secrets(launcher: ChildLauncher) -> None:
    for path in getattr(launcher, "secret_files", []):
        try:
            os.unlink(path)
        except OSError:
            pass


def _load_inventory(loader: Any, sources: list[str], tags_variable: str) -> list[InventoryHost]:
    """Hosts of another inventory than the current run's (the 'inventory' option)."""
    from ansible.inventory.manager import InventoryManager  # pylint: disable=import-outside-toplevel
    from ansible.template import Templar  # pylint: disable=import-outside-toplevel
    from ansible.vars.manager import VariableManager  # pylint: disable=import-outside-toplevel

    inventory = InventoryManager(loader=loader, sources=sources)
    variables = VariableManager(loader=loader, inventory=inventory)
    hosts = []
    for host in inventory.get_hosts("all"):
        host_vars = variables.get_vars(host=host, include_hostvars=False)
        tags = Templar(loader=loader, variables=host_vars).template(host_vars.get(tags_variable))
        groups = frozenset(g.name for g in host.get_groups())
        hosts.append(InventoryHost(host.name, host_tags(_plain(tags)), groups))
    return hosts


def _plan_preview(plan: ExecutionPlan) -> dict[str, Any]:
    return {
        "window_name": plan.window_name,
        "window_id": plan.window_id,
        "duration_seconds": plan.duration,
        "cutoff_seconds": plan.cutoff,
        "tasks": [{"name": t.name, "priority": t.priority, "task_arn": t.task_arn,
                   "max_concurrency": t.max_concurrency, "max_errors": t.max_errors,
                   "cutoff_behavior": t.cutoff_behavior,
                   "target_groups": [list(g.hosts) for g in t.groups]} for t in plan.tasks],
    }
