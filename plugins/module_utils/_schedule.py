# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Maintenance-window schedules: parse and validate ``cron``/``rate``/``at`` expressions and compute
when a window opens, in its IANA time zone, with ScheduleOffset, StartDate/EndDate, Duration and
Cutoff applied the way SSM does (see docs/schedules.md for the conventions where AWS is silent).

Pure standard-library code: no Ansible, no boto3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from ansible_collections.mwops.ssm.plugins.module_utils._cron import (
    MIN_INTERVAL_SECONDS,
    CronSchedule,
    ScheduleError,
    parse_cron,
)

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
except ImportError:  # pragma: no cover - Python < 3.9 is not supported by this collection
    ZoneInfo = None  # type: ignore[assignment,misc]
    ZoneInfoNotFoundError = KeyError  # type: ignore[assignment,misc]

__all__ = [
    "AtSchedule",
    "CronSchedule",
    "Occurrence",
    "Overlap",
    "RateSchedule",
    "Schedule",
    "ScheduleError",
    "WindowSchedule",
    "find_overlaps",
    "format_instant",
    "iter_occurrences",
    "load_timezone",
    "occurrences",
    "parse_instant",
    "parse_schedule",
    "validate_window_schedule",
]

UTC = timezone.utc
MAX_SCHEDULE_LENGTH = 256  # MaintenanceWindowSchedule
OFFSET_RANGE = (1, 6)  # MaintenanceWindowOffset
DURATION_RANGE = (1, 24)  # MaintenanceWindowDurationHours
CUTOFF_RANGE = (0, 23)  # MaintenanceWindowCutoff

_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class RateSchedule:
    """``rate(N unit)``: every ``interval_seconds`` of elapsed time from an anchor."""

    expression: str
    value: int
    unit: str  # as written: minute(s) | hour(s) | day(s)
    interval_seconds: int

    kind = "rate"


@dataclass(frozen=True)
class AtSchedule:
    """``at(YYYY-MM-DDThh:mm:ss)``: one run at that wall-clock time in the window's zone."""

    expression: str
    when: datetime  # naive wall-clock time

    kind = "at"


Schedule = Union[CronSchedule, RateSchedule, AtSchedule]


@dataclass(frozen=True)
class WindowSchedule:
    """The schedule-related fields of a maintenance window (SSM names in snake_case)."""

    schedule: str
    timezone: str = "UTC"
    offset: Optional[int] = None
    start_date: Optional[str] = None
    end_date: Optional[str] = None
    duration: Optional[int] = None
    cutoff: Optional[int] = None
    # When the window was created: the rate anchor without a (future) start_date (spec A.3) and the
    # start of the offset "period rule" (spec A.6). Unknown: the evaluation instant stands in.
    created_at: Optional[datetime] = None


@dataclass(frozen=True)
class Occurrence:
    """One window opening; all instants are aware and expressed in the window's zone."""

    start: datetime
    end: Optional[datetime]
    last_task_start: Optional[datetime]


@dataclass(frozen=True)
class Overlap:
    """Two windows open at the same time between ``start`` and ``end`` (UTC)."""

    first: str
    second: str
    start: datetime
    end: datetime


# ---------------------------------------------------------------------------------------------
# Expressions


def parse_schedule(expression: str) -> Schedule:
    """Parse a ``cron(...)``, ``rate(...)`` or ``at(...)`` expression; raise ScheduleError."""
    if not isinstance(expression, str):
        raise ScheduleError("schedule", f"must be a string such as cron(0 2 ? * TUE *), got {type(expression).__name__}")
    text = expression.strip()
    if not text:
        raise ScheduleError("schedule", "is empty; write cron(...), rate(...) or at(...)")
    if len(text) > MAX_SCHEDULE_LENGTH:
        raise ScheduleError("schedule", f"is {len(text)} characters long; AWS allows at most {MAX_SCHEDULE_LENGTH}")
    match = re.match(r"^(cron|rate|at)\((.*)\)$", text, re.DOTALL)
    if not match:
        raise ScheduleError(
            "schedule",
            f"'{text}' is not a schedule expression; write cron(...), rate(...) or at(...), "
            "for example cron(0 2 ? * TUE#2 *), rate(7 days) or at(2026-07-07T15:55:00)",
        )
    kind, body = match.groups()
    if kind == "cron":
        return parse_cron(text, body)
    if kind == "rate":
        return _parse_rate(text, body)
    return _parse_at(text, body)


def _parse_rate(expression: str, body: str) -> RateSchedule:
    parts = body.split()
    if len(parts) != 2:
        raise ScheduleError("rate", f"'{body.strip()}' must be a value and a unit, as in rate(30 minutes) or rate(1 hour)")
    value_text, unit = parts
    if not re.match(r"^\d+$", value_text) or int(value_text) < 1:
        raise ScheduleError("rate value", f"'{value_text}' must be a positive whole number, as in rate(15 minutes)")
    value = int(value_text)
    singular = unit[:-1] if unit.endswith("s") else unit
    if singular not in _RATE_UNITS:
        raise ScheduleError("rate unit", f"'{unit}' is not valid; use minute, minutes, hour, hours, day or days")
    if value == 1 and unit != singular:
        raise ScheduleError("rate unit", f"must be singular when the value is 1: write rate(1 {singular}), not rate(1 {unit})")
    if value > 1 and unit == singular:
        raise ScheduleError(
            "rate unit", f"must be plural when the value is greater than 1: write rate({value} {singular}s), not rate({value} {unit})"
        )
    interval = value * _RATE_UNITS[singular]
    if interval < MIN_INTERVAL_SECONDS:
        raise ScheduleError("rate value", f"rate({value} {unit}) is faster than every 5 minutes, which AWS does not support")
    return RateSchedule(expression=expression, value=value, unit=unit, interval_seconds=interval)


def _parse_at(expression: str, body: str) -> AtSchedule:
    text = body.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", text):
        raise ScheduleError(
            "at", f"'{text}' must be a date and time as YYYY-MM-DDThh:mm:ss without a zone, as in at(2026-07-07T15:55:00)"
        )
    try:
        when = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError as exc:
        raise ScheduleError("at", f"'{text}' is not a real date and time ({exc})") from None
    return AtSchedule(expression=expression, when=when)


# ---------------------------------------------------------------------------------------------
# Instants and zones

_INSTANT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)


def parse_instant(text: str, default_tz: Optional[tzinfo] = None) -> datetime:
    """Parse ISO-8601 in the forms SSM accepts and returns (spec A.10): ``2020-02-19T16:00Z``,
    ``2019-05-18T23:35:24.902Z``, ``2019-10-20T05:34:56-07:00``, ``2020-07-26T00:00+10:00``,
    a plain date. Text without a zone designator is read in ``default_tz`` (UTC if not given).
    Returns an aware datetime.
    """
    if isinstance(text, datetime):
        return text if text.tzinfo is not None else text.replace(tzinfo=default_tz or UTC)
    if not isinstance(text, str):
        raise ValueError(f"expected an ISO-8601 date and time, got {type(text).__name__}")
    match = _INSTANT.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not an ISO-8601 date and time such as 2026-01-15T02:00:00-05:00")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = _parse_zone_designator(zone) if zone else (default_tz or UTC)
    try:
        naive = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro)
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a real date and time ({exc})") from None
    if zone:
        return naive.replace(tzinfo=tz)
    return _localize(naive, tz)


def _parse_zone_designator(zone: str) -> tzinfo:
    if zone in ("Z", "z"):
        return UTC
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"'{zone}' is not a valid UTC offset")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


# Files of a host's tzdata that are not zone names: links to the host's own setting, variants
# with POSIX or leap-second rules, and the "Factory" placeholder. AWS knows none of them.
_TZDATA_ONLY_PREFIXES = ("posix/", "right/")
_TZDATA_ONLY_NAMES = frozenset(("localtime", "posixrules", "Factory", "leapseconds", "leap-seconds.list", "tzdata.zi",
                                "zone.tab", "zone1970.tab", "iso3166.tab", "leapsecs"))


def is_zone_name(name: str) -> bool:
    """An IANA time zone name (``America/New_York``, ``UTC``), not a path of the host's tzdata."""
    return (name not in _TZDATA_ONLY_NAMES and not name.startswith(_TZDATA_ONLY_PREFIXES)
            and not name.startswith("/") and ".." not in name.split("/"))


def load_timezone(name: Optional[str]) -> tzinfo:
    """The IANA zone ``name`` (UTC when empty); raise ScheduleError when unknown."""
    if not name:
        return ZoneInfo("UTC")
    if not isinstance(name, str):
        raise ScheduleError("schedule_timezone", f"must be an IANA time zone name such as America/New_York, got {name!r}")
    try:
        if not is_zone_name(name):
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError(
            "schedule_timezone", f"'{name}' is not an IANA time zone; use names such as UTC, America/Los_Angeles or Asia/Seoul"
        ) from None


def format_instant(moment: datetime) -> str:
    """ISO-8601 with the zone's UTC offset (``Z`` for the UTC zone itself)."""
    text = moment.isoformat()
    if moment.utcoffset() == timedelta(0) and _zone_name(moment.tzinfo) in ("UTC", "Etc/UTC", "UTC+00:00", "Z"):
        text = text[: -len("+00:00")] + "Z"
    return text


def _zone_name(tz: Optional[tzinfo]) -> str:
    if tz is None:
        return ""
    return str(getattr(tz, "key", None) or tz.tzname(None) or "")


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    """Attach ``tz``; a repeated (fall-back) wall time means its first instance (fold=0)."""
    return naive.replace(tzinfo=tz, fold=0)


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

    def existing(self, wall: datetime) -> Optional[datetime]:
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
# Validation


def validate_window_schedule(spec: WindowSchedule) -> List[ScheduleError]:
    """Every problem with the schedule fields of a window (an empty list when valid)."""
    errors: List[ScheduleError] = []
    parsed: Optional[Schedule] = None
    try:
        parsed = parse_schedule(spec.schedule)
    except ScheduleError as exc:
        errors.append(exc)
    tz: Optional[tzinfo] = None
    try:
        tz = load_timezone(spec.timezone)
    except ScheduleError as exc:
        errors.append(exc)

    if spec.offset is not None:
        if not _is_int(spec.offset) or not OFFSET_RANGE[0] <= spec.offset <= OFFSET_RANGE[1]:
            errors.append(ScheduleError("schedule_offset", f"must be a whole number of days from 1 to 6, got {spec.offset!r}"))
        elif parsed is not None and not isinstance(parsed, CronSchedule):
            errors.append(ScheduleError("schedule_offset", f"is supported for cron expressions only, not {parsed.kind}(...)"))

    dates = {}
    for field, value in (("start_date", spec.start_date), ("end_date", spec.end_date)):
        if value is None:
            continue
        try:
            dates[field] = parse_instant(value, tz or UTC)
        except ValueError as exc:
            errors.append(ScheduleError(field, f"{exc}; use ISO-8601, for example 2026-01-01T00:00:00-05:00"))
    if "start_date" in dates and "end_date" in dates and dates["end_date"] <= dates["start_date"]:
        errors.append(ScheduleError("end_date", f"{spec.end_date} must be after start_date {spec.start_date}"))

    duration_ok = False
    if spec.duration is not None:
        if not _is_int(spec.duration) or not DURATION_RANGE[0] <= spec.duration <= DURATION_RANGE[1]:
            errors.append(ScheduleError("duration", f"must be a whole number of hours from 1 to 24, got {spec.duration!r}"))
        else:
            duration_ok = True
    if spec.cutoff is not None:
        if not _is_int(spec.cutoff) or not CUTOFF_RANGE[0] <= spec.cutoff <= CUTOFF_RANGE[1]:
            errors.append(ScheduleError("cutoff", f"must be a whole number of hours from 0 to 23, got {spec.cutoff!r}"))
        elif duration_ok and spec.cutoff > spec.duration - 1:
            errors.append(
                ScheduleError(
                    "cutoff",
                    f"{spec.cutoff} must be at most duration - 1 = {spec.duration - 1}; "
                    "tasks need at least one hour of the window to start",
                )
            )
    return errors


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(spec: WindowSchedule) -> Tuple[Schedule, tzinfo]:
    errors = validate_window_schedule(spec)
    if errors:
        raise errors[0]
    return parse_schedule(spec.schedule), load_timezone(spec.timezone)


# ---------------------------------------------------------------------------------------------
# Occurrences


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


def definition_fields(definition: Mapping[str, Any]) -> Dict[str, Any]:
    """The WindowSchedule fields a window definition sets (keys it leaves out or sets to None are absent)."""
    return {field: definition[key] for key, field in DEFINITION_FIELDS.items() if definition.get(key) is not None}


def occurrences(spec: WindowSchedule, after: datetime, count: int) -> List[Occurrence]:
    """The next ``count`` window openings strictly after ``after`` (fewer when the schedule ends)."""
    result: List[Occurrence] = []
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
    schedule, tz = _check(spec)
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
    start_date: Optional[datetime],
    end_date: Optional[datetime],
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
    schedule: CronSchedule, clock: _ZoneClock, spec: WindowSchedule, after: datetime, start_date: Optional[datetime]
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
    schedule: RateSchedule, tz: tzinfo, spec: WindowSchedule, after: datetime, start_date: Optional[datetime]
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


def find_overlaps(windows: Sequence[Tuple[str, WindowSchedule]], start: datetime, end: datetime) -> List[Overlap]:
    """Every pair of different windows open at the same time within [start, end).

    A window is open from its start for ``duration`` hours (required here). Intervals are
    reported in UTC, whole (not clipped to the horizon), ordered by start, then names.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    intervals: List[Tuple[datetime, datetime, int]] = []
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
    overlaps: List[Overlap] = []
    active: List[Tuple[datetime, datetime, int]] = []
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
