# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Canonical forms of windows, window targets and tasks, and their differences.

Both sides (a definition, and what AWS returns) are normalised with the field registry's
normalisers and defaults, so a comparison only sees real differences; the compared fields and
the values AWS computes when we leave them unset come from the registry too.

Pure: no Ansible or boto3 imports.
"""

from __future__ import annotations

import copy
import datetime
import typing as t

from . import _fields as F
from ._definition_values import default_resource_type
from ._definition_vocabulary import task_targets_from_api
from ._schedule import parse_instant
from ._window_fields import INSTANT_FIELDS
from ._window_fields import NESTED_TARGET_FIELDS
from ._window_fields import NESTED_TASK_FIELDS
from ._window_fields import TARGET_FIELDS
from ._window_fields import TASK_FIELDS
from ._window_fields import WINDOW_FIELDS

Doc = dict[str, t.Any]


def compared_keys(fields: F.Fields) -> tuple[str, ...]:
    return tuple(f.key for f in F.option_fields(fields) if f.compare != F.IGNORED)


def computed_paths(fields: F.Fields, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths (through structures) of the fields AWS computes when we leave them unset."""
    paths = []
    for f in fields:
        if f.computed:
            paths.append(prefix + (f.key,))
        elif f.options is not None and f.type == "dict":
            paths.extend(computed_paths(f.options, prefix + (f.key,)))
    return paths


WINDOW_COMPARED = compared_keys(WINDOW_FIELDS)
TARGET_COMPARED = compared_keys(TARGET_FIELDS)
TASK_COMPARED = compared_keys(TASK_FIELDS)
# Fields AWS computes when we leave them unset: no difference unless we ask for a value.
_COMPUTED_WHEN_UNSET = tuple(computed_paths(TASK_FIELDS))
# Open-ended structures whose differences are reported member by member (full paths).
_REPORTED_BY_PATH = ("task_invocation_parameters",)


# ---------------------------------------------------------------------------------------------
# Windows

def normalize_window(window: Doc) -> Doc:
    """Canonical window fields (without targets, tasks and tags): defaults filled, blanks removed."""
    return F.normalise(WINDOW_FIELDS, window)


def window_from_api(api_window: Doc) -> Doc:
    """GetMaintenanceWindow result -> canonical vocabulary (tags are added separately)."""
    return normalize_window(F.from_api(WINDOW_FIELDS, api_window))


_PROBE_ZONE = datetime.timezone(datetime.timedelta(hours=1))


def _instant(text: t.Any) -> tuple[datetime.datetime | None, bool]:
    """The instant (text without a zone read as UTC), and whether the text names its zone."""
    try:
        as_utc = parse_instant(str(text))
        return as_utc, as_utc == parse_instant(str(text), _PROBE_ZONE)
    except ValueError:
        return None, False


def same_date(desired: str | None, current: str | None) -> bool:
    """Dates are equal when they name the same instant, however AWS formats them."""
    if desired == current:
        return True
    if desired is None or current is None:
        return False
    (a, a_zoned), (b, b_zoned) = _instant(desired), _instant(current)
    if a is None or b is None:
        return False
    if a_zoned != b_zoned:  # one side without a zone: the same wall-clock time
        return a.replace(tzinfo=None) == b.replace(tzinfo=None)
    return a == b


def start_date_moved_by_aws(desired: Doc, current: Doc, now: datetime.datetime | None = None) -> bool:
    """SSM replaces a past StartDate of a rate() window with the time of the call: not a change."""
    if not str(desired.get("schedule") or "").startswith("rate(") or desired.get("schedule") != current.get("schedule"):
        return False
    if not desired.get("start_date") or not current.get("start_date"):
        return False
    (want, want_zoned), (have, have_zoned) = _instant(desired["start_date"]), _instant(current["start_date"])
    if want is None or have is None or not want_zoned or not have_zoned:
        return False
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return want < now and want < have <= now


def window_differences(desired: Doc, current: Doc, now: datetime.datetime | None = None) -> list[str]:
    """Window fields (canonical) whose values differ."""
    changed = []
    for key in WINDOW_COMPARED:
        a, b = desired.get(key), current.get(key)
        if key in INSTANT_FIELDS:
            if not same_date(a, b) and not (key == "start_date" and start_date_moved_by_aws(desired, current, now)):
                changed.append(key)
        elif a != b:
            changed.append(key)
    return changed


# ---------------------------------------------------------------------------------------------
# Window targets

def normalize_target(target: Doc) -> Doc:
    out = F.normalise(NESTED_TARGET_FIELDS, target)
    if "resource_type" not in out:  # derived from the keys, in its place among the fields
        out["resource_type"] = default_resource_type(target.get("targets"))
        out = {f.key: out[f.key] for f in NESTED_TARGET_FIELDS if f.key in out}
    return out


def target_from_api(api_target: Doc) -> Doc:
    """A DescribeMaintenanceWindowTargets entry -> canonical vocabulary with its ID."""
    out = normalize_target(F.from_api(TARGET_FIELDS, api_target))
    out["window_target_id"] = api_target["WindowTargetId"]
    return out


def target_differences(desired: Doc, current: Doc) -> list[str]:
    return [k for k in TARGET_COMPARED if desired.get(k) != current.get(k)]


# ---------------------------------------------------------------------------------------------
# Tasks

def normalize_task(task: Doc) -> Doc:
    """Canonical task in vocabulary form (targets still by name)."""
    return F.normalise(NESTED_TASK_FIELDS, task)


def task_from_api(api_task: Doc, target_names_by_id: t.Mapping[str, str]) -> Doc:
    """GetMaintenanceWindowTask (or Describe entry) -> canonical vocabulary with its ID.

    Payload must already be text (the AWS layer decodes the blob).
    """
    raw = dict(api_task)
    if "Type" in raw and "TaskType" not in raw:
        raw["TaskType"] = raw["Type"]
    vocab = F.from_api(TASK_FIELDS, raw)
    vocab["targets"] = task_targets_from_api(raw.get("Targets"), target_names_by_id)
    if not vocab["targets"]:
        # Targetless tasks carry AWS's placeholder "1" rate controls: not ours to compare.
        vocab.pop("max_concurrency", None)
        vocab.pop("max_errors", None)
    out = normalize_task(vocab)
    out["window_task_id"] = raw["WindowTaskId"]
    return out


def _dig(doc: t.Any, path: t.Sequence[str]) -> t.Any:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def absorb_computed(desired: Doc, current: Doc) -> Doc:
    """A copy of ``current`` without values AWS computed for fields ``desired`` leaves unset."""
    out = copy.deepcopy(current)
    for path in _COMPUTED_WHEN_UNSET:
        if _dig(desired, path) is None and _dig(out, path) is not None:
            parent = _dig(out, path[:-1])
            del parent[path[-1]]
    return out


def task_differences(desired: Doc, current: Doc) -> list[str]:
    """Changed task fields; nested invocation parameters are reported by their full path."""
    current = absorb_computed(desired, current)
    changed = []
    for key in TASK_COMPARED:
        a, b = desired.get(key), current.get(key)
        if a == b:
            continue
        if key in _REPORTED_BY_PATH:
            changed.extend(f"{key}.{p}" for p in nested_differences(a or {}, b or {}))
        else:
            changed.append(key)
    return changed


def nested_differences(a: t.Any, b: t.Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out.extend(nested_differences(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else str(key)))
        return out
    return [] if a == b else [prefix]


def normalize_invocation_parameters(params: t.Any) -> Doc | None:
    """Canonical task invocation parameters (None when nothing is set)."""
    return normalize_task({"task_invocation_parameters": params}).get("task_invocation_parameters")
