# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Schedule filters; documentation of each filter is in the YAML file named after it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.mwops.ssm.plugins.module_utils._schedule import (
    definition_fields,
    WindowSchedule,
    find_overlaps,
    format_instant,
    parse_instant,
    validate_window_schedule,
)

DEFAULT_DAYS = 7


def mw_overlaps(
    windows: Any,
    start: Any | None = None,
    days: Any | None = None,
    end: Any | None = None,
    after: Any | None = None,
) -> list[dict[str, str]]:
    """Pairs of windows that are open at the same time within the horizon."""
    items = _window_list(windows)
    named = [_window_schedule(window, index) for index, window in enumerate(items)]
    _check_unique_names(named)
    horizon_start, horizon_end = _horizon(start if start is not None else after, days, end)
    enabled = [pair for pair, window in zip(named, items) if window.get("enabled") is not False]
    try:
        overlaps = find_overlaps(enabled, horizon_start, horizon_end)
    except ValueError as exc:
        raise AnsibleFilterError(f"mw_overlaps: {to_native(exc)}") from None
    return [
        {
            "first": overlap.first,
            "second": overlap.second,
            "start": format_instant(overlap.start),
            "end": format_instant(overlap.end),
        }
        for overlap in overlaps
    ]


def _window_list(windows: Any) -> list[dict[str, Any]]:
    if isinstance(windows, dict):
        raise AnsibleFilterError("mw_overlaps: expects a list of window definitions, got a single dictionary")
    if not isinstance(windows, (list, tuple)):
        raise AnsibleFilterError(f"mw_overlaps: expects a list of window definitions, got {type(windows).__name__}")
    return list(windows)


def _window_schedule(window: Any, index: int) -> tuple[str, WindowSchedule]:
    if not isinstance(window, dict):
        raise AnsibleFilterError(f"mw_overlaps: item {index} must be a window definition (a dictionary)")
    name = window.get("name")
    if not isinstance(name, str) or not name:
        raise AnsibleFilterError(f"mw_overlaps: item {index} needs a name")
    fields = definition_fields(window)
    if not isinstance(fields.get("schedule"), str):
        raise AnsibleFilterError(f"mw_overlaps: window {name}: schedule: is required (a cron, rate or at expression)")
    if fields.get("duration") is None:
        raise AnsibleFilterError(f"mw_overlaps: window {name}: duration: is required to know how long the window is open")
    spec = WindowSchedule(**fields)
    errors = validate_window_schedule(spec)
    if errors:
        raise AnsibleFilterError(f"mw_overlaps: window {name}: " + "; ".join(str(error) for error in errors))
    return name, spec


def _check_unique_names(named: list[tuple[str, WindowSchedule]]) -> None:
    seen = set()
    for name, _spec in named:
        if name in seen:
            raise AnsibleFilterError(f"mw_overlaps: two windows are named {name!r}; window names must be unique")
        seen.add(name)


def _horizon(start: Any, days: Any, end: Any) -> tuple[datetime, datetime]:
    horizon_start = _instant(start, "start") if start not in (None, "") else datetime.now(timezone.utc)
    if end not in (None, "") and days is not None:
        raise AnsibleFilterError("mw_overlaps: give either days or end, not both")
    if end not in (None, ""):
        horizon_end = _instant(end, "end")
    else:
        number = _number(DEFAULT_DAYS if days is None else days)
        if number is None or number <= 0:
            raise AnsibleFilterError(f"mw_overlaps: days: must be a positive number, got {days!r}")
        horizon_end = horizon_start + timedelta(days=number)
    if horizon_end <= horizon_start:
        raise AnsibleFilterError("mw_overlaps: end must be after start")
    return horizon_start, horizon_end


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _instant(value: Any, label: str) -> datetime:
    try:
        return parse_instant(value if isinstance(value, datetime) else to_native(value))
    except ValueError as exc:
        raise AnsibleFilterError(f"mw_overlaps: {label}: {exc}") from None


def mw_utc(value: Any) -> str:
    """An ISO-8601 instant (any UTC offset, as the mw_schedule lookup returns) in UTC, with Z."""
    try:
        moment = parse_instant(value if isinstance(value, datetime) else to_native(value))
    except ValueError as exc:
        raise AnsibleFilterError(f"mw_utc: {exc}") from None
    return format_instant(moment.astimezone(timezone.utc))


class FilterModule:
    def filters(self):
        return {"mw_overlaps": mw_overlaps, "mw_utc": mw_utc}
