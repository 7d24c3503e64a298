# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The window definition vocabulary and its mapping to the SSM API.

Pure functions only (no boto3, no Ansible): convert between our snake_case vocabulary and the
SSM request/response shapes, normalise both sides so that a comparison only sees real
differences, and list the fields that differ.  The AWS layer (``_ssm.py``) and the modules
build on these.
"""

from __future__ import annotations

import datetime
import re
import typing as t

Doc = t.Dict[str, t.Any]

# A schema node is None (a leaf kept verbatim, including opaque maps such as document
# parameters), a dict {vocabulary key: (API key, node)} for a structure, or a one-item list
# [node] for a list of such nodes.
Node = t.Any

TARGET_KEY_VALUES: Node = {"key": ("Key", None), "values": ("Values", None)}

WINDOW_SCHEMA: Node = {
    "name": ("Name", None),
    "description": ("Description", None),
    "schedule": ("Schedule", None),
    "schedule_timezone": ("ScheduleTimezone", None),
    "schedule_offset": ("ScheduleOffset", None),
    "start_date": ("StartDate", None),
    "end_date": ("EndDate", None),
    "duration": ("Duration", None),
    "cutoff": ("Cutoff", None),
    "allow_unassociated_targets": ("AllowUnassociatedTargets", None),
    "enabled": ("Enabled", None),
    "tags": ("Tags", None),
}
WINDOW_FIELDS = [k for k in WINDOW_SCHEMA if k != "tags"]

TARGET_SCHEMA: Node = {
    "name": ("Name", None),
    "description": ("Description", None),
    "resource_type": ("ResourceType", None),
    "targets": ("Targets", [TARGET_KEY_VALUES]),
    "owner_information": ("OwnerInformation", None),
}

RUN_COMMAND_SCHEMA: Node = {
    "comment": ("Comment", None),
    "cloudwatch_output_config": ("CloudWatchOutputConfig", {
        "cloudwatch_log_group_name": ("CloudWatchLogGroupName", None),
        "cloudwatch_output_enabled": ("CloudWatchOutputEnabled", None),
    }),
    "document_hash": ("DocumentHash", None),
    "document_hash_type": ("DocumentHashType", None),
    "document_version": ("DocumentVersion", None),
    "notification_config": ("NotificationConfig", {
        "notification_arn": ("NotificationArn", None),
        "notification_events": ("NotificationEvents", None),
        "notification_type": ("NotificationType", None),
    }),
    "output_s3_bucket_name": ("OutputS3BucketName", None),
    "output_s3_key_prefix": ("OutputS3KeyPrefix", None),
    "parameters": ("Parameters", None),
    "service_role_arn": ("ServiceRoleArn", None),
    "timeout_seconds": ("TimeoutSeconds", None),
}
INVOCATION_SCHEMA: Node = {
    "run_command": ("RunCommand", RUN_COMMAND_SCHEMA),
    "automation": ("Automation", {
        "document_version": ("DocumentVersion", None),
        "parameters": ("Parameters", None),
    }),
    "lambda": ("Lambda", {
        "client_context": ("ClientContext", None),
        "qualifier": ("Qualifier", None),
        "payload": ("Payload", None),
    }),
    "step_functions": ("StepFunctions", {
        "input": ("Input", None),
        "name": ("Name", None),
    }),
}
# Which invocation-parameter block belongs to which task type.
INVOCATION_KEY_FOR_TYPE = {
    "RUN_COMMAND": "run_command",
    "AUTOMATION": "automation",
    "LAMBDA": "lambda",
    "STEP_FUNCTIONS": "step_functions",
}

TASK_SCHEMA: Node = {
    "name": ("Name", None),
    "description": ("Description", None),
    "task_type": ("TaskType", None),
    "task_arn": ("TaskArn", None),
    "priority": ("Priority", None),
    "service_role_arn": ("ServiceRoleArn", None),
    "max_concurrency": ("MaxConcurrency", None),
    "max_errors": ("MaxErrors", None),
    "cutoff_behavior": ("CutoffBehavior", None),
    "alarm_configuration": ("AlarmConfiguration", {
        "alarms": ("Alarms", [{"name": ("Name", None)}]),
        "ignore_poll_alarm_failure": ("IgnorePollAlarmFailure", None),
    }),
    # Task targets are special (window targets by name); this entry only serves path mapping.
    "targets": ("Targets", [TARGET_KEY_VALUES]),
    "task_invocation_parameters": ("TaskInvocationParameters", INVOCATION_SCHEMA),
}

DEFAULT_PRIORITY = 1
DEFAULT_CUTOFF_BEHAVIOR = "CONTINUE_TASK"
WINDOW_TARGET_IDS = "WindowTargetIds"
INSTANCE_IDS = "InstanceIds"
# AWS fills this role in when a task has none; it must not show as a difference.
SERVICE_LINKED_ROLE_MARK = ":role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"
# Only these pseudo parameters are refused in Run Command tasks (spec section D).
RUN_COMMAND_FORBIDDEN_PSEUDO = ("{{TARGET_ID}}", "{{RESOURCE_ID}}")


class Problem(t.NamedTuple):
    """A definition error: the field in our vocabulary and what is wrong with it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


# ---------------------------------------------------------------------------------------------
# Generic schema-driven conversion

def to_api(value: t.Any, node: Node) -> t.Any:
    """Vocabulary -> API shape; unset (None) members are left out, never sent as empty."""
    if value is None:
        return None
    if isinstance(node, dict):
        out = {}
        for key, (api_key, sub) in node.items():
            if key in value and value[key] is not None:
                converted = to_api(value[key], sub)
                if converted is not None:
                    out[api_key] = converted
        return out
    if isinstance(node, list):
        return [to_api(item, node[0]) for item in value]
    return value


def from_api(value: t.Any, node: Node) -> t.Any:
    """API shape -> vocabulary; members we do not model are dropped."""
    if value is None:
        return None
    if isinstance(node, dict):
        out = {}
        for key, (api_key, sub) in node.items():
            if api_key in value and value[api_key] is not None:
                out[key] = from_api(value[api_key], sub)
        return out
    if isinstance(node, list):
        return [from_api(item, node[0]) for item in value]
    return value


_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]|\['((?:[^']|'')*)'\]")


def api_path_to_vocabulary(api_path: str, node: Node) -> str:
    """Translate a request path such as ``TaskInvocationParameters.RunCommand.TimeoutSeconds``
    into ours (``task_invocation_parameters.run_command.timeout_seconds``).

    Keys inside opaque maps (document parameters) and unknown members are kept as they are.
    """
    out = ""
    for name, index, map_key in _PATH_TOKEN.findall(api_path):
        if map_key or (not name and not index):
            out += f"['{map_key}']"
            node = None
            continue
        if index:
            out += f"[{index}]"
            if isinstance(node, list):
                node = node[0]
            continue
        if isinstance(node, dict):
            match = [(k, sub) for k, (api, sub) in node.items() if api == name]
            if match:
                name, node = match[0]
            else:
                node = None
        else:
            node = None
        out += ("." if out else "") + name
    return out


# ---------------------------------------------------------------------------------------------
# Small normalisers

def _blank_to_none(value: t.Any) -> t.Any:
    """Absent and empty are the same thing for optional fields (AWS rejects '' anyway)."""
    if value is None:
        return None
    if isinstance(value, (str, list, dict)) and len(value) == 0:
        return None
    return value


def _drop_none(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if v is not None}


def parameter_value_to_str(value: t.Any) -> str:
    """SSM document parameters are strings; booleans as SSM spells them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def normalize_parameters(params: t.Any) -> t.Optional[t.Dict[str, t.List[str]]]:
    """Coerce document parameters to ``{name: [str, ...]}``.

    Scalars become one-item lists.  Key order does not matter (it is a mapping); the order of
    values does, because values such as ``commands`` run in sequence.
    """
    if not params:
        return None
    out = {}
    for key in sorted(params):
        value = params[key]
        if value is None:
            values: t.List[str] = []
        elif isinstance(value, (list, tuple)):
            values = [parameter_value_to_str(v) for v in value]
        else:
            values = [parameter_value_to_str(value)]
        out[str(key)] = values
    return out


def _str_or_none(value: t.Any) -> t.Optional[str]:
    value = _blank_to_none(value)
    return None if value is None else str(value)


def _int_or_none(value: t.Any) -> t.Optional[int]:
    if value is None or value == "":
        return None
    return int(value)


def normalize_key_values(entries: t.Any) -> t.Optional[t.List[Doc]]:
    """Targets of a window target: order of entries and of values does not matter."""
    if not entries:
        return None
    merged: t.Dict[str, t.List[str]] = {}
    for entry in entries:
        key = str(entry.get("key"))
        merged.setdefault(key, [])
        for value in entry.get("values") or []:
            if str(value) not in merged[key]:
                merged[key].append(str(value))
    return [{"key": key, "values": sorted(merged[key])} for key in sorted(merged)]


# ---------------------------------------------------------------------------------------------
# Windows

def normalize_window(window: Doc) -> Doc:
    """Canonical window fields (without targets, tasks and tags): defaults filled, blanks removed."""
    out = {
        "name": _str_or_none(window.get("name")),
        "description": _str_or_none(window.get("description")),
        "schedule": _str_or_none(window.get("schedule")),
        "schedule_timezone": _str_or_none(window.get("schedule_timezone")),
        # 0 is kept (not dropped as "unset") so that the range rule refuses it, as AWS does.
        "schedule_offset": _int_or_none(window.get("schedule_offset")),
        "start_date": _str_or_none(window.get("start_date")),
        "end_date": _str_or_none(window.get("end_date")),
        "duration": _int_or_none(window.get("duration")),
        "cutoff": _int_or_none(window.get("cutoff")),
        "allow_unassociated_targets": bool(window.get("allow_unassociated_targets")),
        "enabled": True if window.get("enabled") is None else bool(window.get("enabled")),
    }
    return _drop_none(out)


def window_from_api(api_window: Doc) -> Doc:
    """GetMaintenanceWindow result -> canonical vocabulary (tags are added separately)."""
    return normalize_window(from_api(api_window, WINDOW_SCHEMA))


def window_request(window: Doc, window_id: t.Optional[str] = None) -> Doc:
    """Create (no ID) or full-replace Update (with ID) request for a canonical window.

    CreateMaintenanceWindow has no Enabled member: a disabled window is created and then
    updated (see ``window_needs_disable_after_create``).
    """
    fields = {k: v for k, v in window.items() if k in WINDOW_FIELDS}
    request = to_api(fields, WINDOW_SCHEMA)
    if window_id is None:
        request.pop("Enabled", None)
    else:
        request["WindowId"] = window_id
        request["Replace"] = True
    return request


def window_needs_disable_after_create(window: Doc) -> bool:
    return window.get("enabled") is False


def _parse_instant(value: str) -> t.Optional[datetime.datetime]:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return None


def same_date(desired: t.Optional[str], current: t.Optional[str]) -> bool:
    """Dates are equal when they name the same instant, however AWS formats them."""
    if desired == current:
        return True
    if desired is None or current is None:
        return False
    a, b = _parse_instant(desired), _parse_instant(current)
    if a is None or b is None:
        return False
    if (a.tzinfo is None) != (b.tzinfo is None):
        return a.replace(tzinfo=None) == b.replace(tzinfo=None)
    return a == b


def start_date_moved_by_aws(desired: Doc, current: Doc, now: t.Optional[datetime.datetime] = None) -> bool:
    """SSM replaces a past StartDate of a rate() window with the time of the call: not a change."""
    if not str(desired.get("schedule") or "").startswith("rate(") or desired.get("schedule") != current.get("schedule"):
        return False
    want, have = (_parse_instant(str(x)) if x else None for x in (desired.get("start_date"), current.get("start_date")))
    if want is None or have is None or want.tzinfo is None or have.tzinfo is None:
        return False
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return want < now and want < have <= now


def window_differences(desired: Doc, current: Doc, now: t.Optional[datetime.datetime] = None) -> t.List[str]:
    """Window fields (canonical) whose values differ."""
    changed = []
    for key in WINDOW_FIELDS:
        a, b = desired.get(key), current.get(key)
        if key in ("start_date", "end_date"):
            if not same_date(a, b) and not (key == "start_date" and start_date_moved_by_aws(desired, current, now)):
                changed.append(key)
        elif a != b:
            changed.append(key)
    return changed


# ---------------------------------------------------------------------------------------------
# Window targets

def default_resource_type(targets: t.Any) -> str:
    """RESOURCE_GROUP when the target keys say so, INSTANCE otherwise."""
    for entry in targets or []:
        if str(entry.get("key", "")).startswith("resource-groups:"):
            return "RESOURCE_GROUP"
    return "INSTANCE"


def normalize_target(target: Doc) -> Doc:
    out = {
        "name": _str_or_none(target.get("name")),
        "description": _str_or_none(target.get("description")),
        "resource_type": _str_or_none(target.get("resource_type")) or default_resource_type(target.get("targets")),
        "targets": normalize_key_values(target.get("targets")),
        "owner_information": _str_or_none(target.get("owner_information")),
    }
    if target.get("window_target_id"):
        out["window_target_id"] = target["window_target_id"]
    return _drop_none(out)


def target_from_api(api_target: Doc) -> Doc:
    """A DescribeMaintenanceWindowTargets entry -> canonical vocabulary with its ID."""
    out = normalize_target(from_api(api_target, TARGET_SCHEMA))
    out["window_target_id"] = api_target["WindowTargetId"]
    return out


TARGET_COMPARED = ("name", "description", "resource_type", "targets", "owner_information")


def target_differences(desired: Doc, current: Doc) -> t.List[str]:
    return [k for k in TARGET_COMPARED if desired.get(k) != current.get(k)]


def target_request(target: Doc, window_id: str, window_target_id: t.Optional[str] = None) -> Doc:
    """Register (no ID) or full-replace Update (with ID; ResourceType cannot be updated)."""
    fields = {k: v for k, v in target.items() if k in TARGET_SCHEMA}
    request = to_api(fields, TARGET_SCHEMA)
    request["WindowId"] = window_id
    if window_target_id is not None:
        request.pop("ResourceType", None)
        request["WindowTargetId"] = window_target_id
        request["Replace"] = True
    return request


# ---------------------------------------------------------------------------------------------
# Tasks

def task_targets_from_api(api_targets: t.Any, target_names_by_id: t.Mapping[str, str]) -> t.Optional[t.List[Doc]]:
    """API task targets -> vocabulary: window targets by name where they have one."""
    entries: t.List[Doc] = []
    for entry in api_targets or []:
        key, values = entry.get("Key"), entry.get("Values") or []
        if key == WINDOW_TARGET_IDS:
            raw = []
            for target_id in values:
                if target_names_by_id.get(target_id):
                    entries.append({"window_target": target_names_by_id[target_id]})
                else:
                    raw.append(target_id)
            if raw:
                entries.append({"key": key, "values": raw})
        else:
            entries.append({"key": key, "values": list(values)})
    return normalize_task_targets(entries)


def normalize_task_targets(entries: t.Any) -> t.Optional[t.List[Doc]]:
    """Window-target references sorted by name, then key/values entries merged and sorted."""
    if not entries:
        return None
    names = sorted({str(e["window_target"]) for e in entries if e.get("window_target")})
    raw = normalize_key_values([e for e in entries if not e.get("window_target")])
    out: t.List[Doc] = [{"window_target": n} for n in names]
    return (out + (raw or [])) or None


def resolve_task_targets(entries: t.Any, target_ids_by_name: t.Mapping[str, str]) -> t.Optional[t.List[Doc]]:
    """Vocabulary task targets -> API Targets, window-target names replaced by their IDs."""
    if not entries:
        return None
    merged: t.Dict[str, t.List[str]] = {}
    for entry in entries:
        if entry.get("window_target"):
            key, values = WINDOW_TARGET_IDS, [target_ids_by_name[entry["window_target"]]]
        else:
            key, values = entry["key"], entry.get("values") or []
        bucket = merged.setdefault(key, [])
        bucket.extend(str(v) for v in values if str(v) not in bucket)
    return [{"Key": key, "Values": sorted(merged[key])} for key in sorted(merged)]


def _normalize_alarms(config: t.Any) -> t.Optional[Doc]:
    if not config or not config.get("alarms"):
        return None
    return {
        "alarms": sorted(({"name": str(a["name"])} for a in config["alarms"]), key=lambda a: a["name"]),
        "ignore_poll_alarm_failure": bool(config.get("ignore_poll_alarm_failure")),
    }


def _normalize_struct(value: t.Any, node: Node) -> t.Any:
    """Blank-strip a nested structure: empty members and empty structures disappear."""
    if isinstance(node, dict):
        if not isinstance(value, dict):
            return None
        out = {}
        for key, (_api, sub) in node.items():
            normalized = _normalize_struct(value.get(key), sub)
            if normalized is not None:
                out[key] = normalized
        return out or None
    return _blank_to_none(value)


def normalize_invocation_parameters(params: t.Any) -> t.Optional[Doc]:
    if not params:
        return None
    out = _normalize_struct(params, INVOCATION_SCHEMA) or {}
    run = out.get("run_command")
    if run:
        if "parameters" in run:
            run["parameters"] = normalize_parameters(run["parameters"])
        if run.get("document_version") == "$DEFAULT":
            del run["document_version"]
        if "timeout_seconds" in run:
            run["timeout_seconds"] = int(run["timeout_seconds"])
        notification = run.get("notification_config")
        if notification and notification.get("notification_events"):
            notification["notification_events"] = sorted(notification["notification_events"])
        cloudwatch = run.get("cloudwatch_output_config")
        if cloudwatch is not None:
            cloudwatch["cloudwatch_output_enabled"] = bool(cloudwatch.get("cloudwatch_output_enabled"))
            if not cloudwatch["cloudwatch_output_enabled"] and not cloudwatch.get("cloudwatch_log_group_name"):
                del run["cloudwatch_output_config"]
        out["run_command"] = _drop_none(run) or None
    automation = out.get("automation")
    if automation:
        if "parameters" in automation:
            automation["parameters"] = normalize_parameters(automation["parameters"])
        if automation.get("document_version") == "$DEFAULT":
            del automation["document_version"]
        out["automation"] = _drop_none(automation) or None
    return _drop_none(out) or None


def is_service_linked_role(arn: t.Any) -> bool:
    return SERVICE_LINKED_ROLE_MARK in str(arn or "")


def _task_role(arn: t.Any) -> t.Optional[str]:
    """SSM's service-linked role is what an unset role means: the same value on both sides."""
    return None if is_service_linked_role(arn) else _str_or_none(arn)


def normalize_task(task: Doc) -> Doc:
    """Canonical task in vocabulary form (targets still by name)."""
    targets = normalize_task_targets(task.get("targets"))
    out = {
        "name": _str_or_none(task.get("name")),
        "description": _str_or_none(task.get("description")),
        "task_type": _str_or_none(task.get("task_type")),
        "task_arn": _str_or_none(task.get("task_arn")),
        "priority": DEFAULT_PRIORITY if task.get("priority") is None else int(task["priority"]),
        "service_role_arn": _task_role(task.get("service_role_arn")),
        "max_concurrency": _str_or_none(task.get("max_concurrency")),
        "max_errors": _str_or_none(task.get("max_errors")),
        "cutoff_behavior": _str_or_none(task.get("cutoff_behavior")) or DEFAULT_CUTOFF_BEHAVIOR,
        "alarm_configuration": _normalize_alarms(task.get("alarm_configuration")),
        "targets": targets,
        "task_invocation_parameters": normalize_invocation_parameters(task.get("task_invocation_parameters")),
    }
    if task.get("window_task_id"):
        out["window_task_id"] = task["window_task_id"]
    return _drop_none(out)


def task_from_api(api_task: Doc, target_names_by_id: t.Mapping[str, str]) -> Doc:
    """GetMaintenanceWindowTask (or Describe entry) -> canonical vocabulary with its ID.

    Payload must already be text (the AWS layer decodes the blob).
    """
    raw = dict(api_task)
    if "Type" in raw and "TaskType" not in raw:
        raw["TaskType"] = raw["Type"]
    vocab = from_api(raw, TASK_SCHEMA)
    vocab["targets"] = task_targets_from_api(raw.get("Targets"), target_names_by_id)
    if not vocab["targets"]:
        # Targetless tasks carry AWS's placeholder "1" rate controls: not ours to compare.
        vocab.pop("max_concurrency", None)
        vocab.pop("max_errors", None)
    out = normalize_task(vocab)
    out["window_task_id"] = raw["WindowTaskId"]
    return out


TASK_COMPARED = ("name", "description", "task_type", "task_arn", "priority", "service_role_arn",
                 "max_concurrency", "max_errors", "cutoff_behavior", "alarm_configuration", "targets",
                 "task_invocation_parameters")

# Fields AWS computes when we leave them unset: no difference unless we ask for a value.
_COMPUTED_WHEN_UNSET = (
    ("task_invocation_parameters", "run_command", "cloudwatch_output_config", "cloudwatch_log_group_name"),
)


def _dig(doc: t.Any, path: t.Sequence[str]) -> t.Any:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def absorb_computed(desired: Doc, current: Doc) -> Doc:
    """A copy of ``current`` without values AWS computed for fields ``desired`` leaves unset."""
    import copy

    out = copy.deepcopy(current)
    for path in _COMPUTED_WHEN_UNSET:
        if _dig(desired, path) is None and _dig(out, path) is not None:
            parent = _dig(out, path[:-1])
            del parent[path[-1]]
    return out


def task_differences(desired: Doc, current: Doc) -> t.List[str]:
    """Changed task fields; nested invocation parameters are reported by their full path."""
    current = absorb_computed(desired, current)
    changed = []
    for key in TASK_COMPARED:
        a, b = desired.get(key), current.get(key)
        if a == b:
            continue
        if key == "task_invocation_parameters":
            changed.extend(f"{key}.{p}" for p in nested_differences(a or {}, b or {}))
        else:
            changed.append(key)
    return changed


def nested_differences(a: t.Any, b: t.Any, prefix: str = "") -> t.List[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out.extend(nested_differences(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else str(key)))
        return out
    return [] if a == b else [prefix]


def task_request(task: Doc, window_id: str, target_ids_by_name: t.Mapping[str, str],
                 window_task_id: t.Optional[str] = None) -> Doc:
    """Register (no ID) or full-replace Update (with ID) request.

    Always carries the whole TaskInvocationParameters (Update drops what is not resent) and
    the priority; rate controls are never sent for a targetless task.
    """
    fields = {k: v for k, v in task.items() if k in TASK_SCHEMA and k != "targets"}
    request = to_api(fields, TASK_SCHEMA)
    targets = resolve_task_targets(task.get("targets"), target_ids_by_name)
    if targets:
        request["Targets"] = targets
    else:
        request.pop("MaxConcurrency", None)
        request.pop("MaxErrors", None)
        if window_task_id is not None:
            request["Targets"] = []
    request["WindowId"] = window_id
    request.setdefault("Priority", DEFAULT_PRIORITY)
    if window_task_id is not None:
        request.pop("TaskType", None)
        request["WindowTaskId"] = window_task_id
        request["Replace"] = True
    return request


# ---------------------------------------------------------------------------------------------
# Identity

def target_content(target: Doc) -> t.Any:
    """What identifies a target that has no name: its compared fields."""
    canonical = normalize_target(target)
    return tuple(repr(canonical.get(k)) for k in TARGET_COMPARED)


def task_content(task: Doc) -> t.Any:
    """What identifies a task that has no name: its compared fields (targets as given)."""
    canonical = normalize_task(task)
    return tuple(repr(canonical.get(k)) for k in TASK_COMPARED)


class Matched(t.NamedTuple):
    """Desired items paired with current ones.

    ``pairs``: (desired, current or None) in the desired order; ``unmatched``: current items no
    desired item names; ``extras``: current duplicates of a matched item, which a converge
    removes (the repair of a crash or a race); ``problems``: paths relative to the list
    (``[1].name``).
    """

    pairs: t.List[t.Tuple[Doc, t.Optional[Doc]]]
    unmatched: t.List[Doc]
    extras: t.List[Doc]
    problems: t.List[Problem]


def match_by_identity(desired: t.Sequence[Doc], current: t.Sequence[Doc], id_key: str, kind: str = "item",
                      same: t.Optional[t.Callable[[Doc, Doc], bool]] = None,
                      referenced: t.Collection[str] = ()) -> Matched:
    """Pair desired items with current ones: by ID when given, else by name, else (no name) by
    content.

    An ID that does not exist and a name that contradicts the ID's item are problems, never a
    reason to create a second item.  Several current items with one name are repaired when one
    of them is provably the one to keep: the only one equal to the definition (``same``), else
    the only one in use (``referenced`` IDs); otherwise a problem names the IDs and ``id_key``.
    """
    same = same or (lambda want, have: False)
    problems: t.List[Problem] = []
    by_id = {c[id_key]: c for c in current}
    by_name: t.Dict[str, t.List[Doc]] = {}
    for item in current:
        if item.get("name"):
            by_name.setdefault(item["name"], []).append(item)
    pairs: t.List[t.Tuple[Doc, t.Optional[Doc]]] = []
    used: t.Set[str] = set()
    extras: t.List[Doc] = []
    for index, want in enumerate(desired):
        found = None
        if want.get(id_key):
            found = by_id.get(want[id_key])
            if found is None:
                problems.append(Problem(f"[{index}].{id_key}", f"no {kind} with ID {want[id_key]} exists "
                                                               f"in this window"))
            elif want.get("name") and found.get("name") and found["name"] != want["name"]:
                problems.append(Problem(f"[{index}].name", f"'{want['name']}' is not the name of {kind} "
                                                           f"{want[id_key]} ('{found['name']}'); name and "
                                                           f"{id_key} must agree"))
        elif want.get("name"):
            candidates = [c for c in by_name.get(want["name"], []) if c[id_key] not in used]
            found, problem = _keeper(candidates, want, same, referenced, id_key, kind)
            if problem:
                problems.append(Problem(f"[{index}].name", problem))
            elif found is not None:
                extras += [c for c in candidates if c is not found]
                used.update(c[id_key] for c in candidates)
        else:
            found = next((c for c in current if not c.get("name") and c[id_key] not in used and same(want, c)), None)
        if found is not None:
            used.add(found[id_key])
        pairs.append((want, found))
    unmatched = [c for c in current if c[id_key] not in used]
    return Matched(pairs, unmatched, extras, problems)


def _keeper(candidates: t.List[Doc], want: Doc, same: t.Callable[[Doc, Doc], bool], referenced: t.Collection[str],
            id_key: str, kind: str) -> t.Tuple[t.Optional[Doc], t.Optional[str]]:
    if len(candidates) <= 1:
        return (candidates[0] if candidates else None), None
    for rule in (lambda c: same(want, c), lambda c: c[id_key] in referenced):
        chosen = [c for c in candidates if rule(c)]
        if len(chosen) == 1:
            return chosen[0], None
    ids = ", ".join(sorted(c[id_key] for c in candidates))
    return None, (f"{len(candidates)} {kind}s are named '{want['name']}' ({ids}) and none of them is provably the "
                  f"one to keep; give {id_key} to choose it (the others are then removed by purge) or remove "
                  f"the extra ones")


def tasks_using_target(tasks: t.Iterable[Doc], window_target_id: str, target_name: t.Optional[str]) -> t.List[Doc]:
    """Tasks (canonical, from AWS) whose targets include this window target."""
    using = []
    for task in tasks:
        for entry in task.get("targets") or []:
            if (target_name and entry.get("window_target") == target_name) or (
                    entry.get("key") == WINDOW_TARGET_IDS and window_target_id in (entry.get("values") or [])):
                using.append(task)
                break
    return using


def task_label(task: Doc) -> str:
    return f"{task.get('name') or '(unnamed)'} ({task.get('window_task_id', 'new')})"
