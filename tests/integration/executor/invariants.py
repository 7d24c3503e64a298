"""Invariants computed from history records (never from wall-clock expectations)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def ts(text: str | None) -> float | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def task(execution: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in execution["task_executions"] if t["name"] == name)


def by_target(task_record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["target"]: i for i in task_record["invocations"]}


def started(task_record: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in task_record["invocations"] if i["start_time"] is not None]


def max_overlap(task_record: dict[str, Any]) -> int:
    spans = [(ts(i["start_time"]), ts(i["end_time"])) for i in started(task_record)]
    return max((sum(1 for s, e in spans if s <= t < e) for t, dummy in spans), default=0)


def threshold_instant(task_record: dict[str, Any]) -> float | None:
    """When the (MaxErrors+1)-th counted error was received, or None."""
    ends = sorted(ts(i["end_time"]) for i in task_record["invocations"] if i["counted_as_error"])
    limit = task_record["max_errors"]
    return ends[limit] if len(ends) > limit else None


def assert_accounted(task_record: dict[str, Any], targets: list[str]) -> None:
    invocations = task_record["invocations"]
    assert sorted(i["target"] for i in invocations) == sorted(targets)
    for inv in invocations:
        if inv["start_time"] is None:
            assert inv["status"] == "CANCELLED", inv
            assert inv["status_details"].startswith("Not started"), inv
        else:
            assert inv["status"] in ("SUCCESS", "FAILED", "TIMED_OUT"), inv
            assert inv["end_time"] is not None and ts(inv["end_time"]) >= ts(inv["start_time"])


def assert_task_invariants(task_record: dict[str, Any]) -> None:
    assert max_overlap(task_record) <= task_record["max_concurrency"]
    stop = threshold_instant(task_record)
    if stop is not None:
        assert all(ts(i["start_time"]) < stop for i in started(task_record)), task_record


def assert_priority_barrier(execution: dict[str, Any]) -> None:
    tasks = [t for t in execution["task_executions"] if t["start_time"] is not None]
    for early in tasks:
        for late in tasks:
            if late["priority"] > early["priority"]:
                assert ts(late["start_time"]) >= ts(early["end_time"])
                for inv in started(late):
                    assert all(ts(inv["start_time"]) >= ts(e["end_time"]) for e in started(early))
