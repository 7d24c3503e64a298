"""Rollout order between environments: the pure core and the mw_rollout_violations filter."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mwops.ssm.plugins.filter.mw_rollout import mw_rollout_violations
from ansible_collections.mwops.ssm.plugins.module_utils._schedule import WindowSchedule, format_instant, occurrences
from ansible_collections.mwops.ssm.plugins.plugin_utils._rollout import Run, order_violations

AFTER = datetime(2026, 1, 1, tzinfo=timezone.utc)


def runs(schedule: str, count: int, offset: int | None = None, tz: str = "UTC", duration: int = 4) -> list[Run]:
    spec = WindowSchedule(schedule, timezone=tz, offset=offset, duration=duration, cutoff=0)
    return [Run(o.start, o.end) for o in occurrences(spec, AFTER, count)]


def test_patch_tuesday_staging_then_prod_with_gap_holds() -> None:
    staging = runs("cron(0 2 ? * TUE#2 *)", 13, offset=1)   # Wednesday after Patch Tuesday
    prod = runs("cron(0 2 ? * TUE#2 *)", 12, offset=3)      # Friday
    assert order_violations([("staging", staging), ("prod", prod)], timedelta(hours=24)) == []


def test_prod_before_staging_in_the_same_month_is_reported_with_dates() -> None:
    staging = runs("cron(0 2 ? * TUE#2 *)", 13, offset=1)   # Wednesday
    prod = runs("cron(0 2 ? * TUE#2 *)", 12)                # Tuesday: a day before staging
    found = order_violations([("staging", staging), ("prod", prod)], timedelta(hours=0))
    assert len(found) == 11   # the first prod run has no known staging run before it
    first = found[0]
    assert (first.later, first.earlier) == ("prod", "staging")
    assert first.later_start == datetime(2026, 2, 10, 2, tzinfo=timezone.utc)
    assert first.earlier_run.start == datetime(2026, 2, 11, 2, tzinfo=timezone.utc)
    assert "before staging's window of the same cycle" in first.message and "2026-02-10T02:00:00" in first.message


def test_gap_shorter_than_minimum_names_both_windows() -> None:
    staging = runs("cron(0 2 ? * SAT *)", 10, duration=6)   # ends 08:00 Saturday
    prod = runs("cron(0 20 ? * SAT *)", 8)                  # 12 h later
    found = order_violations([("staging", staging), ("prod", prod)], timedelta(hours=24))
    assert found and all("12 h after staging's window" in v.message and "minimum gap is 24 h" in v.message
                         for v in found)
    assert order_violations([("staging", staging), ("prod", prod)], timedelta(hours=12)) == []


def test_three_stages_are_checked_pairwise_and_sorted_by_time() -> None:
    dev = runs("cron(0 1 ? * MON *)", 10)
    staging = runs("cron(0 1 ? * WED *)", 10)
    prod = runs("cron(0 1 ? * TUE *)", 8)   # between dev and staging: wrong for staging -> prod
    found = order_violations([("dev", dev), ("staging", staging), ("prod", prod)], timedelta(0))
    assert {(v.earlier, v.later) for v in found} == {("staging", "prod")}
    assert [v.later_start for v in found] == sorted(v.later_start for v in found)


def test_runs_outside_the_known_horizon_are_not_judged() -> None:
    earlier = [Run(datetime(2026, 1, 5, tzinfo=timezone.utc), datetime(2026, 1, 5, 4, tzinfo=timezone.utc))]
    later = [Run(datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 1, 4, tzinfo=timezone.utc)),
             Run(datetime(2026, 1, 9, tzinfo=timezone.utc), datetime(2026, 1, 9, 4, tzinfo=timezone.utc))]
    assert order_violations([("a", earlier), ("b", later)], timedelta(hours=1)) == []


def test_filter_takes_lookup_shaped_runs_and_reports_messages() -> None:
    def as_lookup(items: list[Run]) -> list[dict[str, str]]:
        return [{"start": format_instant(r.start), "end": format_instant(r.end)} for r in items]

    stages = [{"name": "staging", "runs": as_lookup(runs("cron(0 2 ? * TUE#2 *)", 13, offset=1))},
              {"name": "prod", "runs": as_lookup(runs("cron(0 2 ? * TUE#2 *)", 12))}]
    result = mw_rollout_violations(stages, min_gap_hours=24)
    assert len(result) == 11
    assert result[0]["later"] == "prod" and result[0]["later_start"].startswith("2026-02-10T02:00:00")
    assert set(result[0]) == {"earlier", "later", "later_start", "earlier_start", "earlier_end", "message"}


@pytest.mark.parametrize("stages, gap, message", [
    ("not a list", 0, "must be a list"),
    ([{"name": "prod"}], 0, "item 0 must be a dict with 'name' and a list 'runs'"),
    ([{"name": "prod", "runs": [{"start": "2026-01-01T00:00:00Z"}]}], 0, "prod.runs[0] needs 'start' and 'end'"),
    ([{"name": "prod", "runs": [{"start": "tomorrow", "end": "later"}]}], 0, "prod.runs[0]"),
    ([], -1, "min_gap_hours must be 0 or more"),
])
def test_filter_rejects_bad_input_clearly(stages: object, gap: float, message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=message.replace("[", r"\[").replace("]", r"\]")):
        mw_rollout_violations(stages, min_gap_hours=gap)
