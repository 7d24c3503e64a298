# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Converge: read what AWS has (``_ssm``), plan (``_plan_window``, ``_plan_target``,
``_plan_task``), then send the planned writes in order (``execute``).

``ensure_window`` returns ``(plan, final document)``; ``ensure_target`` and ``ensure_task``
return ``(plan, final document, window ID)``. They take the boto3 client, the desired
definition and ``check_mode``, never the Ansible module. A write that fails after earlier
writes raises ``PartialApply`` listing them; ``ControllerGone`` when the run was stopped.
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
from ._plan import client_token
from ._plan import state_document
from ._plan_target import plan_target
from ._plan_task import plan_task
from ._plan_window import plan_window

Doc = dict[str, t.Any]


# ----------------------------------------------------------------------------- reading

def find_window(client, name: str | None = None, window_id: str | None = None,
                name_option: str = "name") -> Doc | None:
    """GetMaintenanceWindow result for the window with this ID, or the one with this name.

    Two windows with the same name is an error naming their IDs: we never guess. A name and an
    ID that name different windows are refused.
    """
    if window_id:
        window = _ssm.get_window(client, window_id)
        if window and name and window.get("Name") != name:
            raise DefinitionError([d.Problem(name_option, f"'{name}' is not the name of maintenance window {window_id} "
                                                          f"('{window.get('Name')}'); {name_option} and window_id "
                                                          f"must agree")])
        return window
    return _window_named(client, _ssm.find_windows_by_name(client, name or ""), name)


def _window_named(client, matches: t.Sequence[Doc], name: str | None) -> Doc | None:
    """GetMaintenanceWindow of the one window in ``matches`` (identities of that name)."""
    if len(matches) > 1:
        ids = ", ".join(sorted(w["WindowId"] for w in matches))
        raise DefinitionError([d.Problem("name", f"{len(matches)} maintenance windows are named '{name}' ({ids}); "
                                                 f"give window_id to choose one")])
    if not matches:
        return None
    return _ssm.get_window(client, matches[0]["WindowId"])


def find_all_windows(client) -> list[Doc]:
    """The identity (ID, name, ...) of every window in the account-region: one paged
    DescribeMaintenanceWindows, for a batch that looks up many windows by name."""
    return _ssm.describe_windows(client)


def find_window_among(client, identities: t.Sequence[Doc], name: str | None = None,
                      window_id: str | None = None) -> Doc | None:
    """``find_window`` over identities already listed by ``find_all_windows`` (same rules, same
    errors); a window ID is read directly, as ``find_window`` does."""
    if window_id:
        return find_window(client, name, window_id)
    return _window_named(client, [w for w in identities if w.get("Name") == name], name)


def read_window_state(client, api_window: Doc, full_tasks: bool = True,
                      tags: dict[str, str] | None = None, with_tags: bool = True) -> WindowState:
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


def window_state(client, name: str | None, window_id: str | None, full_tasks: bool = True,
                 name_option: str = "name") -> WindowState | None:
    api_window = find_window(client, name, window_id, name_option)
    # Targets and tasks alone never need the window's tags.
    return read_window_state(client, api_window, full_tasks, with_tags=full_tasks) if api_window else None


def missing_window(name: str | None, window_id: str | None) -> DefinitionError:
    which = f"with ID {window_id}" if window_id else f"named '{name}'"
    return DefinitionError([d.Problem("window_id" if window_id else "window", f"no maintenance window {which} exists")])


def parent_window(client, window: str | None, window_id: str | None, present: bool,
                  check_mode: bool) -> WindowState | None:
    """The window a target or task belongs to.  In check mode a window named but not there yet
    is predicted empty (an earlier task of the same check run would create it)."""
    state = window_state(client, window, window_id, full_tasks=False, name_option="window")
    if state is not None or not present:
        return state
    if check_mode and window and not window_id:
        return WindowState(api_window={"WindowId": NEW_WINDOW_ID, "Name": window}, predicted=True)
    raise missing_window(window, window_id)


# ----------------------------------------------------------------------------- writing

def _substitute(value: t.Any, ids: t.Mapping[str, str]) -> t.Any:
    if isinstance(value, dict):
        return {k: _substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, ids) for v in value]
    if isinstance(value, str) and value in ids:
        return ids[value]
    return value


class PartialApply(Exception):
    """A write failed (or the run was told to stop) after earlier writes succeeded."""

    def __init__(self, done: list[Doc], cause: Exception) -> None:
        self.done = done
        self.cause = cause
        super().__init__(str(cause))


def _create(client, op: Op, request: Doc, fresh_windows: set[str]) -> str | None:
    """Send a Create/Register call under its derived ClientToken (``_ssm.create_once``: a stale
    token's resource is asked for again, a refused one stands while a resource of that name exists,
    else is asked again naming the parameters). Targets and tasks of a window this run created need
    no check: no earlier token can name that window.
    """
    window_key = request.get("WindowId") or "account"
    spec = _ssm.WRITE_OPERATIONS[op.operation]
    checked = window_key not in fresh_windows
    created_exists, identity_exists = spec.created_exists, spec.identity_exists
    return _ssm.create_once(
        lambda req: _ssm.write(client, op.operation, req), request,
        lambda stale: client_token(op.operation, window_key, op.token_seed or {}, stale),
        created_exists=(lambda new_id: created_exists(client, request, new_id)) if checked and created_exists else None,
        identity_exists=(lambda: identity_exists(client, request)) if checked and identity_exists else None)


def execute(client, ops: t.Sequence[Op], keep_going: t.Callable[[], bool] | None = None,
            done: list[Doc] | None = None) -> dict[str, str]:
    """Send the writes in order; returns placeholder -> real ID for what was created.

    ``keep_going`` is asked before every write; when it says no (the controller that started the
    module is gone) the run stops there.  A failure after some writes raises ``PartialApply``
    listing them.
    """
    ids: dict[str, str] = {}
    done = [] if done is None else done
    fresh_windows: set[str] = set()
    for op in ops:
        try:
            if keep_going is not None and not keep_going():
                raise ControllerGone("the ansible-playbook process that started this module is gone; "
                                     "stopped before the next write")
            request = _substitute(op.request, ids)
            if _ssm.WRITE_OPERATIONS[op.operation].client_token:
                new_id = _create(client, op, request, fresh_windows)
                if op.operation == "CreateMaintenanceWindow" and new_id:
                    fresh_windows.add(new_id)
            else:
                new_id = _ssm.write(client, op.operation, request)
        except Exception as e:  # pylint: disable=broad-except
            if not done:
                raise
            raise PartialApply(done, e) from e
        if op.result_id and new_id:
            ids[op.result_id] = new_id
        done.append(_describe_write(op.operation, request, new_id))
    return ids


class ControllerGone(Exception):
    pass


# Response member of a created resource's ID -> its name in the vocabulary.
_CREATED_ID_KEY = {"WindowId": "window_id", "WindowTargetId": "window_target_id", "WindowTaskId": "window_task_id"}


def _describe_write(operation: str, request: Doc, new_id: str | None) -> Doc:
    written = {"operation": operation}
    for key, out in (("WindowId", "window_id"), ("WindowTargetId", "window_target_id"), ("WindowTaskId", "window_task_id"),
                     ("ResourceId", "window_id"), ("Name", "name")):
        if request.get(key):
            written[out] = request[key]
    if new_id:
        written[_CREATED_ID_KEY[_ssm.WRITE_OPERATIONS[operation].new_id]] = new_id
    return written


def apply(client, plan: Plan, check_mode: bool, keep_going: t.Callable[[], bool] | None = None
          ) -> dict[str, str]:
    if check_mode or not plan.ops:
        return {}
    return execute(client, plan.ops, keep_going, plan.completed_writes)


# ----------------------------------------------------------------------------- ensure_*

def ensure_window(client, name: str | None, window_id: str | None, desired: Doc | None,
                  check_mode: bool, *,
                  purge_tags: bool = True, purge_targets: bool = True, purge_tasks: bool = True,
                  force: bool = False, keep_going: t.Callable[[], bool] | None = None
                  ) -> tuple[Plan, Doc | None]:
    """Converge one window (``desired`` None: absent).  Returns the plan and the final document."""
    state = window_state(client, name, window_id)
    plan = plan_window_for(state, window_id, desired, _ssm.service_model(client), purge_tags=purge_tags,
                           purge_targets=purge_targets, purge_tasks=purge_tasks, force=force)
    return plan, apply_window_plan(client, state, plan, desired, check_mode, keep_going)


def plan_window_for(state: WindowState | None, window_id: str | None, desired: Doc | None,
                    model: t.Mapping[str, t.Any], **options: bool) -> Plan:
    """The first half of ``ensure_window``: plan (and validate) against the state read."""
    if desired is not None and window_id and state is None:
        raise DefinitionError([d.Problem("window_id", f"no maintenance window with ID {window_id} exists")])
    return plan_window(desired, state, model, compare_tags=_ssm.window_tag_changes, **options)


def apply_window_plan(client, state: WindowState | None, plan: Plan, desired: Doc | None, check_mode: bool,
                      keep_going: t.Callable[[], bool] | None = None) -> Doc | None:
    """The second half of ``ensure_window``: send the writes, then read back the final document."""
    ids = apply(client, plan, check_mode, keep_going)
    final = plan.after
    if plan.changed and not check_mode and desired is not None:
        new_id = ids.get(NEW_WINDOW_ID) or (state.window_id if state else None)
        final = state_document(read_window_state(client, _ssm.get_window(client, new_id)))
    return final


def _task_candidates(client, state: WindowState, desired: Doc) -> list[Doc]:
    """The current tasks this definition may mean (its ID, its name, or unnamed ones), in full."""
    if state.predicted:
        return []
    summaries = state.api_tasks
    if desired.get("window_task_id"):
        chosen = [x for x in summaries if x["WindowTaskId"] == desired["window_task_id"]]
    elif desired.get("name"):
        chosen = [x for x in summaries if x.get("Name") == desired["name"]]
    else:
        chosen = [x for x in summaries if not x.get("Name") and x.get("TaskArn") == desired.get("task_arn")]
    return [task for task in (_ssm.get_task(client, state.window_id, x["WindowTaskId"]) for x in chosen) if task]


def ensure_target(client, window: str | None, window_id: str | None, desired: Doc, present: bool,
                  check_mode: bool, force: bool = False, keep_going: t.Callable[[], bool] | None = None
                  ) -> tuple[Plan, Doc | None, str | None]:
    state = parent_window(client, window, window_id, present, check_mode)
    if state is None:
        return Plan(), None, None
    plan = plan_target(desired, present, state, _ssm.service_model(client), force=force)
    ids = apply(client, plan, check_mode, keep_going)
    final = plan.after
    if final is not None and plan.changed and not check_mode:
        target_id = ids.get(final.get("window_target_id") or "", final.get("window_target_id")) or \
            next(iter(ids.values()), None)
        targets = [d.target_from_api(x) for x in _ssm.describe_targets(client, state.window_id)]
        final = next((x for x in targets if x["window_target_id"] == target_id), final)
    return plan, final, None if state.predicted else state.window_id


def ensure_task(client, window: str | None, window_id: str | None, desired: Doc, present: bool,
                check_mode: bool, keep_going: t.Callable[[], bool] | None = None
                ) -> tuple[Plan, Doc | None, str | None]:
    state = parent_window(client, window, window_id, present, check_mode)
    if state is None:
        return Plan(), None, None
    candidates = _task_candidates(client, state, desired)
    plan = plan_task(desired, present, state, candidates, _ssm.service_model(client), unknown_targets_ok=check_mode)
    ids = apply(client, plan, check_mode, keep_going)
    final = plan.after
    if final is not None and plan.changed and not check_mode:
        task_id = next(iter(ids.values()), None) or final.get("window_task_id")
        final = d.task_from_api(_ssm.get_task(client, state.window_id, task_id), state.target_names_by_id())
    return plan, final, None if state.predicted else state.window_id


def list_windows(client, name: str | None = None, enabled: bool | None = None,
                 tags: t.Mapping[str, str] | None = None, window_ids: t.Sequence[str] | None = None
                 ) -> list[Doc]:
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
