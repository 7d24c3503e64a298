# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Is the ansible-playbook run that started this module still there?

Killing ``ansible-playbook`` does not end a module that is already running: the module runs in
its own process (under a worker process and a shell), nothing forwards the signal, and it would
go on sending its remaining writes. A module therefore records its chain of ancestor processes
when it starts and, before each write, checks that the chain is unchanged: when an ancestor
has died the module is re-parented and the chain differs. Linux ``/proc`` only; elsewhere the
check always answers yes. Under ``async`` the chain starts at the async wrapper, which outlives
the controller on purpose, so an async run is not stopped.
"""

from __future__ import annotations

import os

Ancestor = tuple[int, str]  # (pid, start time in clock ticks since boot)
_PROC = "/proc"


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, start time) of a process, or None when it is gone or /proc is missing."""
    try:
        with open(f"{_PROC}/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), fields[19]


def ancestors(pid: int | None = None, limit: int = 64) -> list[Ancestor]:
    """The chain of ancestor processes of ``pid`` (this process by default), init excluded."""
    chain: list[Ancestor] = []
    current = _stat(pid or os.getpid())
    while current is not None and current[0] > 1 and len(chain) < limit:
        parent = current[0]
        current = _stat(parent)
        if current is None:
            break
        chain.append((parent, current[1]))
    return chain


class Lifeline:
    """``keep_going()`` is False once a process that was an ancestor at start has gone."""

    def __init__(self) -> None:
        self._chain = ancestors()

    def keep_going(self) -> bool:
        if not self._chain:
            return True  # no /proc: nothing to compare
        for pid, started in self._chain:
            now = _stat(pid)
            if now is None or now[1] != started:
                return False
        return ancestors()[:len(self._chain)] == self._chain
