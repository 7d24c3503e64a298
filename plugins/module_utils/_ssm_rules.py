# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Validate one SSM maintenance-window API request the way the service does, before anything is written.

One implementation serves two sides: the collection's modules check a request before the first
write call, and the test sandbox (``tests/sandbox/mwsandbox``) answers ``ValidationException``
with the same rules. Pure Python: no Ansible, boto3 or botocore imports. The caller passes
botocore's raw service model dict (``loader.load_service_model("ssm", "service-2")``); the shape
constraints are read from it by ``_shape_check``, this file holds only the SSM rules the model
cannot express. The schedule rules (cutoff below duration, dates, time zone, offset) have their
home in ``_schedule.validate_window_schedule``; this file maps them to API member names.

Public API:

``check_request(operation, params, model) -> list[Violation]``
    Shape constraints over the operation's input shape, then the cross-field rules for the
    maintenance-window operations. ``params`` are boto3-style request parameters (blobs as
    ``bytes`` or ``str``). For a partial ``Update*`` request only the rules whose inputs are all
    present are checked; with ``Replace=True`` the request must carry everything
    Create/Register requires.

``check_window_fields(fields, complete=True)``, ``check_target_fields(fields, complete=True)``,
``check_task_fields(fields, complete=True)`` -> ``list[Violation]``
    Cross-field rules only, on a whole resource in API member names (``Duration``, ``Cutoff``,
    ``ResourceType``, ``TaskType``, ``Targets``, ...). The sandbox calls them on the merged
    state after an ``Update*`` call. With ``complete=False`` an absent field means "unknown"
    and rules that need it are skipped; with ``complete=True`` it means "not set".

``aws_error_message`` and ``Violation`` come from ``_shape_check`` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._shape_check import ShapeChecker
from ._shape_check import Violation
from ._shape_check import aws_error_message
from ._shape_check import aws_path
from ._shape_check import required_violation

__all__ = ["Violation", "aws_error_message", "aws_path", "check_request", "check_window_fields",
           "check_target_fields", "check_task_fields"]

WINDOW_OPERATIONS = ("CreateMaintenanceWindow", "UpdateMaintenanceWindow")
TARGET_OPERATIONS = ("RegisterTargetWithMaintenanceWindow", "UpdateMaintenanceWindowTarget")
TASK_OPERATIONS = ("RegisterTaskWithMaintenanceWindow", "UpdateMaintenanceWindowTask")
# The Create/Register operation whose required members an Update with Replace=true must carry.
_REPLACE_REQUIRES = {
    "UpdateMaintenanceWindow": "CreateMaintenanceWindow",
    "UpdateMaintenanceWindowTarget": "RegisterTargetWithMaintenanceWindow",
    "UpdateMaintenanceWindowTask": "RegisterTaskWithMaintenanceWindow",
}
# TaskInvocationParameters member that belongs to each TaskType.
INVOCATION_MEMBER_FOR_TASK_TYPE = {
    "RUN_COMMAND": "RunCommand",
    "AUTOMATION": "Automation",
    "LAMBDA": "Lambda",
    "STEP_FUNCTIONS": "StepFunctions",
}
# Target quotas documented in the user guide (not expressed in the service model).
MAX_INSTANCE_IDS_PER_TARGET = 50
MAX_TAG_ENTRIES_PER_TARGET = 5
MAX_WINDOW_TARGET_IDS_PER_TASK = 10
MAX_INSTANCE_IDS_PER_TASK = 50
RESOURCE_GROUP_NAME_KEY = "resource-groups:Name"
RESOURCE_GROUP_FILTER_KEY = "resource-groups:ResourceTypeFilters"


# --------------------------------------------------------------------------- public API


def check_request(operation: str, params: Mapping[str, Any], model: Mapping[str, Any]) -> list[Violation]:
    """Every violation of ``operation``'s input constraints and cross-field rules in ``params``."""
    try:
        input_shape = model["operations"][operation]["input"]["shape"]
    except KeyError:
        if operation not in model["operations"]:
            raise ValueError(f"unknown operation {operation!r}") from None
        return []  # an operation without input members accepts nothing to validate
    violations = ShapeChecker(model["shapes"]).check(input_shape, params, "")
    violations += _replace_requirements(operation, params, model)
    violations += _cross_field(operation, params)
    return violations


def check_window_fields(fields: Mapping[str, Any], complete: bool = True) -> list[Violation]:
    """Cross-field rules of a maintenance window (API member names): the schedule rules.

    Only these rules read schedules, so the schedule core (``_schedule``) is imported inside
    them: a target or task check, and a module run that checks no window, skip that import.
    """
    return _schedule_violations(_Fields(fields, complete))


def check_target_fields(fields: Mapping[str, Any], complete: bool = True) -> list[Violation]:
    """Cross-field rules of a window target: the Targets shape allowed for its ResourceType."""
    view = _Fields(fields, complete)
    targets = view.get("Targets")
    if not view.known("Targets") or not isinstance(targets, (list, tuple)):
        return []
    entries = [t for t in targets if isinstance(t, Mapping)]
    resource_type = view.get("ResourceType")
    if resource_type is None:
        # Update requests do not carry ResourceType: judge the entries by their keys.
        uses_groups = any(key.startswith("resource-groups:") for _index, key in _target_keys(entries))
        resource_type = "RESOURCE_GROUP" if uses_groups else "INSTANCE"
    if resource_type == "RESOURCE_GROUP":
        return _check_resource_group_targets(entries)
    if resource_type == "INSTANCE":
        return _check_no_resource_group_keys(entries) + _check_instance_targets(entries)
    return []  # an unknown ResourceType is reported by the enum constraint


def check_task_fields(fields: Mapping[str, Any], complete: bool = True) -> list[Violation]:
    """Cross-field rules of a window task: targets, rate controls, invocation parameters."""
    view = _Fields(fields, complete)
    return _check_task_targets(view) + _check_rate_controls(view) + _check_invocation_member(view)


# --------------------------------------------------------------------------- cross-field rules


class _Fields:
    """A resource's fields; tells "not set" (complete) from "not known" (partial update)."""

    def __init__(self, fields: Mapping[str, Any], complete: bool) -> None:
        self._fields = fields
        self._complete = complete

    def known(self, name: str) -> bool:
        return self._complete or name in self._fields

    def get(self, name: str) -> Any:
        return self._fields.get(name)


def _replace_requirements(operation: str, params: Mapping[str, Any], model: Mapping[str, Any]) -> list[Violation]:
    """With Replace=true an Update must carry every member Create/Register requires."""
    base = _REPLACE_REQUIRES.get(operation)
    if base is None or params.get("Replace") is not True:
        return []
    shapes = model["shapes"]
    update_members = shapes[model["operations"][operation]["input"]["shape"]].get("members", {})
    required = shapes[model["operations"][base]["input"]["shape"]].get("required", [])
    return [required_violation(name, "is required when Replace is true")
            for name in required if name in update_members and params.get(name) is None]


def _cross_field(operation: str, params: Mapping[str, Any]) -> list[Violation]:
    complete = not operation.startswith("Update") or params.get("Replace") is True
    if operation in WINDOW_OPERATIONS:
        return check_window_fields(params, complete)
    if operation in TARGET_OPERATIONS:
        return check_target_fields(params, complete)
    if operation in TASK_OPERATIONS:
        return check_task_fields(params, complete)
    return []


# --- windows: the schedule core's rules, in API member names and AWS's words

# Schedule-core field -> API member.
_WINDOW_MEMBERS = {"schedule": "Schedule", "schedule_timezone": "ScheduleTimezone", "schedule_offset": "ScheduleOffset",
                   "start_date": "StartDate", "end_date": "EndDate", "duration": "Duration", "cutoff": "Cutoff"}


def _in_range(value: Any, bounds: tuple[int, int]) -> int | None:
    """An integer inside the member's bounds, else None: the shape constraints report the rest."""
    if isinstance(value, int) and not isinstance(value, bool) and bounds[0] <= value <= bounds[1]:
        return value
    return None


def _schedule_violations(view: _Fields) -> list[Violation]:
    from ._schedule import CUTOFF_RANGE, DURATION_RANGE, OFFSET_RANGE, WindowSchedule, validate_window_schedule

    out: list[Violation] = []
    dates: dict[str, str | None] = {}
    for name in ("StartDate", "EndDate"):
        text = view.get(name)
        if text == "":
            out.append(Violation(name, text, "Member must have length greater than or equal to 1", "must not be empty"))
        dates[name] = text if isinstance(text, str) and text else None
    schedule, zone = view.get("Schedule"), view.get("ScheduleTimezone")
    spec = WindowSchedule(
        schedule=schedule,
        timezone=(zone or "-") if isinstance(zone, str) else "UTC",  # "" is no zone at all, not UTC
        offset=_in_range(view.get("ScheduleOffset"), OFFSET_RANGE),
        start_date=dates["StartDate"], end_date=dates["EndDate"],
        duration=_in_range(view.get("Duration"), DURATION_RANGE),
        cutoff=_in_range(view.get("Cutoff"), CUTOFF_RANGE),
    )
    for error in validate_window_schedule(spec):
        if error.field == "schedule" and not isinstance(schedule, str):
            continue  # a missing or mistyped Schedule is the shape constraints' to report
        member = _WINDOW_MEMBERS.get(error.field, "Schedule")  # the other fields are parts of the expression
        value = view.get(member)
        rule = "must be an IANA time zone name, not an empty string" if value == "" else error.rule
        out.append(Violation(member, value, _aws_schedule_text(member, value, view, error), rule))
    return out


def _aws_schedule_text(member: str, value: Any, view: _Fields, error: Exception) -> str:
    """The message AWS answers for a broken schedule rule (the sandbox repeats it)."""
    if member == "Cutoff":
        return f"Cutoff was {value} but must be at most {view.get('Duration') - 1} (Duration - 1)"
    if member == "Schedule":
        return f"Invalid schedule expression: {error}"
    if member == "ScheduleOffset":
        return "ScheduleOffset is supported for cron expressions only"
    if member == "ScheduleTimezone":
        return f"Invalid ScheduleTimezone: {value} is not an IANA time zone"
    if member == "EndDate" and "start_date" in getattr(error, "rule", ""):
        return "EndDate must be later than StartDate"
    return f"Invalid {member}: {value} is not an ISO-8601 extended date and time"


# --- window targets


def _target_keys(entries: Sequence[Mapping[str, Any]]) -> list[tuple[int, str]]:
    return [(i, e.get("Key")) for i, e in enumerate(entries) if isinstance(e.get("Key"), str)]


def _values(entry: Mapping[str, Any]) -> list[Any]:
    values = entry.get("Values")
    return list(values) if isinstance(values, (list, tuple)) else []


def _is_tag_key(key: str) -> bool:
    return key == "tag-key" or (key.startswith("tag:") and len(key) > 4)


def _check_no_resource_group_keys(entries: Sequence[Mapping[str, Any]]) -> list[Violation]:
    return [
        Violation(f"Targets[{i}].Key", key,
                  f"Target key {key} is only supported for the RESOURCE_GROUP resource type",
                  f"{key} can only be used when ResourceType is RESOURCE_GROUP")
        for i, key in _target_keys(entries)
        if key.startswith("resource-groups:")
    ]


def _check_instance_targets(entries: Sequence[Mapping[str, Any]]) -> list[Violation]:
    if not entries:
        return [Violation("Targets", [], "You must specify at least one target",
                          "needs instance IDs, tag-key or tag:<tag-key> entries (got none)")]
    keys = _target_keys(entries)
    instance = [(i, k) for i, k in keys if k == "InstanceIds"]
    if instance:
        return _check_instance_id_target(entries, instance)
    out: list[Violation] = []
    for i, key in keys:
        if not _is_tag_key(key) and not key.startswith("resource-groups:"):
            out.append(Violation(f"Targets[{i}].Key", key,
                                 "Target key must be InstanceIds, tag-key or tag:<tag-key>",
                                 f"must be InstanceIds, tag-key or tag:<tag-key> (got {key!r})"))
    if len(entries) > MAX_TAG_ENTRIES_PER_TARGET:
        out.append(Violation("Targets", list(entries),
                             f"You can specify up to {MAX_TAG_ENTRIES_PER_TARGET} tag targets",
                             f"can hold at most {MAX_TAG_ENTRIES_PER_TARGET} tag entries (got {len(entries)})"))
    return out


def _check_instance_id_target(entries: Sequence[Mapping[str, Any]], instance: list[tuple[int, str]]) -> list[Violation]:
    if len(entries) > 1:
        return [Violation("Targets", list(entries),
                          "InstanceIds targets must be a single target with key InstanceIds",
                          "an InstanceIds target cannot be combined with other target entries")]
    index = instance[0][0]
    ids = _values(entries[index])
    if 1 <= len(ids) <= MAX_INSTANCE_IDS_PER_TARGET:
        return []
    return [Violation(f"Targets[{index}].Values", ids,
                      f"InstanceIds target must have between 1 and {MAX_INSTANCE_IDS_PER_TARGET} instance IDs",
                      f"must list 1 to {MAX_INSTANCE_IDS_PER_TARGET} instance IDs (got {len(ids)})")]


def _check_resource_group_targets(entries: Sequence[Mapping[str, Any]]) -> list[Violation]:
    out: list[Violation] = []
    names = [(i, k) for i, k in _target_keys(entries) if k == RESOURCE_GROUP_NAME_KEY]
    for i, key in _target_keys(entries):
        if key not in (RESOURCE_GROUP_NAME_KEY, RESOURCE_GROUP_FILTER_KEY):
            out.append(Violation(f"Targets[{i}].Key", key,
                                 "RESOURCE_GROUP targets support only the keys resource-groups:Name and "
                                 "resource-groups:ResourceTypeFilters",
                                 f"must be resource-groups:Name or resource-groups:ResourceTypeFilters (got {key!r})"))
    if len(names) != 1:
        out.append(Violation("Targets", list(entries), "You can specify only one resource group as a target",
                             f"needs exactly one resource-groups:Name entry (got {len(names)})"))
    elif len(_values(entries[names[0][0]])) != 1:
        index = names[0][0]
        out.append(Violation(f"Targets[{index}].Values", _values(entries[index]),
                             "You can specify only one resource group as a target",
                             "must name exactly one resource group"))
    return out


# --- window tasks


def _task_targets(view: _Fields) -> list[Mapping[str, Any]] | None:
    """The task's target entries, [] for a targetless task, None when unknown."""
    if not view.known("Targets"):
        return None
    targets = view.get("Targets")
    if targets is None:
        return []
    return [t for t in targets if isinstance(t, Mapping)] if isinstance(targets, (list, tuple)) else None


def _check_task_targets(view: _Fields) -> list[Violation]:
    entries = _task_targets(view)
    out: list[Violation] = []
    if entries is None:
        return out
    if not entries:
        if view.get("TaskType") == "RUN_COMMAND":
            out.append(Violation("Targets", view.get("Targets"),
                                 "One or more targets must be specified for maintenance window Run Command-type tasks",
                                 "a RUN_COMMAND task needs targets"))
        return out
    limits = {"WindowTargetIds": MAX_WINDOW_TARGET_IDS_PER_TASK, "InstanceIds": MAX_INSTANCE_IDS_PER_TASK}
    allowed_text = (f"Targets must be either 1 target with key InstanceIds and between 1 and {MAX_INSTANCE_IDS_PER_TASK} "
                    f"instance IDs, or 1 target with key WindowTargetIds and between 1 and "
                    f"{MAX_WINDOW_TARGET_IDS_PER_TASK} maintenance window target IDs")
    if len(entries) > 1:
        return [Violation("Targets", list(entries), allowed_text, f"a task takes exactly one target entry (got {len(entries)})")]
    key, values = entries[0].get("Key"), _values(entries[0])
    if key not in limits:
        return [Violation("Targets[0].Key", key, allowed_text, f"must be WindowTargetIds or InstanceIds (got {key!r})")]
    if not 1 <= len(values) <= limits[key]:
        out.append(Violation("Targets[0].Values", values, allowed_text,
                             f"{key} takes 1 to {limits[key]} values (got {len(values)})"))
    return out


def _check_rate_controls(view: _Fields) -> list[Violation]:
    entries = _task_targets(view)
    out: list[Violation] = []
    for name in ("MaxConcurrency", "MaxErrors"):
        if entries is None or not view.known(name):
            continue
        value = view.get(name)
        if not entries and value is not None:
            out.append(Violation(name, value, f"Maintenance window tasks without targets don't support {name} values",
                                 "must not be set for a task without targets"))
        elif entries and value is None:
            out.append(Violation(name, None, f"{name} is required for maintenance window tasks with targets",
                                 "is required for a task with targets"))
    return out


def _check_invocation_member(view: _Fields) -> list[Violation]:
    task_type = view.get("TaskType")
    params = view.get("TaskInvocationParameters")
    expected = INVOCATION_MEMBER_FOR_TASK_TYPE.get(task_type) if isinstance(task_type, str) else None
    if expected is None or not isinstance(params, Mapping):
        return []
    return [
        Violation(f"TaskInvocationParameters.{member}", value,
                  f"TaskInvocationParameters.{member} does not match TaskType {task_type}",
                  f"a {task_type} task takes only TaskInvocationParameters.{expected}")
        for member, value in params.items()
        if value is not None and member != expected
    ]
