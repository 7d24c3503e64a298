"""mw_run with preflight (issue 14) and evidence next to the history (issue 13), through ansible-playbook.

Real runs on local-connection inventory hosts: a run refused by preflight executes nothing and
records nothing; a warning lets it run; check mode returns the report; the window length is
checked against the local history; report_dir leaves HTML and Markdown that match the history.
"""

from __future__ import annotations

import json
import os
import stat
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from . import harness as h
from . import invariants as inv

pytestmark = pytest.mark.slow

WEB = {"window_target": "web"}
NOBODY = {"window_target": "nobody"}
TARGETS = [{"name": "web", "resource_type": "INSTANCE", "owner_information": "team-web",
            "targets": [{"key": "tag:Role", "values": ["web"]}]},
           {"name": "nobody", "resource_type": "INSTANCE", "targets": [{"key": "tag:Role", "values": ["no-such-role"]}]}]


def window(name: str, tasks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": name, "duration": 2, "cutoff": 1, "targets": TARGETS, "tasks": tasks} | extra


def run_window(tmp_path: Path, definition: dict[str, Any], *cli: str, **options: Any) -> tuple[dict[str, Any], str]:
    """Run mw_run (errors ignored) and return its registered result and the output."""
    window_file = tmp_path / f"{definition['name']}.yml"
    window_file.write_text(yaml.safe_dump(definition, sort_keys=False))
    saved = tmp_path / f"result-{definition['name']}.json"
    args = {"window_file": str(window_file), "history_dir": str(tmp_path / "history"), **options}
    play = [{"name": "Run", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Run it", "mwops.ssm.mw_run": args, "register": "run", "ignore_errors": True},
        {"name": "Save", "ansible.builtin.copy": {"content": "{{ run | to_json }}", "dest": str(saved), "mode": "0600"},
         "check_mode": False}]}]
    playbook = tmp_path / f"play-{definition['name']}.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    proc = h.run_playbook(tmp_path, str(playbook), h.write_inventory(tmp_path), *cli)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return json.loads(saved.read_text()), proc.stdout


def check(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in result["preflight"]["checks"] if c["check"] == name)


def test_a_preflight_fail_refuses_the_run_and_records_nothing(tmp_path):
    tasks = [h.shell_task("touch", f"touch {tmp_path}/ran-{{{{TARGET_ID}}}}", [WEB, NOBODY], conc="5", errors="0")]
    result, out = run_window(tmp_path, window("refused", tasks))
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("Preflight refused to run window 'refused' (preflight_fail_on: fail)")
    assert "window target 'nobody' resolved to 0 inventory hosts" in result["msg"]
    targets = check(result, "targets_resolve")
    assert result["preflight"]["status"] == targets["status"] == "fail"
    assert [f["status"] for f in targets["findings"] if f["subject"] == "task touch"] == ["fail"]
    # nothing ran, no execution was recorded, and the readable table is in the output
    assert not list(tmp_path.glob("ran-*"))
    assert not (tmp_path / "history").exists()  # preflight comes before the history directory is made
    assert "preflight of window refused: fail" in out
    assert "targets_resolve      fail   Verify tags / resource groups" in out
    assert "window_execution" not in result and "history_file" not in result


def test_a_warning_lets_it_run_and_allow_empty_targets_is_one_rule(tmp_path):
    tasks = [h.shell_task("touch", f"touch {tmp_path}/ran-{{{{TARGET_ID}}}}", [WEB, NOBODY], conc="5", errors="0")]
    result, out = run_window(tmp_path, window("allowed", tasks), allow_empty_targets=True)
    assert "failed" not in result or result["failed"] is False, result.get("msg")
    targets = check(result, "targets_resolve")
    assert targets["status"] == "warn" and result["preflight"]["status"] == "warn"
    assert [f["status"] for f in targets["findings"] if f["subject"] == "task touch"] == ["warn"]
    assert "preflight of window allowed: warn" in out
    # the run went on: the web hosts ran, and the history says the same rule's words
    assert sorted(p.name for p in tmp_path.glob("ran-*")) == [f"ran-h0{i}" for i in range(1, 6)]
    run = h.only_execution(tmp_path / "history")
    assert run["status"] == "SUCCESS"
    details = inv.task(run, "touch")["status_details"]
    assert "No targets: window target 'nobody' resolved to 0 inventory hosts (allowed by allow_empty_targets)." in details
    assert any(f["message"] in details for f in targets["findings"] if f["subject"] == "task touch")


def test_check_mode_returns_the_preflight_report_and_fails_when_the_run_would_be_refused(tmp_path):
    good = window("checked", [h.shell_task("touch", f"touch {tmp_path}/ran-{{{{TARGET_ID}}}}", [WEB], conc="2",
                                           errors="0")], targets=TARGETS[:1])
    result, out = run_window(tmp_path, good, "--check")
    assert "failed" not in result or result["failed"] is False, result.get("msg")
    assert result["msg"] == "Check mode: the window would run as planned."
    assert [c["check"] for c in result["preflight"]["checks"]] == [
        "targets_resolve", "patch_groups_match", "reboots_not_missed", "window_long_enough"]
    assert check(result, "targets_resolve")["status"] == "pass"
    assert check(result, "targets_resolve")["evidence"]["tasks"] == {"touch": 5}
    # no history yet: the length cannot be estimated, a warning that does not stop the run
    assert check(result, "window_long_enough")["status"] == "warn"
    assert result["preflight_summary"][0] == "preflight of window checked: warn"
    # the stricter gate of a pipeline: warnings refuse too
    strict, dummy = run_window(tmp_path, good, "--check", preflight_fail_on=["fail", "warn"])
    assert strict["failed"] is True and "window_long_enough warn: task touch: no history" in strict["msg"]
    assert not list(tmp_path.glob("ran-*")) and not list((tmp_path / "history").glob("*.json"))
    assert "preflight of window checked: warn" in out


def test_the_window_length_is_checked_against_local_history(tmp_path):
    # Five hosts one at a time, each invocation at least 2 s: any p90 from this history is >= 2 s,
    # so five waves need >= 10 s, more than a 6-second window has.
    slow = window("length", [h.shell_task("slow", "sleep 2", [WEB], conc="1", errors="0")])
    first, dummy = run_window(tmp_path, slow)
    assert first["status"] == "SUCCESS" and check(first, "window_long_enough")["status"] == "warn"
    short, out = run_window(tmp_path, slow, duration_seconds=6, cutoff_seconds=0)
    length = check(short, "window_long_enough")
    assert short["failed"] is True and length["status"] == "fail"
    assert length["evidence"]["tasks"][0]["source"] == "local history"
    assert length["evidence"]["tasks"][0]["samples"] == 5 and length["evidence"]["tasks"][0]["waves"] == 5
    assert "window_long_enough fail: window: needs about" in short["msg"]
    assert len(h.executions(tmp_path / "history")) == 1  # the refused run recorded nothing
    assert "Increase duration" in out


class _Bars(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bars: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if "data-status" in found and "data-target" in found:
            self.bars.append(found)


def test_report_dir_leaves_html_and_markdown_that_match_the_history(tmp_path):
    tasks = [h.shell_task("patch", "test {{TARGET_ID}} != h02", [WEB], conc="2", errors="0")]
    result, out = run_window(tmp_path, window("evidence", tasks, tags={"ChangeTicket": "CHG-4711"}),
                             report_dir="evidence")  # relative: to the working directory
    run = h.only_execution(tmp_path / "history")
    assert [p.name for p in (tmp_path / "history").glob("*.json")] == [Path(result["history_file"]).name]
    files = result["report_files"]
    assert sorted(files) == ["html", "markdown"]
    directory = tmp_path / "evidence"
    assert {Path(p).parent for p in files.values()} == {directory}
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in files.values())
    assert Path(files["html"]).name == f"evidence_{run['id']}.html"
    assert f"evidence: {files['html']}, {files['markdown']}" in out
    # every host's status in the Markdown and in the timeline is the history's
    expected = [(i["target"], i["status"]) for i in inv.task(run, "patch")["invocations"]]
    assert expected[:2] == [("h01", "SUCCESS"), ("h02", "FAILED")] and len(expected) == 5
    markdown = Path(files["markdown"]).read_text()
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in markdown.splitlines()
            if line.startswith("| 1 | patch | h0")]
    assert [(r[2], r[4]) for r in rows] == expected
    assert all(r[3] == "team-web" for r in rows)
    assert "Change reference (ChangeTicket) | CHG-4711" in markdown and run["id"] in markdown
    page = _Bars()
    page.feed(Path(files["html"]).read_text())
    assert [(b["data-target"], b["data-status"]) for b in page.bars] == expected
