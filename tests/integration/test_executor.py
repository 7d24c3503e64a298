"""The local executor end to end: real windows on 10 local-connection hosts via ansible-playbook.

Every assertion is computed from the history files (overlaps, threshold instants, barriers),
never from expected wall-clock timings; where timing matters the contrasts are at least 3x.
Runs on each ansible-core venv of the test runner (MWOPS_CORE tells which one).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from .executor import harness as h
from .executor import invariants as inv

pytestmark = pytest.mark.slow

WEB = {"window_target": "web"}
ALL = {"window_target": "everyone"}
TARGETS = [
    {"name": "web", "resource_type": "INSTANCE", "targets": [{"key": "tag:Role", "values": ["web"]}]},
    {"name": "everyone", "resource_type": "RESOURCE_GROUP",
     "targets": [{"key": "resource-groups:Name", "values": ["all"]}]},
    {"name": "patchable", "resource_type": "INSTANCE", "targets": [{"key": "tag-key", "values": ["Patch"]}]},
]


def window(name, tasks, duration=2, cutoff=1):
    return {"name": name, "duration": duration, "cutoff": cutoff, "targets": TARGETS, "tasks": tasks}


def test_priorities_sliding_concurrency_and_error_threshold(tmp_path):
    slide = h.shell_task("slide", h.Unsafe("case {{TARGET_ID}} in h01) sleep 4;; *) sleep 1;; esac"),
                         [ALL], conc="3", errors="0")
    errors = h.shell_task("errors", h.Unsafe("sleep 1; case {{TARGET_ID}} in h03|h05|h08) exit 1;; esac"),
                          [ALL], conc="3", errors="1")
    after = h.shell_task("after", "true", [WEB], priority=2, conc="50%", errors="100%")
    definition = window("prio-window", [after, slide, errors])
    (tmp_path / "window.yml").write_text(yaml.safe_dump(definition, sort_keys=False))
    inventory = h.write_inventory(tmp_path)
    # The shipped playbook, the documented form: a relative window file and history directory
    proc = h.run_playbook(tmp_path, "mwops.ssm.run_window", inventory, "-e", "mw_window_file=window.yml",
                          "-e", "mw_history_dir=history", "-e", '{"mw_fail_on_status": []}')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = h.only_execution(tmp_path / "history")
    assert run["status"] == "FAILED"  # "errors" exceeded MaxErrors
    for record in run["task_executions"]:
        inv.assert_task_invariants(record)
    inv.assert_priority_barrier(run)

    s = inv.task(run, "slide")
    inv.assert_accounted(s, h.HOSTS)
    assert s["status"] == "SUCCESS" and s["max_concurrency"] == 3
    assert inv.max_overlap(s) == 3
    slots = inv.by_target(s)
    # sliding window, not batches: h04 starts while h01 (4x longer) still runs
    assert inv.ts(slots["h04"]["start_time"]) < inv.ts(slots["h01"]["end_time"])

    e = inv.task(run, "errors")
    inv.assert_accounted(e, h.HOSTS)
    assert e["status"] == "FAILED" and e["max_errors"] == 1
    assert e["errors_counted"] >= 2
    never = [i for i in e["invocations"] if i["start_time"] is None]
    assert never and all("MaxErrors 1" in i["status_details"] for i in never)
    assert {"h09", "h10"} <= {i["target"] for i in never}  # after h08's error at the latest
    failed = {i["target"] for i in e["invocations"] if i["status"] == "FAILED"}
    assert failed <= {"h03", "h05", "h08"} and {"h03", "h05"} <= failed

    # same priority in parallel, on the same hosts
    assert inv.ts(s["start_time"]) < inv.ts(e["end_time"]) and inv.ts(e["start_time"]) < inv.ts(s["end_time"])
    a = inv.task(run, "after")
    inv.assert_accounted(a, h.HOSTS[:5])
    assert a["status"] == "SUCCESS" and a["max_concurrency"] == 2 and a["max_errors"] == 5
    # progress and summary in normal Ansible output
    assert "task 'slide'" in proc.stdout and "started" in proc.stdout and "errors/max" in proc.stdout
    # times are ISO-8601 UTC with sub-second precision; output tails and full output files
    assert run["start_time"].endswith("Z") and "." in run["start_time"]
    first = slots["h01"]
    assert Path(first["output_path"]).is_file()


def test_cutoff_cancel_task_vs_continue_task(tmp_path):
    cancel = h.shell_task("cancel", "sleep 30", [{"key": "InstanceIds", "values": ["h01", "h02", "h03", "h04"]}],
                          conc="2", errors="4", cutoff_behavior="CANCEL_TASK")
    cont = h.shell_task("continue", "sleep 4", [{"key": "InstanceIds", "values": ["h05", "h06", "h07"]}],
                        conc="1", errors="0", cutoff_behavior="CONTINUE_TASK")
    late = h.shell_task("late", "true", [WEB], priority=5, conc="1", errors="0")
    play = h.write_play(tmp_path, window("cutoff-window", [cancel, cont, late]),
                        duration_seconds=20, cutoff_seconds=12)  # no task starts 8 s after the start
    proc = h.run_playbook(tmp_path, str(play), h.write_inventory(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = h.only_execution(tmp_path / "history")
    last_start = inv.ts(run["last_task_start_time"])
    assert run["status"] == "TIMED_OUT"

    c = inv.task(run, "cancel")
    inv.assert_accounted(c, ["h01", "h02", "h03", "h04"])
    inv.assert_task_invariants(c)
    assert c["status"] == "TIMED_OUT"
    ran = inv.started(c)
    assert ran and all(i["status"] == "TIMED_OUT" for i in ran)
    assert all(inv.ts(i["start_time"]) < last_start for i in ran)
    # cancelled at the cutoff (the gate's task timeout), not ended by the 30 s sleep
    assert all(i["status_details"] == "Cancelled at the window's cutoff (CANCEL_TASK)." for i in ran)
    assert all("cutoff" in i["status_details"] for i in c["invocations"])

    k = inv.task(run, "continue")
    inv.assert_accounted(k, ["h05", "h06", "h07"])
    assert k["status"] == "SUCCESS"
    assert max(inv.ts(i["start_time"]) for i in k["invocations"]) > last_start  # kept dispatching

    l_ = inv.task(run, "late")
    assert l_["status"] == "CANCELLED" and l_["start_time"] is None
    inv.assert_accounted(l_, h.HOSTS[:5])


def _fake_package_manager(tmp_path: Path) -> tuple[str, str, str]:
    """A package-manager double, a reboot double and the boot-ID command that goes with it."""
    pm = tmp_path / "fake-pm"
    pm.write_text('#!/bin/sh\n# usage: fake-pm [--needs-reboot] scan|install\n'
                  'reboot=no; [ "$1" = --needs-reboot ] && { reboot=yes; shift; }\n'
                  'echo "fake-pm $1: 3 packages"\n'
                  '[ "$1" = install ] && [ $reboot = yes ] && echo MWOPS_REBOOT_REQUIRED\nexit 0\n')
    pm.chmod(0o755)
    boot_dir = tmp_path / "boot"
    boot_dir.mkdir()
    reboot = f"mkdir -p {boot_dir} && date +%s%N > {boot_dir}/$(hostname)-{{host}} && touch {boot_dir}/rebooted-{{host}}"
    boot_id = f"cat {boot_dir}/$(hostname)-{{host}} 2>/dev/null || echo initial"
    return str(pm), reboot, boot_id


def test_documents_pseudo_parameters_and_undeliverable(tmp_path):
    pm, reboot, boot_id = _fake_package_manager(tmp_path)
    host_vars = {}
    for host, flag in (("h02", " --needs-reboot"), ("h03", ""), ("h04", " --needs-reboot")):
        host_vars[host] = {"mw_patch_command": pm + flag, "mw_reboot_command": reboot.format(host=host),
                           "mw_boot_id_command": boot_id.format(host=host), "mw_reboot_poll_interval": 0.2}
    inventory = h.write_inventory(tmp_path, host_vars, extra_hosts={
        # nothing listens on port 9 of the loopback: the connection is refused at once
        "gone01": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 9,
                   "ansible_ssh_common_args": "-o ConnectTimeout=3"}})
    out = tmp_path / "written"
    out.mkdir()
    patch = {"task_type": "RUN_COMMAND", "task_arn": "AWS-RunPatchBaseline", "priority": 1,
             "max_concurrency": "2", "max_errors": "0"}

    def patch_task(name, hosts, parameters):
        return {**patch, "name": name, "targets": [{"key": "InstanceIds", "values": hosts}],
                "task_invocation_parameters": {"run_command": {"parameters": parameters}}}

    tasks = [
        patch_task("install", ["h02", "h03"], {"Operation": ["Install"], "RebootOption": ["RebootIfNeeded"]}),
        patch_task("install-noreboot", ["h04"], {"Operation": ["Install"], "RebootOption": ["NoReboot"]}),
        h.shell_task("pseudo", "echo W={{WINDOW_ID}} E={{WINDOW_EXECUTION_ID}} T={{TASK_EXECUTION_ID}} "
                     "I={{INVOCATION_ID}} WT={{WINDOW_TASK_ID}} TT={{TARGET_TYPE}} TG={{WINDOW_TARGET_ID}}; pwd",
                     [WEB], conc="5", errors="0", parameters={"workingDirectory": [str(out)]}),
        h.shell_task("exec-timeout", "sleep 20", [{"key": "InstanceIds", "values": ["h06"]}], conc="1",
                     errors="0", parameters={"executionTimeout": ["2"]}),
        h.shell_task("undeliverable", "true", [{"key": "InstanceIds", "values": ["gone01", "h07", "h08"]}],
                     conc="1", errors="0"),
        {"name": "custom", "task_type": "RUN_COMMAND", "task_arn": "Company-WriteFile", "priority": 1,
         "targets": [{"key": "InstanceIds", "values": ["h09", "h10"]}], "max_concurrency": "2", "max_errors": "0",
         "task_invocation_parameters": {"run_command": {"parameters": {"content": ["{{WINDOW_EXECUTION_ID}}"]}}}},
    ]
    if shutil.which("apt-get") or shutil.which("dnf") or shutil.which("yum"):
        # the real package manager, read-only
        tasks.append(patch_task("scan", ["h01"], {"Operation": ["Scan"]}))
    # an execution older than 30 days is pruned
    history_dir = tmp_path / "history"
    history_dir.mkdir()
    old_id = "5e0c1d2a-0b7e-4c39-9a51-0d7b8e6f4a21"
    old = {"schema": "mwops.ssm/window-execution/1", "id": old_id, "start_time": "2000-01-01T00:00:00.000000Z"}
    (history_dir / f"20000101T000000Z_old_{old_id}.json").write_text(json.dumps(old))
    (history_dir / "output" / old_id).mkdir(parents=True)
    # install-noreboot is a NoReboot install on purpose: preflight reports it (reboots_not_missed fail)
    # and, with preflight_fail_on [], lets the run go on so the document's behaviour is tested.
    play = h.write_play(tmp_path, window("docs-window", tasks), preflight_fail_on=[], documents={
        "Company-WriteFile": {"module": "ansible.builtin.copy",
                              "args": {"dest": h.Unsafe(f"{out}/{{{{TARGET_ID}}}}.txt"), "mode": "0644"}}})
    proc = h.run_playbook(tmp_path, str(play), inventory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ("    fail: task install-noreboot: installs with RebootOption NoReboot and no later task reboots these "
            "nodes: patches stay pending [h04]") in proc.stdout
    run = h.only_execution(history_dir)  # the old execution was pruned, with its output
    assert not (history_dir / "output" / old_id).exists()
    for record in run["task_executions"]:
        inv.assert_task_invariants(record)

    install = inv.by_target(inv.task(run, "install"))
    assert install["h02"]["status"] == "SUCCESS" and "rebooted" in install["h02"]["status_details"]
    assert install["h03"]["status"] == "SUCCESS" and "rebooted" not in install["h03"]["status_details"]
    assert "fake-pm install: 3 packages" in install["h03"]["output"]
    assert (tmp_path / "boot" / "rebooted-h02").exists() and not (tmp_path / "boot" / "rebooted-h03").exists()
    noreboot = inv.by_target(inv.task(run, "install-noreboot"))["h04"]
    assert noreboot["status"] == "SUCCESS" and not (tmp_path / "boot" / "rebooted-h04").exists()

    pseudo = inv.task(run, "pseudo")
    assert pseudo["status"] == "SUCCESS"
    for host, record in inv.by_target(pseudo).items():
        line = record["output"]
        assert f"W={run['window_id']} E={run['id']} T={pseudo['id']} I={record['id']} " in line
        assert f"WT={pseudo['window_task_id']} TT=INSTANCE TG={record['window_target_id']}" in line
        assert line.rstrip().endswith(str(out))

    timed = inv.by_target(inv.task(run, "exec-timeout"))["h06"]
    # ended by the 2 s executionTimeout (coreutils timeout's exit code), not by the 20 s sleep
    assert timed["status"] == "TIMED_OUT" and timed["counted_as_error"]
    assert timed["status_details"] == "Execution timed out after 2 s." and timed["exit_code"] in (124, 137)

    u = inv.task(run, "undeliverable")
    gone = inv.by_target(u)["gone01"]
    assert gone["status"] == "FAILED" and gone["status_details"].startswith("Undeliverable")
    assert not gone["counted_as_error"]
    assert u["status"] == "SUCCESS" and {i["status"] for i in u["invocations"] if i["target"] != "gone01"} == {"SUCCESS"}

    custom = inv.task(run, "custom")
    assert custom["status"] == "SUCCESS"
    for host in ("h09", "h10"):
        assert (out / f"{host}.txt").read_text() == run["id"]

    if any(t["name"] == "scan" for t in run["task_executions"]):
        scan = inv.by_target(inv.task(run, "scan"))["h01"]
        assert scan["status"] == "SUCCESS", scan


def test_unsupported_document_fails_before_anything_runs(tmp_path):
    bad = h.shell_task("ps", "Get-Date", [WEB])
    bad["task_arn"] = "AWS-RunPowerShellScript"
    lambda_task = {"name": "fn", "task_type": "LAMBDA", "task_arn": "arn:aws:lambda:us-east-1:1:function:x",
                   "priority": 1, "targets": [WEB], "max_concurrency": "1", "max_errors": "0"}
    ok = h.shell_task("fine", "touch ran-{{TARGET_ID}}", [WEB], priority=0)
    nowhere = h.shell_task("nowhere", "true", [{"window_target": "missing"}], conc="0")
    play = h.write_play(tmp_path, window("bad-window", [ok, bad, lambda_task, nowhere]))
    proc = h.run_playbook(tmp_path, str(play), h.write_inventory(tmp_path))
    assert proc.returncode != 0
    for expected in ("AWS-RunPowerShellScript", "LAMBDA", "'missing' is not defined", "max_concurrency"):
        assert expected in proc.stdout + proc.stderr
    assert not list(tmp_path.glob("ran-*")) and not h.executions(tmp_path / "history")


def test_overlap_is_skipped_and_an_interrupted_run_says_so(tmp_path):
    # Long enough that the first run is surely still going when the second starts; it is interrupted.
    slow = h.shell_task("slow", "sleep 300", [{"key": "InstanceIds", "values": ["h01", "h02"]}], conc="2")
    play = h.write_play(tmp_path, window("long-window", [slow]))
    inventory = h.write_inventory(tmp_path)
    history_dir = tmp_path / "history"
    cmd = [h.ansible_playbook(), "-i", str(inventory), str(play)]
    first = subprocess.Popen(cmd, cwd=tmp_path, env=h.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, start_new_session=True)
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            found = h.executions(history_dir) if history_dir.exists() else []
            if found and inv.task(found[0], "slow")["status"] == "IN_PROGRESS":
                break
            time.sleep(0.3)
        else:
            pytest.fail("the first run never started an invocation")
        assert found[0]["status"] == "IN_PROGRESS"
        second = h.run_playbook(tmp_path, str(play), inventory)
        assert second.returncode == 0, second.stdout + second.stderr
        statuses = sorted(e["status"] for e in h.executions(history_dir))
        assert statuses == ["IN_PROGRESS", "SKIPPED_OVERLAPPING"]
    finally:
        os.killpg(first.pid, signal.SIGINT)
        first.communicate(timeout=60)
    runs = {e["status"]: e for e in h.executions(history_dir)}
    # Ctrl-C reaches the engine as SIGINT and ansible-core's cleanup sends SIGTERM right after it;
    # the second signal must not cut the first one's cleanup short (it used to leave IN_PROGRESS).
    assert sorted(runs) == ["CANCELLED", "SKIPPED_OVERLAPPING"], sorted(runs)
    cancelled = runs["CANCELLED"]
    assert cancelled["status_details"].startswith("Interrupted")
    assert all(i["status"] == "CANCELLED" for i in inv.task(cancelled, "slow")["invocations"])
    assert cancelled["end_time"] is not None
    assert not list((history_dir / ".runs").glob("*/task0"))  # state cleaned up


def test_check_mode_returns_the_plan_and_runs_nothing(tmp_path):
    task = h.shell_task("touch", "touch ran-{{TARGET_ID}}", [WEB], conc="40%", errors="20%")
    play = h.write_play(tmp_path, window("check-window", [task]),
                        after=[{"name": "Show", "ansible.builtin.debug": {"var": "run.plan"}}])
    proc = h.run_playbook(tmp_path, str(play), h.write_inventory(tmp_path), "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '"max_concurrency": 2' in proc.stdout and '"max_errors": 1' in proc.stdout
    assert '"h05"' in proc.stdout and '"h06"' not in proc.stdout
    assert not list(tmp_path.glob("ran-*")) and not (tmp_path / "history").exists()


def test_vault_secrets_and_extra_vars_reach_the_child_runs(tmp_path):
    # A vaulted host variable is only readable in the child runs if the parent's vault secret
    # is handed over; no prompt may appear (AWX has no terminal).
    password = tmp_path / "vault-pass"
    password.write_text("s3cret\n")
    vault = subprocess.run([str(Path(h.ansible_playbook()).parent / "ansible-vault"), "encrypt_string",
                            "--vault-password-file", str(password), "echo vaulted-package-manager", "--name", "x"],
                           env=h.env(), capture_output=True, text=True, check=True).stdout
    encrypted = vault.split("x:", 1)[1].strip()
    inventory = h.write_inventory(tmp_path)
    group_vars = tmp_path / "group_vars"
    group_vars.mkdir()
    (group_vars / "web.yml").write_text(f"vaulted_pm: {encrypted}\nmw_patch_command: \"{{{{ vaulted_pm }}}} {{{{ extra_word }}}}\"\n")
    task = {"name": "scan", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunPatchBaseline", "priority": 1,
            "targets": [{"key": "InstanceIds", "values": ["h01"]}], "max_concurrency": "1", "max_errors": "0",
            "task_invocation_parameters": {"run_command": {"parameters": {"Operation": ["Scan"]}}}}
    play = h.write_play(tmp_path, window("vault-window", [task]))
    proc = subprocess.run([h.ansible_playbook(), "-i", str(inventory), str(play), "--vault-password-file", str(password),
                           "-e", "extra_word=from-extra-vars"], cwd=tmp_path, env=h.env(), capture_output=True,
                          text=True, timeout=240, check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = inv.by_target(inv.task(h.only_execution(tmp_path / "history"), "scan"))["h01"]
    assert record["status"] == "SUCCESS", record
    assert "vaulted-package-manager from-extra-vars scan" in record["output"]
    assert not list((tmp_path / "history" / ".runs" / "secrets").glob("*"))  # handed-over secrets removed
