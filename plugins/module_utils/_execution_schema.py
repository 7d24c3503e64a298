# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""One schema for window-execution history, ``mwops.ssm/window-execution/1``: its home.

The local executor writes it (one JSON file per execution), ``mw_execution_info`` builds it from
SSM's history API, and the evidence report reads it. Shape:

* window execution: ``WINDOW_FIELDS`` (+ ``WINDOW_OPTIONAL``), with ``task_executions``;
* task execution: ``TASK_FIELDS`` (+ ``TASK_OPTIONAL``), with ``invocations``;
* invocation (one per target): ``INVOCATION_FIELDS`` (+ ``INVOCATION_OPTIONAL``).

Times are ISO-8601 UTC strings with microseconds (``2024-05-01T15:00:00.123456Z``) or null.
Optional fields may be absent in files written by older executors; ``normalise_execution`` fills
them with their defaults so every reader sees every field.

Parameters are masked by one rule (``mask_parameters``): a parameter whose *name* looks like a
secret (password, secret, token, API key, private key, credential, passphrase) has every value
replaced by ``MASK``. SSM itself returns SecureString parameters redacted.

Pure Python: no Ansible and no boto3 imports.
"""

from __future__ import annotations

import json
import re
import typing as t
from datetime import datetime, timezone

from ._rate_control import RateControlError, resolve_max_concurrency, resolve_max_errors

SCHEMA = "mwops.ssm/window-execution/1"
OUTPUT_TAIL = 2500  # characters of output kept, as the SSM console does
MASK = "********"

# The executor's statuses (MaintenanceWindowExecutionStatus).
SUCCESS, FAILED, TIMED_OUT, CANCELLED = "SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED"
ERROR_STATUSES = (FAILED, TIMED_OUT)

WINDOW_FIELDS = ("schema", "id", "window_id", "window_name", "status", "status_details", "start_time",
                 "end_time", "duration_seconds", "cutoff_seconds", "last_task_start_time", "window_end_time",
                 "forks_ceiling", "task_executions")
TASK_FIELDS = ("id", "window_task_id", "name", "task_type", "task_arn", "priority", "max_concurrency",
               "max_errors", "max_concurrency_spec", "max_errors_spec", "cutoff_behavior", "target_count",
               "start_time", "end_time", "child_log", "status", "status_details", "errors_counted", "invocations")
INVOCATION_FIELDS = ("id", "target", "window_target_id", "status", "status_details", "start_time", "end_time",
                     "counted_as_error", "exit_code", "output", "output_path")
# Fields beyond what the executor wrote first; absent means the default.
WINDOW_OPTIONAL: dict[str, t.Any] = {"source": "local", "tags": {}, "description": None}
TASK_OPTIONAL: dict[str, t.Any] = {"document_version": None, "parameters": {}, "service_role_arn": None}
INVOCATION_OPTIONAL: dict[str, t.Any] = {"owner_information": None, "execution_id": None,
                                         "output_location": None}

SECRET_NAME = re.compile(r"passw(or)?d|passphrase|secret|token|api[-_]?key|private[-_]?key|credential|"
                         r"(^|[-_.])(pwd|pass)$", re.IGNORECASE)


class SchemaError(ValueError):
    """Data that is not a ``mwops.ssm/window-execution/1`` record."""


# ----------------------------------------------------------------------------- masking

def is_secret_name(name: str) -> bool:
    """True for a parameter name that looks like it holds a secret (``DbPassword``, ``api_key``)."""
    return bool(SECRET_NAME.search(str(name)))


def mask_parameters(parameters: t.Any) -> t.Any:
    """A copy with the values of secret-named keys replaced by MASK, at any depth."""
    if isinstance(parameters, dict):
        return {key: _mask_value(value) if is_secret_name(key) else mask_parameters(value)
                for key, value in parameters.items()}
    if isinstance(parameters, list):
        return [mask_parameters(item) for item in parameters]
    return parameters


def _mask_value(value: t.Any) -> t.Any:
    if isinstance(value, list):
        return [MASK for dummy in value]
    return MASK


# ----------------------------------------------------------------------------- times

def iso(moment: t.Any) -> str | None:
    """ISO-8601 UTC with microseconds from a datetime, epoch seconds or an ISO string."""
    if moment is None or moment == "":
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if isinstance(moment, (int, float)):
        moment = datetime.fromtimestamp(moment, tz=timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def epoch(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def output_tail(text: str | None) -> str:
    return (text or "")[-OUTPUT_TAIL:]


# ----------------------------------------------------------------------------- reading

def normalise_execution(data: t.Any) -> dict[str, t.Any]:
    """A validated copy of one window execution with every optional field present."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise SchemaError(f"not a window execution: schema must be {SCHEMA!r}, got {found!r}")
    missing = [f for f in WINDOW_FIELDS if f not in data and f not in ("forks_ceiling",)]
    if missing:
        raise SchemaError(f"window execution {data.get('id')!r} lacks {', '.join(missing)}")
    record = {**WINDOW_OPTIONAL, **data}
    record["tags"] = dict(record.get("tags") or {})
    record["task_executions"] = [_normalise_task(task, record["id"]) for task in data["task_executions"] or []]
    return record


def _normalise_task(task: t.Any, execution_id: t.Any) -> dict[str, t.Any]:
    if not isinstance(task, dict) or "invocations" not in task or "status" not in task:
        raise SchemaError(f"window execution {execution_id!r}: a task execution lacks status or invocations")
    record = {**TASK_OPTIONAL, **task}
    record["parameters"] = mask_parameters(record.get("parameters") or {})
    invocations = []
    for invocation in task["invocations"] or []:
        if not isinstance(invocation, dict) or "target" not in invocation or "status" not in invocation:
            raise SchemaError(f"window execution {execution_id!r}: an invocation lacks target or status")
        item = {**INVOCATION_OPTIONAL, **invocation}
        if item.get("output_location") is None:
            item["output_location"] = item.get("output_path")
        invocations.append(item)
    record["invocations"] = invocations
    return record


def load_json_execution(text: str) -> dict[str, t.Any]:
    try:
        return normalise_execution(json.loads(text))
    except ValueError as exc:
        if isinstance(exc, SchemaError):
            raise
        raise SchemaError(f"not JSON: {exc}") from None


def counts(execution: dict[str, t.Any]) -> dict[str, int]:
    """Invocations by outcome across all tasks (``not_started``: never started)."""
    result = {"invocations": 0, "succeeded": 0, "failed": 0, "timed_out": 0, "cancelled": 0, "not_started": 0,
              "errors_counted": 0}
    for task in execution.get("task_executions") or []:
        for invocation in task.get("invocations") or []:
            result["invocations"] += 1
            status = invocation.get("status")
            if invocation.get("start_time") is None:
                result["not_started"] += 1
            elif status == SUCCESS:
                result["succeeded"] += 1
            elif status == FAILED:
                result["failed"] += 1
            elif status == TIMED_OUT:
                result["timed_out"] += 1
            else:
                result["cancelled"] += 1
            result["errors_counted"] += bool(invocation.get("counted_as_error"))
    return result


# ----------------------------------------------------------------------------- SSM -> schema

def _seconds(hours: t.Any) -> int | None:
    return int(hours) * 3600 if isinstance(hours, int) and not isinstance(hours, bool) else None


def _plus(moment: str | None, seconds: int | None) -> str | None:
    start = epoch(moment)
    return iso(start + seconds) if start is not None and seconds is not None else None


def _resolved(resolve: t.Callable[[object, int], int], spec: t.Any, count: int) -> int | None:
    try:
        return resolve(spec, count)
    except RateControlError:
        return None


def invocation_parameters(identity: dict[str, t.Any]) -> dict[str, t.Any]:
    """The JSON text SSM returns in an invocation's ``Parameters``, parsed (empty if absent or bad)."""
    try:
        parsed = json.loads(identity.get("Parameters") or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _task_parameters(detail: dict[str, t.Any]) -> dict[str, t.Any]:
    # GetMaintenanceWindowExecutionTask: TaskParameters is a list of {name: {"Values": [...]}}.
    merged: dict[str, t.Any] = {}
    for entry in detail.get("TaskParameters") or []:
        for name, value in (entry or {}).items():
            merged[name] = (value or {}).get("Values", [])
    return merged


def from_ssm_invocation(identity: dict[str, t.Any], command: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    """One DescribeMaintenanceWindowExecutionTaskInvocations identity (+ GetCommandInvocation)."""
    params = invocation_parameters(identity)
    targets = params.get("instanceIds") or params.get("targets") or []
    target = targets[0] if targets and isinstance(targets[0], str) else identity.get("WindowTargetId") or "-"
    status = identity.get("Status")
    details = identity.get("StatusDetails") or (command or {}).get("StatusDetails") or ""
    undeliverable = "undeliverable" in f"{details} {(command or {}).get('StatusDetails', '')}".lower()
    output = ""
    exit_code = None
    location = None
    if command:
        output = output_tail((command.get("StandardOutputContent") or "") + (command.get("StandardErrorContent") or ""))
        code = command.get("ResponseCode")
        exit_code = code if isinstance(code, int) and code >= 0 else None
        location = command.get("StandardOutputUrl") or None
    if location is None and params.get("outputS3BucketName") and identity.get("ExecutionId"):
        # Run Command writes under <prefix>/<command ID>/<instance ID>/ in the bucket.
        parts = [params.get("outputS3KeyPrefix") or "", identity["ExecutionId"], target]
        location = f"s3://{params['outputS3BucketName']}/" + "/".join(p.strip("/") for p in parts if p)
    return {
        "id": identity.get("InvocationId"),
        "target": target,
        "window_target_id": identity.get("WindowTargetId") or None,
        "status": status,
        "status_details": details,
        "start_time": iso(identity.get("StartTime")),
        "end_time": iso(identity.get("EndTime")),
        "counted_as_error": status in ERROR_STATUSES and not undeliverable,
        "exit_code": exit_code,
        "output": output,
        "output_path": None,
        "owner_information": identity.get("OwnerInformation") or None,
        "execution_id": identity.get("ExecutionId") or None,
        "output_location": location,
    }


def from_ssm_task(detail: dict[str, t.Any], identities: list[dict[str, t.Any]],
                  window_task: dict[str, t.Any] | None = None,
                  commands: dict[str, dict[str, t.Any]] | None = None) -> dict[str, t.Any]:
    """GetMaintenanceWindowExecutionTask + its invocation identities as a task execution.

    ``window_task`` is the window's task definition (DescribeMaintenanceWindowTasks) this
    execution belongs to, when known: SSM's execution records carry no task name.
    ``commands`` maps invocation IDs to their GetCommandInvocation answers (output, exit code).
    """
    commands = commands or {}
    invocations = [from_ssm_invocation(i, commands.get(i.get("InvocationId") or "")) for i in identities]
    first = next((invocation_parameters(i) for i in identities if i.get("Parameters")), {})
    parameters = first.get("parameters") if isinstance(first.get("parameters"), dict) else _task_parameters(detail)
    count = len(invocations)
    concurrency_spec, errors_spec = detail.get("MaxConcurrency"), detail.get("MaxErrors")
    window_task = window_task or {}
    return {
        "id": detail.get("TaskExecutionId"),
        "window_task_id": window_task.get("WindowTaskId"),
        "name": window_task.get("Name") or detail.get("TaskArn"),
        "task_type": detail.get("Type"),
        "task_arn": detail.get("TaskArn"),
        "priority": detail.get("Priority"),
        "max_concurrency": _resolved(resolve_max_concurrency, concurrency_spec, count),
        "max_errors": _resolved(resolve_max_errors, errors_spec, count),
        "max_concurrency_spec": concurrency_spec,
        "max_errors_spec": errors_spec,
        "cutoff_behavior": window_task.get("CutoffBehavior"),
        "target_count": count,
        "start_time": iso(detail.get("StartTime")),
        "end_time": iso(detail.get("EndTime")),
        "child_log": None,
        "status": detail.get("Status"),
        "status_details": detail.get("StatusDetails") or "",
        "errors_counted": sum(bool(i["counted_as_error"]) for i in invocations),
        "invocations": invocations,
        "document_version": first.get("documentVersion"),
        "parameters": mask_parameters(parameters or {}),
        "service_role_arn": detail.get("ServiceRole"),
    }


def from_ssm_execution(execution: dict[str, t.Any], tasks: list[dict[str, t.Any]],
                       window: dict[str, t.Any] | None = None,
                       tags: dict[str, str] | None = None) -> dict[str, t.Any]:
    """A window execution (GetMaintenanceWindowExecution or a Describe identity) with its task
    executions (already converted), the window (GetMaintenanceWindow) and its tags."""
    window = window or {}
    start = iso(execution.get("StartTime"))
    duration, cutoff = _seconds(window.get("Duration")), _seconds(window.get("Cutoff"))
    ordered = sorted(tasks, key=lambda task: (task.get("priority") is None, task.get("priority") or 0,
                                              task.get("start_time") or ""))
    return {
        "schema": SCHEMA,
        "id": execution.get("WindowExecutionId"),
        "window_id": execution.get("WindowId") or window.get("WindowId"),
        "window_name": window.get("Name"),
        "status": execution.get("Status"),
        "status_details": execution.get("StatusDetails") or "",
        "start_time": start,
        "end_time": iso(execution.get("EndTime")),
        "duration_seconds": duration,
        "cutoff_seconds": cutoff,
        "last_task_start_time": _plus(start, None if duration is None or cutoff is None else duration - cutoff),
        "window_end_time": _plus(start, duration),
        "forks_ceiling": None,
        "task_executions": ordered,
        "source": "ssm",
        "tags": dict(tags or {}),
        "description": window.get("Description"),
    }


def match_window_task(detail: dict[str, t.Any], window_tasks: list[dict[str, t.Any]]) -> dict[str, t.Any] | None:
    """The window's task an execution task belongs to: the only one with its ARN, type and priority."""
    key = (detail.get("TaskArn"), detail.get("Type"), detail.get("Priority"))
    found = [w for w in window_tasks if (w.get("TaskArn"), w.get("Type"), w.get("Priority")) == key]
    return found[0] if len(found) == 1 else None
