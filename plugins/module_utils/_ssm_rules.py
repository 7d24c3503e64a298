# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Validate one SSM API request the way the service does, before anything is written.

One implementation serves two sides: the collection's modules check a request before the first
write call, and the test sandbox (``tests/sandbox/mwsandbox``) answers ``ValidationException``
with the same rules. Pure Python: no Ansible, boto3 or botocore imports. The caller passes
botocore's raw service model dict (``loader.load_service_model("ssm", "service-2")``) and every
limit is read from it, never copied by hand.

Public API:

``check_request(operation, params, model) -> list[Violation]``
    Shape constraints over the operation's input shape (required members, string/list/map
    length, integer range, full-match pattern, enum, union, unknown members), then the
    cross-field rules for the maintenance-window operations. ``params`` are boto3-style
    request parameters (blobs as ``bytes`` or ``str``). For a partial ``Update*`` request only
    the rules whose inputs are all present are checked; with ``Replace=True`` the request
    must carry everything Create/Register requires.

``check_window_fields(fields, complete=True)``, ``check_target_fields(fields, complete=True)``,
``check_task_fields(fields, complete=True)`` -> ``list[Violation]``
    Cross-field rules only, on a whole resource in API member names (``Duration``, ``Cutoff``,
    ``ResourceType``, ``TaskType``, ``Targets``, ...). The sandbox calls them on the merged
    state after an ``Update*`` call. With ``complete=False`` an absent field means "unknown"
    and rules that need it are skipped; with ``complete=True`` it means "not set".

``aws_error_message(violations) -> str``
    The ``ValidationException`` text AWS would send, e.g. ``1 validation error detected: Value
    '25' at 'duration' failed to satisfy constraint: Member must have value less than or equal
    to 24``. Cross-field violations carry AWS's plain message in ``constraint``.

A violation's ``path`` uses API member names and 0-based list indexes (``Targets[1].Values``,
``TaskInvocationParameters.Automation.Parameters['Operation']``); ``aws_error_message`` prints
AWS's camelCase, 1-based form (``targets.2.member.values``).
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple


@dataclass(frozen=True)
class Violation:
    """One broken rule in a request."""

    path: str  # API member path: "Cutoff", "Targets[1].Values"
    value: Any  # offending value (None when missing)
    constraint: str  # AWS-style constraint text
    message: str  # plain words for a user naming the rule


# Shape-constraint texts start with this; cross-field texts are AWS's plain messages.
_SHAPE_PREFIX = "Member must"

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


def check_request(operation: str, params: Mapping[str, Any], model: Mapping[str, Any]) -> List[Violation]:
    """Every violation of ``operation``'s input constraints and cross-field rules in ``params``."""
    shapes = model["shapes"]
    try:
        input_shape = model["operations"][operation]["input"]["shape"]
    except KeyError:
        if operation not in model["operations"]:
            raise ValueError("unknown operation %r" % operation) from None
        return []  # an operation without input members accepts nothing to validate
    violations = _ShapeChecker(shapes).check(input_shape, params, "")
    violations += _replace_requirements(operation, params, model)
    violations += _cross_field(operation, params)
    return violations


def check_window_fields(fields: Mapping[str, Any], complete: bool = True) -> List[Violation]:
    """Cross-field rules of a maintenance window (API member names).

    Only these rules read schedules, so the schedule parser (``_schedule``) is imported inside
    them: a target or task check, and a module run that checks no window, skip that import.
    """
    view = _Fields(fields, complete)
    out: List[Violation] = []
    out += _check_cutoff(view)
    out += _check_schedule(view)
    out += _check_timezone(view)
    out += _check_dates(view)
    return out


def check_target_fields(fields: Mapping[str, Any], complete: bool = True) -> List[Violation]:
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


def check_task_fields(fields: Mapping[str, Any], complete: bool = True) -> List[Violation]:
    """Cross-field rules of a window task: targets, rate controls, invocation parameters."""
    view = _Fields(fields, complete)
    out: List[Violation] = []
    out += _check_task_targets(view)
    out += _check_rate_controls(view)
    out += _check_invocation_member(view)
    return out


def aws_error_message(violations: Sequence[Violation]) -> str:
    """The text of the ValidationException AWS would answer for these violations."""
    shape = [v for v in violations if v.constraint.startswith(_SHAPE_PREFIX)]
    if not shape:
        # The service reports one semantic error at a time, in its own words.
        return violations[0].constraint if violations else ""
    noun = "error" if len(shape) == 1 else "errors"
    parts = [
        "Value %s at '%s' failed to satisfy constraint: %s" % (_java_repr(v.value, top=True), aws_path(v.path), v.constraint)
        for v in shape
    ]
    return "%d validation %s detected: %s" % (len(shape), noun, "; ".join(parts))


def aws_path(path: str) -> str:
    """``Targets[1].Values`` -> ``targets.2.member.values`` (AWS prints camelCase, 1-based)."""
    out: List[str] = []
    for token in re.findall(r"\[\d+\]|\['(?:[^']|'')*'\]|[^.\[]+", path):
        if token.startswith("['"):
            out.append(token[2:-2].replace("''", "'"))
        elif token.startswith("["):
            out.append("%d.member" % (int(token[1:-1]) + 1))
        else:
            out.append(token[:1].lower() + token[1:])
    return ".".join(out)


# --------------------------------------------------------------------------- shape constraints


class _ShapeChecker:
    """Walks a value against a botocore shape and collects constraint violations."""

    def __init__(self, shapes: Mapping[str, Any]) -> None:
        self._shapes = shapes

    def check(self, shape_name: str, value: Any, path: str) -> List[Violation]:
        shape = self._shapes[shape_name]
        kind = shape["type"]
        checker = _TYPE_CHECKERS.get(kind)
        if checker is None:
            return []
        return checker(self, shape, value, path)

    def _structure(self, shape: Mapping[str, Any], value: Any, path: str) -> List[Violation]:
        if not isinstance(value, Mapping):
            return [_type_violation(path, value, "structure")]
        out: List[Violation] = []
        members = shape.get("members", {})
        for name in shape.get("required", []):
            if value.get(name) is None:
                out.append(Violation(_join(path, name), None, "Member must not be null", "is required"))
        for name, member_value in value.items():
            member_path = _join(path, name)
            if name not in members:
                out.append(Violation(member_path, member_value, "Member must be a known parameter",
                                     "is not a parameter of this request"))
            elif member_value is not None:
                out += self.check(members[name]["shape"], member_value, member_path)
        if shape.get("union"):
            out += _union_violation(path, value)
        return out

    def _list(self, shape: Mapping[str, Any], value: Any, path: str) -> List[Violation]:
        if not isinstance(value, (list, tuple)):
            return [_type_violation(path, value, "list")]
        out = _length_violations(shape, value, path, "items")
        member = shape["member"]["shape"]
        for index, item in enumerate(value):
            out += self.check(member, item, "%s[%d]" % (path, index))
        return out

    def _map(self, shape: Mapping[str, Any], value: Any, path: str) -> List[Violation]:
        if not isinstance(value, Mapping):
            return [_type_violation(path, value, "map")]
        out = _length_violations(shape, value, path, "entries")
        for key, item in value.items():
            item_path = "%s['%s']" % (path, str(key).replace("'", "''"))
            out += self.check(shape["key"]["shape"], key, item_path)
            out += self.check(shape["value"]["shape"], item, item_path)
        return out

    def _string(self, shape: Mapping[str, Any], value: Any, path: str) -> List[Violation]:
        if not isinstance(value, str):
            return [_type_violation(path, value, "string")]
        out = _length_violations(shape, value, path, "characters")
        if "enum" in shape and value not in shape["enum"]:
            allowed = ", ".join(shape["enum"])
            out.append(Violation(path, value, "Member must satisfy enum value set: [%s]" % allowed,
                                 "must be one of %s (got %r)" % (allowed, value)))
        pattern = shape.get("pattern")
        if pattern and not _pattern_matches(pattern, value):
            out.append(Violation(path, value, "Member must satisfy regular expression pattern: %s" % pattern,
                                 "must match the pattern %s (got %r)" % (pattern, value)))
        return out

    def _integer(self, shape: Mapping[str, Any], value: Any, path: str) -> List[Violation]:
        if isinstance(value, bool) or not isinstance(value, int):
            return [_type_violation(path, value, "integer")]
        out: List[Violation] = []
        # Without a bound of its own a member is still a Java int (or long): AWS refuses beyond it.
        low, high = _JAVA_RANGE[shape["type"]]
        minimum, maximum = shape.get("min", low), shape.get("max", high)
        if value < minimum:
            out.append(Violation(path, value, "Member must have value greater than or equal to %d" % minimum,
                                 "must be at least %d (got %d)" % (minimum, value)))
        if value > maximum:
            out.append(Violation(path, value, "Member must have value less than or equal to %d" % maximum,
                                 "must be at most %d (got %d)" % (maximum, value)))
        return out

    def _boolean(self, shape: Mapping[str, Any], value: Any, path: str) -> List[Violation]:
        if not isinstance(value, bool):
            return [_type_violation(path, value, "boolean")]
        return []

    def _blob(self, shape: Mapping[str, Any], value: Any, path: str) -> List[Violation]:
        if isinstance(value, str):
            value = value.encode("utf-8")
        if not isinstance(value, (bytes, bytearray)):
            return [_type_violation(path, value, "blob")]
        return _length_violations(shape, bytes(value), path, "bytes")

    def _timestamp(self, shape: Mapping[str, Any], value: Any, path: str) -> List[Violation]:
        if isinstance(value, bool) or not isinstance(value, (datetime.datetime, datetime.date, str, int, float)):
            return [_type_violation(path, value, "timestamp")]
        return []


_JAVA_RANGE = {"integer": (-(2 ** 31), 2 ** 31 - 1), "long": (-(2 ** 63), 2 ** 63 - 1)}

_TYPE_CHECKERS: Dict[str, Callable[[_ShapeChecker, Mapping[str, Any], Any, str], List[Violation]]] = {
    "structure": _ShapeChecker._structure,
    "list": _ShapeChecker._list,
    "map": _ShapeChecker._map,
    "string": _ShapeChecker._string,
    "integer": _ShapeChecker._integer,
    "long": _ShapeChecker._integer,
    "boolean": _ShapeChecker._boolean,
    "blob": _ShapeChecker._blob,
    "timestamp": _ShapeChecker._timestamp,
}


def _join(path: str, name: str) -> str:
    return "%s.%s" % (path, name) if path else name


def _type_violation(path: str, value: Any, expected: str) -> Violation:
    return Violation(path, value, "Member must be of type %s" % expected,
                     "must be a %s (got %s)" % (expected, type(value).__name__))


def _union_violation(path: str, value: Mapping[str, Any]) -> List[Violation]:
    present = [k for k, v in value.items() if v is not None]
    if len(present) <= 1:
        return []
    return [Violation(path, value, "Member must have exactly one member set",
                      "set only one of %s" % ", ".join(present))]


def _length_violations(shape: Mapping[str, Any], value: Any, path: str, unit: str) -> List[Violation]:
    out: List[Violation] = []
    size = len(value)
    if "min" in shape and size < shape["min"]:
        out.append(Violation(path, value, "Member must have length greater than or equal to %d" % shape["min"],
                             "must have at least %d %s (got %d)" % (shape["min"], unit, size)))
    if "max" in shape and size > shape["max"]:
        out.append(Violation(path, value, "Member must have length less than or equal to %d" % shape["max"],
                             "must have at most %d %s (got %d)" % (shape["max"], unit, size)))
    return out


# --- Java regular expressions (the service model's dialect) in Python's re.

# Unicode property classes become private-use stand-ins; see _pattern_matches.
_PROPERTY_STANDIN = {"L": "\ue000", "Z": "\ue001", "N": "\ue002", "P": "\ue003", "M": "\ue004", "S": "\ue005"}
_COMPILED: Dict[str, Optional["re.Pattern[str]"]] = {}


@functools.lru_cache(maxsize=None)
def _ascii_members(category: str) -> str:
    chars = [chr(c) for c in range(128) if unicodedata.category(chr(c)).startswith(category)]
    return "".join(re.escape(c) for c in chars)


def _translate_java_pattern(pattern: str) -> str:
    """Rewrite the Java-only parts of a model pattern for Python's re."""
    def property_class(match: "re.Match[str]") -> str:
        inner = _ascii_members(match.group(1)) + _PROPERTY_STANDIN[match.group(1)]
        return inner if _inside_class(pattern, match.start()) else "[%s]" % inner

    translated = re.sub(r"\\p\{([LZNPMS])\}", property_class, pattern)
    # Java reads "-" after a class escape inside [...] as a literal hyphen.
    return re.sub(r"(\\[wdsWDS])-", r"\1\\-", translated)


def _inside_class(pattern: str, index: int) -> bool:
    depth, escaped = 0, False
    for char in pattern[:index]:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
    return depth > 0


def _compiled(pattern: str) -> Optional["re.Pattern[str]"]:
    if pattern not in _COMPILED:
        try:
            _COMPILED[pattern] = re.compile(_translate_java_pattern(pattern))
        except re.error:
            _COMPILED[pattern] = None  # a dialect we cannot read: do not guess, accept
    return _COMPILED[pattern]


def _stand_in(char: str) -> str:
    if ord(char) < 128:
        return char
    return _PROPERTY_STANDIN.get(unicodedata.category(char)[0], char)


def _pattern_matches(pattern: str, value: str) -> bool:
    compiled = _compiled(pattern)
    if compiled is None:
        return True
    if "\\p{" in pattern:
        value = "".join(_stand_in(c) for c in value)
    return compiled.fullmatch(value) is not None


# --- values as AWS prints them (Java toString)


def _java_repr(value: Any, top: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        text = "[%s]" % ", ".join(_java_repr(v) for v in value)
    elif isinstance(value, Mapping):
        text = "{%s}" % ", ".join("%s=%s" % (k, _java_repr(v)) for k, v in value.items())
    elif isinstance(value, (bytes, bytearray)):
        text = "java.nio.HeapByteBuffer[pos=0 lim=%d cap=%d]" % (len(value), len(value))
    else:
        text = str(value)
    return "'%s'" % text if top else text


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

    def all_known(self, *names: str) -> bool:
        return all(self.known(n) for n in names)


def _replace_requirements(operation: str, params: Mapping[str, Any], model: Mapping[str, Any]) -> List[Violation]:
    """With Replace=true an Update must carry every member Create/Register requires."""
    base = _REPLACE_REQUIRES.get(operation)
    if base is None or params.get("Replace") is not True:
        return []
    shapes = model["shapes"]
    update_members = shapes[model["operations"][operation]["input"]["shape"]].get("members", {})
    required = shapes[model["operations"][base]["input"]["shape"]].get("required", [])
    return [
        Violation(name, None, "Member must not be null", "is required when Replace is true")
        for name in required
        if name in update_members and params.get(name) is None
    ]


def _cross_field(operation: str, params: Mapping[str, Any]) -> List[Violation]:
    complete = not operation.startswith("Update") or params.get("Replace") is True
    if operation in WINDOW_OPERATIONS:
        return check_window_fields(params, complete)
    if operation in TARGET_OPERATIONS:
        return check_target_fields(params, complete)
    if operation in TASK_OPERATIONS:
        return check_task_fields(params, complete)
    return []


def _int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _check_cutoff(view: _Fields) -> List[Violation]:
    duration, cutoff = _int(view.get("Duration")), _int(view.get("Cutoff"))
    if duration is None or cutoff is None or cutoff <= duration - 1:
        return []
    return [Violation("Cutoff", cutoff,
                      "Cutoff was %d but must be at most %d (Duration - 1)" % (cutoff, duration - 1),
                      "must be at most Duration - 1 = %d (got %d)" % (duration - 1, cutoff))]


def _check_schedule(view: _Fields) -> List[Violation]:
    from ansible_collections.mwops.ssm.plugins.module_utils._schedule import CronSchedule, ScheduleError, parse_schedule

    schedule = view.get("Schedule")
    parsed = None
    out: List[Violation] = []
    if isinstance(schedule, str):
        try:
            parsed = parse_schedule(schedule)
        except ScheduleError as exc:
            out.append(Violation("Schedule", schedule, "Invalid schedule expression: %s" % exc,
                                 getattr(exc, "rule", str(exc))))
    offset = view.get("ScheduleOffset")
    if offset is not None and parsed is not None and not isinstance(parsed, CronSchedule):
        out.append(Violation("ScheduleOffset", offset,
                             "ScheduleOffset is supported for cron expressions only",
                             "can only be used with a cron() schedule (schedule is %r)" % schedule))
    return out


def _check_timezone(view: _Fields) -> List[Violation]:
    from ansible_collections.mwops.ssm.plugins.module_utils._schedule import ScheduleError, load_timezone

    zone = view.get("ScheduleTimezone")
    if not isinstance(zone, str):
        return []
    try:
        load_timezone(zone or "-")  # "" is no zone at all, not UTC
    except ScheduleError:
        return [Violation("ScheduleTimezone", zone, "Invalid ScheduleTimezone: %s is not an IANA time zone" % zone,
                          "must be an IANA time zone such as America/New_York or UTC (got %r)" % zone)]
    return []


def _check_dates(view: _Fields) -> List[Violation]:
    from ansible_collections.mwops.ssm.plugins.module_utils._schedule import parse_instant

    out: List[Violation] = []
    parsed: Dict[str, datetime.datetime] = {}
    for name in ("StartDate", "EndDate"):
        text = view.get(name)
        if not isinstance(text, str):
            continue
        if text == "":
            out.append(Violation(name, text, "Member must have length greater than or equal to 1", "must not be empty"))
            continue
        try:
            parsed[name] = parse_instant(text, _zone_or_utc(view.get("ScheduleTimezone")))
        except ValueError:
            out.append(Violation(name, text, "Invalid %s: %s is not an ISO-8601 extended date and time" % (name, text),
                                 "must be an ISO-8601 date and time such as 2025-01-31T22:00:00Z (got %r)" % text))
    if len(parsed) == 2 and parsed["EndDate"] <= parsed["StartDate"]:
        out.append(Violation("EndDate", view.get("EndDate"), "EndDate must be later than StartDate",
                             "must be after StartDate %s (got %s)" % (view.get("StartDate"), view.get("EndDate"))))
    return out


def _zone_or_utc(name: Any) -> Optional[datetime.tzinfo]:
    from ansible_collections.mwops.ssm.plugins.module_utils._schedule import ScheduleError, load_timezone

    try:
        return load_timezone(name if isinstance(name, str) else None)
    except ScheduleError:
        return None  # reported by the time-zone rule; read the dates in UTC meanwhile


# --- window targets


def _target_keys(entries: Sequence[Mapping[str, Any]]) -> List[Tuple[int, str]]:
    return [(i, e.get("Key")) for i, e in enumerate(entries) if isinstance(e.get("Key"), str)]


def _values(entry: Mapping[str, Any]) -> List[Any]:
    values = entry.get("Values")
    return list(values) if isinstance(values, (list, tuple)) else []


def _is_tag_key(key: str) -> bool:
    return key == "tag-key" or (key.startswith("tag:") and len(key) > 4)


def _check_no_resource_group_keys(entries: Sequence[Mapping[str, Any]]) -> List[Violation]:
    return [
        Violation("Targets[%d].Key" % i, key,
                  "Target key %s is only supported for the RESOURCE_GROUP resource type" % key,
                  "%s can only be used when ResourceType is RESOURCE_GROUP" % key)
        for i, key in _target_keys(entries)
        if key.startswith("resource-groups:")
    ]


def _check_instance_targets(entries: Sequence[Mapping[str, Any]]) -> List[Violation]:
    if not entries:
        return [Violation("Targets", [], "You must specify at least one target",
                          "needs instance IDs, tag-key or tag:<tag-key> entries (got none)")]
    keys = _target_keys(entries)
    instance = [(i, k) for i, k in keys if k == "InstanceIds"]
    if instance:
        return _check_instance_id_target(entries, instance)
    out: List[Violation] = []
    for i, key in keys:
        if not _is_tag_key(key) and not key.startswith("resource-groups:"):
            out.append(Violation("Targets[%d].Key" % i, key,
                                 "Target key must be InstanceIds, tag-key or tag:<tag-key>",
                                 "must be InstanceIds, tag-key or tag:<tag-key> (got %r)" % key))
    if len(entries) > MAX_TAG_ENTRIES_PER_TARGET:
        out.append(Violation("Targets", list(entries),
                             "You can specify up to %d tag targets" % MAX_TAG_ENTRIES_PER_TARGET,
                             "can hold at most %d tag entries (got %d)" % (MAX_TAG_ENTRIES_PER_TARGET, len(entries))))
    return out


def _check_instance_id_target(entries: Sequence[Mapping[str, Any]], instance: List[Tuple[int, str]]) -> List[Violation]:
    if len(entries) > 1:
        return [Violation("Targets", list(entries),
                          "InstanceIds targets must be a single target with key InstanceIds",
                          "an InstanceIds target cannot be combined with other target entries")]
    index = instance[0][0]
    ids = _values(entries[index])
    if 1 <= len(ids) <= MAX_INSTANCE_IDS_PER_TARGET:
        return []
    return [Violation("Targets[%d].Values" % index, ids,
                      "InstanceIds target must have between 1 and %d instance IDs" % MAX_INSTANCE_IDS_PER_TARGET,
                      "must list 1 to %d instance IDs (got %d)" % (MAX_INSTANCE_IDS_PER_TARGET, len(ids)))]


def _check_resource_group_targets(entries: Sequence[Mapping[str, Any]]) -> List[Violation]:
    out: List[Violation] = []
    names = [(i, k) for i, k in _target_keys(entries) if k == RESOURCE_GROUP_NAME_KEY]
    for i, key in _target_keys(entries):
        if key not in (RESOURCE_GROUP_NAME_KEY, RESOURCE_GROUP_FILTER_KEY):
            out.append(Violation("Targets[%d].Key" % i, key,
                                 "RESOURCE_GROUP targets support only the keys resource-groups:Name and "
                                 "resource-groups:ResourceTypeFilters",
                                 "must be resource-groups:Name or resource-groups:ResourceTypeFilters (got %r)" % key))
    if len(names) != 1:
        out.append(Violation("Targets", list(entries), "You can specify only one resource group as a target",
                             "needs exactly one resource-groups:Name entry (got %d)" % len(names)))
    elif len(_values(entries[names[0][0]])) != 1:
        index = names[0][0]
        out.append(Violation("Targets[%d].Values" % index, _values(entries[index]),
                             "You can specify only one resource group as a target",
                             "must name exactly one resource group"))
    return out


# --- window tasks


def _task_targets(view: _Fields) -> Optional[List[Mapping[str, Any]]]:
    """The task's target entries, [] for a targetless task, None when unknown."""
    if not view.known("Targets"):
        return None
    targets = view.get("Targets")
    if targets is None:
        return []
    return [t for t in targets if isinstance(t, Mapping)] if isinstance(targets, (list, tuple)) else None


def _check_task_targets(view: _Fields) -> List[Violation]:
    entries = _task_targets(view)
    out: List[Violation] = []
    if entries is None:
        return out
    if not entries:
        if view.get("TaskType") == "RUN_COMMAND":
            out.append(Violation("Targets", view.get("Targets"),
                                 "One or more targets must be specified for maintenance window Run Command-type tasks",
                                 "a RUN_COMMAND task needs targets"))
        return out
    limits = {"WindowTargetIds": MAX_WINDOW_TARGET_IDS_PER_TASK, "InstanceIds": MAX_INSTANCE_IDS_PER_TASK}
    allowed_text = ("Targets must be either 1 target with key InstanceIds and between 1 and %d instance IDs, "
                    "or 1 target with key WindowTargetIds and between 1 and %d maintenance window target IDs"
                    % (MAX_INSTANCE_IDS_PER_TASK, MAX_WINDOW_TARGET_IDS_PER_TASK))
    if len(entries) > 1:
        return [Violation("Targets", list(entries), allowed_text, "a task takes exactly one target entry (got %d)" % len(entries))]
    key, values = entries[0].get("Key"), _values(entries[0])
    if key not in limits:
        return [Violation("Targets[0].Key", key, allowed_text, "must be WindowTargetIds or InstanceIds (got %r)" % key)]
    if not 1 <= len(values) <= limits[key]:
        out.append(Violation("Targets[0].Values", values, allowed_text,
                             "%s takes 1 to %d values (got %d)" % (key, limits[key], len(values))))
    return out


def _check_rate_controls(view: _Fields) -> List[Violation]:
    entries = _task_targets(view)
    out: List[Violation] = []
    for name in ("MaxConcurrency", "MaxErrors"):
        if entries is None or not view.known(name):
            continue
        value = view.get(name)
        if not entries and value is not None:
            out.append(Violation(name, value, "Maintenance window tasks without targets don't support %s values" % name,
                                 "must not be set for a task without targets"))
        elif entries and value is None:
            out.append(Violation(name, None, "%s is required for maintenance window tasks with targets" % name,
                                 "is required for a task with targets"))
    return out


def _check_invocation_member(view: _Fields) -> List[Violation]:
    task_type = view.get("TaskType")
    params = view.get("TaskInvocationParameters")
    expected = INVOCATION_MEMBER_FOR_TASK_TYPE.get(task_type) if isinstance(task_type, str) else None
    if expected is None or not isinstance(params, Mapping):
        return []
    return [
        Violation("TaskInvocationParameters.%s" % member, value,
                  "TaskInvocationParameters.%s does not match TaskType %s" % (member, task_type),
                  "a %s task takes only TaskInvocationParameters.%s" % (task_type, expected))
        for member, value in params.items()
        if value is not None and member != expected
    ]
