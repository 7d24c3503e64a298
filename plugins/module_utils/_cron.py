# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""AWS (Quartz-semantics) cron expressions: parsing, validation and matching.

Pure standard-library code. Field order is ``[Seconds] Minutes Hours Day-of-month Month
Day-of-week Year``; day-of-week numbers days 1-7 starting with SUN, as AWS does.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from collections.abc import Iterator

MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

MIN_YEAR = 1970
MAX_YEAR = 2199
# AWS: "Cron expressions that lead to rates faster than five (5) minute aren't supported."
MIN_INTERVAL_SECONDS = 300


class ScheduleError(ValueError):
    """A schedule problem, naming the field and the rule broken in words a user understands."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule

    def __reduce__(self):  # keep pickling (multiprocessing, Ansible workers) working
        return (ScheduleError, (self.field, self.rule))


@dataclass(frozen=True)
class _FieldSpec:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    hint: str = ""


SECONDS = _FieldSpec("seconds", 0, 59, hint="seconds are 0-59")
MINUTES = _FieldSpec("minutes", 0, 59, hint="minutes are 0-59")
HOURS = _FieldSpec("hours", 0, 23, hint="hours are 0-23")
DAY_OF_MONTH = _FieldSpec("day-of-month", 1, 31, hint="days of the month are 1-31")
MONTH = _FieldSpec("month", 1, 12, MONTH_NAMES, hint="months are 1-12 or JAN-DEC")
DAY_OF_WEEK = _FieldSpec(
    "day-of-week", 1, 7, DAY_NAMES, hint="AWS numbers days 1-7 starting with SUN (1 = SUN, 7 = SAT), or SUN-SAT"
)
YEAR = _FieldSpec("year", MIN_YEAR, MAX_YEAR, hint=f"years are {MIN_YEAR}-{MAX_YEAR}")

_INT = re.compile(r"^\d+$")


@dataclass(frozen=True)
class DayOfMonthRule:
    """Day-of-month: a plain set of days, or one of the special forms L, L-n, LW, nW."""

    days: tuple[int, ...] = ()
    last_offset: int | None = None  # L (0) or L-n (n)
    last_weekday: bool = False  # LW
    nearest_weekday: int | None = None  # nW


@dataclass(frozen=True)
class DayOfWeekRule:
    """Day-of-week (1 = SUN): a plain set, the last given weekday (nL), or the k-th one (d#k)."""

    days: tuple[int, ...] = ()
    last_of: int | None = None  # nL
    nth: tuple[int, int] | None = None  # (d, k) for d#k


@dataclass(frozen=True)
class CronSchedule:
    """A parsed ``cron(...)`` expression; ``expression`` is the text as given."""

    expression: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    day_of_month: DayOfMonthRule | None  # None when '?'
    months: tuple[int, ...]
    day_of_week: DayOfWeekRule | None  # None when '?'
    years: tuple[int, ...] = field(repr=False)
    _days_cache: dict[tuple[int, int], tuple[int, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    kind = "cron"

    def matching_days(self, year: int, month: int) -> tuple[int, ...]:
        """Days of ``month`` that match the day fields (cached: months repeat a lot)."""
        key = (year, month)
        days = self._days_cache.get(key)
        if days is None:
            days = _matching_days(self.day_of_month, self.day_of_week, year, month)
            self._days_cache[key] = days
        return days

    def iter_local(self, start: datetime, tz: tzinfo | None = None) -> Iterator[datetime]:
        """Wall-clock datetimes matching the fields, ascending, at or after the wall time ``start``.

        Each carries ``tzinfo=tz`` as given (fold=0), without any check that the wall time exists.

        Jumps through the field sets (year → month → day → hour → minute → second) instead of
        scanning time, so sparse schedules cost no more than dense ones.
        """
        years = self.years[bisect_left(self.years, start.year):]
        for year in years:
            first_year = year == start.year
            months = self.months[bisect_left(self.months, start.month):] if first_year else self.months
            for month in months:
                first_month = first_year and month == start.month
                days = self.matching_days(year, month)
                if first_month:
                    days = days[bisect_left(days, start.day):]
                for day in days:
                    first_day = first_month and day == start.day
                    hours = self.hours[bisect_left(self.hours, start.hour):] if first_day else self.hours
                    for hour in hours:
                        first_hour = first_day and hour == start.hour
                        minutes = self.minutes[bisect_left(self.minutes, start.minute):] if first_hour else self.minutes
                        for minute in minutes:
                            first_minute = first_hour and minute == start.minute
                            seconds = (
                                self.seconds[bisect_left(self.seconds, start.second):] if first_minute else self.seconds
                            )
                            for second in seconds:
                                yield datetime(year, month, day, hour, minute, second, tzinfo=tz)


def aws_weekday(year: int, month: int, day: int) -> int:
    """AWS/Quartz day-of-week number of a date: 1 = SUN ... 7 = SAT."""
    return (calendar.weekday(year, month, day) + 1) % 7 + 1


def _matching_days(
    dom: DayOfMonthRule | None, dow: DayOfWeekRule | None, year: int, month: int
) -> tuple[int, ...]:
    last_day = calendar.monthrange(year, month)[1]
    if dom is not None:
        return _days_of_month(dom, year, month, last_day)
    if dow is not None:
        return _days_of_week(dow, year, month, last_day)
    return ()


def _days_of_month(rule: DayOfMonthRule, year: int, month: int, last_day: int) -> tuple[int, ...]:
    if rule.last_offset is not None:
        day = last_day - rule.last_offset
        return (day,) if day >= 1 else ()
    if rule.last_weekday:
        return (_nearest_weekday(year, month, last_day, last_day),)
    if rule.nearest_weekday is not None:
        if rule.nearest_weekday > last_day:
            return ()
        return (_nearest_weekday(year, month, rule.nearest_weekday, last_day),)
    return tuple(day for day in rule.days if day <= last_day)


def _nearest_weekday(year: int, month: int, day: int, last_day: int) -> int:
    """Quartz ``W``: the Mon-Fri closest to ``day`` without leaving the month."""
    weekday = calendar.weekday(year, month, day)  # Mon = 0 ... Sun = 6
    if weekday == 5:  # Saturday: Friday before, or Monday after when the 1st
        return day + 2 if day == 1 else day - 1
    if weekday == 6:  # Sunday: Monday after, or Friday before when the last day
        return day - 2 if day == last_day else day + 1
    return day


def _days_of_week(rule: DayOfWeekRule, year: int, month: int, last_day: int) -> tuple[int, ...]:
    first = aws_weekday(year, month, 1)
    if rule.nth is not None:
        weekday, nth = rule.nth
        day = 1 + (weekday - first) % 7 + 7 * (nth - 1)
        return (day,) if day <= last_day else ()
    if rule.last_of is not None:
        last = aws_weekday(year, month, last_day)
        return (last_day - (last - rule.last_of) % 7,)
    wanted = set(rule.days)
    return tuple(day for day in range(1, last_day + 1) if (first + day - 2) % 7 + 1 in wanted)


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_cron(expression: str, body: str) -> CronSchedule:
    """Parse the text inside ``cron(...)``; ``expression`` is the full text for messages."""
    fields = body.split()
    if len(fields) not in (6, 7):
        raise ScheduleError(
            "cron",
            f"has {len(fields)} fields; AWS needs 6 (Minutes Hours Day-of-month Month Day-of-week Year) "
            "or 7 with a leading Seconds field",
        )
    if len(fields) == 6:
        fields = ["0"] + fields
    sec, minute, hour, dom_text, month, dow_text, year = fields

    dom_question = dom_text == "?"
    dow_question = dow_text == "?"
    if dom_question and dow_question:
        raise ScheduleError("day-of-month", "'?' is allowed in only one of day-of-month and day-of-week; give a value in the other")
    if not dom_question and not dow_question:
        raise ScheduleError(
            "day-of-week",
            "one of day-of-month and day-of-week must be '?' (AWS does not support values in both); "
            "for example cron(0 2 ? * TUE *) or cron(0 2 1 * ? *)",
        )
    for text, spec in ((sec, SECONDS), (minute, MINUTES), (hour, HOURS), (month, MONTH), (year, YEAR)):
        if "?" in text:
            raise ScheduleError(spec.name, "'?' is only allowed in day-of-month or day-of-week")

    schedule = CronSchedule(
        expression=expression,
        seconds=_parse_plain_field(sec, SECONDS),
        minutes=_parse_plain_field(minute, MINUTES),
        hours=_parse_plain_field(hour, HOURS),
        day_of_month=None if dom_question else _parse_day_of_month(dom_text),
        months=_parse_plain_field(month, MONTH),
        day_of_week=None if dow_question else _parse_day_of_week(dow_text),
        years=_parse_plain_field(year, YEAR),
    )
    _check_min_interval(schedule)
    return schedule


def _parse_plain_field(text: str, spec: _FieldSpec) -> tuple[int, ...]:
    values: set = set()
    for item in text.split(","):
        values.update(_parse_item(item, spec))
    return tuple(sorted(values))


def _parse_item(item: str, spec: _FieldSpec) -> list[int]:
    """One list item: ``*``, ``v``, ``a-b``, ``*/s``, ``a/s``, ``a-b/s`` (ranges may wrap, as in Quartz)."""
    if item == "":
        raise ScheduleError(spec.name, "has an empty list item (check for a stray ',')")
    range_text, _slash, step_text = item.partition("/")
    step = 1
    if "/" in item:
        step = _parse_step(step_text, spec)
    if range_text == "*":
        start, end = spec.low, spec.high
    elif "-" in range_text:
        low_text, _dash, high_text = range_text.partition("-")
        start, end = _parse_value(low_text, spec), _parse_value(high_text, spec)
    else:
        start = _parse_value(range_text, spec)
        end = spec.high if "/" in item else start
    return _expand(start, end, step, spec)


def _special_home(char: str) -> str:
    return {"L": "day-of-month and day-of-week", "W": "day-of-month", "#": "day-of-week"}[char]


def _parse_step(text: str, spec: _FieldSpec) -> int:
    limit = spec.high if spec is not YEAR else spec.high - spec.low
    if not _INT.match(text) or not 1 <= int(text) <= limit:
        raise ScheduleError(spec.name, f"the increment after '/' must be a whole number from 1 to {limit}, got '{text}'")
    return int(text)


def _parse_value(text: str, spec: _FieldSpec) -> int:
    upper = text.upper()
    if spec.names and upper in spec.names:
        return spec.names.index(upper) + 1
    if not _INT.match(text):
        for char in ("L", "W", "#"):
            if char in upper and not (spec.names and upper[:3] in spec.names and len(upper) == 3):
                raise ScheduleError(spec.name, f"'{text}' is not valid; '{char}' is only allowed in {_special_home(char)}")
        if spec is DAY_OF_WEEK and upper[:3] in ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"):
            raise ScheduleError(spec.name, f"'{text}' is not valid; use the three-letter names SUN-SAT")
        raise ScheduleError(spec.name, f"'{text}' is not valid; {spec.hint}")
    value = int(text)
    if spec is DAY_OF_WEEK and value == 0:
        raise ScheduleError(
            spec.name, "0 is not valid; AWS numbers days 1-7 starting with SUN (Unix cron's 0 for Sunday is 1 here)"
        )
    if not spec.low <= value <= spec.high:
        raise ScheduleError(spec.name, f"{value} is not valid; {spec.hint}")
    return value


def _expand(start: int, end: int, step: int, spec: _FieldSpec) -> list[int]:
    if end >= start:
        return list(range(start, end + 1, step))
    if spec is YEAR:
        raise ScheduleError(spec.name, f"the range {start}-{end} runs backwards; write the earlier year first")
    # Quartz wraps ranges such as 22-2 (hours) or FRI-MON through the end of the field.
    span = spec.high - spec.low + 1
    values = range(start, end + span + 1, step)
    return [(value - spec.low) % span + spec.low for value in values]


def _parse_day_of_month(text: str) -> DayOfMonthRule:
    upper = text.upper()
    if "L" in upper or "W" in upper:
        if "," in upper:
            raise ScheduleError("day-of-month", f"'{text}': L and W cannot be combined with a list of days")
        if upper == "L":
            return DayOfMonthRule(last_offset=0)
        if upper == "LW":
            return DayOfMonthRule(last_weekday=True)
        match = re.match(r"^L-(\d+)$", upper)
        if match:
            offset = int(match.group(1))
            if not 0 <= offset <= 30:
                raise ScheduleError("day-of-month", f"'{text}': the offset after 'L-' must be 0-30")
            return DayOfMonthRule(last_offset=offset)
        match = re.match(r"^(\d+)W$", upper)
        if match:
            day = int(match.group(1))
            if not 1 <= day <= 31:
                raise ScheduleError("day-of-month", f"'{text}': W needs a single day 1-31 before it, as in 15W")
            return DayOfMonthRule(nearest_weekday=day)
        raise ScheduleError(
            "day-of-month",
            f"'{text}' is not valid; use L (last day), L-n (n days before the last), LW (last weekday) "
            "or nW (weekday nearest day n, as in 15W)",
        )
    return DayOfMonthRule(days=_parse_plain_field(text, DAY_OF_MONTH))


def _parse_day_of_week(text: str) -> DayOfWeekRule:
    upper = text.upper()
    if "#" in upper:
        if "," in upper:
            raise ScheduleError("day-of-week", f"'{text}': '#' must stand alone, not in a list (one d#k per expression)")
        day_text, _hash, nth_text = upper.partition("#")
        day = _parse_value(day_text, DAY_OF_WEEK)
        if not _INT.match(nth_text) or not 1 <= int(nth_text) <= 5:
            raise ScheduleError("day-of-week", f"'{text}': the number after '#' must be 1-5 (as in TUE#2 = second Tuesday)")
        return DayOfWeekRule(nth=(day, int(nth_text)))
    if "L" in upper:
        if upper == "L":  # Quartz: a bare L in day-of-week is simply 7 = SAT
            return DayOfWeekRule(days=(7,))
        if "," in upper:
            raise ScheduleError("day-of-week", f"'{text}': 'L' must stand alone, not in a list")
        if not upper.endswith("L") or "-" in upper or "/" in upper:
            raise ScheduleError("day-of-week", f"'{text}' is not valid; write nL for the last weekday n of the month, as in 6L or FRIL")
        return DayOfWeekRule(last_of=_parse_value(upper[:-1], DAY_OF_WEEK))
    return DayOfWeekRule(days=_parse_plain_field(text, DAY_OF_WEEK))


# ---------------------------------------------------------------------------------------------
# The five-minute floor


def _check_min_interval(schedule: CronSchedule) -> None:
    if len(schedule.seconds) > 1:
        raise _too_fast("seconds", "more than one value in the seconds field runs less than a minute apart")
    minutes = schedule.minutes
    gaps = [later - earlier for earlier, later in zip(minutes, minutes[1:])]
    if gaps and min(gaps) * 60 < MIN_INTERVAL_SECONDS:
        raise _too_fast("minutes", f"runs {min(gaps)} minute(s) apart")
    around_hour = 60 - minutes[-1] + minutes[0]
    if around_hour * 60 < MIN_INTERVAL_SECONDS and _consecutive_hours_possible(schedule):
        raise _too_fast(
            "minutes", f"runs {around_hour} minute(s) apart across the hour (minute {minutes[-1]} then {minutes[0]})"
        )


def _too_fast(field_name: str, detail: str) -> ScheduleError:
    return ScheduleError(
        field_name, f"{detail}; AWS does not support cron expressions that run more often than every 5 minutes"
    )


def _consecutive_hours_possible(schedule: CronSchedule) -> bool:
    hours = set(schedule.hours)
    if any(hour + 1 in hours for hour in hours):
        return True
    return 0 in hours and 23 in hours and _consecutive_days_possible(schedule)


def _consecutive_days_possible(schedule: CronSchedule) -> bool:
    """Whether two adjacent calendar days can both match (so 23:xx and 00:xx are neighbours)."""
    dow = schedule.day_of_week
    if dow is not None:
        if dow.days:
            days = set(dow.days)
            return any(day % 7 + 1 in days for day in days)
        return False  # nL and d#k run once a month
    dom = schedule.day_of_month
    if dom is None or not dom.days:
        return False  # L, L-n, LW, nW: once a month
    days = set(dom.days)
    if any(day + 1 in days for day in days):
        return True
    return 1 in days and bool(days & {28, 29, 30, 31})
