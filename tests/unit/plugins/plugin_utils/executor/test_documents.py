"""Documents to Ansible work; pseudo parameters replaced without Jinja2."""

from __future__ import annotations

import subprocess

import pytest

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


HOSTILE = "x;touch${IFS}pwned;#"


@pytest.mark.parametrize("document,parameters,user_documents", [
    (docs.RUN_SHELL_SCRIPT, {"commands": ["echo {{TARGET_ID}}"]}, {}),
    (docs.RUN_SHELL_SCRIPT, {"commands": ["true"], "workingDirectory": ["/tmp/{{ RESOURCE_ID }}"]}, {}),
    ("Company-Run", {"cmd": ["echo {{TARGET_ID}}"]}, {"Company-Run": {"module": "ansible.builtin.shell"}}),
    ("Company-Copy", {}, {"Company-Copy": {"module": "ansible.builtin.copy",
                                           "args": {"dest": "/tmp/{{TARGET_ID}}", "content": "x"}}}),
])
def test_an_unsafe_pseudo_parameter_value_refuses_the_invocation(tmp_path, document, parameters, user_documents):
    with pytest.raises(docs.UnsafeValueError, match=r"\{\{(TARGET|RESOURCE)_ID\}\}.*not a safe token.*nothing was run"):
        docs.build_invocation(document, parameters, user_documents,
                              {**PSEUDO, "TARGET_ID": HOSTILE, "RESOURCE_ID": HOSTILE})
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("value", ["$(id)", "`id`", "a b", "a'b", 'a"b', "a|b", "a&b", "a>b", "*", "~root",
                                   "a/../b", "a\nb", "{{x}}", "a\\b"])
def test_safe_tokens_exclude_every_shell_metacharacter(value):
    with pytest.raises(docs.UnsafeValueError):
        docs.substitute_pseudo_parameters("echo {{TARGET_ID}}", {"TARGET_ID": value})


def test_safe_host_names_and_ids_are_substituted():
    for value in ("web-01.example.com", "10.0.0.1", "fe80::1", "i-0123456789abcdef0", ""):
        assert docs.substitute_pseudo_parameters("{{TARGET_ID}}", {"TARGET_ID": value}) == value
    # an unsafe value that the text does not use is no reason to refuse
    assert docs.substitute_pseudo_parameters("{{WINDOW_ID}}", {"TARGET_ID": HOSTILE, "WINDOW_ID": "mw-1"}) == "mw-1"


def test_a_new_document_is_one_registry_entry(monkeypatch):
    def check(parameters):
        return [] if parameters.get("text") else ["Company-Echo needs the 'text' parameter"]

    def build(parameters, host):
        return docs.Invocation("ansible.legacy.command", {"_raw_params": f"echo {parameters['text'][0]}"}, "shell",
                               timeout=None if host.seconds_to_cutoff is None else int(host.seconds_to_cutoff))

    monkeypatch.setitem(docs.DOCUMENTS, "Company-Echo", docs.Document("Company-Echo", check, build))
    assert docs.check_task("RUN_COMMAND", "Company-Echo", {}, {}) == ["Company-Echo needs the 'text' parameter"]
    assert docs.check_task("RUN_COMMAND", "Company-Echo", {"text": ["hi"]}, {}) == []
    invocation = docs.build_invocation("Company-Echo", {"text": ["{{TARGET_ID}}"]}, {}, PSEUDO, seconds_to_cutoff=9.5)
    assert invocation.args == {"_raw_params": "echo h01"} and invocation.timeout == 9


def test_the_registry_holds_the_builtin_documents_and_unknown_ones_are_refused():
    assert docs.BUILTIN_DOCUMENTS == (docs.RUN_SHELL_SCRIPT, docs.RUN_PATCH_BASELINE)
    assert all(name == entry.name for name, entry in docs.DOCUMENTS.items())
    (reason,) = docs.check_task("RUN_COMMAND", "AWS-RunPowerShellScript", {}, {})
    assert "AWS-RunShellScript, AWS-RunPatchBaseline" in reason
    with pytest.raises(docs.DocumentError):
        docs.build_invocation("AWS-RunPowerShellScript", {}, {}, PSEUDO)
