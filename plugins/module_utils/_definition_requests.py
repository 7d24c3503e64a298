# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""SSM write requests built from canonical windows, window targets and tasks.

Every update is a full replace (``Replace=True``) of the registry's fields, so what a definition
leaves out is cleared. The API members come from the field registry (``_window_fields``).

Pure: no Ansible or boto3 imports.
"""

from __future__ import annotations

import typing as t

from . import _fields as F
from ._definition_values import DEFAULT_PRIORITY
from ._definition_vocabulary import resolve_task_targets
from ._window_fields import TARGET_FIELDS
from ._window_fields import TASK_FIELDS
from ._window_fields import WINDOW_FIELDS

Doc = dict[str, t.Any]

# Task targets name window targets; the request carries their IDs (``resolve_task_targets``).
_TASK_FIELDS_BUT_TARGETS = tuple(f for f in TASK_FIELDS if f.key != "targets")


def window_request(window: Doc, window_id: str | None = None) -> Doc:
    """Create (no ID) or full-replace Update (with ID) request for a canonical window.

    CreateMaintenanceWindow has no Enabled member: a disabled window is created and then
    updated (see ``window_needs_disable_after_create``).
    """
    request = F.to_api(WINDOW_FIELDS, window) or {}
    if window_id is None:
        request.pop("Enabled", None)
    else:
        request["WindowId"] = window_id
        request["Replace"] = True
    return request


def window_needs_disable_after_create(window: Doc) -> bool:
    return window.get("enabled") is False


def target_request(target: Doc, window_id: str, window_target_id: str | None = None) -> Doc:
    """Register (no ID) or full-replace Update (with ID; ResourceType cannot be updated)."""
    request = F.to_api(TARGET_FIELDS, target) or {}
    request["WindowId"] = window_id
    if window_target_id is not None:
        request.pop("ResourceType", None)
        request["WindowTargetId"] = window_target_id
        request["Replace"] = True
    return request


def task_request(task: Doc, window_id: str, target_ids_by_name: t.Mapping[str, str],
                 window_task_id: str | None = None) -> Doc:
    """Register (no ID) or full-replace Update (with ID) request.

    Always carries the whole TaskInvocationParameters (Update drops what is not resent) and
    the priority; rate controls are never sent for a targetless task.
    """
    request = F.to_api(_TASK_FIELDS_BUT_TARGETS, task) or {}
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
