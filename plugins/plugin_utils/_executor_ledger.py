# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Per-task ledger shared by the gate action's worker processes and the engine.

One directory per task execution holds a lock file, the error counter and an append-only event
log (JSON lines). Admission and accounting happen under an exclusive ``flock``; the counter is
read *then* rewritten inside the lock, so concurrent workers never lose an update. The gate
records an invocation's end before its worker process exits, and the builtin strategies reuse a
worker slot only after that process has exited, so the next admission always sees the error.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_core import (
    admission_refusal,
    counts_as_error,
)

EVENT_START = "start"
EVENT_END = "end"
EVENT_REFUSED = "refused"


class TaskLedger:
    """Lock, error counter and event log of one task execution."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.lock_path = self.directory / "lock"
        self.counter_path = self.directory / "errors"
        self.events_path = self.directory / "events.jsonl"

    def create(self) -> TaskLedger:
        """A new ledger: a 0700 directory with 0600 files (state of a run is private)."""
        self.directory.mkdir(mode=0o700)
        self._write_errors(0)
        os.close(os.open(self.events_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        return self

    @contextmanager
    def locked(self) -> Iterator[None]:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _read_errors(self) -> int:
        try:
            text = self.counter_path.read_text().strip()
        except FileNotFoundError:
            return 0
        return int(text or 0)

    def _write_errors(self, value: int) -> None:
        fd = os.open(self.counter_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, str(value).encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def _append(self, event: dict[str, Any]) -> None:
        line = (json.dumps(event, sort_keys=True) + "\n").encode()
        fd = os.open(self.events_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def errors(self) -> int:
        with self.locked():
            return self._read_errors()

    def admit(self, target: str, invocation_id: str, max_errors: int, cancel_at: float | None,
              now: float) -> str | None:
        """Start an invocation or refuse it; returns the refusal reason (None = admitted)."""
        with self.locked():
            refusal = admission_refusal(self._read_errors(), max_errors, now, cancel_at)
            if refusal is None:
                self._append({"event": EVENT_START, "target": target, "invocation_id": invocation_id,
                              "time": now})
            else:
                self._append({"event": EVENT_REFUSED, "target": target, "reason": refusal, "time": now})
            return refusal

    def finish(self, target: str, invocation_id: str, outcome: str, now: float,
               **details: Any) -> int:
        """Record an invocation's end; count it as an error when it is one. Returns the count."""
        with self.locked():
            errors = self._read_errors()
            if counts_as_error(outcome):
                errors += 1
                self._write_errors(errors)
            self._append({"event": EVENT_END, "target": target, "invocation_id": invocation_id,
                          "outcome": outcome, "time": now, **details})
            return errors

    def events(self) -> list[dict[str, Any]]:
        """Every complete event so far (a line still being written is left for the next read)."""
        try:
            data = self.events_path.read_bytes()
        except FileNotFoundError:
            return []
        complete = data[: data.rfind(b"\n") + 1]
        return [json.loads(line) for line in complete.splitlines() if line.strip()]
