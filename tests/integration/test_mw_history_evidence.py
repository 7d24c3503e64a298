"""SSM history read back with mw_execution_info, and evidence from SSM and local runs with mw_report.

The sandbox runs a window against EC2 and managed instances whose outcomes are chosen by tags
(tests/sandbox/mwsandbox/_runs_ext.py); the module must return exactly what ran. The same
window run by the local executor and in the sandbox gives the same report. The HTML report is
opened in a real headless Chromium with the network disabled.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import boto3
import pytest

from . import mw_harness as H
from .executor import harness as X

CORE = os.environ.get("MWOPS_CORE", "2.19")
CHROMIUM = os.environ.get("MWOPS_CHROMIUM", "/usr/bin/chromium")
START = "2026-03-10T02:00:00Z"


# ----------------------------------------------------------------------------- helpers

def results_dir() -> Path:
    """The test runner's results directory (artifacts live there), else .cache/results."""
    if os.environ.get("MWOPS_RESULTS"):
        path = Path(os.environ["MWOPS_RESULTS"])
    elif H.COLLECTION.parent.parent.name == "ansible_collections":
        path = H.COLLECTION.parents[2] / "results"
    else:
        path = H.COLLECTION / ".cache" / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def scenario(sandbox, name, outcomes, tasks, managed=None):
    """EC2 instances tagged PatchGroup=web with outcome tags, optional managed instances, a window
    (tag ChangeTicket) with one target and the given tasks (name, priority, concurrency, errors)."""
    ec2 = boto3.client("ec2", endpoint_url=sandbox.endpoint, region_name="us-east-1")
    ssm = boto3.client("ssm", endpoint_url=sandbox.endpoint, region_name="us-east-1")
    ids = []
    if outcomes:
        ids = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-12345678", MinCount=len(outcomes),
                                                          MaxCount=len(outcomes))["Instances"]]
    for instance, outcome in zip(ids, outcomes):
        ec2.create_tags(Resources=[instance], Tags=[{"Key": "PatchGroup", "Value": "web"},
                                                    {"Key": "mwsandbox:outcome", "Value": outcome}])
    for instance, outcome in (managed or {}).items():
        sandbox.register_managed_instance(instance, {"PatchGroup": "web", "mwsandbox:outcome": outcome})
        ids.append(instance)
    window_id = ssm.create_maintenance_window(
        Name=name, Schedule="rate(7 days)", Duration=2, Cutoff=1, AllowUnassociatedTargets=False,
        Tags=[{"Key": "ChangeTicket", "Value": "CHG0031337"}])["WindowId"]
    target_id = ssm.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="INSTANCE", OwnerInformation="team-web",
        Targets=[{"Key": "tag:PatchGroup", "Values": ["web"]}])["WindowTargetId"]
    for task_name, priority, concurrency, errors in tasks:
        ssm.register_task_with_maintenance_window(
            WindowId=window_id, Name=task_name, TaskType="RUN_COMMAND", TaskArn="AWS-RunShellScript",
            Priority=priority, MaxConcurrency=concurrency, MaxErrors=errors,
            Targets=[{"Key": "WindowTargetIds", "Values": [target_id]}],
            TaskInvocationParameters={"RunCommand": {
                "Parameters": {"commands": ["test \"$(hostname)\" != bad"], "DbPassword": ["hunter2"]},
                "OutputS3BucketName": "audit-logs", "OutputS3KeyPrefix": "mw"}})
    return window_id, ids


def play(sandbox, tmp_path, tasks, name="play"):
    """Run tasks on localhost with the sandbox as the SSM endpoint; returns the variables they saved."""
    saved = tmp_path / f"{name}-saved.json"
    plays = [{"name": name, "hosts": "localhost", "connection": "local", "gather_facts": False,
              "module_defaults": H.module_defaults(sandbox.endpoint),
              "tasks": [*tasks, {"name": "Save results", "ansible.builtin.copy": {
                  "content": "{{ saved | to_json }}", "dest": str(saved), "mode": "0600"}}]}]
    proc = H.run_playbook(H.write_playbook(tmp_path / f"{name}.json", plays))
    assert proc.returncode == 0, H.describe_failure(proc)
    return json.loads(saved.read_text())


def info_task(register="history", **options):
    return {"name": "Read the history", "mwops.ssm.mw_execution_info": options, "register": register}


class _Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.bars, self.tags, self.external = [], [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append(tag)
        if "bar" in (attributes.get("class") or "").split():
            self.bars.append(attributes)
        for key in ("src", "href"):
            if key in attributes and not str(attributes[key]).startswith(("#", "data:")):
                self.external.append(attributes[key])


# ----------------------------------------------------------------------------- mw_execution_info

@pytest.mark.slow
def test_history_read_back_equals_what_the_sandbox_ran(sandbox, tmp_path):
    sandbox.reset()
    window_id, ids = scenario(sandbox, "evidence-ssm", ["success", "failure:3", "timeout", "success", "success"],
                              [("patch", 1, "2", "1"), ("verify", 2, "50%", "0")],
                              managed={"mi-0123456789abcdef0": "undeliverable"})
    ran = sandbox.run_window(window_id, START)
    sandbox.reset_requests()
    saved = play(sandbox, tmp_path, [
        info_task(name="evidence-ssm", include_output=True),
        info_task("failed", window_id=window_id, status=["FAILED"], last=1, include_tasks=False),
        {"name": "Keep", "ansible.builtin.set_fact": {"saved": {"history": "{{ history }}", "failed": "{{ failed }}"}}},
    ])
    (execution,) = saved["history"]["executions"]
    assert saved["history"]["windows"] == [window_id] and saved["history"]["changed"] is False
    assert (execution["id"], execution["status"]) == (ran["window_execution_id"], ran["status"])
    assert (execution["window_name"], execution["tags"], execution["source"]) == (
        "evidence-ssm", {"ChangeTicket": "CHG0031337"}, "ssm")
    assert execution["start_time"] == "2026-03-10T02:00:00.000000Z"
    assert execution["window_end_time"] == "2026-03-10T04:00:00.000000Z"
    # Status per invocation equals what the sandbox executed, task by task in priority order.
    got = [(t["priority"], [(i["target"], i["status"]) for i in t["invocations"]]) for t in execution["task_executions"]]
    sandbox_ran = [(t["priority"], [(i["target"], i["status"]) for i in t["invocations"]]) for t in ran["tasks"]]
    assert got == sorted(sandbox_ran, key=lambda item: item[0])
    patch, verify = execution["task_executions"]
    # patch: MaxConcurrency 2, MaxErrors 1; the first pair gives 1 error, the second pair's timeout
    # is the 2nd error, so the 5th instance and the managed instance never start (the MaxErrors stop).
    assert [i["status"] for i in patch["invocations"]] == ["SUCCESS", "FAILED", "TIMED_OUT", "SUCCESS",
                                                           "CANCELLED", "CANCELLED"]
    assert patch["status"] == "FAILED" and "error threshold was exceeded" in patch["status_details"]
    assert patch["errors_counted"] == 2 and patch["max_errors"] == 1 and patch["max_concurrency"] == 2
    assert [i["start_time"] is None for i in patch["invocations"]] == [False] * 4 + [True] * 2
    assert all("(MaxErrors 1) was exceeded" in i["status_details"] for i in patch["invocations"][4:])
    assert (patch["name"], patch["cutoff_behavior"]) == ("patch", "CONTINUE_TASK")
    assert (verify["max_concurrency_spec"], verify["max_concurrency"]) == ("50%", 3)
    by_target = {i["target"]: i for i in patch["invocations"]}
    assert by_target[ids[1]]["exit_code"] == 3 and by_target[ids[1]]["status_details"] == "Failed: exit code 3."
    assert by_target[ids[0]]["output"].startswith("mwsandbox: AWS-RunShellScript on " + ids[0])
    assert by_target[ids[0]]["output_location"].startswith("https://s3.us-east-1.amazonaws.com/audit-logs/mw/")
    assert {i["owner_information"] for i in patch["invocations"]} == {"team-web"}
    assert patch["parameters"]["DbPassword"] == ["********"]
    assert "hunter2" not in json.dumps(saved)
    # The second call: the newest FAILED execution only, without task details.
    (failed,) = saved["failed"]["executions"]
    assert failed["id"] == execution["id"] and failed["task_executions"] == []
    log = sandbox.requests()
    H.record_calls(log, ["mw_execution_info"])
    operations = {r["operation"] for r in log}
    assert {"DescribeMaintenanceWindowExecutions", "DescribeMaintenanceWindowExecutionTasks",
            "GetMaintenanceWindowExecutionTask", "DescribeMaintenanceWindowExecutionTaskInvocations",
            "GetCommandInvocation"} <= operations
    assert sandbox.write_requests() == []  # an info module never writes


@pytest.mark.slow
def test_paging_filters_and_throttling(sandbox, tmp_path):
    sandbox.reset()
    window_id, dummy = scenario(sandbox, "evidence-paging", ["success", "failure"], [("patch", 1, "1", "0")])
    other_id, dummy = scenario(sandbox, "evidence-other", [], [])
    starts = [f"2026-01-{1 + n // 24:02d}T{n % 24:02d}:00:00Z" for n in range(105)]  # more than one page (100)
    for moment in starts:
        sandbox.run_window(window_id, moment)
    sandbox.run_window(other_id, START)
    sandbox.reset_requests()
    # Throttle a third of the history reads: the AWS layer retries them with backoff.
    sandbox.set_faults(throttle_rate=0.3, seed=13, operations=["DescribeMaintenanceWindowExecutions",
                                                               "DescribeMaintenanceWindowExecutionTasks",
                                                               "GetMaintenanceWindowExecutionTask"])
    try:
        saved = play(sandbox, tmp_path, [
            info_task("everything", name="evidence-paging", include_tasks=False),
            info_task("newest", name="evidence-paging", last=3, executed_before="2026-01-03T23:30:00Z"),
            info_task("region", include_tasks=False, executed_after="2026-03-01T00:00:00Z"),
            {"name": "Keep", "ansible.builtin.set_fact": {"saved": {
                "everything": "{{ everything.executions | map(attribute='start_time') | list }}",
                "newest": "{{ newest.executions }}", "region": "{{ region }}"}}},
        ])
    finally:
        log = sandbox.requests()
        sandbox.set_faults(throttle_rate=0.0)
    H.record_calls(log, ["mw_execution_info"])
    assert any(r["throttled"] for r in log), "the fault switch throttled nothing: the test proves no retry"
    expected = sorted((s.replace("Z", ".000000Z") for s in starts), reverse=True)
    assert saved["everything"] == expected
    pages = [r for r in log if r["operation"] == "DescribeMaintenanceWindowExecutions" and not r["throttled"]]
    assert len(pages) >= 2  # 105 executions at 100 per page
    newest = saved["newest"]
    assert [e["start_time"] for e in newest] == ["2026-01-03T23:00:00.000000Z", "2026-01-03T22:00:00.000000Z",
                                                 "2026-01-03T21:00:00.000000Z"]
    assert all(len(e["task_executions"]) == 1 and e["status"] == "FAILED" for e in newest)
    assert [e["window_name"] for e in saved["region"]["executions"]] == ["evidence-other"]
    assert sorted(saved["region"]["windows"]) == sorted([window_id, other_id])


def test_bad_options_name_the_field(sandbox, tmp_path):
    plays = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
              "module_defaults": H.module_defaults(sandbox.endpoint),
              "tasks": [info_task(name="no-such-window-anywhere", ignore=None) | {"ignore_errors": True},
                        info_task("when", executed_after="last tuesday") | {"ignore_errors": True}]}]
    for task in plays[0]["tasks"]:
        task["mwops.ssm.mw_execution_info"].pop("ignore", None)
    proc = H.run_playbook(H.write_playbook(tmp_path / "bad.json", plays))
    assert "name: no maintenance window named 'no-such-window-anywhere'" in proc.stdout
    assert "executed_after: 'last tuesday' is not an ISO-8601 instant" in proc.stdout


# ----------------------------------------------------------------------------- mw_report

def local_run(tmp_path):
    """Run the twin of the sandbox window with the local executor: h02 fails, MaxErrors 0.

    h01 runs next to h02 and ends only after h02's failure is on disk (plus 2 s for the gate to
    count it), so its slot never frees before the error threshold stops the task, as in SSM."""
    directory = tmp_path / "local"
    directory.mkdir()
    inventory = X.write_inventory(directory)
    command = X.Unsafe(f"if [ {{{{TARGET_ID}}}} = h02 ]; then touch {directory}/h02-failed; exit 1; fi; "
                       f"until [ -e {directory}/h02-failed ]; do sleep 0.1; done; sleep 2")
    window = {"name": "evidence-twin", "duration": 2, "cutoff": 1, "tags": {"ChangeTicket": "CHG0031337"},
              "targets": [{"name": "web", "resource_type": "INSTANCE",
                           "targets": [{"key": "tag:Role", "values": ["web"]}], "owner_information": "team-web"}],
              "tasks": [X.shell_task("patch", command, [{"window_target": "web"}], conc="2", errors="0")]}
    proc = X.run_playbook(directory, X.write_play(directory, window).name, inventory)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return directory / "history", window


def report_task(dest, **source):
    return {"name": "Write the evidence", "mwops.ssm.mw_report": {"dest": str(dest), **source}, "register": "evidence"}


def comparable(document):
    """What must agree between a local and an SSM report of the same run (hosts differ by name)."""
    (execution,) = document["executions"]
    return {"status": execution["status"], "change_reference": execution["change_reference"],
            "counts": execution["counts"],
            "tasks": [(t["priority"], t["name"], t["task_arn"], t["status"], t["max_concurrency"], t["max_errors"],
                       [(i["status"], re.sub(r"exit code \d+", "exit code N", i["status_details"]))
                        for i in t["invocations"]]) for t in execution["task_executions"]]}


@pytest.mark.slow
def test_the_same_report_from_a_local_run_and_from_an_ssm_run(sandbox, tmp_path):
    history_dir, dummy = local_run(tmp_path)
    local = play(sandbox, tmp_path, [
        report_task(tmp_path / "evidence-local", history_dir=str(history_dir)),
        {"name": "Keep", "ansible.builtin.set_fact": {"saved": "{{ evidence }}"}}], name="local-report")
    sandbox.reset()
    window_id, dummy = scenario(sandbox, "evidence-twin", ["success", "failure:1", "success", "success", "success"],
                                [("patch", 1, "2", "0")])
    sandbox.run_window(window_id)
    remote = play(sandbox, tmp_path, [
        info_task(name="evidence-twin", include_output=True),
        report_task(tmp_path / "evidence-ssm", executions="{{ history.executions }}"),
        {"name": "Keep", "ansible.builtin.set_fact": {"saved": "{{ evidence }}"}}], name="ssm-report")
    documents = {}
    for label, result in (("local", local), ("ssm", remote)):
        assert sorted(result["files"]) == ["csv", "html", "json", "markdown"] and result["changed"]
        directory = Path(result["files"]["json"]).parent
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        assert all(stat.S_IMODE(Path(p).stat().st_mode) == 0o600 for p in result["paths"])
        documents[label] = json.loads(Path(result["files"]["json"]).read_text())
        markdown = Path(result["files"]["markdown"]).read_text()
        assert "Change reference (ChangeTicket) | CHG0031337" in markdown
        assert len([line for line in markdown.splitlines() if line.startswith("| 1 | patch | ") and "AWS-RunShellScript" not in line]) == 5
        shutil.copy(result["files"]["html"], results_dir() / f"mw_report-{label}-{CORE}.html")
    assert comparable(documents["local"]) == comparable(documents["ssm"])
    assert comparable(documents["ssm"])["tasks"][0][6] == [
        ("SUCCESS", "Success"), ("FAILED", "Failed: exit code N."),
        *[("CANCELLED", "Not started: the task's error threshold (MaxErrors 0) was exceeded.")] * 3]
    # The same report again: nothing changes.
    again = play(sandbox, tmp_path, [
        report_task(tmp_path / "evidence-local", history_dir=str(history_dir)),
        {"name": "Keep", "ansible.builtin.set_fact": {"saved": "{{ evidence }}"}}], name="local-again")
    assert again["changed"] is False and again["files"] == local["files"]


def chromium(*args, user_data):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={user_data}", "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
             "--enable-logging=stderr", "--v=0", "--hide-scrollbars"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120, check=False)


def console_messages(stderr):
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.mark.slow
def test_html_report_in_headless_chromium(sandbox, tmp_path):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"Chromium is not installed ({CHROMIUM}): the HTML report was NOT checked in a browser; "
                    "install Debian's chromium package")
    sandbox.reset()
    window_id, dummy = scenario(sandbox, "evidence-browser", ["success", "failure:2", "timeout", "success", "success"],
                                [("patch", 1, "2", "1"), ("verify", 2, "1", "0")],
                                managed={"mi-00000000000000009": "undeliverable"})
    sandbox.run_window(window_id, START)
    saved = play(sandbox, tmp_path, [
        info_task(name="evidence-browser"),
        report_task(tmp_path / "evidence", executions="{{ history.executions }}", formats=["html"]),
        {"name": "Keep", "ansible.builtin.set_fact": {"saved": {"history": "{{ history }}",
                                                                "evidence": "{{ evidence }}"}}}])
    (execution,) = saved["history"]["executions"]
    page = Path(saved["evidence"]["files"]["html"])
    # The detector works: a page with a script error shows up as console messages.
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><body><script>console.error('x'); nope();</script></body></html>")
    control = chromium("--dump-dom", broken.as_uri(), user_data=tmp_path / "profile-control")
    assert len(console_messages(control.stderr)) >= 2, control.stderr[-2000:]

    dumped = chromium("--dump-dom", page.as_uri(), user_data=tmp_path / "profile-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    assert console_messages(dumped.stderr) == []
    dom = _Dom()
    dom.feed(dumped.stdout)
    expected = [(t["name"], i["target"], i["status"]) for t in execution["task_executions"] for i in t["invocations"]]
    assert len(dom.bars) == len(expected) == 12
    assert [(b["data-task"], b["data-target"], b["data-status"]) for b in dom.bars] == expected
    assert dom.external == [] and "script" not in dom.tags
    # A report of a real local executor history file passes the same checks.
    fixture = H.COLLECTION / "tests" / "unit" / "fixtures" / "executor-history.json"
    local = play(sandbox, tmp_path, [
        report_task(tmp_path / "evidence-local", history_files=[str(fixture)], formats=["html"]),
        {"name": "Keep", "ansible.builtin.set_fact": {"saved": "{{ evidence }}"}}], name="local-html")
    recorded = json.loads(fixture.read_text())
    dumped_local = chromium("--dump-dom", Path(local["files"]["html"]).as_uri(), user_data=tmp_path / "profile-local")
    assert dumped_local.returncode == 0 and console_messages(dumped_local.stderr) == []
    local_dom = _Dom()
    local_dom.feed(dumped_local.stdout)
    assert [(b["data-target"], b["data-status"], b["data-started"]) for b in local_dom.bars] == [
        (i["target"], i["status"], "false" if i["start_time"] is None else "true")
        for t in recorded["task_executions"] for i in t["invocations"]]

    shot = results_dir() / f"mw_report-timeline-{CORE}.png"
    shot.unlink(missing_ok=True)
    taken = chromium(f"--screenshot={shot}", "--window-size=1280,1500", page.as_uri(),
                     user_data=tmp_path / "profile-shot")
    assert taken.returncode == 0 and shot.stat().st_size > 10_000, taken.stderr[-2000:]
    assert console_messages(taken.stderr) == []
