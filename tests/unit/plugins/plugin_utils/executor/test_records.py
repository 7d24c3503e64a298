"""Execution records folded from ledger events: pure functions of plain data (no files, no clock)."""

from __future__ import annotations

from pathlib import Path

from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_core as core
from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_records as records
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_ledger import TaskLedger
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_plan import ExecutionPlan, TargetGroup, TaskSpec

HOSTS = ("h01", "h02", "h03")


def run_state(max_errors=0, cancel_at=None, **changes) -> records.TaskRunState:
    spec = TaskSpec("patch", "wt-id", "RUN_COMMAND", "AWS-RunShellScript", 1, "1", str(max_errors), 1, max_errors,
                    "CONTINUE_TASK", {"commands": ["true"], "password": ["hunter2"]},
                    (TargetGroup("tg-id", "INSTANCE", HOSTS, "window target 'web'", "team-a"),))
    state = records.TaskRunState(spec, "te-id", TaskLedger(Path("/nonexistent")), 1, False, cancel_at,
                                 Path("/h/child.log"), start=100.0, started=True)
    for key, value in changes.items():
        setattr(state, key, value)
    return state


EVENTS = [
    {"event": "start", "target": "h01", "invocation_id": "i1", "time": 100.0},
    {"event": "end", "target": "h01", "invocation_id": "i1", "outcome": core.OUTCOME_FAILED, "time": 101.0,
     "status_details": "Failed: exit code 2.", "exit_code": 2, "output": "boom"},
    {"event": "refused", "target": "h02", "reason": core.REFUSED_ERRORS, "time": 101.5},
    {"event": "refused", "target": "h03", "reason": core.REFUSED_ERRORS, "time": 101.6},
]


def test_counts_and_a_finished_task_over_its_error_threshold():
    assert records.ledger_counts(EVENTS) == (1, 0, 1, 2)
    record = records.task_record(run_state(end=102.0), EVENTS, allow_empty_targets=False, interrupted=False,
                                 no_more_starts=True)
    assert record["status"] == core.FAILED and record["errors_counted"] == 1
    assert [i["status"] for i in record["invocations"]] == [core.FAILED, core.CANCELLED, core.CANCELLED]
    assert record["invocations"][0]["owner_information"] == "team-a"
    assert record["invocations"][1]["status_details"] == core.NOT_STARTED_DETAILS[core.REFUSED_ERRORS].format(
        max_errors=0)
    assert record["parameters"]["password"] != ["hunter2"]  # secret-named parameters are masked


def test_a_started_invocation_without_result_at_a_cancel_task_cutoff_is_cancelled_there():
    events = [{"event": "start", "target": "h01", "invocation_id": "i1", "time": 100.0}]
    record = records.task_record(run_state(cancel_at=150.0, end=151.0), events, False, False, True)
    first = record["invocations"][0]
    assert (first["status"], first["status_details"]) == (core.TIMED_OUT, core.CANCELLED_AT_CUTOFF_DETAILS)
    assert record["invocations"][1]["status_details"].startswith("Not started: the task's run stopped")


def test_a_task_not_started_is_pending_until_no_more_starts():
    waiting = records.task_record(run_state(started=False, start=None), [], False, False, no_more_starts=False)
    assert (waiting["status"], waiting["invocations"]) == (core.PENDING, [])
    interrupted = records.task_record(run_state(started=False, start=None), [], False, True, no_more_starts=False)
    assert interrupted["status"] == core.CANCELLED
    assert {i["status_details"] for i in interrupted["invocations"]} == {"Not started: the executor was interrupted."}


def test_window_record_and_summary():
    plan = ExecutionPlan("win", "mw-0123456789abcdef0", 7200.0, 3600.0, (run_state().spec,))
    task = records.task_record(run_state(end=102.0), EVENTS, False, False, True)
    window = records.window_record(plan, "e-1", 0.0, 3600.0, 50, core.FAILED, "1 task failed.", [task])
    ends = (window["last_task_start_time"], window["window_end_time"])
    assert ends == ("1970-01-01T01:00:00.000000Z", "1970-01-01T02:00:00.000000Z")
    table = records.summary_table(window, Path("/h/win.json")).splitlines()
    assert table[0] == "window win execution e-1: FAILED (1 task failed.)"
    assert table[2].split() == ["1", "patch", "FAILED", "3", "0", "1", "2", "1/0"]
    assert "  h01: FAILED: Failed: exit code 2." in table and table[-1] == "history: /h/win.json"
    assert records.summary_reasons(window, per_task=1)[-1] == "  ... and 2 more; see the history file"
