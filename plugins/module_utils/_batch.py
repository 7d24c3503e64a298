# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Run one piece of work per item on a bounded pool of threads (``maintenance_windows``).

Pure: no Ansible, no boto3. The work function does the AWS calls (one botocore client is shared:
botocore clients are thread-safe). What this core guarantees:

* outcomes come back in input order, whatever order the threads finish in;
* an exception in one item is captured in that item's outcome and does not stop the others;
* with ``fail_fast`` no item starts once one has failed, and the items that were never started
  say so (``started=False``), so the caller can name them;
* at most ``workers`` items run at once.
"""

from __future__ import annotations

import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

ItemT = t.TypeVar("ItemT")
ValueT = t.TypeVar("ValueT")

DEFAULT_WORKERS = 4


@dataclass
class Outcome(t.Generic[ValueT]):
    """What became of one item: its value, or the exception it raised, or not started."""

    index: int
    value: ValueT | None = None
    error: BaseException | None = None
    started: bool = True

    @property
    def ok(self) -> bool:
        return self.started and self.error is None


class _Stop:
    """The fail-fast switch, shared by the workers."""

    def __init__(self, fail_fast: bool) -> None:
        self._fail_fast = fail_fast
        self._failed = threading.Event()

    def failed(self) -> None:
        if self._fail_fast:
            self._failed.set()

    def stopped(self) -> bool:
        return self._failed.is_set()


def run_all(items: t.Sequence[ItemT], work: t.Callable[[int, ItemT], ValueT], workers: int = DEFAULT_WORKERS,
            fail_fast: bool = False, skip: t.Callable[[int], bool] | None = None) -> list[Outcome[ValueT]]:
    """``work(index, item)`` for every item, at most ``workers`` at a time; outcomes in input order.

    ``skip(index)`` True leaves an item out without running it (its outcome is ``started=False``
    with no error), for example an item whose earlier phase failed.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1 (got {workers})")
    stop = _Stop(fail_fast)

    def one(index: int, item: ItemT) -> Outcome[ValueT]:
        if stop.stopped() or (skip is not None and skip(index)):
            return Outcome(index, started=False)
        try:
            return Outcome(index, value=work(index, item))
        except Exception as e:  # pylint: disable=broad-except
            stop.failed()
            return Outcome(index, error=e)

    if workers == 1 or len(items) <= 1:
        return [one(i, item) for i, item in enumerate(items)]
    # The executor starts queued items in submission order, so fail-fast stops the later ones.
    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="mwops-batch") as pool:
        futures = [pool.submit(one, i, item) for i, item in enumerate(items)]
        return [future.result() for future in futures]


def not_started(outcomes: t.Iterable[Outcome[t.Any]]) -> list[int]:
    """Indexes of the items that never ran."""
    return [o.index for o in outcomes if not o.started]


def failed(outcomes: t.Iterable[Outcome[t.Any]]) -> list[Outcome[t.Any]]:
    return [o for o in outcomes if o.error is not None]
