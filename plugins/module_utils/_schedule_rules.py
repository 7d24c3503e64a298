# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The one home of the schedule rules of a maintenance window, and of the mappings into them.

``WindowSchedule`` holds the schedule fields of a window; ``validate_window_schedule`` checks
them (expression, time zone, offset, start/end date, duration, cutoff); ``duration_cutoff_problems``
is the duration/cutoff part alone, for callers (the local executor) whose window has no schedule.
``definition_schedule`` and ``api_schedule`` turn a window definition (the collection's
vocabulary) or an SSM API window (GetMaintenanceWindow or a DescribeMaintenanceWindows item)
into a ``WindowSchedule``: every caller uses them.

Pure standard-library code: no Ansible, no boto3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from ansible_collections.mwops.ssm.plugins.module_utils._cron import CronSchedule, ScheduleError
from ansible_collections.mwops.ssm.plugins.module_utils._schedule_parse import (
    UTC,
    Schedule,
    load_timezone,
    parse_instant,
    parse_schedule,
)

OFFSET_RANGE = (1, 6)  # MaintenanceWindowOffset
DURATION_RANGE = (1, 24)  # MaintenanceWindowDurationHours
CUTOFF_RANGE = (0, 23)  # MaintenanceWindowCutoff


@dataclass(frozen=True)
class WindowSchedule:
    """The schedule-related fields of a maintenance window (SSM names in snake_case)."""

    schedule: str
    timezone: str = "UTC"
    offset: int | None = None
    start_date: str | None = None
    end_date: str | None = None
    duration: int | None = None
    cutoff: int | None = None
    # When the window was created: the rate anchor without a (future) start_date (spec A.3) and the
    # start of the offset "period rule" (spec A.6). Unknown: the evaluation instant stands in.
    created_at: datetime | None = None


# ---------------------------------------------------------------------------------------------
# Mappings: a window definition or an SSM API window -> WindowSchedule

# Key of a window definition (the collection's vocabulary) -> WindowSchedule field.
DEFINITION_FIELDS = {
    "schedule": "schedule",
    "schedule_timezone": "timezone",
    "schedule_offset": "offset",
    "start_date": "start_date",
    "end_date": "end_date",
    "duration": "duration",
    "cutoff": "cutoff",
}
# Member of a GetMaintenanceWindow result or a DescribeMaintenanceWindows item -> WindowSchedule
# field. (A Describe item has no CreatedDate; GetMaintenanceWindow has.)
API_FIELDS = {
    "Schedule": "schedule",
    "ScheduleTimezone": "timezone",
    "ScheduleOffset": "offset",
    "StartDate": "start_date",
    "EndDate": "end_date",
    "Duration": "duration",
    "Cutoff": "cutoff",
    "CreatedDate": "created_at",
}


def definition_fields(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The WindowSchedule fields a window definition sets (keys it leaves out or sets to None are absent)."""
    return {field: definition[key] for key, field in DEFINITION_FIELDS.items() if definition.get(key) is not None}


def definition_schedule(definition: Mapping[str, Any]) -> WindowSchedule:
    """The schedule of a window definition (the caller checks it with ``validate_window_schedule``)."""
    return WindowSchedule(**definition_fields(definition))


def api_schedule_fields(window: Mapping[str, Any]) -> dict[str, Any]:
    """The WindowSchedule fields an SSM API window sets; SSM returns "" for an absent date or zone."""
    return {field: window[key] for key, field in API_FIELDS.items() if window.get(key) not in (None, "")}


def api_schedule(window: Mapping[str, Any]) -> WindowSchedule:
    """The schedule of an SSM API window (GetMaintenanceWindow, or a DescribeMaintenanceWindows item)."""
    return WindowSchedule(**api_schedule_fields(window))


# ---------------------------------------------------------------------------------------------
# Validation


def validate_window_schedule(spec: WindowSchedule) -> list[ScheduleError]:
    """Every problem with the schedule fields of a window (an empty list when valid)."""
    errors: list[ScheduleError] = []
    parsed: Schedule | None = None
    try:
        parsed = parse_schedule(spec.schedule)
    except ScheduleError as exc:
        errors.append(exc)
    tz: tzinfo | None = None
    try:
        tz = load_timezone(spec.timezone)
    except ScheduleError as exc:
        errors.append(exc)

    if spec.offset is not None:
        low, high = OFFSET_RANGE
        if not _is_int(spec.offset) or not low <= spec.offset <= high:
            errors.append(ScheduleError("schedule_offset", f"must be a whole number of days from {low} to {high}, "
                                                           f"got {spec.offset!r}"))
        elif parsed is not None and not isinstance(parsed, CronSchedule):
            errors.append(ScheduleError("schedule_offset", f"is supported for cron expressions only, not {parsed.kind}(...)"))
    errors += date_problems(spec.start_date, spec.end_date, tz or UTC)
    errors += duration_cutoff_problems(spec.duration, spec.cutoff)
    return errors


def date_problems(start_date: Any, end_date: Any, tz: tzinfo) -> list[ScheduleError]:
    """StartDate/EndDate rules: ISO-8601 instants (read in the window's zone), end after start."""
    errors: list[ScheduleError] = []
    dates = {}
    for field, value in (("start_date", start_date), ("end_date", end_date)):
        if value is None:
            continue
        try:
            dates[field] = parse_instant(value, tz)
        except ValueError as exc:
            errors.append(ScheduleError(field, f"{exc}; use ISO-8601, for example 2026-01-01T00:00:00-05:00"))
    if "start_date" in dates and "end_date" in dates and dates["end_date"] <= dates["start_date"]:
        errors.append(ScheduleError("end_date", f"{end_date} must be after start_date {start_date}"))
    return errors


def duration_cutoff_problems(duration: Any, cutoff: Any) -> list[ScheduleError]:
    """Duration and Cutoff rules: whole hours in range, and at least one hour of the window to start tasks."""
    errors: list[ScheduleError] = []
    duration_ok = False
    if duration is not None:
        low, high = DURATION_RANGE
        if not _is_int(duration) or not low <= duration <= high:
            errors.append(ScheduleError("duration", f"must be a whole number of hours from {low} to {high}, got {duration!r}"))
        else:
            duration_ok = True
    if cutoff is not None:
        low, high = CUTOFF_RANGE
        if not _is_int(cutoff) or not low <= cutoff <= high:
            errors.append(ScheduleError("cutoff", f"must be a whole number of hours from {low} to {high}, got {cutoff!r}"))
        elif duration_ok and cutoff > duration - 1:
            errors.append(ScheduleError("cutoff", f"{cutoff} must be at most duration - 1 = {duration - 1}; "
                                                  "tasks need at least one hour of the window to start"))
    return errors


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def checked_schedule(spec: WindowSchedule) -> tuple[Schedule, tzinfo]:
    """The parsed expression and zone of a valid schedule; raise the first problem otherwise."""
    errors = validate_window_schedule(spec)
    if errors:
        raise errors[0]
    return parse_schedule(spec.schedule), load_timezone(spec.timezone)
