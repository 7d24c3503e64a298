# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The window-definition vocabulary and the SSM API shape: conversion and path mapping.

The schema nodes derive from the field registry (``_window_fields``); task targets, which name
window targets where the API has IDs, are converted here too. A definition error (``Problem``)
names its field in this vocabulary.

Pure: no Ansible or boto3 imports.
"""

from __future__ import annotations

import re
import typing as t

from . import _fields as F
from ._definition_values import WINDOW_TARGET_IDS
from ._definition_values import normalize_task_targets
from ._window_fields import INVOCATION_FIELDS
from ._window_fields import TARGET_FIELDS
from ._window_fields import TASK_FIELDS
from ._window_fields import WINDOW_FIELDS

Doc = dict[str, t.Any]

# A schema node is None (a leaf kept verbatim, including opaque maps such as document
# parameters), a dict {vocabulary key: (API key, node)} for a structure, or a one-item list
# [node] for a list of such nodes.
Node = t.Any

# Tags are not a registry field (amazon.aws documents and compares them); the entry maps error paths.
WINDOW_SCHEMA: Node = dict(F.schema_node(WINDOW_FIELDS), tags=("Tags", None))
TARGET_SCHEMA: Node = F.schema_node(TARGET_FIELDS)
# Task targets by name are ours; this entry (Key/Values) serves API-path mapping only.
TASK_SCHEMA: Node = F.schema_node(TASK_FIELDS)
INVOCATION_SCHEMA: Node = F.schema_node(INVOCATION_FIELDS)

# Which invocation-parameter block belongs to which task type.
INVOCATION_KEY_FOR_TYPE = {f.key.upper(): f.key for f in INVOCATION_FIELDS}


class Problem(t.NamedTuple):
    """A definition error: the field in our vocabulary and what is wrong with it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


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
# Task targets: window targets by name in the vocabulary, by ID in the API

def task_targets_from_api(api_targets: t.Any, target_names_by_id: t.Mapping[str, str]) -> list[Doc] | None:
    """API task targets -> vocabulary: window targets by name where they have one."""
    entries: list[Doc] = []
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


def resolve_task_targets(entries: t.Any, target_ids_by_name: t.Mapping[str, str]) -> list[Doc] | None:
    """Vocabulary task targets -> API Targets, window-target names replaced by their IDs."""
    if not entries:
        return None
    merged: dict[str, list[str]] = {}
    for entry in entries:
        if entry.get("window_target"):
            key, values = WINDOW_TARGET_IDS, [target_ids_by_name[entry["window_target"]]]
        else:
            key, values = entry["key"], entry.get("values") or []
        bucket = merged.setdefault(key, [])
        bucket.extend(str(v) for v in values if str(v) not in bucket)
    return [{"Key": key, "Values": sorted(merged[key])} for key in sorted(merged)]
