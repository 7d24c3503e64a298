# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Parse and resolve a maintenance-window task's MaxConcurrency and MaxErrors.

Pure Python (3.9+), no Ansible imports. Rules (see the semantics spec, section B):

* MaxConcurrency is ``1..9999999`` or ``1%..100%``; MaxErrors is ``0..9999999`` or ``0%..100%``.
  Leading zeros, ``101%`` and negative numbers are invalid (the botocore patterns).
* A percentage is of the task's resolved target count, rounded down; MaxConcurrency never
  resolves below 1, MaxErrors may resolve to 0 (spec B.3, an OPEN convention).
* With threshold E, dispatch stops once more than E errors were received (spec B.4).
"""

from __future__ import annotations

import re
from collections.abc import Sized

MAX_CONCURRENCY_PATTERN = re.compile(r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$")
MAX_ERRORS_PATTERN = re.compile(r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$")
MAX_LENGTH = 7


class RateControlError(ValueError):
    """A MaxConcurrency or MaxErrors value that SSM would reject."""


def _target_count(targets: int | Sized) -> int:
    count = targets if isinstance(targets, int) else len(targets)
    if count < 0:
        raise RateControlError(f"target count must not be negative, got {count}")
    return count


def _normalise(value: object, field: str, pattern: re.Pattern[str]) -> str:
    # YAML gives ints for unquoted numbers; SSM's API takes strings. Booleans are never numbers.
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise RateControlError(f"{field} must be a string such as '10' or '10%', got {value!r}")
    text = str(value).strip()
    if len(text) > MAX_LENGTH or not pattern.match(text):
        raise RateControlError(
            f"{field} {text!r} is invalid: it must match {pattern.pattern} "
            "(a whole number or a percentage, no leading zeros)"
        )
    return text


def parse_max_concurrency(value: object) -> str:
    """Return the canonical string form of a MaxConcurrency value, or raise RateControlError."""
    return _normalise(value, "max_concurrency", MAX_CONCURRENCY_PATTERN)


def parse_max_errors(value: object) -> str:
    """Return the canonical string form of a MaxErrors value, or raise RateControlError."""
    return _normalise(value, "max_errors", MAX_ERRORS_PATTERN)


def is_percentage(value: str) -> bool:
    return value.endswith("%")


def _floor_percentage(value: str, count: int) -> int:
    return (count * int(value[:-1])) // 100


def resolve_max_concurrency(value: object, targets: int | Sized) -> int:
    """Number of simultaneous invocations allowed for this many targets (at least 1)."""
    text = parse_max_concurrency(value)
    count = _target_count(targets)
    if is_percentage(text):
        return max(1, _floor_percentage(text, count))
    return int(text)


def resolve_max_errors(value: object, targets: int | Sized) -> int:
    """Error threshold E for this many targets: dispatch stops when error E+1 is received."""
    text = parse_max_errors(value)
    count = _target_count(targets)
    if is_percentage(text):
        return _floor_percentage(text, count)
    return int(text)


def error_threshold_exceeded(errors: int, max_errors: int) -> bool:
    """True once no new invocation may start: more than ``max_errors`` errors were received."""
    return errors > max_errors


def stop_on_error_number(max_errors: int) -> int:
    """The 1-based error whose arrival stops dispatch (MaxErrors 3 stops at the 4th error)."""
    return max_errors + 1
