"""The batch core: bounded pool, input order, captured errors, fail-fast (plugins/module_utils/_batch.py)."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _batch
from ansible_collections.mwops.ssm.plugins.module_utils._batch import failed
from ansible_collections.mwops.ssm.plugins.module_utils._batch import not_started
from ansible_collections.mwops.ssm.plugins.module_utils._batch import run_all


class Boom(Exception):
    pass


def test_outcomes_come_back_in_input_order_whatever_order_the_work_finishes_in():
    # Item 0 waits until item 2 has finished, so completion order differs from input order.
    done_2 = threading.Event()
    finished = []

    def work(index, item):
        if index == 0:
            assert done_2.wait(10)
        finished.append(index)
        if index == 2:
            done_2.set()
        return item * 10

    outcomes = run_all([1, 2, 3], work, workers=3)
    assert finished.index(2) < finished.index(0)
    assert [o.index for o in outcomes] == [0, 1, 2]
    assert [o.value for o in outcomes] == [10, 20, 30]
    assert all(o.ok for o in outcomes)


def test_at_most_workers_items_run_at_once():
    lock = threading.Lock()
    running = [0]
    peak = [0]
    gate = threading.Barrier(2, timeout=10)

    def work(index, _item):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        if index < 2:
            gate.wait()  # the first two must overlap: the pool really runs them together
        with lock:
            running[0] -= 1

    outcomes = run_all(list(range(8)), work, workers=2)
    assert peak[0] == 2
    assert all(o.ok for o in outcomes)


def test_an_error_is_captured_in_its_item_and_the_others_still_run():
    def work(index, _item):
        if index == 1:
            raise Boom("window 1 failed")
        return index

    outcomes = run_all(["a", "b", "c", "d"], work, workers=2)
    assert [o.ok for o in outcomes] == [True, False, True, True]
    assert isinstance(outcomes[1].error, Boom) and str(outcomes[1].error) == "window 1 failed"
    assert [o.value for o in outcomes if o.ok] == [0, 2, 3]
    assert [o.index for o in failed(outcomes)] == [1]
    assert not_started(outcomes) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_fail_fast_starts_nothing_after_a_failure_and_says_what_was_not_started(workers, monkeypatch):
    started = []
    one_running = threading.Event()
    failure_recorded = threading.Event()
    record = _batch._Stop.failed

    def recorded(self):
        record(self)
        failure_recorded.set()

    monkeypatch.setattr(_batch._Stop, "failed", recorded)

    def work(index, _item):
        started.append(index)
        if index == 1:
            # Running while item 0 fails; it finishes only once the failure is recorded.
            one_running.set()
            assert failure_recorded.wait(10)
        if index == 0:
            if workers == 2:
                assert one_running.wait(10)
            raise Boom("first")
        return index

    outcomes = run_all(list(range(6)), work, workers=workers, fail_fast=True)
    assert isinstance(outcomes[0].error, Boom)
    expected_started = [0] if workers == 1 else [0, 1]
    assert sorted(started) == expected_started
    assert not_started(outcomes) == [i for i in range(6) if i not in expected_started]
    assert all(o.error is None for o in outcomes[1:])


def test_without_fail_fast_every_item_runs_after_a_failure():
    def work(index, _item):
        if index == 0:
            raise Boom()
        return index

    outcomes = run_all(list(range(5)), work, workers=1)
    assert not_started(outcomes) == []
    assert [o.ok for o in outcomes] == [False, True, True, True, True]


def test_skipped_items_are_not_run_and_not_failed():
    ran = []
    outcomes = run_all(list(range(4)), lambda i, _x: ran.append(i), workers=2, skip=lambda i: i % 2 == 1)
    assert sorted(ran) == [0, 2]
    assert not_started(outcomes) == [1, 3] and failed(outcomes) == []


def test_an_empty_list_and_bad_worker_counts():
    assert run_all([], lambda i, x: x, workers=4) == []
    with pytest.raises(ValueError, match="workers must be at least 1"):
        run_all([1], lambda i, x: x, workers=0)
