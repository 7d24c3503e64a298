# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Read what AWS has, plan (``_plan``), then send the planned writes (``_ssm``).

``ensure_*`` functions take the client, the desired definition and ``check_mode`` and return
``(changed, result)``; they never take the Ansible module.
"""

from __future__ import annotations

import typing as t

from . import _definition as d
from . import _ssm
from ._plan import NEW_WINDOW_ID
from ._plan import DefinitionError
from ._plan import Op
from ._plan import Plan
from ._plan import WindowState
from ._plan import plan_target
from ._plan import plan_task
from ._plan import plan_window
from ._plan import state_document

Doc = t.Dict[str, t.Any]


# ----------------------------------------------------------------------------- reading

def find_window(client, name: t.Optional[str] = None, window_id: t.Optional[str] = None) -> t.Optional[Doc]:
    """GetMaintenanceWindow result for the window with this ID, or the one with this name.

    Two windows with the same name is an error naming their IDs: we never guess.
    """
    if window_id:
        return _ssm.get_window(client, window_id)
    matches = _ssm.find_windows_by_name(client, name or "")
    if len(matches) > 1:
        ids = ", ".join(sorted(w["WindowId"] for w in matches))
        raise DefinitionError([d.Problem("name", f"{len(matches)} maintenance windows are named '{name}' ({ids}); "
                                                 f"give window_id to choose one")])
    if not matches:
        return None
    return _ssm.get_window(client, matches[0]["WindowId"])


def read_window_state(client, api_window: Doc, full_tasks: bool = True,
                      tags: t.Optional[t.Dict[str, str]] = None, with_tags: bool = True) -> WindowState:
    """Tags, targets and tasks of a window (tasks in full: Describe lacks invocation parameters).

    A no-op converge of a window costs 5 reads plus one per task.
    """
    window_id = api_window["WindowId"]
    state = WindowState(api_window=api_window)
    if tags is not None:
        state.tags = tags
    elif with_tags:
        state.tags = _ssm.list_window_tags(client, window_id)
    state.api_targets = _ssm.describe_targets(client, window_id)
    tasks = _ssm.describe_tasks(client, window_id)
    if full_tasks:
        tasks = [_ssm.get_task(client, window_id, x["WindowTaskId"]) or x for x in tasks]
    else:
        tasks = [dict(x, TaskType=x.get("Type")) for x in tasks]
    state.api_tasks = tasks
    return state


def window_state(client, name: t.Optional[str], window_id: t.Optional[str], full_tasks: bool = True
                 ) -> t.Optional[WindowState]:
    api_window = find_window(client, name, window_id)
    # Targets and tasks alone never need the window's tags.
    return read_window_state(client, api_window, full_tasks, with_tags=full_tasks) if api_window else None


def require_window(client, name: t.Optional[str], window_id: t.Optional[str], full_tasks: bool) -> WindowState:
    state = window_state(client, name, window_id, full_tasks)
    if state is None:
        which = f"with ID {window_id}" if window_id else f"named '{name}'"
        raise DefinitionError([d.Problem("window_id" if window_id else "window",
                                         f"no maintenance window {which} exists")])
    return state


# ----------------------------------------------------------------------------- writing

def _substitute(value: t.Any, ids: t.Mapping[str, str]) -> t.Any:
    if isinstance(value, dict):
        return {k: _substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, ids) for v in value]
    if isinstance(value, str) and value in ids:
        return ids[value]
    return value


def _send(client, operation: str, request: Doc) -> t.Optional[str]:
    if operation == "CreateMaintenanceWindow":
        return _ssm.create_window(client, request)
    if operation == "UpdateMaintenanceWindow":
        _ssm.update_window(client, request)
    elif operation == "DeleteMaintenanceWindow":
        _ssm.delete_window(client, request["WindowId"])
    elif operation == "AddTagsToResource":
        _ssm.add_window_tags(client, request["ResourceId"], {x["Key"]: x["Value"] for x in request["Tags"]})
    elif operation == "RemoveTagsFromResource":
        _ssm.remove_window_tags(client, request["ResourceId"], request["TagKeys"])
    elif operation == "RegisterTargetWithMaintenanceWindow":
        return _ssm.register_target(client, request)
    elif operation == "UpdateMaintenanceWindowTarget":
        _ssm.update_target(client, request)
    elif operation == "DeregisterTargetFromMaintenanceWindow":
        _ssm.deregister_target(client, request["WindowId"], request["WindowTargetId"], request["Safe"])
    elif operation == "RegisterTaskWithMaintenanceWindow":
        return _ssm.register_task(client, request)
    elif operation == "UpdateMaintenanceWindowTask":
        _ssm.update_task(client, request)
    elif operation == "DeregisterTaskFromMaintenanceWindow":
        _ssm.deregister_task(client, request["WindowId"], request["WindowTaskId"])
    else:  # pragma: no cover - a planning bug
        raise ValueError(f"unknown operation {operation}")
    return None


def execute(client, ops: t.Sequence[Op]) -> t.Dict[str, str]:
    """Send the writes in order; returns placeholder -> real ID for what was created."""
    ids: t.Dict[str, str] = {}
    for op in ops:
        new_id = _send(client, op.operation, _substitute(op.request, ids))
        if op.result_id and new_id:
            ids[op.result_id] = new_id
    return ids


def apply(client, plan: Plan, check_mode: bool) -> t.Dict[str, str]:
    if check_mode or not plan.ops:
        return {}
    return execute(client, plan.ops)


# ----------------------------------------------------------------------------- ensure_*

def ensure_window(client, name: t.Optional[str], window_id: t.Optional[str], desired: t.Optional[Doc],
                  check_mode: bool, *,
                  purge_tags: bool = True, purge_targets: bool = True, purge_tasks: bool = True,
                  force: bool = False) -> t.Tuple[Plan, t.Optional[Doc]]:
    """Converge one window (``desired`` None: absent).  Returns the plan and the final document."""
    state = window_state(client, name, window_id)
    if desired is not None and window_id and state is None:
        raise DefinitionError([d.Problem("window_id", f"no maintenance window with ID {window_id} exists")])
    plan = plan_window(desired, state, _ssm.service_model(), purge_tags=purge_tags, purge_targets=purge_targets,
                       purge_tasks=purge_tasks, force=force)
    ids = apply(client, plan, check_mode)
    final = plan.after
    if plan.changed and not check_mode and desired is not None:
        new_id = ids.get(NEW_WINDOW_ID) or (state.window_id if state else None)
        final = state_document(read_window_state(client, _ssm.get_window(client, new_id)))
    return plan, final


def _matched_task(client, state: WindowState, desired: Doc) -> t.Optional[Doc]:
    """The current task this definition names, read in full (or None)."""
    summaries = [dict(x, TaskType=x.get("Type")) for x in state.api_tasks]
    current = [d.task_from_api(x, {}) for x in summaries]
    pairs, _unmatched, problems = d.match_by_identity([d.normalize_task(desired)], current, "window_task_id")
    if problems:
        raise DefinitionError([d.Problem("name", problems[0].message)])
    have = pairs[0][1]
    if have is None:
        return None
    return _ssm.get_task(client, state.window_id, have["window_task_id"])


def ensure_target(client, window: t.Optional[str], window_id: t.Optional[str], desired: Doc, present: bool,
                  check_mode: bool, force: bool = False) -> t.Tuple[Plan, t.Optional[Doc], t.Optional[str]]:
    state = window_state(client, window, window_id, full_tasks=False)
    if state is None:
        if not present:
            return Plan(), None, None
        require_window(client, window, window_id, False)
    plan = plan_target(desired, present, state, _ssm.service_model(), force=force)
    ids = apply(client, plan, check_mode)
    final = plan.after
    if final is not None and plan.changed and not check_mode:
        target_id = ids.get(final.get("window_target_id") or "", final.get("window_target_id")) or \
            next(iter(ids.values()), None)
        targets = [d.target_from_api(x) for x in _ssm.describe_targets(client, state.window_id)]
        final = next((x for x in targets if x["window_target_id"] == target_id), final)
    return plan, final, state.window_id


def ensure_task(client, window: t.Optional[str], window_id: t.Optional[str], desired: Doc, present: bool,
                check_mode: bool) -> t.Tuple[Plan, t.Optional[Doc], t.Optional[str]]:
    state = window_state(client, window, window_id, full_tasks=False)
    if state is None:
        if not present:
            return Plan(), None, None
        require_window(client, window, window_id, False)
    current = _matched_task(client, state, desired)
    plan = plan_task(desired, present, state, current, _ssm.service_model())
    ids = apply(client, plan, check_mode)
    final = plan.after
    if final is not None and plan.changed and not check_mode:
        task_id = next(iter(ids.values()), None) or (current or {}).get("WindowTaskId")
        final = d.task_from_api(_ssm.get_task(client, state.window_id, task_id), state.target_names_by_id())
    return plan, final, state.window_id


def list_windows(client, name: t.Optional[str] = None, enabled: t.Optional[bool] = None,
                 tags: t.Optional[t.Mapping[str, str]] = None, window_ids: t.Optional[t.Sequence[str]] = None
                 ) -> t.List[Doc]:
    """Windows in the vocabulary (with targets and full tasks), filtered server- or client-side."""
    filters = []
    if name:
        filters.append({"Key": "Name", "Values": [name]})
    if enabled is not None:
        filters.append({"Key": "Enabled", "Values": ["true" if enabled else "false"]})
    identities = _ssm.describe_windows(client, filters)
    if name:
        identities = [w for w in identities if w.get("Name") == name]
    if window_ids:
        identities = [w for w in identities if w["WindowId"] in window_ids]
    out = []
    for identity in identities:
        api_window = _ssm.get_window(client, identity["WindowId"])
        if api_window is None:
            continue  # deleted meanwhile
        window_tags = _ssm.list_window_tags(client, identity["WindowId"])
        if tags and any(window_tags.get(k) != str(v) for k, v in tags.items()):
            continue
        state = read_window_state(client, api_window, tags=window_tags)
        out.append(state_document(state))
    return out
