"""Run every test of mwops.ssm: the one command CI and a new contributor use.

Steps (all by default): unit and sandbox tests and integration tests on each ansible-core
version, ansible-test sanity, Molecule scenarios, ansible-lint and the changelog lint.
It builds its own pinned venvs first (see scripts/devenv.py), exits non-zero on any
failure, and ends with one line: ``summary: N passed, N failed, N skipped``.

    ./scripts/run-tests                 # everything
    ./scripts/run-tests --only unit     # steps whose name starts with "unit"
    ./scripts/run-tests -k schedule     # passed to pytest
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import devenv  # noqa: E402  pylint: disable=wrong-import-position


@dataclass
class StepResult:
    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


_PRINT_LOCK = threading.Lock()


def say(line: str) -> None:
    with _PRINT_LOCK:
        sys.stdout.write(line if line.endswith("\n") else line + "\n")
        sys.stdout.flush()


def run(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> int:
    """Run a command; stream its output, prefixed with the log's name, to the terminal and the log."""
    tag = f"[{log.stem}] "
    say(f"{tag}$ {' '.join(cmd)}")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as fh, subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        for line in proc.stdout or ():
            say(tag + line)
            fh.write(line)
        return proc.wait()


def junit_counts(xml_path: Path) -> tuple[int, int, int]:
    if not xml_path.exists():
        return 0, 0, 0
    root = ET.parse(xml_path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return tests - failed - skipped, failed, skipped


def pytest_step(name: str, core: str, paths: list[str], root: Path, out: Path,
                extra: list[str]) -> StepResult:
    coll = devenv.collection_dir(root)
    present = [p for p in paths if (coll / p).exists()]
    res = StepResult(name)
    if not present:
        res.notes.append("no tests found")
        return res
    xml = out / f"{name}.xml"
    cmd = [str(devenv.venv_python(core)), "-m", "pytest", *present, "-q", "-rs",
           "-p", "no:cacheprovider", f"--junitxml={xml}", *extra]
    rc = run(cmd, coll, devenv.test_env(root, core), out / f"{name}.log")
    res.passed, res.failed, res.skipped = junit_counts(xml)
    if rc not in (0, 5) and res.failed == 0:
        res.failed = 1
        res.notes.append(f"pytest exited {rc}")
    return res


def command_step(name: str, cmd: list[str], root: Path, out: Path, cwd: Path | None = None,
                 env_extra: dict[str, str] | None = None) -> StepResult:
    env = devenv.test_env(root)
    env.update(env_extra or {})
    rc = run(cmd, cwd or devenv.collection_dir(root), env, out / f"{name}.log")
    return StepResult(name, passed=int(rc == 0), failed=int(rc != 0),
                      notes=[] if rc == 0 else [f"exit {rc}"])


def molecule_step(root: Path, out: Path) -> StepResult:
    coll = devenv.collection_dir(root)
    scenarios = sorted(p.parent.name for p in (coll / "extensions" / "molecule").glob("*/molecule.yml"))
    res = StepResult("molecule")
    if not scenarios:
        res.notes.append("no scenarios yet")
        return res
    for scenario in scenarios:
        sub = command_step(f"molecule-{scenario}", [str(devenv.venv_bin() / "molecule"), "test",
                                                    "-s", scenario], root, out)
        log = (out / f"molecule-{scenario}.log").read_text(errors="replace")
        if sub.passed and "MWOPS-SKIP:" in log:
            reason = log.split("MWOPS-SKIP:", 1)[1].splitlines()[0].strip()
            res.skipped += 1
            res.notes.append(f"{scenario} skipped: {reason}")
        else:
            res.passed += sub.passed
            res.failed += sub.failed
            res.notes += [f"{scenario}: {n}" for n in sub.notes]
    return res


def _timed(name: str, fn, results: list[StepResult]) -> None:
    say(f"===== {name} started =====")
    t0 = time.monotonic()
    try:
        res = fn()
    except Exception as exc:  # pylint: disable=broad-exception-caught  # a crashed step is a failed step
        res = StepResult(name, failed=1, notes=[f"crashed: {exc!r}"])
    res.seconds = time.monotonic() - t0
    results.append(res)
    say(f"===== {name} finished in {res.seconds:.0f}s: {res.passed} passed, {res.failed} failed, {res.skipped} skipped =====")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="comma-separated step name prefixes to run")
    ap.add_argument("-k", dest="keyword", default="", help="pytest -k expression")
    ap.add_argument("--prepare", action="store_true", help="only build the venvs and the tree, print its path")
    args = ap.parse_args()
    started = time.monotonic()
    extra = ["-k", args.keyword] if args.keyword else []
    wanted = [w for w in args.only.split(",") if w]

    def selected(step: str) -> bool:
        return not wanted or any(step.startswith(w) for w in wanted)

    for core in devenv.CORES:
        devenv.ensure_venv(core)
    devenv.ensure_get_pip_shim()
    root = devenv.build_tree()
    coll = devenv.collection_dir(root)
    if args.prepare:
        print(coll)
        return 0
    out = root / "results"
    out.mkdir(parents=True, exist_ok=True)

    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    # Steps of one phase run side by side (the machine has two cores and each step is mostly one
    # process); a phase starts when the previous one has ended.
    phases = [
        [(f"unit-{core}", lambda c=core: pytest_step(f"unit-{c}", c, ["tests/unit", "tests/sandbox"], root, out, extra))
         for core in devenv.CORES],
        [(f"integration-{core}",
          lambda c=core: pytest_step(f"integration-{c}", c, ["tests/integration"], root, out, extra))
         for core in devenv.CORES],
        [("sanity", lambda: command_step("sanity", [str(devenv.venv_bin() / "ansible-test"), "sanity", "--venv",
                                                    "--python", py, "--color", "no"], root, out)),
         ("molecule", lambda: molecule_step(root, out))],
        [("lint", lambda: command_step("lint", [str(devenv.venv_bin() / "ansible-lint")], root, out)),
         ("changelog", lambda: command_step("changelog", [str(devenv.venv_bin() / "antsibull-changelog"), "lint"],
                                            root, out))],
    ]
    results: list[StepResult] = []
    for phase in phases:
        chosen = [(name, fn) for name, fn in phase if selected(name)]
        threads = [threading.Thread(target=_timed, args=(name, fn, results)) for name, fn in chosen]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    order = [step[0] for phase in phases for step in phase]
    results.sort(key=lambda r: order.index(r.name))

    for r in results:
        if r.failed:
            for log in sorted(out.glob(f"{r.name}*.log")):
                tail = log.read_text(errors="replace").splitlines()[-40:]
                print(f"\n----- last lines of {log.name} -----")
                print("\n".join(tail))
    print("\n===== mwops.ssm test summary =====")
    print(f"{'step':<22}{'passed':>8}{'failed':>8}{'skipped':>9}{'seconds':>9}  notes")
    for r in results:
        print(f"{r.name:<22}{r.passed:>8}{r.failed:>8}{r.skipped:>9}{r.seconds:>9.1f}  {'; '.join(r.notes)}")
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    print(f"logs: {out}   collection tree: {coll}   total {time.monotonic() - started:.0f}s")
    print(f"summary: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
