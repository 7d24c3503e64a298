# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The one place that talks to SSM for maintenance windows, targets and tasks (the AWS layer).

Each read wrapper is a few lines under two decorators: the error handler outermost (turns
botocore errors into ``AnsibleSSMError``, "does not exist" into a default), the retry inside it
(SSM throttles with ``ThrottlingException``, which amazon.aws does not retry by default).
Paginated calls go through a decorated helper because paginators are not wrapped by the
retrying client.

Writes are one table, ``WRITE_OPERATIONS``: operation name -> client method, the response member
holding the new ID, whether the call takes a ClientToken, whether "does not exist" means done.
``write(client, operation, request)`` sends any planned request (``_plan.Op``) through the same
error handler and retry, so a new write operation is one table entry.
"""

from __future__ import annotations

import functools
import typing as t
from collections.abc import Mapping
from dataclasses import dataclass

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ._plan import parameters_marker

Doc = dict[str, t.Any]

# Writes are idempotent per request (a derived ClientToken on create) so retrying them is safe.
THROTTLE_CODES = ["ThrottlingException", "TooManyUpdates"]
RETRY = AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=20, catch_extra_error_codes=THROTTLE_CODES)
PAGE_SIZE = 100


class AnsibleSSMError(AnsibleAWSError):
    pass


class SSMErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleSSMError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("DoesNotExistException")


class _LazyModel(Mapping):
    """A raw service model read on first use: a plan with nothing to write never reads it."""

    def __init__(self, load: t.Callable[[], t.Mapping[str, t.Any]]) -> None:
        self._load = load
        self._model: t.Mapping[str, t.Any] | None = None

    def _loaded(self) -> t.Mapping[str, t.Any]:
        if self._model is None:
            self._model = self._load()
        return self._model

    def __getitem__(self, key: str) -> t.Any:
        return self._loaded()[key]

    def __iter__(self) -> t.Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


def service_model(client: t.Any = None) -> t.Mapping[str, t.Any]:
    """botocore's raw SSM service model (shapes and limits for local validation), read lazily.

    With ``client`` (an SSM client) the model the client already parsed is reused, so a module
    run does not read and parse botocore's model file a second time.
    """
    return _LazyModel(functools.partial(_raw_model, client))


def _raw_model(client: t.Any) -> t.Mapping[str, t.Any]:
    # botocore keeps the raw dict it built the client's ServiceModel from; same loader, same data.
    described = getattr(getattr(getattr(client, "meta", None), "service_model", None), "_service_description", None)
    if isinstance(described, Mapping) and "shapes" in described and "operations" in described:
        return described
    return _file_model()


@functools.lru_cache(maxsize=1)
def _file_model() -> t.Mapping[str, t.Any]:
    import botocore.loaders  # only without a client; AnsibleAWSModule reports a missing botocore

    return botocore.loaders.create_loader().load_service_model("ssm", "service-2")


# ----------------------------------------------------------------------------- pagination

@RETRY
def _paginate(client, operation: str, result_key: str, **params) -> list[Doc]:
    paginator = client.get_paginator(operation)
    pages = paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE}, **params)
    return pages.build_full_result().get(result_key, [])


# ----------------------------------------------------------------------------- windows

@SSMErrorHandler.list_error_handler("describe maintenance windows", [])
def describe_windows(client, filters: list[Doc] | None = None) -> list[Doc]:
    params = {"Filters": filters} if filters else {}
    return _paginate(client, "describe_maintenance_windows", "WindowIdentities", **params)


def find_windows_by_name(client, name: str) -> list[Doc]:
    """Windows whose name is exactly ``name`` (the API filter is not documented as exact)."""
    found = describe_windows(client, [{"Key": "Name", "Values": [name]}])
    return [w for w in found if w.get("Name") == name]


@SSMErrorHandler.list_error_handler("get maintenance window")
@RETRY
def get_window(client, window_id: str) -> Doc | None:
    return client.get_maintenance_window(WindowId=window_id)


@SSMErrorHandler.list_error_handler("list tags of maintenance window", {})
@RETRY
def list_window_tags(client, window_id: str) -> dict[str, str]:
    tags = client.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)
    return boto3_tag_list_to_ansible_dict(tags.get("TagList", []))


# ----------------------------------------------------------------------------- targets

@SSMErrorHandler.list_error_handler("describe targets of maintenance window", [])
def describe_targets(client, window_id: str, filters: list[Doc] | None = None) -> list[Doc]:
    params = {"Filters": filters} if filters else {}
    return _paginate(client, "describe_maintenance_window_targets", "Targets", WindowId=window_id, **params)


# ----------------------------------------------------------------------------- tasks

@SSMErrorHandler.list_error_handler("describe tasks of maintenance window", [])
def describe_tasks(client, window_id: str) -> list[Doc]:
    return _paginate(client, "describe_maintenance_window_tasks", "Tasks", WindowId=window_id)


def _payload_as_text(task: Doc) -> Doc:
    """Lambda Payload is a blob: the vocabulary holds text."""
    lam = (task.get("TaskInvocationParameters") or {}).get("Lambda") or {}
    payload = lam.get("Payload")
    if isinstance(payload, (bytes, bytearray)):
        lam["Payload"] = payload.decode("utf-8")
    elif payload is not None and hasattr(payload, "read"):
        lam["Payload"] = payload.read().decode("utf-8")
    return task


@SSMErrorHandler.list_error_handler("get maintenance window task")
@RETRY
def get_task(client, window_id: str, window_task_id: str) -> Doc | None:
    return _payload_as_text(client.get_maintenance_window_task(WindowId=window_id, WindowTaskId=window_task_id))


def _payload_as_bytes(request: Doc) -> Doc:
    lam = (request.get("TaskInvocationParameters") or {}).get("Lambda") or {}
    if isinstance(lam.get("Payload"), str):
        lam["Payload"] = lam["Payload"].encode("utf-8")
    return request


def window_tag_changes(current: t.Mapping[str, str], desired: t.Mapping[str, t.Any] | None,
                       purge: bool) -> tuple[dict[str, str], list[str]]:
    """(tags to set, keys to remove) by amazon.aws ``compare_aws_tags``; ``desired`` None leaves
    the tags alone, ``aws:`` keys are never purged. Values are text: a null value is ""."""
    if desired is None:
        return {}, []
    wanted = {str(k): "" if v is None else str(v) for k, v in desired.items()}
    to_set, to_unset = compare_aws_tags(dict(current), wanted, purge_tags=purge)
    return to_set, sorted(to_unset)


# ----------------------------------------------------------------------------- writes


@dataclass(frozen=True)
class WriteOperation:
    """How one planned write is sent."""

    method: str  # boto3 client method
    action: str  # what failed, in an error message: "could not <action>"
    new_id: str | None = None  # response member holding the created resource's ID
    client_token: bool = False  # Create/Register: sent under a derived ClientToken
    deletion: bool = False  # "does not exist" means the work is already done
    payload_blob: bool = False  # task requests: the Lambda Payload travels as bytes
    # Create/Register: whether the resource the call answered with exists (an old token's may not).
    created_exists: t.Callable[[t.Any, Doc, str], bool] | None = None
    # Create/Register: whether a resource of the request's identity (its name) exists now.
    identity_exists: t.Callable[[t.Any, Doc], bool] | None = None


def _window_exists(client, _request: Doc, window_id: str) -> bool:
    return get_window(client, window_id) is not None


def _target_exists(client, request: Doc, window_target_id: str) -> bool:
    return bool(describe_targets(client, request["WindowId"], [{"Key": "WindowTargetId", "Values": [window_target_id]}]))


def _task_exists(client, request: Doc, window_task_id: str) -> bool:
    return get_task(client, request["WindowId"], window_task_id) is not None


def _window_named(client, request: Doc) -> bool:
    return bool(find_windows_by_name(client, request.get("Name") or ""))


def _target_named(client, request: Doc) -> bool:
    # Unnamed targets are one identity here: a refusal stands while any unnamed one exists.
    name = request.get("Name") or None
    return any((x.get("Name") or None) == name for x in describe_targets(client, request["WindowId"]))


def _task_named(client, request: Doc) -> bool:
    name = request.get("Name") or None
    return any((x.get("Name") or None) == name for x in describe_tasks(client, request["WindowId"]))


WRITE_OPERATIONS: dict[str, WriteOperation] = {
    "CreateMaintenanceWindow": WriteOperation("create_maintenance_window", "create maintenance window",
                                              new_id="WindowId", client_token=True,
                                              created_exists=_window_exists, identity_exists=_window_named),
    "UpdateMaintenanceWindow": WriteOperation("update_maintenance_window", "update maintenance window"),
    "DeleteMaintenanceWindow": WriteOperation("delete_maintenance_window", "delete maintenance window", deletion=True),
    "AddTagsToResource": WriteOperation("add_tags_to_resource", "tag maintenance window"),
    "RemoveTagsFromResource": WriteOperation("remove_tags_from_resource", "untag maintenance window"),
    "RegisterTargetWithMaintenanceWindow": WriteOperation("register_target_with_maintenance_window",
                                                          "register maintenance window target",
                                                          new_id="WindowTargetId", client_token=True,
                                                          created_exists=_target_exists,
                                                          identity_exists=_target_named),
    "UpdateMaintenanceWindowTarget": WriteOperation("update_maintenance_window_target",
                                                    "update maintenance window target"),
    "DeregisterTargetFromMaintenanceWindow": WriteOperation("deregister_target_from_maintenance_window",
                                                            "deregister maintenance window target", deletion=True),
    "RegisterTaskWithMaintenanceWindow": WriteOperation("register_task_with_maintenance_window",
                                                        "register maintenance window task",
                                                        new_id="WindowTaskId", client_token=True, payload_blob=True,
                                                        created_exists=_task_exists, identity_exists=_task_named),
    "UpdateMaintenanceWindowTask": WriteOperation("update_maintenance_window_task", "update maintenance window task",
                                                  payload_blob=True),
    "DeregisterTaskFromMaintenanceWindow": WriteOperation("deregister_task_from_maintenance_window",
                                                          "deregister maintenance window task", deletion=True),
}


def _writer(spec: WriteOperation) -> t.Callable[[t.Any, Doc], str | None]:
    """The wrapper of one write: error handler outermost, retry inside (as for the reads)."""
    handler = SSMErrorHandler.deletion_error_handler if spec.deletion else SSMErrorHandler.common_error_handler

    @handler(spec.action)
    @RETRY
    def send(client, request: Doc) -> str | None:
        response = getattr(client, spec.method)(**(_payload_as_bytes(request) if spec.payload_blob else request))
        return response.get(spec.new_id) if spec.new_id else None

    return send


_WRITERS = {operation: _writer(spec) for operation, spec in WRITE_OPERATIONS.items()}


def write(client, operation: str, request: Doc) -> str | None:
    """Send one planned write; the new resource's ID for a Create/Register call, else None."""
    return _WRITERS[operation](client, request) or None


def refused_token(error: Exception) -> bool:
    """SSM refused a ClientToken it remembers from a call with other parameters."""
    response = getattr(error, "exception", None)
    response = getattr(response, "response", None) or {}
    return response.get("Error", {}).get("Code") == "IdempotentParameterMismatch"


def create_once(send: t.Callable[[Doc], str | None], request: Doc, token: t.Callable[[t.Sequence[str]], str],
                created_exists: t.Callable[[str], bool] | None = None,
                identity_exists: t.Callable[[], bool] | None = None) -> str | None:
    """Send one Create/Register call under its derived ClientToken (``token(stale)``); the new ID.

    SSM does not document how long a token is remembered, so the answer is checked
    (``created_exists``): when the token's resource has been deleted since (a deliberate
    re-creation that observed the same state), the call is made again under a token that names
    the stale ID. A refused token (IdempotentParameterMismatch: same token, other parameters) is a
    race lost to another definition of this identity while one exists (``identity_exists``, a
    fresh read): the error stands, nothing is duplicated. When none exists, the token's resource
    was deleted and the definition changed since: the call is made again under a token that also
    names the parameters (the same for every run of this definition). Used for windows, targets,
    tasks (``_converge``) and patch baselines (``_baseline_aws``). ClientToken:
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateMaintenanceWindow.html
    """
    stale: list[str] = []
    while True:
        request["ClientToken"] = token(stale)
        try:
            new_id = send(request)
        except AnsibleSSMError as e:
            marker = parameters_marker(request)
            if not refused_token(e) or identity_exists is None or marker in stale or identity_exists():
                raise
            stale.append(marker)
            continue
        if not new_id or new_id in stale or len(stale) > 3 or created_exists is None or created_exists(new_id):
            return new_id
        stale.append(new_id)
