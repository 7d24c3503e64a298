"""Documents to Ansible work; pseudo parameters replaced without Jinja2."""

from __future__ import annotations

import subprocess

from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_documents as docs

PSEUDO = {"WINDOW_ID": "mw-0123456789abcdef0", "INVOCATION_ID": "inv-1", "TARGET_ID": "h01"}


def run(command):
    return subprocess.run(command, shell=True, capture_output=True, text=True, check=False)


def test_pseudo_parameters_are_replaced_recursively_and_others_kept():
    value = {"a": ["{{WINDOW_ID}}/{{ INVOCATION_ID }}", "{{ other }}", "{{UNKNOWN_ID}}"], "n": 3}
    assert docs.substitute_pseudo_parameters(value, PSEUDO) == {
        "a": ["mw-0123456789abcdef0/inv-1", "{{ other }}", "{{UNKNOWN_ID}}"], "n": 3}


def test_shell_document_runs_commands_in_the_working_directory(tmp_path):
    parameters = {"commands": ["echo {{TARGET_ID}}", "pwd"], "workingDirectory": [str(tmp_path)]}
    inv = docs.build_invocation("AWS-RunShellScript", parameters, {}, PSEUDO)
    assert inv.module == "ansible.legacy.command" and inv.timeout == docs.DEFAULT_EXECUTION_TIMEOUT
    res = run(inv.args["_raw_params"])
    assert res.returncode == 0 and res.stdout.split() == ["h01", str(tmp_path)]


def test_shell_execution_timeout_kills_the_command():
    inv = docs.build_invocation("AWS-RunShellScript", {"commands": "sleep 10", "executionTimeout": "1"}, {}, PSEUDO)
    res = run(inv.args["_raw_params"])
    assert res.returncode == 124


def test_cutoff_bounds_the_timeout():
    inv = docs.build_invocation("AWS-RunShellScript", {"commands": ["true"]}, {}, PSEUDO, seconds_to_cutoff=7.9)
    assert inv.timeout == 7


def test_patch_baseline_with_a_fake_package_manager(tmp_path):
    fake = tmp_path / "pm"
    fake.write_text("#!/bin/sh\necho \"did $1\"\necho MWOPS_REBOOT_REQUIRED\n")
    fake.chmod(0o755)
    inv = docs.build_invocation("AWS-RunPatchBaseline", {"Operation": ["Install"]}, {}, PSEUDO, patch_command=str(fake))
    res = run(inv.args["_raw_params"])
    assert "did install" in res.stdout and docs.wants_reboot(inv, res.stdout)
    no = docs.build_invocation("AWS-RunPatchBaseline", {"Operation": "Install", "RebootOption": "NoReboot"}, {}, PSEUDO,
                               patch_command=str(fake))
    assert not docs.wants_reboot(no, res.stdout)
    scan = docs.build_invocation("AWS-RunPatchBaseline", {"Operation": "Scan"}, {}, PSEUDO, patch_command=str(fake))
    assert not scan.reboot and "did scan" in run(scan.args["_raw_params"]).stdout


def test_custom_mapping_merges_parameters():
    inv = docs.build_invocation("Company-Copy", {"content": ["{{INVOCATION_ID}}"], "list": ["a", "b"]},
                                {"Company-Copy": {"module": "ansible.builtin.copy",
                                                  "args": {"dest": "/tmp/{{TARGET_ID}}"}}}, PSEUDO)
    assert inv.module == "ansible.builtin.copy"
    assert inv.args == {"dest": "/tmp/h01", "content": "inv-1", "list": ["a", "b"]}
    off = docs.build_invocation("X", {"p": ["1"]}, {"X": {"module": "m", "pass_parameters": False}}, PSEUDO)
    assert off.args == {}


def test_check_task_messages():
    assert docs.check_task("AUTOMATION", "AWS-RestartEC2Instance", {}, {})[0].startswith("task type 'AUTOMATION'")
    assert "not supported" in docs.check_task("RUN_COMMAND", "AWS-RunPowerShellScript", {}, {})[0]
    assert docs.check_task("RUN_COMMAND", "AWS-RunShellScript", {"commands": ["x"], "executionTimeout": ["0"]}, {})
    assert not docs.check_task("RUN_COMMAND", "AWS-RunPatchBaseline", {"Operation": ["Scan"]}, {})
