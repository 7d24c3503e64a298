"""Filter mwops.ssm.mw_overlaps: pairs of windows open at the same time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mwops.ssm.plugins.filter.mw_schedule import FilterModule, mw_overlaps

EMEA = {"name": "emea-linux", "schedule": "cron(0 22 ? * SAT *)", "schedule_timezone": "Europe/Berlin",
        "duration": 4, "cutoff": 1, "tasks": [{"name": "patch"}]}
AMER = {"name": "amer-linux", "schedule": "cron(0 14 ? * SAT *)", "schedule_timezone": "America/New_York",
        "duration": 7, "cutoff": 1}
APAC = {"name": "apac-linux", "schedule": "cron(0 11 ? * SUN *)", "schedule_timezone": "Asia/Tokyo",
        "duration": 4, "cutoff": 1}


def test_registered_name():
    filters = FilterModule().filters()
    assert filters["mw_overlaps"] is mw_overlaps and set(filters) == {"mw_overlaps", "mw_utc"}


def test_follow_the_sun_overlap_each_week():
    got = mw_overlaps([EMEA, AMER, APAC], start="2026-01-01T00:00:00Z", days=14)
    assert got == [
        {"first": "emea-linux", "second": "amer-linux", "start": "2026-01-03T21:00:00Z", "end": "2026-01-04T01:00:00Z"},
        {"first": "emea-linux", "second": "amer-linux", "start": "2026-01-10T21:00:00Z", "end": "2026-01-11T01:00:00Z"},
    ]


def test_disabled_windows_do_not_overlap():
    assert mw_overlaps([EMEA, dict(AMER, enabled=False)], start="2026-01-01T00:00:00Z", days=14) == []
    with pytest.raises(AnsibleFilterError, match="day-of-week"):
        mw_overlaps([EMEA, dict(AMER, enabled=False, schedule="cron(0 2 ? * 0 *)")], start="2026-01-01T00:00:00Z")


def test_no_overlap_when_windows_only_touch():
    first = {"name": "one", "schedule": "cron(0 0 ? * MON *)", "duration": 2, "cutoff": 0}
    second = {"name": "two", "schedule": "cron(0 2 ? * MON *)", "duration": 2, "cutoff": 0}
    assert mw_overlaps([first, second], start="2026-01-01T00:00:00Z", days=30) == []


def test_days_may_be_text_or_fractional():
    assert mw_overlaps([EMEA, AMER], start="2026-01-01T00:00:00Z", days="14") == mw_overlaps(
        [EMEA, AMER], start="2026-01-01T00:00:00Z", days=14)
    assert len(mw_overlaps([EMEA, AMER], start="2026-01-03T00:00:00Z", days=0.9)) == 1


def test_end_instead_of_days_and_after_alias():
    got = mw_overlaps([EMEA, AMER], after="2026-01-01T00:00:00Z", end="2026-01-05T00:00:00Z")
    assert len(got) == 1
    assert mw_overlaps([EMEA, AMER], start="2026-01-04T00:30:00Z", end="2026-01-05T00:00:00Z") == got  # open at start


def test_default_horizon_is_seven_days_from_now():
    every_day = {"name": "daily", "schedule": "cron(0 * * * ? *)", "duration": 2, "cutoff": 0}
    other = {"name": "other", "schedule": "cron(30 * * * ? *)", "duration": 1, "cutoff": 0}
    got = mw_overlaps([every_day, other])
    starts = [datetime.fromisoformat(o["start"].replace("Z", "+00:00")) for o in got]
    now = datetime.now(timezone.utc)
    assert starts and min(starts) >= now - timedelta(hours=2) and max(starts) <= now + timedelta(days=7)


def test_offsets_and_dates_are_applied():
    patch = {"name": "patch-tuesday-plus-2", "schedule": "cron(0 2 ? * TUE#2 *)", "schedule_timezone": "America/New_York",
             "schedule_offset": 2, "duration": 4, "cutoff": 1}
    thursday = {"name": "thursday-backup", "schedule": "cron(0 4 ? * THU *)", "schedule_timezone": "America/New_York",
                "duration": 2, "cutoff": 0, "end_date": "2026-01-31T00:00:00Z"}
    got = mw_overlaps([patch, thursday], start="2026-01-01T00:00:00Z", days=60)
    assert got == [{"first": "patch-tuesday-plus-2", "second": "thursday-backup",
                    "start": "2026-01-15T09:00:00Z", "end": "2026-01-15T11:00:00Z"}]


@pytest.mark.parametrize(
    "windows,kwargs,message",
    [
        ({"name": "x"}, {}, "expects a list"),
        ("cron(0 2 ? * TUE *)", {}, "expects a list"),
        ([EMEA, dict(EMEA)], {}, "two windows are named 'emea-linux'"),
        ([{"schedule": "cron(0 2 ? * TUE *)", "duration": 2}], {}, "needs a name"),
        ([{"name": "x", "duration": 2}], {}, "schedule: is required"),
        ([{"name": "x", "schedule": "cron(0 2 ? * TUE *)"}], {}, "duration: is required"),
        ([{"name": "x", "schedule": "cron(0 2 ? * 0 *)", "duration": 2}], {}, "window x: day-of-week: 0 is not valid"),
        ([{"name": "x", "schedule": "rate(7 days)", "schedule_offset": 1, "duration": 2}], {}, "cron expressions only"),
        ([EMEA], {"start": "soon"}, "start:"),
        ([EMEA], {"days": 0}, "days: must be a positive number"),
        ([EMEA], {"days": "a week"}, "days: must be a positive number"),
        ([EMEA], {"days": True}, "days: must be a positive number"),
        ([EMEA], {"days": 3, "end": "2027-01-01T00:00:00Z"}, "either days or end"),
        ([EMEA], {"start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "end must be after start"),
    ],
)
def test_invalid_input(windows, kwargs, message):
    with pytest.raises(AnsibleFilterError) as info:
        mw_overlaps(windows, **kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize("given, expected", [
    ("2026-01-13T02:00:00-05:00", "2026-01-13T07:00:00Z"),
    ("2026-07-14T02:00:00+10:00", "2026-07-13T16:00:00Z"),
    ("2020-02-19T16:00Z", "2020-02-19T16:00:00Z"),
    ("2026-03-01T00:00:00", "2026-03-01T00:00:00Z"),
])
def test_mw_utc_converts_any_offset_to_utc(given: str, expected: str) -> None:
    from ansible_collections.mwops.ssm.plugins.filter.mw_schedule import mw_utc
    assert mw_utc(given) == expected


def test_mw_utc_rejects_text_that_is_not_an_instant() -> None:
    from ansible_collections.mwops.ssm.plugins.filter.mw_schedule import mw_utc
    with pytest.raises(AnsibleFilterError, match="mw_utc: "):
        mw_utc("next tuesday")
