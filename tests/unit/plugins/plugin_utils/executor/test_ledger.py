"""The gate's lock, counter and event log under concurrent processes."""

from __future__ import annotations

import multiprocessing

from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_core import (
    OUTCOME_FAILED,
    OUTCOME_SUCCESS,
    OUTCOME_UNDELIVERABLE,
    REFUSED_CUTOFF,
    REFUSED_ERRORS,
)
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_ledger import TaskLedger

WORKERS = 8
ROUNDS = 40


def _hammer(directory, worker):
    ledger = TaskLedger(directory)
    for i in range(ROUNDS):
        target = f"w{worker}-{i}"
        ledger.admit(target, target, max_errors=10 ** 9, cancel_at=None, now=float(i))
        ledger.finish(target, target, OUTCOME_FAILED if i % 2 == 0 else OUTCOME_SUCCESS, now=float(i))


def test_racing_processes_lose_no_update(tmp_path):
    ledger = TaskLedger(tmp_path / "task").create()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_hammer, args=(ledger.directory, w)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert ledger.errors() == WORKERS * ROUNDS // 2
    events = ledger.events()
    assert len(events) == 2 * WORKERS * ROUNDS
    assert sum(e["event"] == "end" for e in events) == WORKERS * ROUNDS


def _admit_until_refused(directory, worker, queue):
    ledger = TaskLedger(directory)
    admitted = 0
    for i in range(ROUNDS):
        target = f"w{worker}-{i}"
        if ledger.admit(target, target, max_errors=5, cancel_at=None, now=0.0) is not None:
            break
        admitted += 1
        ledger.finish(target, target, OUTCOME_FAILED, now=0.0)
    queue.put(admitted)


def test_no_admission_after_the_threshold_under_contention(tmp_path):
    # Each admitted invocation fails before the next admission of the same worker. The counter
    # may overshoot by the invocations admitted concurrently (at most one per worker), never more.
    ledger = TaskLedger(tmp_path / "task").create()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_admit_until_refused, args=(ledger.directory, w, queue)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    admitted = sum(queue.get() for dummy in procs)
    assert ledger.errors() == admitted
    assert 6 <= admitted <= 6 + WORKERS - 1
    starts = [e for e in ledger.events() if e["event"] == "start"]
    assert len(starts) == admitted


def test_admission_reasons(tmp_path):
    ledger = TaskLedger(tmp_path / "t").create()
    assert ledger.admit("a", "i1", max_errors=0, cancel_at=None, now=1.0) is None
    assert ledger.finish("a", "i1", OUTCOME_UNDELIVERABLE, now=2.0) == 0  # not counted
    assert ledger.admit("b", "i2", max_errors=0, cancel_at=10.0, now=10.0) == REFUSED_CUTOFF
    ledger.finish("a", "i1", OUTCOME_FAILED, now=3.0)
    assert ledger.admit("c", "i3", max_errors=0, cancel_at=None, now=4.0) == REFUSED_ERRORS


def test_partial_last_line_is_ignored(tmp_path):
    ledger = TaskLedger(tmp_path / "t").create()
    ledger.admit("a", "i1", max_errors=0, cancel_at=None, now=1.0)
    with ledger.events_path.open("a") as fh:
        fh.write('{"event": "st')
    assert [e["target"] for e in ledger.events()] == ["a"]


def test_a_new_ledger_is_private(tmp_path):
    ledger = TaskLedger(tmp_path / "task0").create()
    ledger.admit("h1", "i1", 0, None, 1.0)
    assert (tmp_path / "task0").stat().st_mode & 0o777 == 0o700
    assert {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "task0").iterdir()} == {
        "errors": 0o600, "events.jsonl": 0o600, "lock": 0o600}
