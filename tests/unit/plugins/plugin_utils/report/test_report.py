"""Evidence report core: history in, documents out (masking, escaping, timeline, files)."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
import stat
from html.parser import HTMLParser

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _execution_schema as schema
from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_core as core
from ansible_collections.mwops.ssm.plugins.plugin_utils import _report as report

HOSTILE_NAME = '<script>alert("x")</script>'
HOSTILE_HOST = '"><img src=x onerror=alert(1)>|=cmd'


def simulated_execution(outcomes, max_concurrency=2, max_errors=1, runtime=60.0, name="sim-window"):
    """A schema record of a run of the executor core on a fake clock (two tasks, priorities 1 and 2)."""
    targets = tuple(outcomes)
    plan = core.WindowPlan(name, 7200.0, 3600.0, (
        core.TaskPlan("patch", 1, (targets,), max_concurrency, max_errors),
        core.TaskPlan("verify", 2, (targets[:2],), 1, 0)))
    start = 1_700_000_000.0
    window = core.simulate_window(plan, start, lambda t, h: runtime + 10 * targets.index(h),
                                  lambda t, h: outcomes[h] if t.name == "patch" else core.OUTCOME_SUCCESS)
    tasks = []
    for ran in window.tasks:
        invocations = [{"id": f"inv-{ran.plan.name}-{r.target}", "target": r.target, "window_target_id": None,
                        "status": r.status, "status_details": (core.NOT_STARTED_DETAILS.get(r.not_started_reason, "")
                                                               .format(max_errors=ran.plan.max_errors)
                                                               if not r.started else r.status.title()),
                        "start_time": schema.iso(r.start), "end_time": schema.iso(r.end),
                        "counted_as_error": r.counted, "exit_code": None, "output": "", "output_path": None,
                        "owner_information": "team-web"}
                       for r in ran.results]
        tasks.append({"id": f"task-{ran.plan.name}", "window_task_id": None, "name": ran.plan.name,
                      "task_type": "RUN_COMMAND", "task_arn": "AWS-RunShellScript", "priority": ran.plan.priority,
                      "max_concurrency": ran.plan.max_concurrency, "max_errors": ran.plan.max_errors,
                      "max_concurrency_spec": str(ran.plan.max_concurrency),
                      "max_errors_spec": str(ran.plan.max_errors), "cutoff_behavior": "CONTINUE_TASK",
                      "target_count": len(ran.results), "start_time": schema.iso(ran.start),
                      "end_time": schema.iso(ran.end), "child_log": None, "status": ran.status,
                      "status_details": ran.status_details, "errors_counted": sum(r.counted for r in ran.results),
                      "invocations": invocations,
                      "parameters": {"commands": ["yum -y update"], "DbPassword": ["hunter2"]}})
    return {"schema": schema.SCHEMA, "id": f"exec-{name}", "window_id": "mw-0123456789abcdef0", "window_name": name,
            "status": window.status, "status_details": window.status_details, "start_time": schema.iso(start),
            "end_time": schema.iso(window.end), "duration_seconds": 7200, "cutoff_seconds": 3600,
            "last_task_start_time": schema.iso(window.last_task_start), "window_end_time": schema.iso(start + 7200),
            "forks_ceiling": None, "task_executions": tasks, "source": "ssm", "tags": {"ChangeTicket": "CHG0042"}}


OUTCOMES = {"i-01": core.OUTCOME_SUCCESS, "i-02": core.OUTCOME_FAILED, "i-03": core.OUTCOME_SUCCESS,
            "i-04": core.OUTCOME_TIMED_OUT, "i-05": core.OUTCOME_SUCCESS, "i-06": core.OUTCOME_SUCCESS}


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.bars, self.strips, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append(tag)
        if "bar" in (attributes.get("class") or "").split():
            self.bars.append(attributes)
        if attributes.get("class") == "concurrency":
            self.strips.append(attributes)


def parse(html):
    collector = _Collect()
    collector.feed(html)
    return collector


def test_html_has_one_bar_per_invocation_with_its_status_and_host():
    execution = simulated_execution(OUTCOMES)
    page = parse(report.render([execution], "html"))
    expected = [(t["name"], i["target"], i["status"]) for t in execution["task_executions"] for i in t["invocations"]]
    assert [(b["data-task"], b["data-target"], b["data-status"]) for b in page.bars] == expected
    # MaxErrors 1 stopped the patch task when its second error (i-04 timing out) arrived: i-06 never started.
    patch = [b for b in page.bars if b["data-task"] == "patch"]
    assert [b["data-started"] for b in patch] == ["true"] * 5 + ["false"]


def test_concurrency_strip_shows_the_peak_within_max_concurrency():
    page = parse(report.render([simulated_execution(OUTCOMES, max_concurrency=3, max_errors=5)], "html"))
    strips = {s["data-task"]: (int(s["data-peak"]), int(s["data-max"])) for s in page.strips}
    assert strips == {"patch": (3, 3), "verify": (1, 1)}


def test_html_is_self_contained_and_escapes_untrusted_values():
    execution = simulated_execution({HOSTILE_HOST: core.OUTCOME_FAILED, "i-02": core.OUTCOME_SUCCESS},
                                    name=HOSTILE_NAME)
    execution["tags"]["ChangeTicket"] = "<b>CHG</b>"
    html = report.render([execution], "html")
    assert HOSTILE_NAME not in html and HOSTILE_HOST not in html and "<b>CHG</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    page = parse(html)
    assert "script" not in page.tags and "img" not in page.tags and "link" not in page.tags
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert {b["data-target"] for b in page.bars} >= {HOSTILE_HOST}


@pytest.mark.parametrize("fmt", report.FORMATS)
def test_secrets_are_masked_in_every_format(fmt, local_execution):
    local_execution["task_executions"][0]["parameters"] = {"commands": ["true"], "api_token": "tok-123"}
    text = report.render([simulated_execution(OUTCOMES), local_execution], fmt)
    assert "hunter2" not in text and "tok-123" not in text
    if fmt != "csv":  # the CSV has one row per invocation and no parameters
        assert (report._md(schema.MASK) if fmt == "markdown" else schema.MASK) in text


def test_markdown_has_the_evidence_a_change_ticket_needs(local_execution):
    local_execution["tags"] = {"ChangeTicket": "CHG-77"}
    text = report.render([local_execution], "markdown")
    for expected in ("evidence-demo", local_execution["window_id"], local_execution["id"],
                     "Change reference (ChangeTicket) | CHG-77", "local executor", "FAILED",
                     "MaxConcurrency 2, MaxErrors 0", "AWS-RunShellScript",
                     "Not started: the task's error threshold (MaxErrors 0) was exceeded.", "Failed: exit code 1."):
        assert expected in text, expected
    instance_rows = [line for line in text.splitlines() if line.startswith("| 1 | check | h0")]
    assert len(instance_rows) == 5


def test_markdown_cells_cannot_break_the_table():
    execution = simulated_execution({HOSTILE_HOST: core.OUTCOME_SUCCESS, "i-2": core.OUTCOME_SUCCESS})
    text = report.render([execution], "markdown")
    row = next(line for line in text.splitlines() if "img src" in line)
    assert row.count(" | ") == 8 and "\\|=cmd" in row and "\\<img" in row


def test_csv_has_one_row_per_invocation_and_defuses_formulas():
    execution = simulated_execution({"=HYPERLINK(\"http://x\")": core.OUTCOME_FAILED, "i-2": core.OUTCOME_SUCCESS})
    rows = list(csv.DictReader(io.StringIO(report.render([execution], "csv"))))
    assert len(rows) == sum(len(t["invocations"]) for t in execution["task_executions"])
    assert rows[0]["target"].startswith("'=HYPERLINK")
    assert {r["change_reference"] for r in rows} == {"CHG0042"}


def test_many_executions_get_a_summary_per_window(local_execution):
    first = simulated_execution(OUTCOMES)
    second = simulated_execution({h: core.OUTCOME_SUCCESS for h in OUTCOMES})
    second["id"], second["start_time"] = "exec-2", "2023-11-15T00:00:00.000000Z"
    document = json.loads(report.render([first, second, local_execution], "json"))
    summary = {s["window_name"]: s for s in document["summary"]}
    sim = summary["sim-window"]
    assert sim["executions"] == 2 and sim["invocations"] == 16 and sim["succeeded"] == 13
    assert sim["success_rate"] == 0.8125
    assert sim["failures_by_reason"] == {
        "CANCELLED: Not started: the task's error threshold (MaxErrors 1) was exceeded.": 1,
        "FAILED: Failed": 1, "TIMED_OUT: Timed_Out": 1}
    assert summary["evidence-demo"]["execution_statuses"] == {"FAILED": 1}
    html = report.render([first, second], "html")
    assert "Summary by window" in html and report.percent(0.8125) in html


def test_bad_input_names_the_field_and_writes_nothing(tmp_path):
    with pytest.raises(report.ReportError, match=r"executions\[1\]: not a window execution"):
        report.write_reports([simulated_execution(OUTCOMES), {"schema": "x"}], tmp_path / "out")
    with pytest.raises(report.ReportError, match="formats: pdf"):
        report.write_reports([simulated_execution(OUTCOMES)], tmp_path / "out", ["pdf"])
    assert not (tmp_path / "out").exists()


def test_files_are_private_and_rewritten_only_when_they_change(tmp_path):
    out = tmp_path / "evidence" / "nested"
    execution = simulated_execution(OUTCOMES)
    paths, changed = report.write_reports([execution], out, check_mode=True)
    assert changed and not out.exists()
    paths, changed = report.write_reports([execution], out)
    assert changed and sorted(paths) == sorted(report.FORMATS)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o700
    for path in paths.values():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert report.write_reports([copy.deepcopy(execution)], out) == (paths, False)
    os.symlink(tmp_path / "elsewhere", out / "x.md")
    with pytest.raises(report.ReportError, match="symbolic link"):
        report.write_reports([execution], out, ["markdown"], basename="x")
    assert not (tmp_path / "elsewhere").exists()
