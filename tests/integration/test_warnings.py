"""Our content makes ansible-core print no [WARNING] or [DEPRECATION WARNING] on this core.

The runner's ``warnings`` step scans the demo's and every Molecule scenario's full output with
scripts/warning_scan.py; these tests hold the scanner itself to account and check, on every
core of the matrix (MWOPS_CORE), the playbooks and the module_defaults group users copy.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


COLLECTION = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(COLLECTION / "scripts"))
import warning_scan  # noqa: E402  pylint: disable=wrong-import-position,import-error

from . import mw_harness as H  # noqa: E402  pylint: disable=wrong-import-position


def _playbook(args: list[str], tmp_path: Path) -> str:
    env = H.environment({"ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp")})
    # The harness silences two inventory warnings for its own plays; here every warning counts.
    for name in ("ANSIBLE_LOCALHOST_WARNING", "ANSIBLE_INVENTORY_UNPARSED_WARNING"):
        env.pop(name, None)
    proc = subprocess.run([H.ansible_bin("ansible-playbook"), *args], cwd=COLLECTION, env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    return output


def test_scanner_finds_wrapped_and_prefixed_warnings() -> None:
    text = "\n".join([
        "[WARNING]: Found variable using reserved name 'tags'.",
        "Origin: /x/inventory.yml:3:5",
        "",
        "[molecule-x] [DEPRECATION WARNING]: amazon.aws.ec2_vpc_peer has been deprecated.",
        "ec2_vpc_peer has been renamed to ec2_vpc_peering.",
        "TASK [next] ****",
        "[WARNING]: Deprecation warnings can be disabled by setting `deprecation_warnings=False` in ansible.cfg.",
        # The demo's --verbose stream indents Ansible's output behind a bar.
        "    | [WARNING]: Found variable using reserved name 'tags'.",
        "    | Origin: /y/inventory.yml:9:1",
        "    | ",
    ])
    found = warning_scan.find_warnings(text, "log")
    assert [(w.kind, w.text) for w in found] == [
        ("WARNING", "Found variable using reserved name 'tags'. Origin: /x/inventory.yml:3:5"),
        ("DEPRECATION WARNING", "amazon.aws.ec2_vpc_peer has been deprecated. ec2_vpc_peer has been renamed to "
                                "ec2_vpc_peering."),
        ("WARNING", "Deprecation warnings can be disabled by setting `deprecation_warnings=False` in ansible.cfg."),
        ("WARNING", "Found variable using reserved name 'tags'. Origin: /y/inventory.yml:9:1"),
    ]
    assert [warning_scan.allowed(w) for w in found] == [False, False, True, False]


def test_allow_list_is_short_and_every_entry_says_why() -> None:
    assert len(warning_scan.ALLOWED) <= 5
    for pattern, why in warning_scan.ALLOWED:
        re.compile(pattern)
        assert why.strip()


def test_module_defaults_group_warns_nothing(tmp_path: Path) -> None:
    """group/mwops.ssm.ssm extends amazon.aws.aws; ansible-core 2.17 printed amazon.aws's
    ec2_vpc_peer and rds_param_group deprecations for it (why requires_ansible is >=2.18.0)."""
    play = tmp_path / "play.yml"
    play.write_text("\n".join([
        "- hosts: localhost",
        "  connection: local",
        "  gather_facts: false",
        "  module_defaults:",
        "    group/mwops.ssm.ssm: {region: eu-west-1}",
        "  tasks:",
        "    - ansible.builtin.debug: {msg: resolved}",
    ]) + "\n")
    output = _playbook(["-i", "localhost,", str(play)], tmp_path)
    assert "resolved" in output
    assert warning_scan.find_warnings(output) == []


def test_playbooks_and_inventories_warn_nothing(tmp_path: Path) -> None:
    """Every shipped playbook and inventory parses without a warning (reserved names such as tags,
    deprecated options, unresolvable module_defaults groups)."""
    playbooks = sorted(str(p.relative_to(COLLECTION)) for p in (COLLECTION / "playbooks").glob("*.yml")
                       if not p.name.endswith("_vars.yml"))
    inventories = sorted((COLLECTION / "playbooks" / "inventories").glob("*.yml"))
    assert playbooks, "no playbooks found: the scan would prove nothing"
    args = ["-i", "localhost,"] + [a for inv in inventories for a in ("-i", str(inv))]
    output = _playbook([*args, "--syntax-check", *playbooks], tmp_path)
    # The inventories' variables are only templated when a host's vars are read.
    show = tmp_path / "show_hostvars.yml"
    show.write_text("- hosts: all\n  gather_facts: false\n  tasks:\n"
                    "    - ansible.builtin.debug: {msg: '{{ hostvars[inventory_hostname] | length }}'}\n")
    output += _playbook([*args, str(show)], tmp_path)
    found = [w for w in warning_scan.find_warnings(output) if not warning_scan.allowed(w)]
    assert found == [], f"on ansible-core {os.environ.get('MWOPS_CORE', '?')}: {found}"
