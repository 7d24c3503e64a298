"""The executor's scheduling core on a fake clock: conformance cases and properties."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mwops.ssm.plugins.module_utils._rate_control import (
    resolve_max_concurrency,
    resolve_max_errors,
)
from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_core as core

CASES = json.loads((Path(__file__).resolve().parents[4] / "unit" / "fixtures" / "conformance-cases.json").read_text())


def cases(kind):
    return [pytest.param(c, id=c["id"]) for c in CASES if c["kind"] == kind]


def task(name="T", targets=("h1",), conc=1, errors=0, priority=1, behavior=core.CONTINUE_TASK, groups=None):
    return core.TaskPlan(name, priority, groups or (tuple(targets),), conc, errors, behavior)


def max_simultaneous(results):
    intervals = [(r.start, r.end) for r in results if r.started]
    # Completions at an instant are collected before new starts: half-open intervals.
    return max((sum(1 for s, e in intervals if s <= t < e) for t, dummy in intervals), default=0)


# ---------------------------------------------------------------- conformance: rate control

@pytest.mark.parametrize("case", [c for c in cases("rate_control") if c.values[0]["input"].get("targets")])
def test_rate_control_case(case):
    inp, exp = case["input"], case["expected"]
    targets = [str(i) for i in range(1, inp["targets"] + 1)]
    conc = resolve_max_concurrency(inp["max_concurrency"], targets)
    errors = resolve_max_errors(inp["max_errors"], targets)
    assert conc == exp["resolved_max_concurrency"]
    assert errors == exp["resolved_max_errors"]
    assert errors + 1 == exp["stop_on_error_number"]
    outcomes = inp["invocation_outcomes"]
    ticks = inp.get("invocation_durations_ticks", {})
    plan = core.WindowPlan("w", 1e9, 0, (task(targets=targets, conc=conc, errors=errors),))
    window = core.simulate_window(plan, 0.0, lambda _t, target: float(ticks.get(target, 1)),
                                  lambda _t, target: outcomes.get(target, outcomes["default"]))
    results = window.task("T").results
    started = [r for r in results if r.started]
    never = [int(r.target) for r in results if not r.started]
    assert max_simultaneous(results) == exp["max_simultaneous"]
    assert len(started) == exp["invocations_started"]
    assert never == exp["targets_never_started"]
    assert sum(r.counted for r in results) == exp["errors_counted"]
    stopped = any(r.not_started_reason == core.REFUSED_ERRORS for r in results)
    assert stopped == exp["dispatch_stopped_by_error_threshold"]
    # every target never started is recorded as such (convention CANCELLED, spec B.5)
    assert all(r.status == core.CANCELLED for r in results if not r.started)


def test_targetless_case_is_rejected_by_the_executor():
    # rate-013: targetless tasks exist only for AUTOMATION/LAMBDA/STEP_FUNCTIONS, which the local
    # executor does not run; a RUN_COMMAND task without targets is invalid (spec C.9).
    case = next(c for c in CASES if c["id"] == "rate-013")
    assert case["input"]["task_type"] != "RUN_COMMAND"


# ---------------------------------------------------------------- conformance: ordering

def _iso(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_order_003_lower_number_first():
    inp = next(c for c in CASES if c["id"] == "order-003")["input"]
    plans = [task(t["id"], priority=t["priority"]) for t in inp["tasks"]]
    assert [g[0].name for g in core.priority_groups(plans)] == ["first", "early", "late"]
    window = core.simulate_window(core.WindowPlan("w", 100, 0, tuple(plans)), 0.0,
                                  lambda *_: 1.0, lambda *_: core.OUTCOME_SUCCESS)
    assert [t.plan.name for t in sorted(window.tasks, key=lambda t: t.start)] == ["first", "early", "late"]


def test_order_004_cutoff_arithmetic():
    case = next(c for c in CASES if c["id"] == "order-004")
    inp, exp = case["input"], case["expected"]
    start = _iso(inp["window_start"]).timestamp()
    last = core.last_task_start(start, inp["duration_hours"] * 3600, inp["cutoff_hours"] * 3600)
    assert last == _iso(exp["last_instant_a_task_may_start"]).timestamp()
    assert start + inp["duration_hours"] * 3600 == _iso(exp["window_end"]).timestamp()
    assert core.task_may_start(last, last) and not core.task_may_start(last + 0.001, last)


@pytest.mark.parametrize("case_id", ["order-005", "order-006", "order-010"])
def test_ordering_with_runtimes(case_id):
    case = next(c for c in CASES if c["id"] == case_id)
    inp, exp = case["input"], case["expected"]
    start = _iso(inp["window_start"]).timestamp()
    runtime = {t["id"]: t["runtime_minutes"] * 60.0 for t in inp["tasks"]}
    plans = tuple(task(t["id"], priority=t.get("priority", 1), behavior=t.get("cutoff_behavior", core.CONTINUE_TASK))
                  for t in inp["tasks"])
    plan = core.WindowPlan("w", inp["duration_hours"] * 3600.0, inp.get("cutoff_hours", 0) * 3600.0, plans)
    window = core.simulate_window(plan, start, lambda t, _h: runtime[t.name], lambda *_: core.OUTCOME_SUCCESS)

    def at(ts):
        return None if ts is None else datetime.fromtimestamp(ts, tz=_iso(inp["window_start"]).tzinfo)

    if "task_start" in exp:
        for name, when in exp["task_start"].items():
            assert at(window.task(name).start) == (None if when is None else _iso(when))
        assert window.task("B").status == core.CANCELLED and exp["B_started"] is False
        assert window.status == core.TIMED_OUT  # spec G.9
    if "A_end" in exp:
        assert at(window.task("A").end) == _iso(exp["A_end"])
        assert window.task("A").status == core.SUCCESS
    if "window_execution_end" in exp:
        assert at(window.end) == _iso(exp["window_execution_end"])
        assert window.status == exp["window_status"]


def test_order_009_overlapping_execution_is_skipped():
    case = next(c for c in CASES if c["id"] == "order-009")
    assert core.overlap_status(previous_running=True) == case["expected"]["new_execution_status"]
    assert core.overlap_status(previous_running=False) is None


def test_order_012_status_sets():
    exp = next(c for c in CASES if c["id"] == "order-012")["expected"]
    assert list(core.WINDOW_STATUSES) == exp["window_execution_statuses"]
    assert list(core.TASK_STATUSES) == exp["task_and_invocation_filterable_statuses"]


# ---------------------------------------------------------------- scenario tests

def test_sliding_window_not_batches():
    # h1 takes 4 ticks: h4 starts when h2 finishes, not after the whole first batch.
    plan = core.WindowPlan("w", 100, 0, (task(targets=("h1", "h2", "h3", "h4"), conc=3, errors=0),))
    window = core.simulate_window(plan, 0.0, lambda _t, h: 4.0 if h == "h1" else 1.0,
                                  lambda *_: core.OUTCOME_SUCCESS)
    starts = {r.target: r.start for r in window.task("T").results}
    assert starts == {"h1": 0.0, "h2": 0.0, "h3": 0.0, "h4": 1.0}


def test_same_priority_runs_in_parallel_and_later_waits_for_all():
    a = task("A", ("h1", "h2"), conc=1, errors=0, priority=1)
    b = task("B", ("h1",), conc=1, errors=0, priority=1)
    c = task("C", ("h1",), conc=1, errors=0, priority=2)
    window = core.simulate_window(core.WindowPlan("w", 100, 0, (a, b, c)), 0.0,
                                  lambda t, _h: 3.0 if t.name == "B" else 1.0,
                                  lambda t, h: core.OUTCOME_FAILED if t.name == "A" else core.OUTCOME_SUCCESS)
    assert window.task("A").start == window.task("B").start == 0.0
    assert window.task("A").status == core.FAILED  # stopped after its first error
    assert window.task("C").start == 3.0  # waited for B, ran although A failed
    assert window.task("C").status == core.SUCCESS
    assert window.status == core.FAILED


def test_cancel_task_vs_continue_task_at_cutoff():
    cancel = task("C", tuple(f"h{i}" for i in range(6)), conc=2, errors=5, behavior=core.CANCEL_TASK)
    cont = task("D", tuple(f"h{i}" for i in range(6)), conc=2, errors=5, behavior=core.CONTINUE_TASK)
    later = task("E", ("h1",), conc=1, errors=0, priority=2)
    plan = core.WindowPlan("w", 10, 5, (cancel, cont, later))  # last start at t=5
    window = core.simulate_window(plan, 0.0, lambda *_: 2.0, lambda *_: core.OUTCOME_SUCCESS)
    c = {r.target: r for r in window.task("C").results}
    assert [c[f"h{i}"].status for i in range(6)] == ["SUCCESS"] * 4 + ["TIMED_OUT"] * 2
    assert all(r.cancelled_at_cutoff for r in (c["h4"], c["h5"])) and c["h4"].end == 5.0
    assert window.task("C").status == core.TIMED_OUT
    d = window.task("D")
    assert d.status == core.SUCCESS and d.end == 6.0  # kept dispatching after the cutoff
    assert window.task("E").status == core.CANCELLED and window.task("E").start is None
    assert window.status == core.TIMED_OUT


def test_cancel_task_refuses_new_invocations_after_the_cutoff():
    t = task("C", ("h1", "h2", "h3"), conc=1, errors=5, behavior=core.CANCEL_TASK)
    window = core.simulate_window(core.WindowPlan("w", 10, 8, (t,)), 0.0, lambda *_: 1.0,
                                  lambda *_: core.OUTCOME_SUCCESS)  # last start t=2
    results = {r.target: r for r in window.task("C").results}
    assert results["h3"].not_started_reason == core.REFUSED_CUTOFF
    assert results["h3"].status == core.CANCELLED
    assert window.task("C").status == core.TIMED_OUT


def test_window_target_groups_run_one_after_another():
    t = task("G", groups=(("h1", "h2"), ("h3",)), conc=5, errors=0)
    window = core.simulate_window(core.WindowPlan("w", 100, 0, (t,)), 0.0,
                                  lambda _t, h: 3.0 if h == "h1" else 1.0, lambda *_: core.OUTCOME_SUCCESS)
    starts = {r.target: r.start for r in window.task("G").results}
    assert starts == {"h1": 0.0, "h2": 0.0, "h3": 3.0}


def test_undeliverable_is_failed_but_not_counted():
    t = task("U", ("h1", "h2", "h3"), conc=1, errors=0)
    window = core.simulate_window(core.WindowPlan("w", 100, 0, (t,)), 0.0, lambda *_: 1.0,
                                  lambda _t, h: core.OUTCOME_UNDELIVERABLE if h == "h1" else core.OUTCOME_SUCCESS)
    results = window.task("U").results
    assert [r.status for r in results] == ["FAILED", "SUCCESS", "SUCCESS"]
    assert window.task("U").status == core.SUCCESS
    assert "1 undeliverable" in window.task("U").status_details


@pytest.mark.parametrize("statuses,expected", [
    ([], core.SUCCESS),
    ([core.SUCCESS, core.SUCCESS], core.SUCCESS),
    ([core.SUCCESS, core.FAILED, core.TIMED_OUT], core.FAILED),
    ([core.SUCCESS, core.CANCELLED], core.TIMED_OUT),
    ([core.TIMED_OUT], core.TIMED_OUT),
])
def test_fold_window_status(statuses, expected):
    assert core.fold_window_status(statuses)[0] == expected


def test_no_tasks_window_details():
    assert core.fold_window_status([]) == (core.SUCCESS, "No tasks to execute.")


def test_errors_within_threshold_is_success_but_all_failed_is_failed():
    ok = core.InvocationResult("a", core.OUTCOME_SUCCESS, 0, 1)
    bad = core.InvocationResult("b", core.OUTCOME_FAILED, 0, 1)
    assert core.fold_task_status([ok, bad], max_errors=1)[0] == core.SUCCESS
    assert core.fold_task_status([bad], max_errors=1)[0] == core.FAILED
    assert core.fold_task_status([ok, bad], max_errors=0)[0] == core.FAILED


# ---------------------------------------------------------------- properties

HOSTS = [f"h{i}" for i in range(1, 9)]


@st.composite
def windows(draw):
    tasks = []
    for index in range(draw(st.integers(1, 4))):
        targets = draw(st.lists(st.sampled_from(HOSTS), min_size=0, max_size=8, unique=True))
        cut = draw(st.integers(0, len(targets)))
        groups = tuple(g for g in (tuple(targets[:cut]), tuple(targets[cut:])) if g) or ((),)
        conc_spec = draw(st.sampled_from(["1", "2", "3", "10", "34%", "50%", "100%"]))
        err_spec = draw(st.sampled_from(["0", "1", "2", "10%", "50%", "100%"]))
        tasks.append(core.TaskPlan(
            f"t{index}", draw(st.integers(0, 2)), groups,
            resolve_max_concurrency(conc_spec, targets), resolve_max_errors(err_spec, targets),
            draw(st.sampled_from([core.CONTINUE_TASK, core.CANCEL_TASK]))))
    duration = draw(st.integers(2, 30))
    cutoff = draw(st.integers(0, duration - 1))
    runtimes = draw(st.dictionaries(st.tuples(st.sampled_from([t.name for t in tasks]), st.sampled_from(HOSTS)),
                                    st.integers(1, 6)))
    outcomes = draw(st.dictionaries(st.tuples(st.sampled_from([t.name for t in tasks]), st.sampled_from(HOSTS)),
                                    st.sampled_from(core.OUTCOMES)))
    return core.WindowPlan("w", float(duration), float(cutoff), tuple(tasks)), runtimes, outcomes


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(windows())
def test_window_invariants(example):
    plan, runtimes, outcomes = example
    window = core.simulate_window(plan, 0.0, lambda t, h: float(runtimes.get((t.name, h), 2)),
                                  lambda t, h: outcomes.get((t.name, h), core.OUTCOME_SUCCESS))
    assert len(window.tasks) == len(plan.tasks)
    for t in window.tasks:
        results = t.results
        # every target accounted for, exactly once
        assert sorted(r.target for r in results) == sorted(t.plan.targets)
        for r in results:
            assert (r.started and r.outcome is not None and r.end >= r.start) or \
                   (not r.started and r.outcome is None and r.not_started_reason and r.status == core.CANCELLED)
        # simultaneous invocations <= resolved MaxConcurrency
        assert max_simultaneous(results) <= t.plan.max_concurrency
        # no start after the (MaxErrors+1)-th error was received
        error_ends = sorted(r.end for r in results if r.counted)
        if len(error_ends) > t.plan.max_errors:
            stop = error_ends[t.plan.max_errors]
            assert all(r.start < stop for r in results if r.started)
        # no task starts after the cutoff; CANCEL_TASK invocations neither
        if t.start is not None:
            assert t.start <= window.last_task_start
            if t.plan.cancels_at_cutoff:
                assert all(r.start < window.last_task_start for r in results if r.started)
                assert all(r.end <= window.last_task_start for r in results if r.started)
        else:
            assert t.status == core.CANCELLED and not any(r.started for r in results)
        assert t.status in core.TASK_STATUSES
    # no task of a later priority starts before every task of the earlier priority ended
    started = [t for t in window.tasks if t.start is not None]
    for early in started:
        for late in started:
            if late.plan.priority > early.plan.priority:
                assert late.start >= early.end
            if late.plan.priority == early.plan.priority:
                assert late.start == early.start  # equal priorities in parallel
    assert window.status in core.WINDOW_STATUSES
