# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Argument specs of the window, target and task modules, derived from the field registry.

The fields come from ``_window_fields``; only the options that steer a module (identity, state,
purge, force) are written here. Choices of the vocabulary and required fields are not declared
in the spec: the rules cores check the definition as a whole, so every error names its field
with list indexes, such as ``tasks[1].max_concurrency``, and nothing is written when any part is
wrong.
"""

from __future__ import annotations

import copy
import typing as t

from . import _fields as F
from ._window_fields import DEFINITION_FIELDS
from ._window_fields import TARGET_FIELDS
from ._window_fields import TARGET_ID
from ._window_fields import TASK_FIELDS
from ._window_fields import TASK_ID
from ._window_fields import WINDOW_FIELDS

Spec = dict[str, t.Any]

# The keys of each resource's definition in the vocabulary (what a module hands to the converge).
WINDOW_KEYS = tuple(f.key for f in WINDOW_FIELDS)
TARGET_KEYS = tuple(f.key for f in TARGET_FIELDS)
TASK_KEYS = tuple(f.key for f in TASK_FIELDS)

# Old names: the argument specs of the fields alone.
WINDOW_SPEC: Spec = F.argument_spec(WINDOW_FIELDS)
TARGET_SPEC: Spec = F.argument_spec(TARGET_FIELDS)
TASK_SPEC: Spec = F.argument_spec(TASK_FIELDS)

STATE_SPEC: Spec = dict(state=dict(type="str", default="present", choices=["present", "absent"]))
WINDOW_IDENTITY_SPEC: Spec = dict(
    window=dict(type="str", aliases=["window_name"]),
    window_id=dict(type="str"),
)


def maintenance_window_argument_spec() -> Spec:
    return copy.deepcopy(dict(
        F.argument_spec(DEFINITION_FIELDS),
        window_id=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        purge_targets=dict(type="bool", default=True),
        purge_tasks=dict(type="bool", default=True),
        force=dict(type="bool", default=False),
        **STATE_SPEC,
    ))


def mw_target_argument_spec() -> Spec:
    return copy.deepcopy(dict(F.argument_spec(TARGET_FIELDS + (TARGET_ID,)), **WINDOW_IDENTITY_SPEC, **STATE_SPEC,
                              force=dict(type="bool", default=False)))


def mw_task_argument_spec() -> Spec:
    return copy.deepcopy(dict(F.argument_spec(TASK_FIELDS + (TASK_ID,)), **WINDOW_IDENTITY_SPEC, **STATE_SPEC))


def strip_none(value: t.Any) -> t.Any:
    """Module params carry every suboption (None when unset); the vocabulary omits them."""
    if isinstance(value, dict):
        return {k: strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_none(v) for v in value]
    return value
