"""The mwops.ssm demo: maintenance windows as code, end to end, with no AWS account.

Starts the loopback SSM/IAM sandbox and, in one run:
  1. creates the maintenance-window service roles (prod and non-prod) and who may pass them,
  2. converges a sample estate of windows with targets and tasks, 3. converges it again (no write),
  4. reads the estate back with maintenance_window_info,
  5. converges environment windows (dev -> staging -> prod, order checked before writing),
  6. converges follow-the-sun windows in three regions (overlap checked before writing),
  7. prints a schedule preview (window, local time, UTC, next runs),
  8. runs a blue/green tiered-patching window on four local hosts with the local executor, where
     blue fails its health check and green is held back, explains the execution and writes
     its evidence report (HTML with the timeline, Markdown),
  9. runs preflight: a broken window (wrong patch group tag, too short for its fleet) is found,
     then passes once the definition is fixed,
 10. runs a window in the sandbox, reads its SSM execution history back with mw_execution_info
     and writes the audit evidence with mw_report,
 11. converges a patch baseline shared by two patch groups with their windows (the patch_groups
     role) and shows the compliance summary the nodes reported (seeded) with patch_compliance_info,
then stops the sandbox. After each step it says what changed in the sandbox, per window (and
per IAM role), and how many write calls were made. Step 8's history and report and step 10's
report stay in the output directory it prints. Uses the pinned venv and collection tree of scripts/devenv.py.

    ./scripts/run-demo                  # concise output (warnings are always shown)
    ./scripts/run-demo --verbose        # stream the full Ansible output of every step
    ./scripts/run-demo --keep-sandbox   # keep the sandbox running to paste the printed commands
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import devenv  # noqa: E402  pylint: disable=wrong-import-position
import warning_scan  # noqa: E402  pylint: disable=wrong-import-position

REGIONS = ["ap-southeast-2", "eu-west-1", "us-east-1"]
# The JSON result the default callback prints after "ok: [localhost] => ".
RESULT = re.compile(r"^(?:ok|changed): \[localhost\] => (\{\n.*?\n\})$", re.S | re.M)
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
# Step 8's scenario (playbooks/pattern_tiered_patching_onprem.yml): tier A is the blue hosts,
# tier B the green ones, and the health check connects to the web app's port.
TIER_COLOURS = {"A": "blue", "B": "green"}
HEALTH_CHECK = "a TCP connection to the web app on 127.0.0.1:8079, where nothing listens in this demo"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen([str(devenv.venv_python()), "-m", "mwsandbox", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.stdout is not None:
        line = proc.stdout.readline()
        if "listening on" in line:
            return proc
        if proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("[demo] the sandbox did not start")


def messages(output: str) -> list[str]:
    """The msg of every debug task, in order, one line per list element."""
    lines: list[str] = []
    for match in RESULT.finditer(output):
        try:
            result = json.loads(match.group(1))
        except ValueError:
            continue
        msg = result.get("msg")
        if isinstance(msg, list):
            lines.extend(str(item) for item in msg)
        elif isinstance(msg, str) and msg != "All assertions passed":
            lines.append(msg)
    return lines


# --------------------------------------------------------------------------------------------
# What is in the sandbox: windows (with targets and tasks) per region, IAM roles, write calls.

class SandboxState:
    """Reads the sandbox over HTTP with the standard library (the sandbox does not check signatures)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def _call(self, service: str, region: str, body: bytes, headers: dict[str, str]) -> bytes:
        auth = (f"AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/{service}/aws4_request, "
                "SignedHeaders=host, Signature=unsigned")
        request = urllib.request.Request(self.endpoint + "/", data=body, method="POST",
                                         headers={"Authorization": auth, **headers})
        with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310: loopback sandbox
            return response.read()

    def ssm(self, region: str, operation: str, params: dict[str, object]) -> dict[str, object]:
        raw = self._call("ssm", region, json.dumps(params).encode(), {
            "X-Amz-Target": f"AmazonSSM.{operation}", "Content-Type": "application/x-amz-json-1.1"})
        return json.loads(raw or b"{}")

    def windows(self) -> dict[str, dict[str, object]]:
        """'region/name' -> the window's fields, its targets and its tasks, as SSM describes them."""
        found: dict[str, dict[str, object]] = {}
        for region in REGIONS:
            for window in self.ssm(region, "DescribeMaintenanceWindows", {}).get("WindowIdentities", []):
                wid = window["WindowId"]
                targets = self.ssm(region, "DescribeMaintenanceWindowTargets", {"WindowId": wid}).get("Targets", [])
                tasks = self.ssm(region, "DescribeMaintenanceWindowTasks", {"WindowId": wid}).get("Tasks", [])
                found[f"{region}/{window['Name']}"] = {
                    "id": wid,
                    "fields": {k: v for k, v in window.items() if k not in ("WindowId", "NextExecutionTime")},
                    "targets": {t.get("Name") or t["WindowTargetId"]: {k: v for k, v in t.items() if k != "WindowId"}
                                for t in targets},
                    "tasks": {t.get("Name") or t["WindowTaskId"]: {k: v for k, v in t.items() if k != "WindowId"}
                              for t in tasks},
                }
        return found

    def roles(self) -> set[str]:
        raw = self._call("iam", "us-east-1", b"Action=ListRoles&Version=2010-05-08",
                         {"Content-Type": "application/x-www-form-urlencoded"})
        return set(re.findall(r"<RoleName>([^<]+)</RoleName>", raw.decode()))

    def writes(self) -> list[dict[str, object]]:
        with urllib.request.urlopen(self.endpoint + "/mwsandbox/requests", timeout=30) as response:  # nosec B310
            return [entry for entry in json.loads(response.read()) if entry.get("write")]

    def snapshot(self) -> dict[str, object]:
        return {"windows": self.windows(), "roles": self.roles(), "writes": len(self.writes())}


def _changed_parts(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """Which fields, targets and tasks of one window differ between two snapshots."""
    parts = [f"window {key}" for key in sorted(set(before["fields"]) | set(after["fields"]))  # type: ignore[arg-type]
             if before["fields"].get(key) != after["fields"].get(key)]  # type: ignore[attr-defined]
    for kind in ("targets", "tasks"):
        old, new = before[kind], after[kind]
        parts += [f"{kind[:-1]} {name} registered" for name in sorted(set(new) - set(old))]  # type: ignore[arg-type]
        parts += [f"{kind[:-1]} {name} deregistered" for name in sorted(set(old) - set(new))]  # type: ignore[arg-type]
        parts += [f"{kind[:-1]} {name} updated" for name in sorted(set(old) & set(new))  # type: ignore[arg-type]
                  if old[name] != new[name]]  # type: ignore[index]
    return parts


def describe_changes(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """One line per window (and IAM role) the step created, changed or deleted, and the write count."""
    lines: list[str] = []
    old_w, new_w = before["windows"], after["windows"]
    for key in sorted(set(new_w) - set(old_w)):  # type: ignore[arg-type]
        window = new_w[key]  # type: ignore[index]
        lines.append(f"created {key} ({window['id']}): {len(window['targets'])} target(s), "
                     f"{len(window['tasks'])} task(s)")
    for key in sorted(set(old_w) - set(new_w)):  # type: ignore[arg-type]
        lines.append(f"deleted {key} ({old_w[key]['id']})")  # type: ignore[index]
    unchanged = 0
    for key in sorted(set(old_w) & set(new_w)):  # type: ignore[arg-type]
        parts = _changed_parts(old_w[key], new_w[key])  # type: ignore[index]
        if parts:
            lines.append(f"changed {key} ({new_w[key]['id']}): {', '.join(parts)}")  # type: ignore[index]
        else:
            unchanged += 1
    for role in sorted(after["roles"] - before["roles"]):  # type: ignore[operator]
        lines.append(f"created IAM role {role}")
    for role in sorted(before["roles"] - after["roles"]):  # type: ignore[operator]
        lines.append(f"deleted IAM role {role}")
    writes = after["writes"] - before["writes"]  # type: ignore[operator]
    summary = f"{writes} write call(s)"
    if unchanged:
        summary += f"; {unchanged} window(s) already there left unchanged"
    if not lines:
        summary = "nothing changed in the sandbox: " + summary
    return lines + [summary]


# --------------------------------------------------------------------------------------------
# Step 8: what the execution history says, in words.

def _reason(output: str) -> str:
    lines = [line.strip() for line in (output or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def explain_execution(history_file: Path) -> list[str]:
    """Tiers, the host that failed its health check and why, why green was held back; counts by target."""
    execution = json.loads(history_file.read_text())
    tasks = {t["name"]: t for t in execution["task_executions"]}
    hosts = {tier: sorted(i["target"] for i in tasks[f"patch-tier-{tier.lower()}"]["invocations"])
             for tier in TIER_COLOURS if f"patch-tier-{tier.lower()}" in tasks}
    out = [f"tier {tier} = {TIER_COLOURS[tier]} ({', '.join(names)})" for tier, names in hosts.items()]
    for invocation in tasks.get("validate-tier-a", {}).get("invocations", []):
        if invocation["status"] == "FAILED":
            out.append(f"{invocation['target']} ({TIER_COLOURS['A']}) failed its health check ({HEALTH_CHECK}): "
                       f"{_reason(invocation['output'])}")
        elif invocation["status"] != "SUCCESS":
            out.append(f"{invocation['target']} ({TIER_COLOURS['A']}) was not checked: {invocation['status_details']}")
    for invocation in tasks.get("patch-tier-b", {}).get("invocations", []):
        why = _reason(invocation["output"]) or invocation["status_details"]
        out.append(f"{invocation['target']} ({TIER_COLOURS['B']}) held back, not patched: {why}")
    validate_b = tasks.get("validate-tier-b")
    if validate_b and validate_b["status"] != "SUCCESS":
        out.append(f"validate-tier-b is {validate_b['status']} on {TIER_COLOURS['B']}: SSM starts each priority after "
                   f"the previous one has ended, whatever its status, so green's health check ran on unpatched "
                   f"hosts and fails as blue's did ({HEALTH_CHECK})")
    rows = [(t["priority"], t["name"], t["status"], t["invocations"]) for t in execution["task_executions"]]
    count = {"ok": 0, "failed": 0, "not started": 0}
    table = []
    for priority, name, status, invocations in rows:
        ok = sum(1 for i in invocations if i["status"] == "SUCCESS")
        not_started = sum(1 for i in invocations if i["id"] is None)
        failed = len(invocations) - ok - not_started
        count["ok"] += ok
        count["failed"] += failed
        count["not started"] += not_started
        table.append(f"{priority:<9}{name:<17}{status:<10}{len(invocations):<9}{ok:<4}{failed:<8}{not_started}")
    total = sum(len(r[3]) for r in rows)
    out.append(f"window {execution['window_name']}: {execution['status']}, {len(rows)} tasks, {total} target "
               f"invocations: {count['ok']} ok, {count['failed']} failed, {count['not started']} not started")
    out.append(f"{'priority':<9}{'task':<17}{'status':<10}{'targets':<9}{'ok':<4}{'failed':<8}not started")
    return out + table


# --------------------------------------------------------------------------------------------

class Demo:
    def __init__(self, env: dict[str, str], coll: Path, endpoint: str, verbose: bool) -> None:
        self.env, self.coll, self.endpoint, self.verbose = env, coll, endpoint, verbose
        self.state = SandboxState(endpoint)
        self.number = 0

    def step(self, title: str, playbook: str, *args: str, inventory: str = "localhost,",
             show_messages: bool = True, local_note: str = "") -> str:
        """Run one playbook; print its title, the command, its messages, its warnings and what it changed."""
        self.number += 1
        print(f"\n=== {self.number}. {title}", flush=True)
        argv = ["ansible-playbook", "-i", inventory, f"playbooks/{playbook}", "-e",
                f"mwops_endpoint={self.endpoint}", *args]
        print(f"    $ {shlex.join(argv)}", flush=True)
        before = self.state.snapshot()
        cmd = [str(devenv.venv_bin() / "ansible-playbook"), *argv[1:]]
        output: list[str] = []
        with subprocess.Popen(cmd, env=self.env, cwd=self.coll, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, bufsize=1, errors="replace") as proc:
            for line in proc.stdout or ():
                output.append(line)
                if self.verbose:
                    print(f"    | {line}", end="", flush=True)
            returncode = proc.wait()
        text = "".join(output)
        if show_messages:
            for line in messages(text):
                print(f"    {line}")
        if not self.verbose:
            for warning in warning_scan.find_warnings(text, playbook):
                print(f"    [{warning.kind}] {warning.text}")
        recap = RECAP.search(text)
        if returncode != 0 or recap is None:
            if not self.verbose:
                print(text[-6000:], file=sys.stderr)
            raise SystemExit(f"[demo] step {self.number} failed (exit {returncode})")
        for line in describe_changes(before, self.state.snapshot()):
            print(f"    -> {line}", flush=True)
        if local_note:
            print(f"    -> {local_note}", flush=True)
        return text


def _paste_preamble(coll: Path, env: dict[str, str]) -> str:
    exports = {key: env[key] for key in ("ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_PYTHON_INTERPRETER", "AWS_ACCESS_KEY_ID",
                                         "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "NO_PROXY")}
    lines = [f"    cd {shlex.quote(str(coll))}",
             f"    export PATH={shlex.quote(str(devenv.venv_bin()))}:\"$PATH\""]
    lines += [f"    export {key}={shlex.quote(value)}" for key, value in exports.items()]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true", help="stream the full Ansible output of every step")
    parser.add_argument("--output-dir", help="where step 8's history and report and step 10's report are kept (default: a new directory under "
                                             "~/.cache/mwops-ssm/demo/)")
    parser.add_argument("--keep-sandbox", action="store_true",
                        help="keep the sandbox running after the demo (Ctrl-C stops it)")
    parser.add_argument("--port", type=int, default=0, help="sandbox port (default: a free one)")
    args = parser.parse_args()
    devenv.ensure_venv(devenv.MAIN_CORE)
    os.environ.setdefault("MWOPS_TREE", "demo")
    root = devenv.build_tree()
    coll = devenv.collection_dir(root)
    env = devenv.test_env(root)
    env.update(ANSIBLE_PYTHON_INTERPRETER=str(devenv.venv_python()), NO_PROXY="127.0.0.1,localhost")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    output_dir = Path(args.output_dir) if args.output_dir else devenv.WORK / "demo" / stamp
    output_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    port = args.port or free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # SIGTERM (CI stopping the run, kill) unwinds like Ctrl-C, so the sandbox is always stopped.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    sandbox = start_sandbox(env, port)
    print(f"[demo] SSM/IAM sandbox listening on {endpoint} (no AWS account is used)", flush=True)
    print("[demo] To run a step's command yourself while the sandbox runs (--keep-sandbox keeps it after "
          "the demo), first:\n" + _paste_preamble(coll, env), flush=True)
    demo = Demo(env, coll, endpoint, args.verbose)
    try:
        demo.step("IAM service roles for prod and non-prod, and which operators may pass them",
                  "pattern_service_role.yml", "-e", "mwops_create_operator_groups=true")
        demo.step("Windows as code: converge a sample estate (windows, targets, tasks)", "demo_estate.yml")
        writes_before = len(demo.state.writes())
        demo.step("The same estate again: nothing to change, no write call", "demo_estate.yml")
        if len(demo.state.writes()) != writes_before:
            raise SystemExit("[demo] the second converge of the estate made write calls")
        demo.step("The estate as maintenance_window_info reads it back", "demo_show.yml")
        demo.step("Environment windows: dev -> staging -> prod after Patch Tuesday (order checked first)",
                  "pattern_environment_windows.yml")
        demo.step("Follow the sun: 02:00 local in Sydney, London, New York (UTC overlap checked over a year)",
                  "pattern_follow_the_sun.yml")
        demo.step("Schedule preview: when do the deployed windows open (local time, UTC, last task start)?",
                  "schedule_preview.yml", "-e", json.dumps({"preview_regions": REGIONS, "preview_count": 2}))
        state_dir = output_dir / "tiered-patching"
        demo.step("Tiered patching on 4 on-prem hosts with the local executor: blue fails its health check",
                  "pattern_tiered_patching_onprem.yml", "-e", f"mwops_state_dir={state_dir}",
                  inventory="playbooks/inventories/onprem_tiers.yml", show_messages=False,
                  local_note="the local executor ran the window on the inventory's hosts and wrote its history "
                             f"under {state_dir / 'history'}")
        histories = sorted((state_dir / "history").glob("*.json"))
        if not histories:
            raise SystemExit(f"[demo] step 8 wrote no history under {state_dir / 'history'}")
        for line in explain_execution(histories[-1]):
            print(f"    {line}")
        step8_reports = sorted((state_dir / "evidence").glob("*"))
        if not step8_reports:
            raise SystemExit(f"[demo] step 8 wrote no evidence report under {state_dir / 'evidence'}")
        demo.step("Preflight: a broken window (wrong patch group tag, too short for its fleet) is found, "
                  "fixed, and passes", "demo_preflight.yml")
        ssm_report_dir = output_dir / "ssm-evidence"
        demo.step("SSM execution history and audit evidence: a window runs in the sandbox, its history is read "
                  "back with mw_execution_info and mw_report writes the evidence", "demo_history.yml",
                  "-e", f"mwops_report_dir={ssm_report_dir}")
        demo.step("Patching as code: one baseline for the dev and prod web patch groups, their windows, and the "
                  "compliance summary the nodes reported", "demo_patching.yml")
        step10_reports = sorted(ssm_report_dir.glob("*"))
        if not step10_reports:
            raise SystemExit(f"[demo] step 10 wrote no evidence report under {ssm_report_dir}")
        print(f"\n[demo] kept after the demo, in {output_dir}:", flush=True)
        print(f"    step 8 history (and the invocations' output): {state_dir / 'history'}")
        for path in step8_reports:
            print(f"    step 8 evidence: {path}")
        for path in step10_reports:
            print(f"    step 10 evidence: {path}")
        if args.keep_sandbox:
            print(f"[demo] the sandbox keeps running on {endpoint}; Ctrl-C stops it", flush=True)
            try:
                sandbox.wait()
            except KeyboardInterrupt:
                pass
    finally:
        sandbox.terminate()
        try:
            sandbox.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sandbox.kill()
        print("\n[demo] sandbox stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
