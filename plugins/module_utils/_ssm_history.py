# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""SSM's execution history, read through the API and returned in the executor's schema.

The AWS layer for ``mw_execution_info``: every call goes through the error handler and the
retry decorator of ``_ssm`` (throttling is retried with jittered backoff); the three Describe
calls are paginated. ``read_history`` composes them and converts with ``_execution_schema``.
"""

from __future__ import annotations

import typing as t

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ._execution_schema import from_ssm_execution
from ._execution_schema import from_ssm_task
from ._execution_schema import invocation_parameters
from ._execution_schema import iso
from ._execution_schema import match_window_task
from ._ssm import RETRY
from ._ssm import SSMErrorHandler
from ._ssm import describe_tasks
from ._ssm import describe_windows
from ._ssm import get_window
from ._ssm import list_window_tags

PAGE_SIZE = 100  # the largest MaxResults the three Describe calls accept


@RETRY
def _paginate(client, operation: str, result_key: str, **params) -> list[dict[str, t.Any]]:
    paginator = client.get_paginator(operation)
    pages = paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE}, **params)
    return pages.build_full_result().get(result_key, [])


@SSMErrorHandler.list_error_handler("describe maintenance window executions", [])
def describe_executions(client, window_id: str, filters: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    params: dict[str, t.Any] = {"WindowId": window_id}
    if filters:
        params["Filters"] = filters
    return _paginate(client, "describe_maintenance_window_executions", "WindowExecutions", **params)


@SSMErrorHandler.list_error_handler("describe maintenance window execution tasks", [])
def describe_execution_tasks(client, execution_id: str) -> list[dict[str, t.Any]]:
    return _paginate(client, "describe_maintenance_window_execution_tasks", "WindowExecutionTaskIdentities",
                     WindowExecutionId=execution_id)


@SSMErrorHandler.list_error_handler("get maintenance window execution task")
@RETRY
def get_execution_task(client, execution_id: str, task_id: str) -> dict[str, t.Any] | None:
    return client.get_maintenance_window_execution_task(WindowExecutionId=execution_id, TaskId=task_id)


@SSMErrorHandler.list_error_handler("describe maintenance window execution task invocations", [])
def describe_task_invocations(client, execution_id: str, task_id: str) -> list[dict[str, t.Any]]:
    return _paginate(client, "describe_maintenance_window_execution_task_invocations",
                     "WindowExecutionTaskInvocationIdentities", WindowExecutionId=execution_id, TaskId=task_id)


@SSMErrorHandler.list_error_handler("get command invocation")
@RETRY
def get_command_invocation(client, command_id: str, instance_id: str) -> dict[str, t.Any] | None:
    try:
        return client.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
    except is_boto3_error_code("InvocationDoesNotExist"):
        return None  # Run Command forgets commands before the window history does


def _commands(client, identities: list[dict[str, t.Any]]) -> dict[str, dict[str, t.Any]]:
    """GetCommandInvocation for every Run Command invocation that started."""
    found: dict[str, dict[str, t.Any]] = {}
    for identity in identities:
        if identity.get("TaskType") not in (None, "RUN_COMMAND") or not identity.get("ExecutionId"):
            continue
        instances = invocation_parameters(identity).get("instanceIds") or []
        if not instances:
            continue
        answer = get_command_invocation(client, identity["ExecutionId"], instances[0])
        if answer:
            found[identity["InvocationId"]] = answer
    return found


def read_execution(client, window: dict[str, t.Any], tags: dict[str, str], identity: dict[str, t.Any],
                   window_tasks: list[dict[str, t.Any]], include_tasks: bool = True,
                   include_output: bool = False) -> dict[str, t.Any]:
    """One window execution (a DescribeMaintenanceWindowExecutions identity) in the schema."""
    tasks = []
    if include_tasks:
        execution_id = identity["WindowExecutionId"]
        for task_identity in describe_execution_tasks(client, execution_id):
            task_id = task_identity["TaskExecutionId"]
            detail = get_execution_task(client, execution_id, task_id) or dict(task_identity)
            identities = describe_task_invocations(client, execution_id, task_id)
            commands = _commands(client, identities) if include_output else {}
            tasks.append(from_ssm_task(detail, identities, match_window_task(detail, window_tasks), commands))
    return from_ssm_execution(identity, tasks, window, tags)


def target_windows(client, window_id: str | None, name: str | None) -> list[dict[str, t.Any]]:
    """The windows to read: the one given by ID or (unique) name, else every window of the region.

    Raises ``LookupError`` with a message for the user when the window cannot be found.
    """
    if window_id:
        window = get_window(client, window_id)
        if not window:
            raise LookupError(f"window_id: no maintenance window {window_id} in this account and region")
        return [window]
    windows = describe_windows(client, [{"Key": "Name", "Values": [name]}] if name else None)
    if name:
        windows = [w for w in windows if w.get("Name") == name]
        if not windows:
            raise LookupError(f"name: no maintenance window named {name!r} in this account and region")
        if len(windows) > 1:
            ids = ", ".join(sorted(w["WindowId"] for w in windows))
            raise LookupError(f"name: {len(windows)} maintenance windows are named {name!r} ({ids}); give window_id")
    return [get_window(client, w["WindowId"]) or w for w in windows]


def read_history(client, windows: list[dict[str, t.Any]], filters: list[dict[str, t.Any]],
                 statuses: list[str], last: int | None, include_tasks: bool,
                 include_output: bool) -> list[dict[str, t.Any]]:
    """Executions of the windows, newest first per window, filtered, at most ``last`` per window."""
    result = []
    for window in sorted(windows, key=lambda w: (w.get("Name") or "", w["WindowId"])):
        identities = describe_executions(client, window["WindowId"], filters)
        identities = [i for i in identities if not statuses or i.get("Status") in statuses]
        identities.sort(key=lambda i: iso(i.get("StartTime")) or "", reverse=True)
        if last is not None:
            identities = identities[:last]
        if not identities:
            continue
        tags = list_window_tags(client, window["WindowId"])
        window_tasks = describe_tasks(client, window["WindowId"]) if include_tasks else []
        for identity in identities:
            identity.setdefault("WindowId", window["WindowId"])
            result.append(read_execution(client, window, tags, identity, window_tasks, include_tasks,
                                         include_output))
    return result
