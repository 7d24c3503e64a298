# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Maintenance-window schedules: compute when a window opens, in its IANA time zone, with
ScheduleOffset, StartDate/EndDate, Duration and Cutoff applied the way SSM does (see
docs/schedules.md for the conventions where AWS is silent), and find overlapping windows.

Pure standard-library code: no Ansible, no boto3. Expressions and instants are parsed in
``_schedule_parse``, the rules live in ``_schedule_rules``; their public names are re-exported
here so callers import one module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache

from ansible_collections.mwops.ssm.plugins.module_utils._cron import CronSchedule, ScheduleError
from ansible_collections.mwops.ssm.plugins.module_utils._schedule_parse import (
    MAX_SCHEDULE_LENGTH,
    UTC,
    AtSchedule,
    RateSchedule,
    Schedule,
    _localize,
    format_instant,
    is_zone_name,
    load_timezone,
    parse_instant,
    parse_schedule,
)
from ansible_collections.mwops.ssm.plugins.module_utils._schedule_rules import (
    CUTOFF_RANGE,
    DEFINITION_FIELDS,
    DURATION_RANGE,
    OFFSET_RANGE,
    WindowSchedule,
    api_schedule,
    api_schedule_fields,
    checked_schedule,
    definition_fields,
    definition_schedule,
    duration_cutoff_problems,
    validate_window_schedule,
)

__all__ = [
    "CUTOFF_RANGE",
    "DEFINITION_FIELDS",
    "DURATION_RANGE",
    "MAX_SCHEDULE_LENGTH",
    "OFFSET_RANGE",
    "AtSchedule",
    "CronSchedule",
    "Occurrence",
    "Overlap",
    "RateSchedule",
    "Schedule",
    "ScheduleError",
    "WindowSchedule",
    "api_schedule",
    "api_schedule_fields",
    "definition_fields",
    "definition_schedule",
    "duration_cutoff_problems",
    "find_overlaps",
    "format_instant",
    "is_zone_name",
    "iter_occurrences",
    "load_timezone",
    "occurrences",
    "parse_instant",
    "parse_schedule",
    "validate_window_schedule",
]


@dataclass(frozen=True)
class Occurrence:
    """One window opening; all instants are aware and expressed in the window's zone."""

    start: datetime
    end: datetime | None
    last_task_start: datetime | None


@dataclass(frozen=True)
class Overlap:
    """Two windows open at the same time between ``start`` and ``end`` (UTC)."""

    first: str
    second: str
    start: datetime
    end: datetime


def _exists(naive: datetime, tz: tzinfo) -> bool:
    """False for wall-clock times skipped by a spring-forward change."""
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


def _plus_hours(moment: datetime, hours: int) -> datetime:
    """Elapsed-time arithmetic (aware datetimes add wall-clock time in Python)."""
    return (moment.astimezone(UTC) + timedelta(hours=hours)).astimezone(moment.tzinfo)


@lru_cache(maxsize=65536)
def _steady_month(tz: tzinfo, year: int, month: int) -> bool:
    """True when the zone's UTC offset is the same all month (no DST change inside it).

    Sampled weekly, not only at the ends: a zone may change and change back within a month
    (Africa/Casablanca around Ramadan).
    """
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    samples = [datetime(year, month, day, tzinfo=tz) for day in (1, 8, 15, 22)]
    samples.append(following - timedelta(days=1))
    samples.append(following)
    offsets = {moment.replace(fold=fold).utcoffset() for moment in samples for fold in (0, 1)}
    return len(offsets) == 1


class _ZoneClock:
    """Wall-clock ↔ instant conversions in one zone, fast in months without a UTC-offset change.

    Almost every month has no DST transition; there a wall time always exists, is never
    repeated, and wall-clock arithmetic equals elapsed time, so the slow checks are skipped.
    """

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self._month = (0, 0)
        self._month_steady = False

    def _steady(self, year: int, month: int) -> bool:
        if (year, month) != self._month:
            self._month = (year, month)
            self._month_steady = _steady_month(self.tz, year, month)
        return self._month_steady

    def existing(self, wall: datetime) -> datetime | None:
        """``wall`` (aware in this zone, fold=0: the first instance of a repeated time), or None
        when a spring-forward change skips that wall time."""
        if self._steady(wall.year, wall.month):
            return wall
        back = wall.astimezone(UTC).astimezone(self.tz)
        if (back.day, back.hour, back.minute, back.second) != (wall.day, wall.hour, wall.minute, wall.second):
            return None
        return wall

    def plus(self, moment: datetime, elapsed: timedelta) -> datetime:
        """``moment + elapsed`` as elapsed time, expressed in the zone."""
        wall = moment + elapsed
        if wall.month == moment.month and self._steady(moment.year, moment.month):
            return wall
        return (moment.astimezone(UTC) + elapsed).astimezone(self.tz)


# ---------------------------------------------------------------------------------------------
# Occurrences


def occurrences(spec: WindowSchedule, after: datetime, count: int) -> list[Occurrence]:
    """The next ``count`` window openings strictly after ``after`` (fewer when the schedule ends)."""
    result: list[Occurrence] = []
    if count <= 0:
        return result
    for occurrence in iter_occurrences(spec, after):
        result.append(occurrence)
        if len(result) >= count:
            break
    return result


def iter_occurrences(spec: WindowSchedule, after: datetime) -> Iterator[Occurrence]:
    """Window openings strictly after ``after``, ascending, until the schedule ends.

    Raises ScheduleError (the first problem) before yielding anything when ``spec`` is invalid.
    """
    schedule, tz = checked_schedule(spec)
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    # Bounds in UTC: Python compares datetimes sharing a tzinfo by wall clock, ignoring fold.
    after = after.astimezone(UTC)
    start_date = parse_instant(spec.start_date, tz).astimezone(UTC) if spec.start_date is not None else None
    end_date = parse_instant(spec.end_date, tz).astimezone(UTC) if spec.end_date is not None else None
    if spec.created_at is not None:  # accept the ISO text SSM returns as well as a datetime
        spec = replace(spec, created_at=parse_instant(spec.created_at).astimezone(UTC))
    clock = _ZoneClock(tz)
    return _with_intervals(_starts(schedule, clock, spec, after, start_date, end_date), spec, clock)


def _with_intervals(starts: Iterator[datetime], spec: WindowSchedule, clock: _ZoneClock) -> Iterator[Occurrence]:
    if spec.duration is None:
        for start in starts:
            yield Occurrence(start=start, end=None, last_task_start=None)
        return
    duration = timedelta(hours=spec.duration)
    before_end = timedelta(hours=-(spec.cutoff or 0))
    for start in starts:
        end = clock.plus(start, duration)
        yield Occurrence(start=start, end=end, last_task_start=clock.plus(end, before_end) if spec.cutoff else end)


def _starts(
    schedule: Schedule,
    clock: _ZoneClock,
    spec: WindowSchedule,
    after: datetime,
    start_date: datetime | None,
    end_date: datetime | None,
) -> Iterator[datetime]:
    if isinstance(schedule, CronSchedule):
        candidates = _cron_starts(schedule, clock, spec, after, start_date)
    elif isinstance(schedule, RateSchedule):
        candidates = _rate_starts(schedule, clock.tz, spec, after, start_date)
    else:
        candidates = _at_starts(schedule, clock.tz, after)
    before_start = start_date is not None
    for start in candidates:
        if end_date is not None and start > end_date:
            return
        if before_start:
            if start < start_date:
                continue
            before_start = False  # starts only grow
        yield start


def _cron_starts(
    schedule: CronSchedule, clock: _ZoneClock, spec: WindowSchedule, after: datetime, start_date: datetime | None
) -> Iterator[datetime]:
    """Base cron matches (wall clock in ``tz``) plus the offset in calendar days.

    Period rule (spec A.6): a base match counts only when it falls after the window was created
    (``created_at``; the evaluation instant ``after`` when unknown), even if base + offset is still
    in the future. Non-existent local times are skipped; repeated ones run at the first instance.
    """
    offset_days = spec.offset or 0
    base_floor = spec.created_at if spec.created_at is not None else after
    if base_floor.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    # Base matches that could still produce a run after `after` (and not before start_date).
    earliest = after - timedelta(days=offset_days + 1)
    if start_date is not None:
        earliest = max(earliest, start_date - timedelta(days=offset_days + 1))
    earliest = max(earliest, base_floor)
    search_from = earliest.astimezone(clock.tz).replace(microsecond=0) + timedelta(seconds=1)
    if search_from.year > schedule.years[-1]:
        return
    offset = timedelta(days=offset_days)
    past_floor = past_after = False  # both checks hold for good once true: instants only grow
    for base in schedule.iter_local(search_from, clock.tz):
        if clock.existing(base) is None:
            continue
        if not past_floor:
            if base <= base_floor:
                continue  # repeated hour: the first instance was at or before the floor
            past_floor = True
        # Aware + timedelta in one zone is wall-clock arithmetic: the offset keeps local time.
        start = clock.existing(base + offset) if offset_days else base
        if start is None:
            continue
        if not past_after:
            if start <= after:
                continue
            past_after = True
        yield start


def _rate_starts(
    schedule: RateSchedule, tz: tzinfo, spec: WindowSchedule, after: datetime, start_date: datetime | None
) -> Iterator[datetime]:
    """anchor + k * interval (elapsed time), k >= 0. The anchor is StartDate unless it lies
    before the window's creation (AWS then uses the creation time); without either, ``after``."""
    created = spec.created_at
    if start_date is not None and (created is None or start_date > created):
        anchor = start_date
    elif created is not None:
        anchor = created
    else:
        anchor = after
    anchor = anchor.astimezone(UTC)  # arithmetic below must be elapsed time, not wall clock
    interval = timedelta(seconds=schedule.interval_seconds)
    k = 0
    if after >= anchor:
        k = int((after - anchor) // interval)
        while anchor + k * interval <= after:
            k += 1
    while True:
        yield (anchor + k * interval).astimezone(tz)
        k += 1


def _at_starts(schedule: AtSchedule, tz: tzinfo, after: datetime) -> Iterator[datetime]:
    if not _exists(schedule.when, tz):
        return  # convention: a non-existent local time does not run
    start = _localize(schedule.when, tz)
    if start > after:
        yield start


# ---------------------------------------------------------------------------------------------
# Overlaps


def find_overlaps(windows: Sequence[tuple[str, WindowSchedule]], start: datetime, end: datetime) -> list[Overlap]:
    """Every pair of different windows open at the same time within [start, end).

    A window is open from its start for ``duration`` hours (required here). Intervals are
    reported in UTC, whole (not clipped to the horizon), ordered by start, then names.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    intervals: list[tuple[datetime, datetime, int]] = []
    for index, (name, spec) in enumerate(windows):
        if spec.duration is None:
            raise ScheduleError("duration", f"window {name!r} needs a duration to compute overlaps")
        # A window that opened up to `duration` hours before `start` may still be open.
        look_back = start - timedelta(hours=spec.duration)
        for occurrence in iter_occurrences(spec, look_back - timedelta(microseconds=1)):
            if occurrence.start >= end:
                break
            if occurrence.end is not None and occurrence.end > start:
                intervals.append((occurrence.start.astimezone(UTC), occurrence.end.astimezone(UTC), index))

    intervals.sort()
    overlaps: list[Overlap] = []
    active: list[tuple[datetime, datetime, int]] = []
    for interval in intervals:
        open_start, open_end, index = interval
        active = [other for other in active if other[1] > open_start]
        for other_start, other_end, other_index in active:
            if other_index == index:
                continue  # the same window twice: SSM skips the later run (SKIPPED_OVERLAPPING)
            first, second = sorted((other_index, index))
            overlaps.append(
                Overlap(
                    first=windows[first][0],
                    second=windows[second][0],
                    start=max(open_start, other_start),
                    end=min(open_end, other_end),
                )
            )
        active.append(interval)
    overlaps.sort(key=lambda item: (item.start, item.end, item.first, item.second))
    return overlaps
