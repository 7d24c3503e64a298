"""The schedule rules and the one mapping from a definition or an SSM API window to a WindowSchedule."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _schedule
from ansible_collections.mwops.ssm.plugins.module_utils._schedule import (
    WindowSchedule,
    api_schedule,
    api_schedule_fields,
    definition_schedule,
    duration_cutoff_problems,
    validate_window_schedule,
)

CREATED = datetime(2025, 12, 1, tzinfo=timezone.utc)


def test_get_maintenance_window_maps_to_a_schedule():
    window = {"WindowId": "mw-0123456789abcdef0", "Name": "w", "Schedule": "cron(0 2 ? * TUE#2 *)",
              "ScheduleTimezone": "America/New_York", "ScheduleOffset": 2, "StartDate": "2026-01-01T00:00:00-05:00",
              "EndDate": "", "Duration": 4, "Cutoff": 1, "Enabled": True, "CreatedDate": CREATED}
    assert api_schedule(window) == WindowSchedule("cron(0 2 ? * TUE#2 *)", "America/New_York", 2,
                                                  "2026-01-01T00:00:00-05:00", None, 4, 1, CREATED)


def test_describe_item_without_zone_or_dates_is_utc_without_creation_time():
    item = {"WindowId": "mw-0123456789abcdef0", "Schedule": "rate(1 day)", "ScheduleTimezone": "", "Duration": 2,
            "Cutoff": 0}
    assert api_schedule_fields(item) == {"schedule": "rate(1 day)", "duration": 2, "cutoff": 0}
    assert api_schedule(item) == WindowSchedule("rate(1 day)", duration=2, cutoff=0)


def test_definition_maps_to_the_same_schedule_as_the_api():
    definition = {"name": "w", "schedule": "cron(0 2 ? * TUE#2 *)", "schedule_timezone": "America/New_York",
                  "schedule_offset": 2, "duration": 4, "cutoff": 1, "start_date": None, "tags": {"a": "b"}}
    api = {"Schedule": "cron(0 2 ? * TUE#2 *)", "ScheduleTimezone": "America/New_York", "ScheduleOffset": 2,
           "Duration": 4, "Cutoff": 1}
    assert definition_schedule(definition) == api_schedule(api)


@pytest.mark.parametrize("duration, cutoff, expected", [
    (4, 3, []),
    (4, 4, ["cutoff: 4 must be at most duration - 1 = 3; tasks need at least one hour of the window to start"]),
    (25, None, ["duration: must be a whole number of hours from 1 to 24, got 25"]),
    (True, None, ["duration: must be a whole number of hours from 1 to 24, got True"]),
    (None, 24, ["cutoff: must be a whole number of hours from 0 to 23, got 24"]),
    (None, None, []),
])
def test_duration_and_cutoff_rules(duration, cutoff, expected):
    assert [str(error) for error in duration_cutoff_problems(duration, cutoff)] == expected


def test_the_window_rules_include_the_duration_and_date_rules():
    spec = WindowSchedule("rate(1 day)", offset=2, start_date="2026-02-01T00:00:00Z", end_date="2026-01-01T00:00:00Z",
                          duration=2, cutoff=2)
    assert [error.field for error in validate_window_schedule(spec)] == ["schedule_offset", "end_date", "cutoff"]


def test_public_names_stay_importable_from_schedule():
    for name in _schedule.__all__:
        assert hasattr(_schedule, name), name
