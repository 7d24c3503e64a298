"""The test runner's own rules: what counts as failed, skipped or not run, and the order of steps."""

from __future__ import annotations

import sys
import json
import time
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"
sys.path.insert(0, str(SCRIPTS))
import run_tests  # noqa: E402  pylint: disable=wrong-import-position,import-error

SANITY_CASE = """<?xml version="1.0" ?>
<testsuites><testsuite name="ansible-test" tests="1">
<testcase classname="sanity" name="{name}">{body}</testcase>
</testsuite></testsuites>
"""


def _sanity_junit(tmp_path: Path, cases: dict[str, str]) -> Path:
    for name, body in cases.items():
        (tmp_path / f"ansible-test-sanity-{name}.xml").write_text(SANITY_CASE.format(name=name, body=body))
    return tmp_path


def test_sanity_counts_each_test_and_names_the_skipped(tmp_path: Path) -> None:
    junit = _sanity_junit(tmp_path, {"pep8": "", "pylint": "<failure message='x'/>",
                                     "pslint": "<skipped>No tests applicable.</skipped>"})
    res = run_tests.read_sanity_results(junit, "", rc=1, missing_tools=[])
    assert (res.passed, res.failed, res.skipped) == (1, 1, 1)
    assert res.notes == ["pylint failed"]
    assert res.not_run == [("sanity/pslint", "No tests applicable.")]


def test_sanity_fails_when_a_tool_is_missing_even_if_ansible_test_passed(tmp_path: Path) -> None:
    junit = _sanity_junit(tmp_path, {"pep8": "", "shellcheck": "<skipped>No tests applicable.</skipped>"})
    log = "WARNING: Unable to find 'shellcheck' executable.\n"
    res = run_tests.read_sanity_results(junit, log, rc=0, missing_tools=[])
    assert res.failed == 1
    assert res.notes == ["shellcheck is missing, so its sanity test did not run"]
    # Known before the run (not on PATH) counts the same, once.
    res = run_tests.read_sanity_results(junit, log, rc=0, missing_tools=["shellcheck"])
    assert res.failed == 1


def test_sanity_without_results_is_a_failure(tmp_path: Path) -> None:
    res = run_tests.read_sanity_results(tmp_path, "FATAL: boom\n", rc=0, missing_tools=[])
    assert res.failed == 1 and res.notes == ["no sanity test reported a result"]


def test_pytest_junit_names_failures_and_skips_and_sums_time_per_file(tmp_path: Path) -> None:
    xml = tmp_path / "r.xml"
    xml.write_text("""<?xml version="1.0"?><testsuites><testsuite>
<testcase classname="integration.test_a" name="test_one" time="2.5"/>
<testcase classname="integration.test_a" name="test_two" time="1.5"><failure message="boom"/></testcase>
<testcase classname="tests.unit.test_b" name="test_three" time="0.5"><skipped message="needs root"/></testcase>
</testsuite></testsuites>""")
    res = run_tests.StepResult("x")
    run_tests.read_junit(xml, res)
    assert (res.passed, res.failed, res.skipped) == (1, 1, 1)
    assert res.notes == ["failed: tests/integration/test_a.py::test_two"]
    assert res.not_run == [("tests/unit/test_b.py::test_three", "needs root")]
    assert res.file_seconds == {"tests/integration/test_a.py": 4.0, "tests/unit/test_b.py": 0.5}


def test_pool_starts_the_longest_step_first_and_a_crash_is_a_failure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_tests.devenv, "WORK", tmp_path)
    (tmp_path / "step-seconds.json").write_text('{"short": 1, "long": 50, "middle": 10}')
    started: list[str] = []

    def step(name: str, crash: bool = False):
        def body() -> run_tests.StepResult:
            started.append(name)
            if crash:
                raise RuntimeError("kaput")
            return run_tests.StepResult(name, passed=1)
        return run_tests.Step(name, body)

    results = run_tests.run_pool([step("short"), step("middle", crash=True), step("long")], jobs=1)
    assert started == ["long", "middle", "short"]
    crashed = next(r for r in results if r.name == "middle")
    assert crashed.failed == 1 and "kaput" in crashed.notes[0]


def test_a_filtered_run_keeps_the_measured_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A -k run times a subset of each step; recording it would start a long pole last next time."""
    monkeypatch.setattr(run_tests.devenv, "WORK", tmp_path)
    timings = tmp_path / "step-seconds.json"
    timings.write_text('{"integration-2.18-modules": 800}')
    quick = [run_tests.Step("integration-2.18-modules", lambda: run_tests.StepResult("integration-2.18-modules", passed=1))]
    run_tests.run_pool(quick, jobs=1, record=False)
    assert json.loads(timings.read_text()) == {"integration-2.18-modules": 800}
    run_tests.run_pool(quick, jobs=1)
    assert json.loads(timings.read_text())["integration-2.18-modules"] != 800  # replaced by this run's figure


def test_without_measurements_the_module_shards_start_first() -> None:
    names = ["unit-2.21", "integration-2.21-executor", "sanity", "integration-2.18-modules", "integration-2.21-modules"]
    ordered = sorted(names, key=lambda name: -run_tests._estimate(name, {}))
    assert ordered[:2] == ["integration-2.21-modules", "integration-2.18-modules"]


def test_heartbeat_speaks_when_a_step_is_silent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(run_tests.devenv, "WORK", tmp_path)
    monkeypatch.setattr(run_tests, "HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setattr(run_tests, "HEARTBEAT_POLL_SECONDS", 0.05)

    def silent() -> run_tests.StepResult:
        time.sleep(0.6)
        return run_tests.StepResult("silent", passed=1)

    run_tests.run_pool([run_tests.Step("silent", silent)], jobs=1)
    assert "[runner] still running: silent" in capsys.readouterr().out


def test_warning_step_fails_on_new_warnings_and_on_logs_without_ansible_output(tmp_path: Path) -> None:
    (tmp_path / "demo.log").write_text(
        "    | [DEPRECATION WARNING]: In a release after 2026-05-01 iam_role.assume_role_policy_document_raw "
        "will no longer be returned.\n    | PLAY RECAP ****\n")
    (tmp_path / "molecule-a.log").write_text("[WARNING]: Found variable using reserved name 'tags'.\n\nPLAY RECAP\n")
    (tmp_path / "molecule-b.log").write_text("CRITICAL Ansible return code was 2\n")
    res = run_tests.warnings_step(tmp_path, ["demo", "molecule-a", "molecule-b", "molecule-absent"])
    assert (res.passed, res.failed) == (1, 2)
    assert sorted(res.notes) == ["molecule-a.log: Found variable using reserved name 'tags'.",
                                 "molecule-b.log: no Ansible output to scan"]
