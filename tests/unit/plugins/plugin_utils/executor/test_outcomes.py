"""Outcome classification of one invocation (the gate's words for what happened), in the core."""

from __future__ import annotations

import pytest

from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_core as core

CUTOFF = 1000.0


def classify(rc=0, failed=False, msg="", elapsed=1.0, limit=None, now=10.0, cancel_at=None):
    return core.classify_result(rc, failed, msg, elapsed, limit, now, cancel_at)


def test_success_and_failures():
    assert classify() == core.ClassifiedOutcome(core.OUTCOME_SUCCESS, "Success")
    assert classify(rc=3) == core.ClassifiedOutcome(core.OUTCOME_FAILED, "Failed: exit code 3.")
    assert classify(rc=None, failed=True, msg="no such module") == core.ClassifiedOutcome(
        core.OUTCOME_FAILED, "Failed: no such module")


@pytest.mark.parametrize("rc", core.TIMEOUT_EXIT_CODES)
def test_our_time_limit_is_a_timeout_only_after_the_whole_limit(rc):
    limit = 30
    timed_out = classify(rc=rc, limit=limit, elapsed=limit - core.TIMEOUT_SLACK_SECONDS)
    assert timed_out == core.ClassifiedOutcome(core.OUTCOME_TIMED_OUT, "Execution timed out after 30 s.", False)
    # The script's own exit code 124 well before the limit is a failure, not a timeout.
    early = classify(rc=rc, limit=limit, elapsed=limit - core.TIMEOUT_SLACK_SECONDS - 0.5)
    assert early.outcome == core.OUTCOME_FAILED
    # Without a limit there is no timeout to blame.
    assert classify(rc=rc, limit=None, elapsed=999).outcome == core.OUTCOME_FAILED


def test_a_timeout_at_the_cutoff_is_a_cancellation():
    at_cutoff = classify(rc=124, limit=5, elapsed=5, now=CUTOFF - core.CUTOFF_SLACK_SECONDS, cancel_at=CUTOFF)
    assert at_cutoff == core.ClassifiedOutcome(core.OUTCOME_TIMED_OUT, core.CANCELLED_AT_CUTOFF_DETAILS, True)
    before = classify(rc=124, limit=5, elapsed=5, now=CUTOFF - core.CUTOFF_SLACK_SECONDS - 0.1, cancel_at=CUTOFF)
    assert before.cancelled_at_cutoff is False and before.status_details == "Execution timed out after 5 s."


def test_task_timeout_and_cutoff_slack():
    assert core.classify_task_timeout(CUTOFF, CUTOFF) == core.ClassifiedOutcome(
        core.OUTCOME_TIMED_OUT, core.CANCELLED_AT_CUTOFF_DETAILS, True)
    assert core.classify_task_timeout(CUTOFF - 10, CUTOFF) == core.ClassifiedOutcome(
        core.OUTCOME_TIMED_OUT, "Timed out.", False)
    assert core.classify_task_timeout(CUTOFF, None).cancelled_at_cutoff is False
    assert core.reached_cutoff(CUTOFF - core.CUTOFF_SLACK_SECONDS, CUTOFF)
    assert not core.reached_cutoff(CUTOFF - core.CUTOFF_SLACK_SECONDS - 0.01, CUTOFF)
