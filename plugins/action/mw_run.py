# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run a maintenance-window definition on inventory hosts with SSM's semantics (controller side)."""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ansible import constants as C
from ansible import context
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.parsing.vault import VaultLib, VaultSecret
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import load_extra_vars

from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_preflight as preflight
from ansible_collections.mwops.ssm.plugins.plugin_utils import _history as history
from ansible_collections.mwops.ssm.plugins.plugin_utils import _patch_local as patch_local
from ansible_collections.mwops.ssm.plugins.plugin_utils import _report as report
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_engine import ChildLauncher, Engine
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_plan import (
    ExecutionPlan,
    InventoryHost,
    PlanError,
    build_plan,
    host_tags,
)

display = Display()

WINDOW_VARIABLE = "mw_window"
# Extra variables that together can only be a bare window definition given as -e @window.yml.
BARE_DEFINITION_SIGNS = ({"tasks", "targets"}, {"tasks", "duration"}, {"targets", "duration"})
RIGHT_FORM = ("ansible-playbook mwops.ssm.run_window -i INVENTORY -e mw_window_file=window.yml "
              "-e mw_history_dir=DIR")
# Vault ID of the one-time key that protects prompted connection passwords on a child's command line.
RUN_VAULT_ID = "mwops_ssm_run"
REPORT_NAME_PREFIX = 40


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
    "history_dir": {"type": "path"},
    "inventory": {"type": "list", "elements": "str"},
    "tags_variable": {"type": "str", "default": "mw_tags"},
    "allow_empty_targets": {"type": "bool", "default": False},
    "documents": {"type": "dict", "default": {}},
    "patch_baselines": {"type": "list", "elements": "dict", "default": []},
    "duration_seconds": {"type": "float"},
    "cutoff_seconds": {"type": "float"},
    "forks_ceiling": {"type": "int", "default": 50},
    "retention_days": {"type": "float", "default": history.RETENTION_DAYS},
    "fail_on_status": {"type": "list", "elements": "str", "default": []},
    "child_args": {"type": "list", "elements": "str", "default": []},
    "preflight_fail_on": {"type": "list", "elements": "str", "choices": ["fail", "warn"],
                          "default": list(preflight.DEFAULT_FAIL_ON)},
    "preflight_estimates": {"type": "dict", "default": {}},
    "report_dir": {"type": "path"},
    "report_formats": {"type": "list", "elements": "str", "choices": list(report.FORMATS),
                       "default": ["html", "markdown"]},
    "report_change_tag": {"type": "str", "default": report.DEFAULT_CHANGE_TAG},
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
        self._refuse_bare_definition()
        if not args["history_dir"]:
            raise AnsibleActionFail("history_dir is required: the directory for the execution history "
                                    "(with the run_window playbook: -e mw_history_dir=DIR).")
        history_dir = os.path.abspath(args["history_dir"])  # relative to the caller's working directory
        try:
            history.check_retention_days(args["retention_days"])
        except ValueError as exc:
            raise AnsibleActionFail(str(exc)) from None
        window = self._window(args, task_vars)
        sources = args["inventory"] or list(task_vars.get("ansible_inventory_sources") or [])
        hosts = self._hosts(args, task_vars)
        try:
            plan = build_plan(window, hosts, _service_model(), _plain(args["documents"]), args["duration_seconds"],
                              args["cutoff_seconds"])
        except PlanError as exc:
            raise AnsibleActionFail(str(exc)) from None
        try:
            assigned = patch_local.plan_assignments(_plain(args["patch_baselines"]), plan.tasks,
                                                    {h.name: h.tags for h in hosts},
                                                    self._host_systems(task_vars, [h.name for h in hosts])
                                                    if args["patch_baselines"] else {},
                                                    _plain(args["documents"]))
        except patch_local.PatchBaselineError as exc:
            raise AnsibleActionFail(str(exc)) from None
        result["patch_baselines"] = assigned
        estimates = _estimates(args["preflight_estimates"])
        checked = preflight.run_preflight(window, plan, hosts, history_dir if os.path.isdir(history_dir) else None,
                                          estimates, args["allow_empty_targets"])
        lines = preflight.summary_lines(checked)
        display.display("\n".join(lines))
        result.update(preflight=checked, preflight_summary=lines)
        refused = preflight.refusal(checked, args["preflight_fail_on"])
        if refused:
            # Before anything runs: no child, no lock, no history file (the window never opened).
            result.update(failed=True, changed=False, msg=refused, plan=_plan_preview(plan))
            return result
        if self._task.check_mode:
            result.update(changed=False, msg="Check mode: the window would run as planned.", plan=_plan_preview(plan))
            return result
        launcher = self._launcher(sources, args["child_args"])
        engine = Engine(plan, history_dir, launcher, display.display, user_documents=_plain(args["documents"]),
                        forks_ceiling=args["forks_ceiling"], retention_days=args["retention_days"],
                        allow_empty_targets=args["allow_empty_targets"], patch_baselines=assigned)
        try:
            record = engine.run()
        except history.UnsafeDirectoryError as exc:
            raise AnsibleActionFail(f"Refusing to run: {exc}.") from None
        table = engine.summary_table()
        display.display(table)
        status = record["status"]
        result.update(changed=True, status=status, status_details=record["status_details"],
                      window_execution=_without_output(record), history_file=str(engine.file), summary=table.splitlines())
        if args["report_dir"]:
            try:
                files, dummy = report.write_reports([record], os.path.abspath(args["report_dir"]),
                                                    formats=args["report_formats"],
                                                    change_tag=args["report_change_tag"],
                                                    basename=_report_basename(record))
            except (report.ReportError, OSError) as exc:
                raise AnsibleActionFail(f"report_dir: the evidence report could not be written ({exc}); "
                                        f"the history is in {engine.file}.") from None
            result["report_files"] = files
            display.display("evidence: " + ", ".join(files[f] for f in args["report_formats"] if f in files))
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
            # Relative to the caller's working directory, never to the (collection's) playbook.
            path = os.path.abspath(args["window_file"])
            if not os.path.isfile(path):
                raise AnsibleActionFail(f"window_file {path} does not exist or is not a file.")
            return _plain(self._loader.load_from_file(path))
        if WINDOW_VARIABLE in task_vars:
            # The variable's value as data: never templated, so names in it cannot run code.
            return _plain(task_vars[WINDOW_VARIABLE])
        raise AnsibleActionFail(f"No window definition: give window_file (or window), or with the run_window "
                                f"playbook: {RIGHT_FORM}")

    def _refuse_bare_definition(self) -> None:
        """A definition given as top-level extra vars overrides host variables such as tags: refuse it."""
        extra = set(load_extra_vars(self._loader))
        if any(sign <= extra for sign in BARE_DEFINITION_SIGNS):
            found = ", ".join(sorted(extra & {"name", "tags", "targets", "tasks", "duration", "cutoff", "schedule"}))
            raise AnsibleActionFail(
                f"The window definition was given as top-level extra variables ({found}), for example with "
                "-e @window.yml. Extra variables override every host's and play's variables of the same name "
                "(a window's tags would replace each host's tags and target the wrong hosts), so this form is "
                f"refused. Give the file instead: {RIGHT_FORM} (or nest the definition under "
                f"'{WINDOW_VARIABLE}:' in the file you pass with -e @FILE).")

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

    def _host_systems(self, task_vars: dict[str, Any], names: list[str]) -> dict[str, str | None]:
        """Each host's operating system for its baseline: mw_operating_system, else its distribution fact."""
        hostvars = task_vars.get("hostvars") or {}
        systems = {}
        for name in names:
            found = hostvars[name] if name in hostvars else {}
            facts = found.get("ansible_facts") or {}
            systems[name] = patch_local.host_operating_system(found.get("mw_operating_system"), facts.get("distribution"))
        return systems

    # ------------------------------------------------------------------ child runs

    def _launcher(self, sources: list[str], child_args: list[str]) -> ChildLauncher:
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
        # Vault secrets already loaded by this run (from files, scripts or prompts) go to each child
        # through a pipe (--vault-id ID@/dev/fd/N), so a child never prompts (AWX has no terminal)
        # and no secret is ever written to disk.
        vault_secrets = [(to_text(vault_id), secret.bytes)
                         for vault_id, secret in getattr(self._loader, "_vault").secrets or []]
        passwords: dict[str, str] = {}
        if cli.get("ask_pass") and self._play_context.password:
            passwords["ansible_password"] = to_text(self._play_context.password)
        if cli.get("become_ask_pass") and self._play_context.become_pass:
            passwords["ansible_become_password"] = to_text(self._play_context.become_pass)
        if passwords:
            # Prompted passwords: vault-encrypted extra vars on the command line, under a one-time
            # key that only the pipe carries.
            key = secrets.token_hex(32).encode()
            vault = VaultLib([(RUN_VAULT_ID, VaultSecret(key))])
            encrypted = {name: {"__ansible_vault": to_text(vault.encrypt(value, vault_id=RUN_VAULT_ID))}
                         for name, value in passwords.items()}
            vault_secrets.append((RUN_VAULT_ID, key))
            command += ["--extra-vars", json.dumps(encrypted)]
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
        return ChildLauncher(command, env, os.getcwd(), vault_secrets)


def _report_basename(record: Mapping[str, Any]) -> str:
    """Window name prefix and the execution ID: unique per run and within the report core's 80 characters."""
    return f"{str(record['window_name'])[:REPORT_NAME_PREFIX]}_{record['id']}"


def _estimates(values: Mapping[str, Any]) -> dict[str, float]:
    """Declared minutes per invocation, as mw_preflight's ``estimates``."""
    checked = {}
    for key, value in _plain(values).items():
        try:
            checked[key] = float(value)
        except (TypeError, ValueError):
            checked[key] = -1.0
        if checked[key] < 0:
            raise AnsibleActionFail(f"preflight_estimates['{key}'] must be a number of minutes (0 or more), "
                                    f"got {value!r}")
    return checked


def _without_output(record: dict[str, Any]) -> dict[str, Any]:
    """The execution record without invocation output (it stays in the history file)."""
    copy = json.loads(json.dumps(record))
    for task in copy.get("task_executions", []):
        for invocation in task.get("invocations", []):
            invocation.pop("output", None)
    return copy


def _service_model() -> Mapping[str, Any]:
    """botocore's SSM service model: the patterns the modules check names against (as _ssm loads it;
    loaded here without amazon.aws, which on-prem controllers running only the executor may lack)."""
    try:
        import botocore.loaders  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise AnsibleActionFail("The local executor checks names against SSM's own rules from botocore's "
                                f"service model; install botocore on the controller ({exc}).") from None
    return botocore.loaders.create_loader().load_service_model("ssm", "service-2")


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
