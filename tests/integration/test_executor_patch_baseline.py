"""The local executor's AWS-RunPatchBaseline with a baseline: rejected packages are never installed.

The patch script runs for real against package-manager doubles (tests/integration/executor/
package_doubles.py) that stand in for apt-get/apt-mark/dpkg-query and dnf on PATH: holds and
excludes are observed in the doubles' state, never assumed. The last test runs a window end to
end through ansible-playbook with mw_run's ``patch_baselines``.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from pathlib import Path

import pytest

from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_documents import build_invocation

from .executor import harness as h
from .executor import package_doubles as pm

pytestmark = pytest.mark.slow

PACKAGES = ["curl", "nginx-core", "nginx-common", "openssl", "vim"]
UPGRADABLE = ["curl", "nginx-core", "openssl"]
WEB = {"baseline": "web-ubuntu", "reason": "patch group Web", "rejected": ["nginx*", "openssl"]}


def patch_command(operation: str, baseline=None, custom=None) -> str:
    return build_invocation("AWS-RunPatchBaseline", {"Operation": [operation]}, {}, {}, patch_command=custom,
                            patch_baseline=baseline).args["_raw_params"]


def run(command: str, bin_dir: Path, state: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/sh", "-c", command], env=pm.env(bin_dir, state), capture_output=True, text=True,
                          timeout=60, check=False)


def test_apt_install_holds_rejected_packages_for_the_run_only(tmp_path):
    bin_dir, state = pm.install(tmp_path, "apt", PACKAGES, UPGRADABLE, holds=("vim",))
    proc = run(patch_command("Install", WEB), bin_dir, state)
    assert proc.returncode == 0, proc.stderr
    assert pm.read(state, "installed") == ["curl"]
    assert sorted(pm.read(state, "holds")) == ["vim"]  # ours released, the admin's hold kept
    calls = pm.read(state, "calls")
    assert "apt-mark hold nginx-core nginx-common openssl" in calls
    assert "apt-mark unhold nginx-core nginx-common openssl" in calls
    assert calls.index("apt-mark hold nginx-core nginx-common openssl") < calls.index(
        next(c for c in calls if c.startswith("apt-get -y"))) < calls.index("apt-mark unhold nginx-core nginx-common openssl")
    lines = proc.stdout.splitlines()
    assert lines[0] == "Baseline: web-ubuntu (patch group Web)"
    assert "Held for this run (rejected by the baseline): nginx-core nginx-common openssl" in lines
    assert lines[-1] == "Released the holds: nginx-core nginx-common openssl"


def test_apt_holds_are_released_when_the_upgrade_fails(tmp_path):
    bin_dir, state = pm.install(tmp_path, "apt", PACKAGES, UPGRADABLE)
    (state / "fail").touch()
    proc = run(patch_command("Install", WEB), bin_dir, state)
    assert proc.returncode == 100
    assert pm.read(state, "holds") == [] and pm.read(state, "installed") == []
    assert "apt-mark unhold nginx-core nginx-common openssl" in pm.read(state, "calls")


def test_apt_holds_are_released_when_the_run_is_terminated(tmp_path):
    bin_dir, state = pm.install(tmp_path, "apt", PACKAGES, UPGRADABLE)
    # The upgrade double waits for a file the test never writes, so the run is inside the upgrade.
    (bin_dir / "apt-get").write_text((bin_dir / "apt-get").read_text().replace(
        '[ "$last" = upgrade ] ||', 'if [ $simulate = no ] && [ "$last" = upgrade ]; then '
        'while [ ! -f "$s/go" ]; do sleep 0.05; done; fi\n[ "$last" = upgrade ] ||'))
    # The script's own shell (the command module's outer /bin/sh -c is left out: it has no trap).
    proc = subprocess.Popen(shlex.split(patch_command("Install", WEB)), env=pm.env(bin_dir, state),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        while not any(c.startswith("apt-get -y") for c in pm.read(state, "calls")):
            assert proc.poll() is None, proc.communicate()
            subprocess.run(["sleep", "0.05"], check=True)
        assert pm.read(state, "holds") == ["nginx-core", "nginx-common", "openssl"]
        os.killpg(proc.pid, signal.SIGTERM)  # as coreutils timeout or a cancelled run would
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143, err
    assert pm.read(state, "holds") == [] and pm.read(state, "installed") == []
    assert "Released the holds: nginx-core nginx-common openssl" in out


def test_apt_scan_reports_rejected_updates_and_holds_nothing(tmp_path):
    bin_dir, state = pm.install(tmp_path, "apt", PACKAGES, UPGRADABLE)
    proc = run(patch_command("Scan", WEB), bin_dir, state)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "Baseline: web-ubuntu (patch group Web)", "Missing updates: 1", "Inst curl [1.0] (2.0 fake:stable [amd64])",
        "Rejected updates: 2", "Rejected: nginx-core", "Rejected: openssl"]
    assert not [c for c in pm.read(state, "calls") if c.startswith("apt-mark hold")]


def test_without_a_baseline_apt_installs_everything_as_before(tmp_path):
    bin_dir, state = pm.install(tmp_path, "apt", PACKAGES, UPGRADABLE)
    proc = run(patch_command("Install"), bin_dir, state)
    assert proc.returncode == 0, proc.stderr
    assert pm.read(state, "installed") == UPGRADABLE
    assert not [c for c in pm.read(state, "calls") if c.startswith("apt-mark")]


def test_dnf_install_excludes_rejected_packages(tmp_path):
    bin_dir, state = pm.install(tmp_path, "dnf", PACKAGES, UPGRADABLE)
    proc = run(patch_command("Install", WEB), bin_dir, state)
    assert proc.returncode == 0, proc.stderr
    assert pm.read(state, "installed") == ["curl"]
    assert pm.read(state, "calls") == ["dnf -y -q upgrade --exclude=nginx* --exclude=openssl"]
    assert "Excluded for this run (rejected by the baseline): nginx* openssl" in proc.stdout


def test_dnf_scan_reports_rejected_updates(tmp_path):
    bin_dir, state = pm.install(tmp_path, "dnf", PACKAGES, UPGRADABLE)
    proc = run(patch_command("Scan", WEB), bin_dir, state)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1:] == ["Missing updates: 1", "Update: curl.x86_64", "Rejected updates: 2",
                                            "Rejected: nginx-core", "Rejected: openssl"]


def test_a_custom_patch_command_gets_the_operation_then_the_rejected_patterns(tmp_path):
    double = tmp_path / "fake-pm"
    double.write_text('#!/bin/sh\necho "fake-pm $1: 3 packages"\nshift\nfor p; do echo "rejected: $p"; done\n')
    double.chmod(0o755)
    proc = subprocess.run(["/bin/sh", "-c", patch_command("Install", WEB, custom=str(double))], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.stdout.splitlines() == ["fake-pm install: 3 packages", "rejected: nginx*", "rejected: openssl"]


def _window(name):
    return {"name": name, "duration": 2, "cutoff": 1,
            "targets": [{"name": "web", "resource_type": "INSTANCE",
                         "targets": [{"key": "tag:Patch Group", "values": ["Web"]}]}],
            "tasks": [{"name": "patch", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunPatchBaseline", "priority": 1,
                       "targets": [{"window_target": "web"}], "max_concurrency": "1", "max_errors": "0",
                       "task_invocation_parameters": {"run_command": {"parameters": {
                           "Operation": ["Install"], "RebootOption": ["NoReboot"]}}}}]}


def test_mw_run_patches_each_host_with_its_patch_groups_baseline(tmp_path):
    bin_dir, state = pm.install(tmp_path / "pm", "apt", PACKAGES, UPGRADABLE)
    inventory = h.write_inventory(tmp_path, {"h01": {"mw_tags": {"Patch Group": "Web"}}})
    baselines = [{"name": "web-ubuntu", "operating_system": "UBUNTU", "patch_groups": ["Web"],
                  "rejected_patches": ["nginx*", "openssl"]},
                 {"name": "rhel-default", "operating_system": "REDHAT_ENTERPRISE_LINUX", "default_for_os": True}]
    play = h.write_play(tmp_path, _window("patch-web"), preflight_fail_on=[], patch_baselines=baselines)
    env = {**h.env(), "PATH": f"{bin_dir}:/usr/bin:/bin", "MWOPS_FAKE_PM": str(state)}
    proc = subprocess.run([h.ansible_playbook(), "-i", str(inventory), str(play), "-v"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = h.only_execution(tmp_path / "history")
    invocation = record["task_executions"][0]["invocations"]
    assert [(i["target"], i["status"]) for i in invocation] == [("h01", "SUCCESS")]
    assert "Baseline: web-ubuntu (patch group Web)" in invocation[0]["output"]
    assert pm.read(state, "installed") == ["curl"] and pm.read(state, "holds") == []

    # A baseline that would put shell text into the package manager is refused before anything runs.
    bad = [{**baselines[0], "rejected_patches": ["nginx; touch /tmp/owned"]}]
    (tmp_path / "bad").mkdir()
    play = h.write_play(tmp_path / "bad", _window("patch-bad"), preflight_fail_on=[], patch_baselines=bad)
    proc = subprocess.run([h.ansible_playbook(), "-i", str(inventory), str(play)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode != 0
    assert "patch_baselines[0].rejected_patches[0]: 'nginx; touch /tmp/owned' is not a package name" in proc.stdout
    assert not (tmp_path / "bad" / "history").exists()
    assert pm.read(state, "installed") == ["curl"]
