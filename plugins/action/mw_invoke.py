# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gate action of the local executor: admits, runs and records one invocation of a window task."""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.mwops.ssm.plugins.module_utils import _execution_schema as schema
from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_core as core
from ansible_collections.mwops.ssm.plugins.plugin_utils import _history as history
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_documents import (
    DocumentError,
    Invocation,
    build_invocation,
    wants_reboot,
)
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_children import GATE_SPEC_ENV, engine_alive
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_gate import GateSpec, GateSpecError, read_gate_spec
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_ledger import TaskLedger

DEFAULT_BOOT_ID_COMMAND = "cat /proc/sys/kernel/random/boot_id"
DEFAULT_REBOOT_COMMAND = 'shutdown -r now "mwops.ssm maintenance window reboot" || reboot'
DEFAULT_REBOOT_TIMEOUT = 600
DEFAULT_REBOOT_POLL = 5.0
BARRIER_POLL_SECONDS = 0.05


def _is_task_timeout(exc: BaseException) -> bool:
    # ansible-core raises TaskTimeoutError from the task ``timeout`` alarm; its module moved in 2.19.
    return type(exc).__name__ == "TaskTimeoutError"


def _module_output(res: dict[str, Any]) -> str:
    if "stdout" in res or "stderr" in res:
        return "\n".join(to_text(res.get(key)) for key in ("stdout", "stderr") if res.get(key))
    shown = {k: v for k, v in res.items() if k not in ("invocation", "exception", "_ansible_no_log")}
    return json.dumps(shown, indent=2, sort_keys=True, default=str)


def _wait_for_barrier(spec: GateSpec) -> bool:
    """Block until the engine lets this task start (True) or decides it never will (False).

    The engine launches a priority's child runs while the previous priority still runs, so
    their start-up is hidden; the gates hold every invocation here until the priority is due.
    A child whose engine died gives up instead of waiting for ever.
    """
    while True:
        try:
            with open(spec.barrier, encoding="utf-8") as fh:
                return bool(json.load(fh)["go"]) and engine_alive(spec.engine_lock)
        except (OSError, ValueError, KeyError):
            if not engine_alive(spec.engine_lock):
                return False
            time.sleep(BARRIER_POLL_SECONDS)


def _load_spec() -> GateSpec:
    """The engine's gate spec for this child run; the playbook itself names nothing."""
    path = os.environ.get(GATE_SPEC_ENV)
    if not path:
        raise AnsibleActionFail("mwops.ssm.mw_invoke runs only in the child runs that mwops.ssm.mw_run starts.")
    try:
        return read_gate_spec(path)
    except (OSError, GateSpecError) as exc:
        raise AnsibleActionFail(f"mwops.ssm.mw_invoke cannot read its gate spec: {to_text(exc)}") from None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("step", "index"))

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        spec = _load_spec()
        step = self._task.args.get("step", "invoke")
        if step == "barrier":
            go = _wait_for_barrier(spec)
            return {**result, "changed": False, "msg": "Priority reached." if go else "Not started."}
        if step == "add_host":
            return {**result, **self._add_host(spec, int(self._task.args["index"]), task_vars)}
        host = to_text(task_vars.get("inventory_hostname"))
        if not _wait_for_barrier(spec):
            return {**result, "skipped": True, "changed": False, "mw_status": core.CANCELLED,
                    "msg": "Not started: the window's cutoff passed before this task's priority became eligible."}
        if not engine_alive(spec.engine_lock):  # checked at every admission: no orphan starts work
            return {**result, "skipped": True, "changed": False, "mw_status": core.CANCELLED,
                    "msg": "Not started: the mwops.ssm executor that started this run is gone."}
        ledger = TaskLedger(spec.ledger)
        invocation_id = str(uuid.uuid4())
        refusal = ledger.admit(host, invocation_id, int(spec.max_errors), spec.cancel_at, time.time())
        if refusal is not None:
            msg = core.NOT_STARTED_DETAILS[refusal].format(max_errors=spec.max_errors)
            return {**result, "skipped": True, "changed": False, "msg": msg, "mw_status": core.CANCELLED}

        record: dict[str, Any] = {"outcome": core.OUTCOME_FAILED, "status_details": "Failed: interrupted.",
                                  "output": "", "exit_code": None, "cancelled_at_cutoff": False}
        start = time.time()
        try:
            invocation = self._invocation(spec, host, invocation_id, task_vars)
            record.update(self._execute(invocation, task_vars, start, spec.cancel_at))
        except DocumentError as exc:  # e.g. an unsafe pseudo parameter value: nothing was run
            record.update(status_details=f"Failed: {exc}.")
        except AnsibleConnectionFailure as exc:
            record.update(outcome=core.OUTCOME_UNDELIVERABLE, output=to_text(exc),
                          status_details=f"Undeliverable: {to_text(exc)} (not counted toward MaxErrors).")
        except BaseException as exc:  # recorded below, before this worker exits; then re-raised
            if _is_task_timeout(exc):
                timed_out = core.classify_task_timeout(time.time(), spec.cancel_at)
                record.update(outcome=timed_out.outcome, status_details=timed_out.status_details,
                              cancelled_at_cutoff=timed_out.cancelled_at_cutoff)
            else:
                record.update(status_details=f"Failed: {type(exc).__name__}: {to_text(exc)}")
            raise
        finally:
            self._record(ledger, spec, host, invocation_id, record)
        failed = record["outcome"] != core.OUTCOME_SUCCESS
        result.update(changed=not failed, failed=failed, msg=record["status_details"], rc=record["exit_code"],
                      mw_status=core.invocation_status(record["outcome"]), mw_invocation_id=invocation_id)
        return result

    # ------------------------------------------------------------------ helpers

    def _add_host(self, spec: GateSpec, index: int, task_vars: dict[str, Any]) -> dict[str, Any]:
        """Put target ``index`` into its group of this child run (the plays target groups, not names)."""
        if not _wait_for_barrier(spec):
            return {"skipped": True, "changed": False, "msg": "Not started."}
        host, group = spec.hosts[index], spec.groups[index]
        if host not in (task_vars.get("groups") or {}).get("all", []):
            return {"failed": True, "msg": f"Target {host!r} is no longer in the inventory of this run."}
        msg = f"Target {index + 1} of {len(spec.hosts)} added."
        if callable(getattr(self, "add_host", None)):
            # ansible-core 2.21 adds hosts through ActionBase.add_host; it no longer reads the
            # add_host key of a result (which older cores need).
            self.add_host(host_name=host, parent_group_names=[group], host_vars={})
            return {"changed": True, "msg": msg}
        return {"changed": True, "add_host": {"host_name": host, "groups": [group], "host_vars": {}}, "msg": msg}

    def _invocation(self, spec: GateSpec, host: str, invocation_id: str,
                    task_vars: dict[str, Any]) -> Invocation:
        seconds_to_cutoff = None if spec.cancel_at is None else float(spec.cancel_at) - time.time()
        patch_command = self._host_text(task_vars, "mw_patch_command", None)
        return build_invocation(spec.document, spec.parameters or {}, spec.user_documents or {},
                                spec.pseudo_parameters(host, invocation_id), seconds_to_cutoff, patch_command,
                                spec.patch_baselines.get(host))

    def _host_var(self, task_vars: dict[str, Any], name: str, default: Any) -> Any:
        if name not in task_vars:
            return default
        return self._templar.template(task_vars[name])

    def _host_text(self, task_vars: dict[str, Any], name: str, default: str | None) -> str | None:
        """A host variable as text (a vaulted value is decrypted: ansible-core 2.17 hands it over encrypted)."""
        value = self._host_var(task_vars, name, default)
        return None if value is None else to_text(value)

    def _execute(self, invocation: Invocation, task_vars: dict[str, Any], start: float,
                 cancel_at: float | None) -> dict[str, Any]:
        res = self._run_module(invocation, task_vars)
        if res.get("unreachable"):
            raise AnsibleConnectionFailure(to_text(res.get("msg", "host unreachable")))
        output = _module_output(res)
        rc = res.get("rc")
        now = time.time()
        classified = core.classify_result(rc, bool(res.get("failed")), to_text(res.get("msg") or ""), now - start,
                                          invocation.timeout, now, cancel_at)
        record: dict[str, Any] = {"outcome": classified.outcome, "status_details": classified.status_details,
                                  "output": output, "exit_code": rc}
        if classified.outcome == core.OUTCOME_TIMED_OUT:
            record["cancelled_at_cutoff"] = classified.cancelled_at_cutoff
        if classified.outcome != core.OUTCOME_SUCCESS:
            return record
        if wants_reboot(invocation, to_text(res.get("stdout", ""))):
            rebooted, message = self._reboot(task_vars)
            record["output"] = f"{output}\n{message}"
            record["rebooted"] = rebooted
            if not rebooted:
                record.update(outcome=core.OUTCOME_FAILED, status_details=f"Failed: {message}")
            else:
                record["status_details"] = "Success (rebooted)"
        return record

    def _run_module(self, invocation: Invocation, task_vars: dict[str, Any]) -> dict[str, Any]:
        """Run a module, or the action plugin of that name (e.g. copy/template) when there is one."""
        if invocation.kind == "custom":
            loader = self._shared_loader_obj.action_loader
            collections = self._task.collections or []
            if loader.has_plugin(invocation.module, collection_list=collections):
                task = self._task.copy()
                task.args = dict(invocation.args)
                handler = loader.get(invocation.module, task=task, connection=self._connection,
                                     play_context=self._play_context, loader=self._loader,
                                     templar=self._templar, shared_loader_obj=self._shared_loader_obj,
                                     collection_list=collections)
                return handler.run(task_vars=task_vars)
        return self._execute_module(module_name=invocation.module, module_args=dict(invocation.args),
                                    task_vars=task_vars)

    def _reboot(self, task_vars: dict[str, Any]) -> tuple[bool, str]:
        """Reboot the target and wait until its boot ID changes (works on any connection type)."""
        boot_id_command = self._host_text(task_vars, "mw_boot_id_command", DEFAULT_BOOT_ID_COMMAND)
        reboot_command = self._host_text(task_vars, "mw_reboot_command", DEFAULT_REBOOT_COMMAND)
        timeout = float(self._host_var(task_vars, "mw_reboot_timeout", DEFAULT_REBOOT_TIMEOUT))
        poll = float(self._host_var(task_vars, "mw_reboot_poll_interval", DEFAULT_REBOOT_POLL))
        before = to_text(self._low_level_execute_command(boot_id_command, sudoable=True).get("stdout")).strip()
        try:
            self._low_level_execute_command(reboot_command, sudoable=True)
        except AnsibleConnectionFailure:
            pass  # the connection drops while the host goes down
        deadline = time.time() + timeout
        while time.time() < deadline:
            time.sleep(poll)
            try:
                self._connection.reset()
                res = self._low_level_execute_command(boot_id_command, sudoable=True)
            except AnsibleConnectionFailure:
                continue
            after = to_text(res.get("stdout")).strip()
            if res.get("rc") == 0 and after and after != before:
                return True, f"Rebooted: boot ID changed from {before} to {after}."
        return False, f"The host did not come back with a new boot ID within {timeout:g} s of the reboot."

    def _record(self, ledger: TaskLedger, spec: GateSpec, host: str, invocation_id: str,
                record: dict[str, Any]) -> None:
        """Write the full output and account the invocation, before this worker process exits."""
        path = history.output_path(spec.history_dir, spec.execution_id, spec.task_name, host)
        output = to_text(record.get("output") or "")
        try:
            history.write_text_atomic(path, output)
        except OSError:
            path = None
        ledger.finish(host, invocation_id, record["outcome"], time.time(),
                      status_details=record["status_details"], output=schema.output_tail(output),
                      output_path=str(path) if path else None, exit_code=record.get("exit_code"),
                      cancelled_at_cutoff=bool(record.get("cancelled_at_cutoff")),
                      rebooted=record.get("rebooted"))
