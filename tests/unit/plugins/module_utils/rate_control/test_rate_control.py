"""MaxConcurrency / MaxErrors parsing and resolution (spec B.1-B.4)."""

from __future__ import annotations

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils._rate_control import (
    RateControlError,
    error_threshold_exceeded,
    parse_max_concurrency,
    parse_max_errors,
    resolve_max_concurrency,
    resolve_max_errors,
    stop_on_error_number,
)


@pytest.mark.parametrize("value", ["1", "10", "9999999", "1%", "10%", "99%", "100%", 5])
def test_valid_max_concurrency(value):
    assert parse_max_concurrency(value) == str(value)


@pytest.mark.parametrize("value", ["0", "05", "0%", "101%", "-1", "", "10 %", "1.5", "12345678", True, None, 1.0])
def test_invalid_max_concurrency(value):
    with pytest.raises(RateControlError):
        parse_max_concurrency(value)


@pytest.mark.parametrize("value", ["0", "1", "0%", "5%", "100%", 0])
def test_valid_max_errors(value):
    assert parse_max_errors(value) == str(value)


@pytest.mark.parametrize("value", ["00", "01", "101%", "-1", "", "1e3", False])
def test_invalid_max_errors(value):
    with pytest.raises(RateControlError):
        parse_max_errors(value)


@pytest.mark.parametrize("value,targets,expected", [
    ("10%", 50, 5),      # documented example: divides exactly
    ("50%", 7, 3),       # floor (OPEN convention, spec B.3)
    ("10%", 5, 1),       # floor would give 0: MaxConcurrency never below 1
    ("1%", 0, 1),
    ("3", 2, 3),         # absolute values are not capped by the target count
    ("100%", 12, 12),
])
def test_resolve_max_concurrency(value, targets, expected):
    assert resolve_max_concurrency(value, targets) == expected


@pytest.mark.parametrize("value,targets,expected", [
    ("10%", 50, 5),
    ("50%", 7, 3),
    ("10%", 5, 0),       # MaxErrors may resolve to 0
    ("0", 10, 0),
    ("100%", 10, 10),
    ("4", 2, 4),
])
def test_resolve_max_errors(value, targets, expected):
    assert resolve_max_errors(value, targets) == expected


def test_targets_may_be_a_sequence():
    assert resolve_max_concurrency("50%", ["a", "b", "c", "d"]) == 2
    assert resolve_max_errors("50%", ("a", "b", "c")) == 1


def test_threshold_is_the_next_error():
    # "If you specify 3 ... the system stops sending the command when the fourth error is received."
    assert stop_on_error_number(3) == 4
    assert not error_threshold_exceeded(3, 3)
    assert error_threshold_exceeded(4, 3)
    assert error_threshold_exceeded(1, 0)
