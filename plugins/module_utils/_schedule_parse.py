# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Schedule expressions and instants: parse ``cron``/``rate``/``at`` expressions, ISO-8601 instants
and IANA time-zone names the way SSM does (see docs/schedules.md where AWS is silent).

Pure standard-library code: no Ansible, no boto3. ``_schedule`` re-exports the public names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Union

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

UTC = timezone.utc
MAX_SCHEDULE_LENGTH = 256  # MaintenanceWindowSchedule

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


def parse_instant(text: str, default_tz: tzinfo | None = None) -> datetime:
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


def load_timezone(name: str | None) -> tzinfo:
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


def _zone_name(tz: tzinfo | None) -> str:
    if tz is None:
        return ""
    return str(getattr(tz, "key", None) or tz.tzname(None) or "")


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    """Attach ``tz``; a repeated (fall-back) wall time means its first instance (fold=0)."""
    return naive.replace(tzinfo=tz, fold=0)
