"""Maintenance-window operations for moto's SSM backend, installed by monkeypatching.

moto 5.2.5 implements ten of the maintenance-window operations, with fidelity bugs (see
docs/sandbox.md). This module replaces all of them and adds the missing ones, keeping the
state on moto's per-account/region ``SimpleSystemManagerBackend`` so that ``/moto-api/reset``
wipes it and moto's tagging code (which looks windows up in ``backend.windows``) keeps working.

Handlers are plain functions assigned onto ``SimpleSystemManagerResponse``: moto dispatches by
looking the snake_case operation name up on that class (a subclass would not be used by the
server's URL map). Shape validation happens before a request gets here (see ``_app``); the
handlers add the checks that need the stored state (merged fields of an update, references).
"""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib
import json
import uuid
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from moto.core.responses import ActionResult
from moto.ssm.exceptions import SSMException, ValidationException
from moto.ssm.models import SimpleSystemManagerBackend
from moto.ssm.responses import SimpleSystemManagerResponse

from . import _paths

_paths.ensure_collection_importable()

# pylint: disable=wrong-import-position
from ansible_collections.mwops.ssm.plugins.module_utils import _ssm_rules  # noqa: E402
from ansible_collections.mwops.ssm.plugins.module_utils import _schedule  # noqa: E402

from ._model import decode_blobs, ssm_model  # noqa: E402

WINDOW_FIELDS = ("Name", "Description", "StartDate", "EndDate", "Schedule", "ScheduleTimezone",
                 "ScheduleOffset", "Duration", "Cutoff", "AllowUnassociatedTargets", "Enabled")
TARGET_FIELDS = ("Targets", "OwnerInformation", "Name", "Description")
TASK_FIELDS = ("Targets", "TaskArn", "ServiceRoleArn", "TaskParameters", "TaskInvocationParameters",
               "Priority", "MaxConcurrency", "MaxErrors", "LoggingInfo", "Name", "Description",
               "CutoffBehavior", "AlarmConfiguration")
# The placeholder SSM stores for the rate controls of a task without targets.
TARGETLESS_PLACEHOLDER = "1"
DEFAULT_PAGE_SIZE = 10


# --------------------------------------------------------------------------- state


class Window:
    """A maintenance window: API fields plus its targets and tasks (both keep insertion order)."""

    def __init__(self, window_id: str, fields: Dict[str, Any]) -> None:
        self.id = window_id
        self.fields = fields
        self.targets: Dict[str, Dict[str, Any]] = {}
        self.tasks: Dict[str, Dict[str, Any]] = {}


class _Store:
    """Extra per-backend state: idempotency tokens."""

    def __init__(self) -> None:
        self.tokens: Dict[Tuple[str, str], Tuple[str, str]] = {}


def _store(backend: SimpleSystemManagerBackend) -> _Store:
    store = backend.__dict__.get("_mwsandbox_store")
    if store is None:
        store = backend.__dict__["_mwsandbox_store"] = _Store()
    return store


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _new_window_id() -> str:
    return "mw-" + uuid.uuid4().hex[:17]


# --------------------------------------------------------------------------- errors


def does_not_exist(message: str) -> SSMException:
    return SSMException("DoesNotExistException", message)


def _window(backend: SimpleSystemManagerBackend, window_id: str) -> Window:
    window = backend.windows.get(window_id)
    if not isinstance(window, Window):
        raise does_not_exist("Maintenance window %s does not exist" % window_id)
    return window


def _target(window: Window, target_id: str) -> Dict[str, Any]:
    if target_id not in window.targets:
        raise does_not_exist("Maintenance window target %s does not exist in window %s" % (target_id, window.id))
    return window.targets[target_id]


def _task(window: Window, task_id: str) -> Dict[str, Any]:
    if task_id not in window.tasks:
        raise does_not_exist("Maintenance window task %s does not exist in window %s" % (task_id, window.id))
    return window.tasks[task_id]


def _reject(violations: List[_ssm_rules.Violation]) -> None:
    if violations:
        raise ValidationException(_ssm_rules.aws_error_message(violations))


# --------------------------------------------------------------------------- request helpers


def _params(self: SimpleSystemManagerResponse) -> Dict[str, Any]:
    """The request body as boto3-style parameters (blobs decoded to bytes), validated.

    The server's WSGI layer has validated it already; checking again here keeps the rules in
    force under ``moto.mock_aws``, where that layer does not exist.
    """
    body = self.body or "{}"
    raw = json.loads(body) if isinstance(body, (str, bytes)) else {}
    operation = self._get_action()
    params = decode_blobs(operation, raw)
    _reject(_ssm_rules.check_request(operation, params, ssm_model()))
    return params


def _token_lookup(backend: SimpleSystemManagerBackend, operation: str, params: Mapping[str, Any]) -> Optional[str]:
    """The ID an earlier call with the same ClientToken created, or None for a new token."""
    token = params.get("ClientToken")
    if not token:
        return None
    seen = _store(backend).tokens.get((operation, token))
    if seen is None:
        return None
    digest, resource_id = seen
    if digest != _digest(params):
        raise SSMException("IdempotentParameterMismatch",
                           "Error while processing request: the ClientToken was used with different parameters")
    return resource_id


def _token_remember(backend: SimpleSystemManagerBackend, operation: str, params: Mapping[str, Any], resource_id: str) -> None:
    token = params.get("ClientToken")
    if token:
        _store(backend).tokens[(operation, token)] = (_digest(params), resource_id)


def _digest(params: Mapping[str, Any]) -> str:
    def default(value: Any) -> str:
        return base64.b64encode(value).decode() if isinstance(value, bytes) else str(value)
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=default).encode()).hexdigest()


def _apply_update(current: Dict[str, Any], params: Mapping[str, Any], fields: Tuple[str, ...]) -> Dict[str, Any]:
    """The fields after an Update call: given ones change; with Replace the others become null."""
    merged = dict(current)
    replace = params.get("Replace") is True
    for name in fields:
        if name in params and params[name] is not None:
            merged[name] = copy.deepcopy(params[name])
        elif replace:
            merged[name] = None
    return merged


def _page(items: List[Any], params: Mapping[str, Any]) -> Tuple[List[Any], Optional[str]]:
    """One page of ``items`` after NextToken, at most MaxResults long, and the next token."""
    start = 0
    token = params.get("NextToken")
    if token:
        try:
            start = max(0, int(json.loads(base64.b64decode(token.encode()).decode())["offset"]))
        except (ValueError, KeyError, TypeError):
            raise ValidationException("The specified token is invalid: %s" % token) from None
    size = params.get("MaxResults") or DEFAULT_PAGE_SIZE
    page = items[start:start + size]
    end = start + size
    next_token = base64.b64encode(json.dumps({"offset": end}).encode()).decode() if end < len(items) else None
    return page, next_token


def _filter_values(params: Mapping[str, Any], allowed: Tuple[str, ...]) -> Dict[str, List[str]]:
    out: Dict[str, List[str]] = {}
    for flt in params.get("Filters") or []:
        key = flt.get("Key")
        if key not in allowed:
            raise ValidationException("Invalid filter key %s; supported keys are %s" % (key, ", ".join(allowed)))
        out.setdefault(key, []).extend(flt.get("Values") or [])
    return out


def _matches(filters: Mapping[str, List[str]], values: Mapping[str, Any]) -> bool:
    """AND across keys, OR within one key's values; values compare as strings."""
    for key, wanted in filters.items():
        actual = values.get(key)
        actual_text = str(actual).lower() if isinstance(actual, bool) else str(actual)
        wanted_text = [w.lower() if isinstance(actual, bool) else w for w in wanted]
        if actual is None or actual_text not in wanted_text:
            return False
    return True


def _result(data: Mapping[str, Any]) -> ActionResult:
    return ActionResult({k: v for k, v in data.items() if v is not None})


# --------------------------------------------------------------------------- windows


def create_maintenance_window(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    backend = self.ssm_backend
    existing = _token_lookup(backend, "CreateMaintenanceWindow", params)
    if existing:
        return _result({"WindowId": existing})
    fields = {name: copy.deepcopy(params.get(name)) for name in WINDOW_FIELDS}
    fields["Enabled"] = True
    now = _now()
    fields["CreatedDate"] = fields["ModifiedDate"] = now
    window = Window(_new_window_id(), fields)
    backend.windows[window.id] = window
    if params.get("Tags"):
        backend.add_tags_to_resource("MaintenanceWindow", window.id, {t["Key"]: t["Value"] for t in params["Tags"]})
    _token_remember(backend, "CreateMaintenanceWindow", params, window.id)
    return _result({"WindowId": window.id})


def _window_view(window: Window) -> Dict[str, Any]:
    view = {"WindowId": window.id, **window.fields}
    view["NextExecutionTime"] = next_execution_time(window)
    return view


def get_maintenance_window(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    return _result(_window_view(_window(self.ssm_backend, params["WindowId"])))


def update_maintenance_window(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    window = _window(self.ssm_backend, params["WindowId"])
    merged = _apply_update(window.fields, params, WINDOW_FIELDS)
    if merged.get("Enabled") is None:
        merged["Enabled"] = window.fields.get("Enabled", True)  # Replace keeps the switch as it was
    _reject(_ssm_rules.check_window_fields(merged))
    merged["ModifiedDate"] = _now()
    window.fields = merged
    return _result(_window_view(window))


def describe_maintenance_windows(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    filters = _filter_values(params, ("Name", "Enabled"))
    windows = [w for w in self.ssm_backend.windows.values() if isinstance(w, Window)]
    matching = [_window_view(w) for w in windows if _matches(filters, w.fields)]
    page, token = _page(matching, params)
    return _result({"WindowIdentities": page, "NextToken": token})


def delete_maintenance_window(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    backend = self.ssm_backend
    window = _window(backend, params["WindowId"])
    del backend.windows[window.id]
    backend._resource_tags.get("MaintenanceWindow", {}).pop(window.id, None)  # pylint: disable=protected-access
    return _result({"WindowId": window.id})


# --------------------------------------------------------------------------- targets


def register_target_with_maintenance_window(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    backend = self.ssm_backend
    window = _window(backend, params["WindowId"])
    existing = _token_lookup(backend, "RegisterTargetWithMaintenanceWindow", params)
    if existing:
        return _result({"WindowTargetId": existing})
    target_id = str(uuid.uuid4())
    target = {name: copy.deepcopy(params.get(name)) for name in TARGET_FIELDS}
    target.update(WindowId=window.id, WindowTargetId=target_id, ResourceType=params["ResourceType"])
    window.targets[target_id] = target
    _token_remember(backend, "RegisterTargetWithMaintenanceWindow", params, target_id)
    return _result({"WindowTargetId": target_id})


def update_maintenance_window_target(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    window = _window(self.ssm_backend, params["WindowId"])
    target = _target(window, params["WindowTargetId"])
    merged = _apply_update(target, params, TARGET_FIELDS)
    _reject(_ssm_rules.check_target_fields(merged))
    window.targets[target["WindowTargetId"]] = merged
    return _result(merged)


def describe_maintenance_window_targets(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    window = _window(self.ssm_backend, params["WindowId"])
    filters = _filter_values(params, ("WindowTargetId", "Type", "OwnerInformation"))
    matching = [
        t for t in window.targets.values()
        if _matches(filters, {"WindowTargetId": t["WindowTargetId"], "Type": t["ResourceType"],
                              "OwnerInformation": t.get("OwnerInformation")})
    ]
    page, token = _page(matching, params)
    return _result({"Targets": page, "NextToken": token})


def _tasks_using(window: Window, target_id: str) -> List[Dict[str, Any]]:
    return [
        task for task in window.tasks.values()
        if any(t.get("Key") == "WindowTargetIds" and target_id in (t.get("Values") or []) for t in task.get("Targets") or [])
    ]


def deregister_target_from_maintenance_window(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    window = _window(self.ssm_backend, params["WindowId"])
    target_id = params["WindowTargetId"]
    _target(window, target_id)
    users = _tasks_using(window, target_id)
    if users and params.get("Safe"):
        raise SSMException("TargetInUseException",
                           "Target %s is referenced by task(s) %s" % (target_id, ", ".join(t["WindowTaskId"] for t in users)))
    for task in users:  # an unsafe deregistration drops the reference from the tasks
        for entry in task["Targets"]:
            if entry.get("Key") == "WindowTargetIds":
                entry["Values"] = [v for v in entry.get("Values") or [] if v != target_id]
    del window.targets[target_id]
    return _result({"WindowId": window.id, "WindowTargetId": target_id})


# --------------------------------------------------------------------------- tasks


def _with_placeholders(task: Dict[str, Any]) -> Dict[str, Any]:
    """SSM reports 1 as MaxConcurrency/MaxErrors of a task without targets (never stored)."""
    if not task.get("Targets"):
        for name in ("MaxConcurrency", "MaxErrors"):
            if task.get(name) is None:
                task[name] = TARGETLESS_PLACEHOLDER
    return task


def _check_task_state(window: Window, task: Mapping[str, Any]) -> None:
    """Cross-field rules on the whole task plus the references only the stored state can check."""
    _reject(_ssm_rules.check_task_fields(task))
    for entry in task.get("Targets") or []:
        key, values = entry.get("Key"), entry.get("Values") or []
        if key == "WindowTargetIds":
            unknown = [v for v in values if v not in window.targets]
            if unknown:
                raise does_not_exist("Maintenance window target(s) %s do not exist in window %s" % (", ".join(unknown), window.id))
        elif key == "InstanceIds" and not window.fields.get("AllowUnassociatedTargets"):
            raise ValidationException(
                "Window %s does not allow unassociated targets; register the instances as a window target "
                "or set AllowUnassociatedTargets to true" % window.id
            )


def register_task_with_maintenance_window(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    backend = self.ssm_backend
    window = _window(backend, params["WindowId"])
    existing = _token_lookup(backend, "RegisterTaskWithMaintenanceWindow", params)
    if existing:
        return _result({"WindowTaskId": existing})
    task = {name: copy.deepcopy(params.get(name)) for name in TASK_FIELDS}
    task.update(WindowId=window.id, TaskType=params["TaskType"])
    if task.get("CutoffBehavior") is None:
        task["CutoffBehavior"] = "CONTINUE_TASK"  # documented default
    _check_task_state(window, task)
    task["WindowTaskId"] = str(uuid.uuid4())
    window.tasks[task["WindowTaskId"]] = task
    _token_remember(backend, "RegisterTaskWithMaintenanceWindow", params, task["WindowTaskId"])
    return _result({"WindowTaskId": task["WindowTaskId"]})


def _task_view(task: Mapping[str, Any]) -> Dict[str, Any]:
    # Describe's shape names the type "Type", Get's "TaskType": send both, the serializer drops one.
    return _with_placeholders({**copy.deepcopy(task), "Type": task["TaskType"]})


def get_maintenance_window_task(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    window = _window(self.ssm_backend, params["WindowId"])
    return _result(_task_view(_task(window, params["WindowTaskId"])))


def update_maintenance_window_task(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    window = _window(self.ssm_backend, params["WindowId"])
    task = _task(window, params["WindowTaskId"])
    merged = _apply_update(task, params, TASK_FIELDS)
    if "TaskInvocationParameters" not in params:
        merged["TaskInvocationParameters"] = None  # values not sent again are removed (E.4)
    _check_task_state(window, merged)
    window.tasks[task["WindowTaskId"]] = merged
    return _result(_task_view(merged))


def describe_maintenance_window_tasks(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    window = _window(self.ssm_backend, params["WindowId"])
    filters = _filter_values(params, ("WindowTaskId", "TaskArn", "Priority", "TaskType"))
    matching = [_task_view(t) for t in window.tasks.values() if _matches(filters, t)]
    page, token = _page(matching, params)
    return _result({"Tasks": page, "NextToken": token})


def deregister_task_from_maintenance_window(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    window = _window(self.ssm_backend, params["WindowId"])
    task = _task(window, params["WindowTaskId"])
    del window.tasks[task["WindowTaskId"]]
    return _result({"WindowId": window.id, "WindowTaskId": task["WindowTaskId"]})


# --------------------------------------------------------------------------- lookups


def _target_matches(target: Mapping[str, Any], wanted: List[Mapping[str, Any]], resource_type: str) -> bool:
    """Whether a window target names one of the wanted instance IDs / tags / resource group."""
    if target["ResourceType"] != resource_type:
        return False
    have = {(t.get("Key"), v) for t in target.get("Targets") or [] for v in t.get("Values") or []}
    return any((w.get("Key"), v) in have for w in wanted for v in w.get("Values") or [])


def describe_maintenance_windows_for_target(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    found = [
        {"WindowId": w.id, "Name": w.fields.get("Name")}
        for w in self.ssm_backend.windows.values()
        if isinstance(w, Window)
        and any(_target_matches(t, params["Targets"], params["ResourceType"]) for t in w.targets.values())
    ]
    page, token = _page(found, params)
    return _result({"WindowIdentities": page, "NextToken": token})


def _window_schedule(window: Window) -> Any:
    fields = window.fields
    return _schedule.WindowSchedule(
        schedule=fields["Schedule"],
        timezone=fields.get("ScheduleTimezone") or "UTC",
        offset=fields.get("ScheduleOffset"),
        start_date=fields.get("StartDate"),
        end_date=fields.get("EndDate"),
        duration=fields.get("Duration"),
        cutoff=fields.get("Cutoff"),
        created_at=fields.get("CreatedDate"),
    )


def next_execution_time(window: Window) -> Optional[str]:
    """When the window next opens, as SSM reports it; None when disabled or never again."""
    if not window.fields.get("Enabled"):
        return None
    try:
        upcoming = _schedule.occurrences(_window_schedule(window), _now(), 1)
    except ValueError:
        return None
    return _execution_time_text(upcoming[0].start) if upcoming else None


def _execution_time_text(moment: datetime.datetime) -> str:
    # SSM prints minutes precision with the zone's offset, "Z" for UTC: 2020-02-19T16:00Z.
    text = moment.strftime("%Y-%m-%dT%H:%M")
    offset = moment.strftime("%z")
    if offset in ("+0000", ""):
        return text + "Z"
    return "%s%s:%s" % (text, offset[:3], offset[3:])


SCHEDULE_HORIZON = 1000  # occurrences computed per request at most


def describe_maintenance_window_schedule(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    backend = self.ssm_backend
    if params.get("WindowId"):
        windows = [_window(backend, params["WindowId"])]
    elif params.get("Targets") and params.get("ResourceType"):
        windows = [w for w in backend.windows.values() if isinstance(w, Window) and any(
            _target_matches(t, params["Targets"], params["ResourceType"]) for t in w.targets.values())]
    else:
        raise ValidationException("Specify either WindowId or Targets and ResourceType")
    after, before = _schedule_bounds(params.get("Filters") or [])
    starts = sorted(((start, window) for window in windows for start in _upcoming(window, after or _now(), before)),
                    key=lambda pair: (pair[0], pair[1].id))
    rows = [{"WindowId": w.id, "Name": w.fields.get("Name"), "ExecutionTime": _execution_time_text(s)}
            for s, w in starts[:SCHEDULE_HORIZON]]
    page, token = _page(rows, params)
    return _result({"ScheduledWindowExecutions": page, "NextToken": token})


def _upcoming(window: Window, after: datetime.datetime, before: Optional[datetime.datetime]) -> List[datetime.datetime]:
    """Window starts strictly after ``after`` and before ``before`` (at most SCHEDULE_HORIZON)."""
    starts: List[datetime.datetime] = []
    if not window.fields.get("Enabled"):
        return starts
    for occurrence in _schedule.iter_occurrences(_window_schedule(window), after):
        if (before is not None and occurrence.start >= before) or len(starts) >= SCHEDULE_HORIZON:
            break
        starts.append(occurrence.start)
    return starts


def _schedule_bounds(filters: List[Mapping[str, Any]]) -> Tuple[Optional[datetime.datetime], Optional[datetime.datetime]]:
    after = before = None
    for flt in filters:
        key, values = flt.get("Key"), flt.get("Values") or []
        if key not in ("ScheduledAfter", "ScheduledBefore") or len(values) != 1:
            raise ValidationException("Filters must be ScheduledBefore or ScheduledAfter with one ISO-8601 value")
        try:
            moment = _schedule.parse_instant(values[0])
        except ValueError as exc:
            raise ValidationException(str(exc)) from None
        if key == "ScheduledAfter":
            after = moment
        else:
            before = moment
    return after, before


# --------------------------------------------------------------------------- install

HANDLERS: Dict[str, Callable[[SimpleSystemManagerResponse], ActionResult]] = {
    fn.__name__: fn
    for fn in (
        create_maintenance_window, get_maintenance_window, update_maintenance_window,
        describe_maintenance_windows, delete_maintenance_window,
        register_target_with_maintenance_window, update_maintenance_window_target,
        describe_maintenance_window_targets, deregister_target_from_maintenance_window,
        register_task_with_maintenance_window, get_maintenance_window_task,
        update_maintenance_window_task, describe_maintenance_window_tasks,
        deregister_task_from_maintenance_window, describe_maintenance_windows_for_target,
        describe_maintenance_window_schedule,
    )
}
_INSTALLED: List[bool] = []


def install() -> None:
    """Patch moto's SSM response class (idempotent; must run in the server process)."""
    if _INSTALLED:
        return
    ssm_model()  # load once up front, not on the first request
    for name, handler in HANDLERS.items():
        setattr(SimpleSystemManagerResponse, name, handler)
    _INSTALLED.append(True)


__all__ = ["install", "HANDLERS", "Window"]
