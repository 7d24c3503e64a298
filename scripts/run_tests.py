"""Run every test of mwops.ssm: the one command CI and a new contributor use.

Steps (all by default), for each ansible-core of the matrix (scripts/devenv.py: the oldest core
meta/runtime.yml promises and the newest): unit and sandbox tests, integration tests (module
targets and the executor as two shards); on the newest core: ansible-test sanity, every Molecule
scenario, the demo (./scripts/run-demo), ansible-lint and the changelog lint; then a scan of the
demo's and the Molecule scenarios' output for warnings that are not on the allow-list
(scripts/warning_scan.py).

Independent steps run side by side (``--jobs``, default: the number of cores), longest first
(as measured by the previous run). A line appears at least every 30 seconds. The summary names
every skipped or not-run test, sanity tests included, and each core's result; it ends with one
line: ``summary: N passed, N failed, N skipped``. Exit status is non-zero on any failure.

    ./scripts/run-tests                         # everything
    ./scripts/run-tests --only unit-2.21        # steps whose name starts with "unit-2.21"
    ./scripts/run-tests --only sanity,lint -k schedule
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import devenv  # noqa: E402  pylint: disable=wrong-import-position
import warning_scan  # noqa: E402  pylint: disable=wrong-import-position

HEARTBEAT_SECONDS = 30  # the longest the terminal stays silent
HEARTBEAT_POLL_SECONDS = 5
# Estimated seconds per step for a first run; later runs order by the last measured times. The first
# matching prefix wins: the module shards are the long poles and must start first.
DEFAULT_ESTIMATES = {"integration-2.21-modules": 900, "integration-2.18-modules": 850, "integration": 300,
                     "molecule": 40, "demo": 90, "sanity": 120, "unit": 60, "lint": 40, "changelog": 5}


@dataclass
class StepResult:
    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    # (test id, reason) of every skipped or not-run test, for the summary.
    not_run: list[tuple[str, str]] = field(default_factory=list)
    # (test file, seconds) for pytest steps: where the time goes.
    file_seconds: dict[str, float] = field(default_factory=dict)
    core: str | None = None


@dataclass
class Step:
    name: str
    run: Callable[[], StepResult]
    core: str | None = None


_PRINT_LOCK = threading.Lock()
_LAST_OUTPUT = {"at": time.monotonic()}


def say(line: str) -> None:
    with _PRINT_LOCK:
        sys.stdout.write(line if line.endswith("\n") else line + "\n")
        sys.stdout.flush()
        _LAST_OUTPUT["at"] = time.monotonic()


def run(cmd: list[str], cwd: Path, env: dict[str, str], log: Path, quiet: bool = False) -> int:
    """Run a command; stream its output, prefixed with the log's name, to the terminal and the log.

    With ``quiet`` only the log gets the output (the heartbeat still reports the step).
    """
    tag = f"[{log.stem}] "
    say(f"{tag}$ {' '.join(cmd)}")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as fh, subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
        errors="replace",
    ) as proc:
        for line in proc.stdout or ():
            if not quiet:
                say(tag + line)
            fh.write(line)
            fh.flush()
        return proc.wait()


def _test_file(case: ET.Element) -> str:
    """tests/integration/test_x.py from a junit testcase (pytest puts dotted paths in classname)."""
    classname = case.get("classname", "")
    parts = classname.split(".")
    for end in range(len(parts), 0, -1):
        if parts[end - 1].startswith("test_"):
            path = "/".join(parts[:end]) + ".py"
            # pytest.ini sits in tests/, so pytest names files relative to it.
            return path if path.startswith("tests/") else f"tests/{path}"
    return classname


def read_junit(xml_path: Path, res: StepResult) -> None:
    """Counts, failures, skips and per-file seconds from a pytest junit file."""
    if not xml_path.exists():
        return
    root = ET.parse(xml_path).getroot()
    failed_ids = []
    for case in root.iter("testcase"):
        test_id = f"{_test_file(case)}::{case.get('name')}"
        res.file_seconds[_test_file(case)] = res.file_seconds.get(_test_file(case), 0.0) + float(
            case.get("time", 0) or 0)
        skipped = case.find("skipped")
        if case.find("failure") is not None or case.find("error") is not None:
            res.failed += 1
            failed_ids.append(test_id)
        elif skipped is not None:
            res.skipped += 1
            reason = skipped.get("message", "") or (skipped.text or "")
            res.not_run.append((test_id, reason.strip().splitlines()[0] if reason.strip() else "skipped"))
        else:
            res.passed += 1
    if failed_ids:
        res.notes.append("failed: " + ", ".join(failed_ids[:6]) + (" ..." if len(failed_ids) > 6 else ""))


def pytest_step(name: str, core: str, paths: list[str], out: Path, extra: list[str],
                ignore: list[str] | None = None) -> StepResult:
    root = devenv.tree_root(core)
    coll = devenv.collection_dir(root)
    present = [p for p in paths if (coll / p).exists()]
    res = StepResult(name, core=core)
    if not present:
        res.notes.append("no tests found")
        return res
    xml = out / f"{name}.xml"
    # -v with unbuffered output: one line per test as it ends (progress while the step runs).
    cmd = [str(devenv.venv_python(core)), "-m", "pytest", *present, "-v", "-rs", "--tb=short",
           "-p", "no:cacheprovider", f"--junitxml={xml}", "-o", "junit_family=xunit1", *extra]
    cmd += [f"--ignore={p}" for p in ignore or []]
    rc = run(cmd, coll, devenv.test_env(root, core), out / f"{name}.log")
    read_junit(xml, res)
    log = (out / f"{name}.log").read_text(errors="replace")
    deselected = re.search(r"(\d+) deselected", log)
    if deselected:
        res.notes.append(f"{deselected.group(1)} deselected by -k")
    if rc not in (0, 5) and res.failed == 0:
        res.failed = 1
        res.notes.append(f"pytest exited {rc}: {_last_error(log)}")
    return res


def _last_error(log: str) -> str:
    """The most telling line of a failed command's output, for the notes column."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for pattern in (r"^(FATAL|ERROR|Error|fatal|CRITICAL)\b", r"\bfailed\b|\berror\b", r"."):
        hits = [line for line in lines if re.search(pattern, line, re.I if pattern != r"." else 0)]
        if hits:
            return hits[-1][:200]
    return "no output"


def command_step(name: str, cmd: list[str], out: Path, cwd: Path | None = None,
                 env_extra: dict[str, str] | None = None, quiet: bool = False) -> StepResult:
    root = devenv.tree_root(devenv.MAIN_CORE)
    env = devenv.test_env(root)
    env.update(env_extra or {})
    rc = run(cmd, cwd or devenv.collection_dir(root), env, out / f"{name}.log", quiet=quiet)
    res = StepResult(name, passed=int(rc == 0), failed=int(rc != 0), core=devenv.MAIN_CORE)
    if rc != 0:
        res.notes.append(f"exit {rc}: {_last_error((out / f'{name}.log').read_text(errors='replace'))}")
    return res


# Tools that sanity tests need from the machine; ansible-test skips such a test when its tool is absent.
SANITY_TOOLS = ("shellcheck",)


def sanity_step(out: Path, python: str) -> StepResult:
    """ansible-test sanity, every test it has; a test skipped for a missing tool fails the step."""
    coll = devenv.collection_dir(devenv.tree_root(devenv.MAIN_CORE))
    junit_dir = coll / "tests" / "output" / "junit"
    env = devenv.test_env(devenv.tree_root(devenv.MAIN_CORE))
    missing = [tool for tool in SANITY_TOOLS if not _which(tool, env)]
    cmd = [str(devenv.venv_bin() / "ansible-test"), "sanity", "--venv", "--python", python, "--color", "no",
           "--junit"]
    rc = run(cmd, coll, env, out / "sanity.log")
    return read_sanity_results(junit_dir, (out / "sanity.log").read_text(errors="replace"), rc, missing)


def read_sanity_results(junit_dir: Path, log: str, rc: int, missing_tools: list[str]) -> StepResult:
    """One count per sanity test from ansible-test's junit files; skipped tests named with their reason.

    ansible-test exits 0 when it skipped a test because its tool is missing: that fails here.
    """
    res = StepResult("sanity", core=devenv.MAIN_CORE)
    missing = set(missing_tools) | set(re.findall(r"Unable to find '([^']+)' executable", log))
    for xml in sorted(junit_dir.glob("ansible-test-sanity-*.xml")):
        for case in ET.parse(xml).getroot().iter("testcase"):
            test = case.get("name", xml.stem)
            skipped = case.find("skipped")
            if case.find("failure") is not None or case.find("error") is not None:
                res.failed += 1
                res.notes.append(f"{test} failed")
            elif skipped is not None:
                res.skipped += 1
                reason = (skipped.get("message") or skipped.text or "skipped").strip()
                res.not_run.append((f"sanity/{test}", reason))
            else:
                res.passed += 1
    for tool in sorted(missing):
        res.failed += 1
        res.notes.append(f"{tool} is missing, so its sanity test did not run")
    if rc != 0 and res.failed == 0:
        res.failed = 1
        res.notes.append(f"exit {rc}: {_last_error(log)}")
    if res.passed + res.failed + res.skipped == 0:
        res.failed = 1
        res.notes.append("no sanity test reported a result")
    return res


def _which(tool: str, env: dict[str, str]) -> str | None:
    for directory in env.get("PATH", "").split(os.pathsep):
        candidate = Path(directory) / tool
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def molecule_step(scenario: str, out: Path) -> StepResult:
    name = f"molecule-{scenario}"
    sub = command_step(name, [str(devenv.venv_bin() / "molecule"), "test", "-s", scenario], out, quiet=True)
    log = (out / f"{name}.log").read_text(errors="replace")
    if sub.passed and "MWOPS-SKIP:" in log:
        reason = log.split("MWOPS-SKIP:", 1)[1].splitlines()[0].strip()
        return StepResult(name, skipped=1, not_run=[(f"molecule/{scenario}", reason)], core=devenv.MAIN_CORE)
    return sub


def demo_step(out: Path, tree: str) -> StepResult:
    """The README's demo command, as a user runs it (its own tree; output kept for the warning scan)."""
    env = dict(os.environ, MWOPS_TREE=f"{tree}-demo")
    cmd = [str(devenv.REPO / "scripts" / "run-demo"), "--verbose", "--output-dir", str(out / "demo-output")]
    rc = run(cmd, devenv.REPO, env, out / "demo.log", quiet=True)
    res = StepResult("demo", passed=int(rc == 0), failed=int(rc != 0), core=devenv.MAIN_CORE)
    if rc != 0:
        res.notes.append(f"exit {rc}: {_last_error((out / 'demo.log').read_text(errors='replace'))}")
    return res


def warnings_step(out: Path, sources: list[str]) -> StepResult:
    """No [WARNING] or [DEPRECATION WARNING] in the demo's and Molecule's output but the allow-listed."""
    res = StepResult("warnings", core=devenv.MAIN_CORE)
    logs = [out / f"{name}.log" for name in sources if (out / f"{name}.log").exists()]
    if not logs:
        res.not_run.append(("warnings", "neither the demo nor a Molecule scenario ran"))
        res.skipped = 1
        return res
    found = warning_scan.scan_files(logs)
    # A log without Ansible's output in it would pass the scan without proving anything.
    blind = [log.name for log in logs if "PLAY RECAP" not in log.read_text(errors="replace")]
    bad = {w.source for w in found} | set(blind)
    res.passed = len(logs) - len(bad)
    res.failed = len(bad)
    res.notes += [f"{name}: no Ansible output to scan" for name in blind]
    for warning in found[:8]:
        res.notes.append(f"{warning.source}: {warning.text[:160]}")
    if len(found) > 8:
        res.notes.append(f"... {len(found) - 8} more")
    with (out / "warnings.log").open("w") as fh:
        fh.write(f"scanned: {', '.join(str(p.name) for p in logs)}\n")
        for warning in found:
            fh.write(f"{warning.source}: {warning.text}\n")
    return res


# --------------------------------------------------------------------------------------------
# Scheduling: a pool of workers takes the steps longest first; a heartbeat keeps the terminal alive.

def _timings_file() -> Path:
    return devenv.WORK / "step-seconds.json"


def _estimate(name: str, measured: dict[str, float]) -> float:
    if name in measured:
        return measured[name]
    return next((v for k, v in DEFAULT_ESTIMATES.items() if name.startswith(k)), 30)


def run_pool(steps: list[Step], jobs: int, record: bool = True) -> list[StepResult]:
    """Run the steps longest first; ``record``: keep their times for the next run's order (not for a
    ``-k`` run, which times a subset of each step and would put a long pole last next time)."""
    try:
        measured = json.loads(_timings_file().read_text())
    except (OSError, ValueError):
        measured = {}
    pending: queue.Queue[Step] = queue.Queue()
    for step in sorted(steps, key=lambda s: -_estimate(s.name, measured)):
        pending.put(step)
    results: list[StepResult] = []
    running: dict[str, float] = {}
    lock = threading.Lock()

    def worker() -> None:
        while True:
            try:
                step = pending.get_nowait()
            except queue.Empty:
                return
            say(f"===== {step.name} started =====")
            t0 = time.monotonic()
            with lock:
                running[step.name] = t0
            try:
                res = step.run()
            except Exception as exc:  # pylint: disable=broad-exception-caught  # a crashed step is a failed step
                res = StepResult(step.name, failed=1, notes=[f"crashed: {exc!r}"])
            res.core = res.core or step.core
            res.seconds = time.monotonic() - t0
            with lock:
                running.pop(step.name, None)
                results.append(res)
            say(f"===== {step.name} finished in {res.seconds:.0f}s: {res.passed} passed, {res.failed} failed, "
                f"{res.skipped} skipped =====")

    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT_POLL_SECONDS):
            if time.monotonic() - _LAST_OUTPUT["at"] >= HEARTBEAT_SECONDS - HEARTBEAT_POLL_SECONDS:
                with lock:
                    busy = ", ".join(f"{n} ({time.monotonic() - t:.0f}s)" for n, t in running.items())
                say(f"[runner] still running: {busy or 'nothing'}; {pending.qsize()} step(s) waiting")

    workers = [threading.Thread(target=worker) for _worker in range(max(1, jobs))]
    beat = threading.Thread(target=heartbeat, daemon=True)
    beat.start()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    done.set()
    if record:
        measured.update({r.name: round(r.seconds, 1) for r in results if not r.failed})
        try:
            _timings_file().write_text(json.dumps(measured, indent=1, sort_keys=True))
        except OSError:
            pass
    return results


def build_steps(args: argparse.Namespace, out: Path, extra: list[str]) -> tuple[list[Step], list[str]]:
    newest = devenv.MAIN_CORE
    python = devenv.python_minor(devenv.MAIN_CORE)
    coll = devenv.collection_dir(devenv.tree_root(newest))
    steps: list[Step] = []
    for core in devenv.CORES:
        steps.append(Step(f"unit-{core}", lambda c=core: pytest_step(
            f"unit-{c}", c, ["tests/unit", "tests/sandbox"], out, extra), core))
        # Two shards per core that share nothing (the module files share one session: the IAM
        # policy test reads the operations the module tests collected).
        executor_files = sorted(str(p.relative_to(coll)) for p in (coll / "tests" / "integration").glob(
            "test_executor*.py")) + ["tests/integration/executor"]
        steps.append(Step(f"integration-{core}-modules", lambda c=core, ex=executor_files: pytest_step(
            f"integration-{c}-modules", c, ["tests/integration"], out, extra, ignore=ex), core))
        steps.append(Step(f"integration-{core}-executor", lambda c=core, ex=executor_files: pytest_step(
            f"integration-{c}-executor", c, ex, out, extra), core))
    steps.append(Step("sanity", lambda: sanity_step(out, python), newest))
    scenarios = sorted(p.parent.name for p in (coll / "extensions" / "molecule").glob("*/molecule.yml"))
    steps += [Step(f"molecule-{s}", lambda s=s: molecule_step(s, out), newest) for s in scenarios]
    steps.append(Step("demo", lambda: demo_step(out, os.environ.get("MWOPS_TREE", "default")), newest))
    steps.append(Step("lint", lambda: command_step("lint", [str(devenv.venv_bin() / "ansible-lint")], out), newest))
    steps.append(Step("changelog", lambda: command_step(
        "changelog", [str(devenv.venv_bin() / "antsibull-changelog"), "lint"], out), newest))
    wanted = [w for w in args.only.split(",") if w]
    chosen = [s for s in steps if not wanted or any(s.name.startswith(w) for w in wanted)]
    not_chosen = [s.name for s in steps if s not in chosen]
    return chosen, not_chosen


def print_summary(results: list[StepResult], not_chosen: list[str], tools: dict[str, str], out: Path,
                  started: float) -> tuple[int, int, int]:
    for r in results:
        if r.failed:
            for log in sorted(out.glob(f"{r.name}.log")):
                tail = log.read_text(errors="replace").splitlines()[-40:]
                print(f"\n----- last lines of {log.name} -----")
                print("\n".join(tail))
    timed = sorted(((f, s, r.name) for r in results for f, s in r.file_seconds.items()), key=lambda t: -t[1])
    if timed:
        print("\n===== where the time goes (pytest files, summed test time) =====")
        for file, seconds, step in timed[:15]:
            print(f"{seconds:>8.1f}s  {step:<28} {file}")
    print("\n===== skipped or not run =====")
    lines = [f"not selected (--only): {', '.join(not_chosen)}"] if not_chosen else []
    lines += [f"{test_id}: {reason}" for r in results for test_id, reason in r.not_run]
    lines += [f"tool {tool}: {state}" for tool, state in tools.items() if state.startswith("missing")]
    print("\n".join(lines) if lines else "nothing")
    print("\n===== mwops.ssm test summary =====")
    print(f"{'step':<34}{'passed':>8}{'failed':>8}{'skipped':>9}{'seconds':>9}  notes")
    for r in results:
        print(f"{r.name:<34}{r.passed:>8}{r.failed:>8}{r.skipped:>9}{r.seconds:>9.1f}  {'; '.join(r.notes)}")
    print("\nper ansible-core (venv, amazon.aws):")
    for core, spec in devenv.CORES.items():
        mine = [r for r in results if r.core == core]
        if mine:
            print(f"  ansible-core {spec.version} (Python {devenv.python_minor(core)}, amazon.aws {spec.amazon_aws}): "
                  f"{sum(r.passed for r in mine)} passed, {sum(r.failed for r in mine)} failed, "
                  f"{sum(r.skipped for r in mine)} skipped in {len(mine)} step(s)")
    print("tools: " + "; ".join(f"{tool} {state}" for tool, state in tools.items()))
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    print(f"logs: {out}   collection tree: {devenv.collection_dir(devenv.tree_root())}   "
          f"total {time.monotonic() - started:.0f}s")
    print(f"summary: {passed} passed, {failed} failed, {skipped} skipped")
    return passed, failed, skipped


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="comma-separated step name prefixes to run")
    ap.add_argument("-k", dest="keyword", default="", help="pytest -k expression")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="steps run side by side")
    ap.add_argument("--prepare", action="store_true", help="only build the venvs and the trees, print the newest's path")
    args = ap.parse_args()
    started = time.monotonic()
    extra = ["-k", args.keyword] if args.keyword else []

    for core in devenv.CORES:
        devenv.ensure_venv(core)
    devenv.ensure_get_pip_shim()
    for core in devenv.CORES:
        devenv.build_tree(core)
    if args.prepare:
        print(devenv.collection_dir(devenv.tree_root()))
        return 0
    tools = devenv.ensure_system_tools()  # after the venvs: shellcheck may come as a wheel into one
    out = devenv.tree_root().parent / "results"
    if out.exists():
        shutil.rmtree(out)  # logs, junit files and the demo's output of the previous run
    out.mkdir(parents=True)
    coll = devenv.collection_dir(devenv.tree_root())
    for stale in (coll / "tests" / "output" / "junit").glob("*.xml"):
        stale.unlink()

    steps, not_chosen = build_steps(args, out, extra)
    say(f"[runner] {len(steps)} step(s) on {args.jobs} worker(s): {', '.join(s.name for s in steps)}")
    results = run_pool(steps, args.jobs, record=not args.keyword)
    scanned = [s.name for s in steps if s.name == "demo" or s.name.startswith("molecule-")]
    if scanned:
        results.append(warnings_step(out, scanned))
    order = [s.name for s in steps] + ["warnings"]
    results.sort(key=lambda r: order.index(r.name) if r.name in order else len(order))
    passed, failed, _skipped = print_summary(results, not_chosen, tools, out, started)
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
