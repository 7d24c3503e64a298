#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: maintenance_windows
short_description: Converge a list of SSM maintenance windows in one call
version_added: 0.1.0
description:
  - Converges every window of an account-region in one module run, each item exactly as
    M(mwops.ssm.maintenance_window) would converge it (window, targets, tasks, tags, and C(state) per item).
  - One paged C(DescribeMaintenanceWindows) call finds every window by name; the windows are then read, planned and
    written concurrently by O(workers) threads sharing one client. SSM throttling is retried with jittered backoff.
  - Every definition is validated (the argument spec of M(mwops.ssm.maintenance_window), the whole-definition
    rules and the SSM request constraints) before the first write to any window. One bad definition refuses the
    whole list and nothing is written; errors name the item, for example C(windows[3].tasks[1].max_concurrency).
  - One window's failure does not stop the others (unless O(fail_fast=true)); it is reported in
    RV(failed_windows) with the window's name, and the module fails once the others have finished.
  - With O(owner), every listed window is tagged O(owner_tag_key)=O(owner). With O(purge=true), windows of that
    owner that are not listed are deleted; windows of other owners, and untagged windows, never are.
  - Check mode and diff mode work per window.
  - See U(https://docs.aws.amazon.com/systems-manager/latest/userguide/maintenance-windows.html) and, for the
    request rate SSM allows, U(https://docs.aws.amazon.com/general/latest/gr/ssm.html#limits_ssm).
author:
  - mwops maintainers (@mwops)
options:
  windows:
    description:
      - The window definitions. Each item takes the options of M(mwops.ssm.maintenance_window) (C(name),
        C(schedule), C(duration), C(cutoff), C(targets), C(tasks), C(tags), C(purge_tags), C(purge_targets),
        C(purge_tasks), C(force), C(state), C(window_id), ...) with the same meaning and defaults.
      - Names must be unique in the list.
    type: list
    elements: dict
    required: true
  workers:
    description:
      - How many windows are read, planned and written at the same time (threads sharing one client).
      - The default stays well under the SSM request rate with the retries; raise it for large lists only when
        the account-region is not converged by other jobs at the same time.
    type: int
    default: 4
  fail_fast:
    description:
      - Stop starting windows once one has failed. Windows already running finish; the ones never started are
        named in RV(not_started). Without it every window is attempted.
    type: bool
    default: false
  owner:
    description:
      - Who owns these windows (a team or a pipeline), the value of the O(owner_tag_key) tag set on every listed
        window (a C(tags) entry of an item may not contradict it).
      - Required when O(purge=true); there is no shared default, so two teams never purge each other.
    type: str
  owner_tag_key:
    description: Tag key whose value names the owner of a window.
    type: str
    default: "mwops:owner"
  purge:
    description:
      - Delete the windows tagged O(owner_tag_key)=O(owner) that are not in O(windows).
      - The purge is decided once for the whole list and never touches another owner's windows.
    type: bool
    default: false
  purge_all:
    description:
      - With O(purge=true) and an empty O(windows), delete every window of O(owner). Without it that
        combination is refused.
    type: bool
    default: false
extends_documentation_fragment: [ansible.builtin.action_common_attributes, mwops.ssm.attributes.converge,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
notes:
  - For many account-regions, give each one its own inventory host (delegated to localhost, with its own
    credentials and region) and converge them with C(forks); see the collection's C(docs/windows-as-code.md).
"""

EXAMPLES = r"""
- name: Every window of this account-region in one call
  mwops.ssm.maintenance_windows:
    owner: platform-patching
    purge: true
    windows:
      - name: prod-linux-patching
        schedule: cron(0 2 ? * TUE#2 *)
        schedule_timezone: America/New_York
        duration: 4
        cutoff: 1
        targets:
          - name: prod-web
            targets:
              - key: tag:PatchGroup
                values: [Prod-Linux]
        tasks:
          - name: patch
            task_type: RUN_COMMAND
            task_arn: AWS-RunPatchBaseline
            targets:
              - window_target: prod-web
            max_concurrency: "10%"
            max_errors: "1"
            task_invocation_parameters:
              run_command:
                parameters:
                  Operation: Install
      - name: dev-linux-patching
        schedule: cron(0 2 ? * MON *)
        duration: 2
        cutoff: 0
      - name: retired-window
        state: absent
  register: converged

- name: The IDs of the converged windows
  ansible.builtin.debug:
    msg: "{{ converged.windows | items2dict(key_name='name', value_name='window_id') }}"

- name: Preview a large list with more workers, stopping at the first failure
  mwops.ssm.maintenance_windows:
    windows: "{{ lookup('ansible.builtin.file', 'windows.json') | from_json }}"
    workers: 8
    fail_fast: true
  check_mode: true
  diff: true
"""

RETURN = r"""
windows:
  description:
    - One result per listed window, in the order of O(windows), then one per window deleted by O(purge).
    - Each has the keys M(mwops.ssm.maintenance_window) returns (RV(windows[].window_id),
      RV(windows[].maintenance_window), RV(windows[].changed_fields), RV(windows[].completed_writes) and, in diff
      mode, RV(windows[].diff)), plus RV(windows[].name), RV(windows[].changed) and, for a failed window,
      RV(windows[].failed), RV(windows[].msg) and RV(windows[].problems).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the window.
      type: str
      returned: always
      sample: prod-linux-patching
    window_id:
      description: ID of the window (V(null) in check mode before it exists, or when it failed before it was found).
      type: str
      returned: always
      sample: mw-0123456789abcdef0
    state:
      description: V(present) or V(absent), as asked (V(absent) for a purged window).
      type: str
      returned: always
    purged:
      description: Whether this window was deleted by O(purge) rather than listed.
      type: bool
      returned: always
    changed:
      description: Whether this window changed (or would, in check mode).
      type: bool
      returned: always
    maintenance_window:
      description: The window in the window-definition vocabulary, as M(mwops.ssm.maintenance_window) returns it.
      type: dict
      returned: always
    changed_fields:
      description: What changed, as M(mwops.ssm.maintenance_window) reports it.
      type: list
      elements: str
      returned: always
      sample: ["schedule", "tasks[patch]: registered"]
    completed_writes:
      description: The write calls made for this window, in order (also when it failed after writing).
      type: list
      elements: dict
      returned: always
      sample: [{"operation": "UpdateMaintenanceWindow", "window_id": "mw-0123456789abcdef0"}]
    diff:
      description: Before and after of this window, in diff mode.
      type: dict
      returned: in diff mode
    failed:
      description: Whether this window failed.
      type: bool
      returned: always
    msg:
      description: Why this window failed.
      type: str
      returned: when failed
    problems:
      description: The definition errors of this window (field path and rule).
      type: list
      elements: dict
      returned: when failed
failed_windows:
  description: The windows that failed, with their error; the module fails when this is not empty.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the window.
      type: str
      returned: always
      sample: prod-linux-patching
    index:
      description: Position of the window in O(windows) (V(null) for a purged window).
      type: int
      returned: always
    msg:
      description: The error.
      type: str
      returned: always
not_started:
  description: With O(fail_fast=true), the names of the windows that were not started after a failure.
  returned: always
  type: list
  elements: str
problems:
  description:
    - When the list is refused before any write, every definition error; paths start with the item, for example
      C(windows[3].tasks[1].max_concurrency).
  returned: on failure
  type: list
  elements: dict
  contains:
    path:
      description: The field, in this module's vocabulary.
      type: str
      returned: always
      sample: windows[3].tasks[1].max_concurrency
    message:
      description: The rule the value breaks.
      type: str
      returned: always
"""

import typing as t

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.mwops.ssm.plugins.module_utils import _batch
from ansible_collections.mwops.ssm.plugins.module_utils._argspec import WINDOW_SPEC
from ansible_collections.mwops.ssm.plugins.module_utils._argspec import maintenance_window_argument_spec
from ansible_collections.mwops.ssm.plugins.module_utils._argspec import strip_none
from ansible_collections.mwops.ssm.plugins.module_utils._converge import PartialApply
from ansible_collections.mwops.ssm.plugins.module_utils._converge import apply_window_plan
from ansible_collections.mwops.ssm.plugins.module_utils._converge import find_all_windows
from ansible_collections.mwops.ssm.plugins.module_utils._converge import find_window_among
from ansible_collections.mwops.ssm.plugins.module_utils._converge import plan_window_for
from ansible_collections.mwops.ssm.plugins.module_utils._converge import read_window_state
from ansible_collections.mwops.ssm.plugins.module_utils._modules import AnsibleSSMModule
from ansible_collections.mwops.ssm.plugins.module_utils._modules import run_guarded
from ansible_collections.mwops.ssm.plugins.module_utils._plan import DefinitionError
from ansible_collections.mwops.ssm.plugins.module_utils._ssm import AnsibleSSMError
from ansible_collections.mwops.ssm.plugins.module_utils._ssm import list_window_tags
from ansible_collections.mwops.ssm.plugins.module_utils._ssm import service_model

Doc = dict[str, t.Any]


def argument_spec() -> Doc:
    return dict(
        windows=dict(type="list", elements="dict", required=True),
        workers=dict(type="int", default=_batch.DEFAULT_WORKERS),
        fail_fast=dict(type="bool", default=False),
        owner=dict(type="str"),
        owner_tag_key=dict(type="str", default="mwops:owner", no_log=False),
        purge=dict(type="bool", default=False),
        purge_all=dict(type="bool", default=False),
    )


def desired_window(params: Doc) -> Doc:
    """The definition of one validated item, as ``maintenance_window`` builds it."""
    desired = strip_none({k: params.get(k) for k in WINDOW_SPEC})
    for key in ("tags", "targets", "tasks"):
        if params.get(key) is not None:
            desired[key] = strip_none(params[key]) if key != "tags" else params[key]
    return desired


class Entry(t.NamedTuple):
    """One window to converge: a listed item (validated params) or a window the purge deletes."""

    index: int | None
    name: str | None
    window_id: str | None
    params: Doc
    desired: Doc | None

    @property
    def label(self) -> str:
        return self.name or self.window_id or f"windows[{self.index}]"


def option_problems(params: Doc) -> list[str]:
    """The batch's own rules, checked before any call (the messages of the windows role's assertions)."""
    problems = []
    if params["workers"] < 1:
        problems.append(f"workers must be at least 1 (got {params['workers']})")
    if params["purge"] and not params["owner"]:
        problems.append(f"owner is required when purge is true: it is the value of the {params['owner_tag_key']} tag "
                        "that marks the windows this run owns, and the purge deletes only those (there is no shared "
                        "default).")
    elif params["purge"] and not params["windows"] and not params["purge_all"]:
        problems.append(f"windows is empty and purge is true: that would delete every window of owner "
                        f"'{params['owner']}'. Set purge_all: true if that is what you mean.")
    return problems


def validate_items(params: Doc) -> tuple[list[Entry], list[Doc]]:
    """Each item against maintenance_window's own argument spec, plus unique names and the owner tag."""
    validator = ArgumentSpecValidator(maintenance_window_argument_spec(), required_one_of=[["name", "window_id"]])
    owner, owner_key = params["owner"], params["owner_tag_key"]
    entries: list[Entry] = []
    problems: list[Doc] = []
    first_index: dict[str, int] = {}
    for index, item in enumerate(params["windows"]):
        path = f"windows[{index}]"
        if not isinstance(item, dict):
            problems.append({"path": path, "message": f"must be a window definition (a dict), got {type(item).__name__}"})
            continue
        result = validator.validate(item)
        if result.error_messages:
            problems += [{"path": path, "message": message} for message in result.error_messages]
            continue
        item_params = result.validated_parameters
        name = item_params.get("name")
        if name is not None and name in first_index:
            message = f"'{name}' is listed more than once (also windows[{first_index[name]}]); names must be unique"
            problems.append({"path": f"{path}.name", "message": message})
            continue
        if name is not None:
            first_index[name] = index
        present = item_params["state"] == "present"
        if owner and present:
            tags = dict(item_params.get("tags") or {})
            if owner_key in tags and str(tags[owner_key]) != owner:
                problems.append({"path": f"{path}.tags.{owner_key}",
                                 "message": f"is '{tags[owner_key]}' but owner is '{owner}'; leave it out (owner sets it)"})
                continue
            tags[owner_key] = owner
            item_params["tags"] = tags
        desired = desired_window(item_params) if present else None
        entries.append(Entry(index, name, item_params.get("window_id"), item_params, desired))
    return entries, problems


def purge_entries(client, identities: t.Sequence[Doc], listed: t.Sequence[Entry], owner: str, owner_key: str,
                  workers: int) -> list[Entry]:
    """This owner's windows that the list does not name, to delete (their tags read concurrently)."""
    names = {e.name for e in listed if e.name}
    ids = {e.window_id for e in listed if e.window_id}
    unlisted = [w for w in identities if w.get("Name") not in names and w["WindowId"] not in ids]
    tags = _batch.run_all(unlisted, lambda _i, w: list_window_tags(client, w["WindowId"]), workers)
    for outcome in tags:
        if outcome.error is not None:
            raise outcome.error
    absent = {"purge_tags": True, "purge_targets": True, "purge_tasks": True, "force": False, "state": "absent"}
    return [Entry(None, w.get("Name"), w["WindowId"], dict(absent), None)
            for w, outcome in zip(unlisted, tags) if (outcome.value or {}).get(owner_key) == owner]


def error_message(e: BaseException) -> str:
    if isinstance(e, AnsibleSSMError) and e.exception is not None:
        return f"{e.message}: {e.exception}"
    return getattr(e, "message", None) or str(e)


def window_result(entry: Entry, planned: tuple[t.Any, t.Any] | None, final: Doc | None, diff: bool) -> Doc:
    plan = planned[1] if planned else None
    before = plan.before if plan else None
    window_id = (final or before or {}).get("window_id") or entry.window_id
    result = dict(name=entry.name or (before or {}).get("name"), window_id=window_id,
                  state=entry.params["state"], purged=entry.index is None, changed=bool(plan and plan.changed),
                  maintenance_window=final or {}, changed_fields=plan.changed_fields if plan else [],
                  completed_writes=plan.completed_writes if plan else [], failed=False)
    if diff and plan:
        result["diff"] = {"before_header": result["name"], "after_header": result["name"],
                          "before": before or {}, "after": final or {}}
    return result


def main() -> None:
    module = AnsibleSSMModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    refused = option_problems(params)
    if refused:
        module.fail_json(msg=" ".join(refused), changed=False, windows=[], failed_windows=[], not_started=[])
    entries, problems = validate_items(params)
    if problems:
        module.fail_json(msg=refusal(problems), problems=problems, changed=False, windows=[], failed_windows=[],
                         not_started=[])

    workers = params["workers"]
    # The connection pool holds as many connections as there are workers (botocore's default is 10).
    client = module.client("ssm", config={"max_pool_connections": max(10, workers)})
    model = service_model(client)  # read and derived once for every window of the run
    identities = run_guarded(module, lambda: find_all_windows(client))
    if params["purge"]:
        entries += run_guarded(module, lambda: purge_entries(client, identities, entries, params["owner"],
                                                             params["owner_tag_key"], workers))

    def plan_one(_index: int, entry: Entry):
        api_window = find_window_among(client, identities, entry.name, entry.window_id)
        state = read_window_state(client, api_window) if api_window else None
        options = {k: entry.params[k] for k in ("purge_tags", "purge_targets", "purge_tasks", "force")}
        return state, plan_window_for(state, entry.window_id, entry.desired, model, **options)

    # Read and plan (validate) every window before the first write to any of them.
    # Not fail-fast: reads only, and every definition error is worth reporting at once.
    planned = _batch.run_all(entries, plan_one, workers)
    invalid = [(entries[o.index], o.error) for o in planned if isinstance(o.error, DefinitionError)]
    if invalid:
        problems = [{"path": f"{item_path(entry)}.{p.path}" if p.path else item_path(entry), "message": p.message}
                    for entry, error in invalid for p in error.problems]
        module.fail_json(msg=refusal(problems), problems=problems, changed=False, windows=[], failed_windows=[],
                         not_started=[])

    def apply_one(index: int, entry: Entry):
        state, plan = planned[index].value
        return apply_window_plan(client, state, plan, entry.desired, module.check_mode, module.lifeline.keep_going)

    stop_before_writes = params["fail_fast"] and bool(_batch.failed(planned))
    applied = _batch.run_all(entries, apply_one, workers, params["fail_fast"],
                             skip=lambda i: stop_before_writes or not planned[i].ok)
    module.exit_json(**batch_result(module, entries, planned, applied))


def item_path(entry: Entry) -> str:
    return f"windows[{entry.index}]" if entry.index is not None else f"purge[{entry.label}]"


def refusal(problems: t.Sequence[Doc]) -> str:
    lines = "\n".join(f"- {p['path']}: {p['message']}" for p in problems)
    return f"Invalid maintenance window definitions, nothing was changed:\n{lines}"


def batch_result(module: AnsibleSSMModule, entries: t.Sequence[Entry], planned: t.Sequence[_batch.Outcome],
                 applied: t.Sequence[_batch.Outcome]) -> Doc:
    windows: list[Doc] = []
    failed: list[Doc] = []
    not_started: list[str] = []
    for entry, plan_outcome, apply_outcome in zip(entries, planned, applied):
        result = window_result(entry, plan_outcome.value, apply_outcome.value, module._diff)
        error = plan_outcome.error or apply_outcome.error
        if isinstance(error, PartialApply):
            result.update(changed=True, completed_writes=error.done)
            error = error.cause
        if error is not None:
            result.update(failed=True, msg=error_message(error), problems=[
                {"path": p.path, "message": p.message} for p in getattr(error, "problems", [])])
            failed.append({"name": result["name"] or entry.label, "index": entry.index, "msg": result["msg"]})
        elif not plan_outcome.started or not apply_outcome.started:
            not_started.append(entry.label)
        windows.append(result)
    out = dict(changed=any(w["changed"] for w in windows), windows=windows, failed_windows=failed,
               not_started=not_started)
    if module._diff:
        out["diff"] = [w["diff"] for w in windows if w.get("diff") and w["changed"]]
    if failed:
        names = ", ".join(f["name"] for f in failed)
        msg = f"{len(failed)} of {len(windows)} windows failed: {names}"
        if not_started:
            msg += f"; not started (fail_fast): {', '.join(not_started)}"
        module.fail_json(msg=msg, **out)
    return out


if __name__ == "__main__":
    main()
