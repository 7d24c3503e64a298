# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The one place that talks to SSM for maintenance windows, targets and tasks.

Each API wrapper is two lines under two decorators: the error handler outermost (turns botocore
errors into ``AnsibleSSMError``, "does not exist" into a default), the retry inside it (SSM
throttles with ``ThrottlingException``, which amazon.aws does not retry by default).  Paginated
calls go through a decorated helper because paginators are not wrapped by the retrying client.
"""

from __future__ import annotations

import functools
import typing as t
from collections.abc import Mapping

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

Doc = t.Dict[str, t.Any]

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
        self._model: t.Optional[t.Mapping[str, t.Any]] = None

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
def _paginate(client, operation: str, result_key: str, **params) -> t.List[Doc]:
    paginator = client.get_paginator(operation)
    pages = paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE}, **params)
    return pages.build_full_result().get(result_key, [])


# ----------------------------------------------------------------------------- windows

@SSMErrorHandler.list_error_handler("describe maintenance windows", [])
def describe_windows(client, filters: t.Optional[t.List[Doc]] = None) -> t.List[Doc]:
    params = {"Filters": filters} if filters else {}
    return _paginate(client, "describe_maintenance_windows", "WindowIdentities", **params)


def find_windows_by_name(client, name: str) -> t.List[Doc]:
    """Windows whose name is exactly ``name`` (the API filter is not documented as exact)."""
    found = describe_windows(client, [{"Key": "Name", "Values": [name]}])
    return [w for w in found if w.get("Name") == name]


@SSMErrorHandler.list_error_handler("get maintenance window")
@RETRY
def get_window(client, window_id: str) -> t.Optional[Doc]:
    return client.get_maintenance_window(WindowId=window_id)


@SSMErrorHandler.common_error_handler("create maintenance window")
@RETRY
def create_window(client, request: Doc) -> str:
    return client.create_maintenance_window(**request)["WindowId"]


@SSMErrorHandler.common_error_handler("update maintenance window")
@RETRY
def update_window(client, request: Doc) -> Doc:
    return client.update_maintenance_window(**request)


@SSMErrorHandler.deletion_error_handler("delete maintenance window")
@RETRY
def delete_window(client, window_id: str) -> bool:
    client.delete_maintenance_window(WindowId=window_id)
    return True


@SSMErrorHandler.list_error_handler("list tags of maintenance window", {})
@RETRY
def list_window_tags(client, window_id: str) -> t.Dict[str, str]:
    tags = client.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)
    return boto3_tag_list_to_ansible_dict(tags.get("TagList", []))


@SSMErrorHandler.common_error_handler("tag maintenance window")
@RETRY
def add_window_tags(client, window_id: str, tags: t.Dict[str, str]) -> None:
    client.add_tags_to_resource(ResourceType="MaintenanceWindow", ResourceId=window_id,
                                Tags=ansible_dict_to_boto3_tag_list(tags))


@SSMErrorHandler.common_error_handler("untag maintenance window")
@RETRY
def remove_window_tags(client, window_id: str, keys: t.List[str]) -> None:
    client.remove_tags_from_resource(ResourceType="MaintenanceWindow", ResourceId=window_id, TagKeys=keys)


# ----------------------------------------------------------------------------- targets

@SSMErrorHandler.list_error_handler("describe targets of maintenance window", [])
def describe_targets(client, window_id: str, filters: t.Optional[t.List[Doc]] = None) -> t.List[Doc]:
    params = {"Filters": filters} if filters else {}
    return _paginate(client, "describe_maintenance_window_targets", "Targets", WindowId=window_id, **params)


@SSMErrorHandler.common_error_handler("register maintenance window target")
@RETRY
def register_target(client, request: Doc) -> str:
    return client.register_target_with_maintenance_window(**request)["WindowTargetId"]


@SSMErrorHandler.common_error_handler("update maintenance window target")
@RETRY
def update_target(client, request: Doc) -> Doc:
    return client.update_maintenance_window_target(**request)


@SSMErrorHandler.deletion_error_handler("deregister maintenance window target")
@RETRY
def deregister_target(client, window_id: str, window_target_id: str, safe: bool) -> bool:
    client.deregister_target_from_maintenance_window(WindowId=window_id, WindowTargetId=window_target_id, Safe=safe)
    return True


# ----------------------------------------------------------------------------- tasks

@SSMErrorHandler.list_error_handler("describe tasks of maintenance window", [])
def describe_tasks(client, window_id: str) -> t.List[Doc]:
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
def get_task(client, window_id: str, window_task_id: str) -> t.Optional[Doc]:
    return _payload_as_text(client.get_maintenance_window_task(WindowId=window_id, WindowTaskId=window_task_id))


def _payload_as_bytes(request: Doc) -> Doc:
    lam = (request.get("TaskInvocationParameters") or {}).get("Lambda") or {}
    if isinstance(lam.get("Payload"), str):
        lam["Payload"] = lam["Payload"].encode("utf-8")
    return request


@SSMErrorHandler.common_error_handler("register maintenance window task")
@RETRY
def register_task(client, request: Doc) -> str:
    return client.register_task_with_maintenance_window(**_payload_as_bytes(request))["WindowTaskId"]


@SSMErrorHandler.common_error_handler("update maintenance window task")
@RETRY
def update_task(client, request: Doc) -> Doc:
    return client.update_maintenance_window_task(**_payload_as_bytes(request))


@SSMErrorHandler.deletion_error_handler("deregister maintenance window task")
@RETRY
def deregister_task(client, window_id: str, window_task_id: str) -> bool:
    client.deregister_task_from_maintenance_window(WindowId=window_id, WindowTaskId=window_task_id)
    return True
