"""Bad patch baseline input is refused before the first write, naming the field and the rule.

A table of invalid arguments (botocore's constraints, the cross-field rules AWS documents for patch
baselines, and the module's own rules: identity, patch groups of other baselines, deletion while in
use) runs through ``mwops.ssm.patch_baseline`` in one playbook; every case must fail with its field
path in the module's vocabulary and the rule's words, and the sandbox's request log must show no
write call for the whole run.
"""

from __future__ import annotations

import copy
import json
import uuid

import pytest

from . import mw_harness as H

PREFIX = f"pbval-{uuid.uuid4().hex[:8]}"
EXISTING = f"{PREFIX}-existing"  # AMAZON_LINUX_2, holds patch group HELD, is the default for its OS
DUPLICATE = f"{PREFIX}-twice"    # two baselines of this name
HELD = f"{PREFIX}-held"
RULE = {"patch_filter_group": {"patch_filters": [{"key": "CLASSIFICATION", "values": ["Security"]}]},
        "approve_after_days": 7}
BASE = {"name": f"{PREFIX}-new", "operating_system": "AMAZON_LINUX_2023", "approval_rules": {"patch_rules": [RULE]}}


def baseline(**changes):
    doc = copy.deepcopy(BASE)
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def rule0(**changes):
    doc = copy.deepcopy(BASE)
    doc["approval_rules"]["patch_rules"][0].update(changes)
    doc["approval_rules"]["patch_rules"][0] = {k: v for k, v in doc["approval_rules"]["patch_rules"][0].items()
                                               if v is not None}
    return doc


def filters(*pairs, os_name="AMAZON_LINUX_2023"):
    return baseline(operating_system=os_name,
                    global_filters={"patch_filters": [{"key": k, "values": v} for k, v in pairs]})


SOURCE = {"name": "mirror", "products": ["AmazonLinux2023"], "configuration": "[m]\nbaseurl=https://m.example\n"}

# (case id, arguments, field path the error must name, words of the rule)
CASES = [
    ("name-short", baseline(name="ab"), "name", "at least 3"),
    ("name-pattern", baseline(name="bad name!"), "name", "pattern"),
    ("description-long", baseline(description="d" * 1025), "description", "1024"),
    ("os-unknown", baseline(operating_system="BEOS"), "operating_system", "must be one of"),
    ("compliance-level", baseline(approved_patches_compliance_level="SEVERE"), "approved_patches_compliance_level",
     "must be one of"),
    ("rule-compliance-level", rule0(compliance_level="URGENT"), "approval_rules.patch_rules[0].compliance_level",
     "must be one of"),
    ("rejected-action", baseline(rejected_patches_action="DENY"), "rejected_patches_action", "must be one of"),
    ("security-status", baseline(operating_system="WINDOWS", available_security_updates_compliance_status="MAYBE",
                                 approval_rules=None), "available_security_updates_compliance_status", "must be one of"),
    ("after-and-until", rule0(approve_until_date="2026-01-01"), "approval_rules.patch_rules[0].approve_until_date",
     "exclude each other"),
    ("neither-after-nor-until", rule0(approve_after_days=None), "approval_rules.patch_rules[0].approve_after_days",
     "one of them"),
    ("after-too-long", rule0(approve_after_days=361), "approval_rules.patch_rules[0].approve_after_days", "360"),
    ("until-not-a-date", rule0(approve_after_days=None, approve_until_date="31/01/2026"),
     "approval_rules.patch_rules[0].approve_until_date", "YYYY-MM-DD"),
    ("ubuntu-no-delay", baseline(operating_system="UBUNTU", approval_rules={"patch_rules": [
        {"patch_filter_group": {"patch_filters": [{"key": "PRIORITY", "values": ["Required"]}]},
         "approve_after_days": 3}]}), "approval_rules.patch_rules[0].approve_after_days", "not supported for UBUNTU"),
    ("filter-key-for-os", filters(("MSRC_SEVERITY", ["Critical"])), "global_filters.patch_filters[0].key",
     "not a patch filter key for AMAZON_LINUX_2023"),
    ("filter-key-windows", baseline(operating_system="WINDOWS", approval_rules={"patch_rules": [
        {"patch_filter_group": {"patch_filters": [{"key": "SEVERITY", "values": ["Critical"]}]},
         "approve_after_days": 0}]}),
     "approval_rules.patch_rules[0].patch_filter_group.patch_filters[0].key", "not a patch filter key for WINDOWS"),
    ("filter-key-unknown", filters(("COLOUR", ["blue"])), "global_filters.patch_filters[0].key", "must be one of"),
    ("filter-key-twice", filters(("PRODUCT", ["a"]), ("PRODUCT", ["b"])), "global_filters.patch_filters[1].key",
     "twice"),
    ("filters-too-many", filters(("PRODUCT", ["a"]), ("CLASSIFICATION", ["b"]), ("SEVERITY", ["c"]), ("ARCH", ["d"]),
                                 ("NAME", ["e"])), "global_filters.patch_filters", "4"),
    ("filter-values-empty", filters(("PRODUCT", [])), "global_filters.patch_filters[0].values", "1"),
    ("filter-values-too-many", filters(("NAME", [f"p{n}" for n in range(21)])),
     "global_filters.patch_filters[0].values", "20"),
    ("rules-too-many", baseline(approval_rules={"patch_rules": [RULE] * 11}), "approval_rules.patch_rules", "10"),
    ("approved-too-many", baseline(approved_patches=[f"p{n}" for n in range(51)]), "approved_patches", "50"),
    ("sources-windows", baseline(operating_system="WINDOWS", approval_rules=None, sources=[SOURCE]), "sources",
     "Linux only"),
    ("sources-macos", baseline(operating_system="MACOS", approval_rules=None, sources=[SOURCE]), "sources",
     "Linux only"),
    ("source-name", baseline(sources=[dict(SOURCE, name="m!")]), "sources[0].name", "pattern"),
    ("source-configuration-long", baseline(sources=[dict(SOURCE, configuration="secret" * 200)]),
     "sources[0].configuration", "1024"),
    ("non-security-windows", baseline(operating_system="WINDOWS", approval_rules=None,
                                      approved_patches_enable_non_security=True),
     "approved_patches_enable_non_security", "Linux only"),
    ("security-status-linux", baseline(available_security_updates_compliance_status="COMPLIANT"),
     "available_security_updates_compliance_status", "Windows only"),
    ("tag-key-pattern", baseline(tags={"bad|key": "v"}), "tags['bad|key']", "pattern"),
    ("patch-group-pattern", baseline(patch_groups=["ok", "bad|group"]), "patch_groups", "pattern"),
    ("patch-group-empty", baseline(patch_groups=[""]), "patch_groups[0]", "non-empty"),
    # Identity and state
    ("duplicate-names", {"name": DUPLICATE}, "name", "2 patch baselines are named"),
    ("unknown-id", {"baseline_id": "pb-0123456789abcdef0"}, "baseline_id", "no patch baseline with ID"),
    ("os-change", {"name": EXISTING, "operating_system": "UBUNTU"}, "operating_system", "cannot change"),
    ("group-of-another", baseline(patch_groups=[HELD], operating_system="AMAZON_LINUX_2"), "patch_groups[0]",
     "one baseline per operating system"),
    ("delete-in-use", {"name": EXISTING, "state": "absent"}, "state", "refusing to delete"),
    ("aws-provided", {"name": "AWS-AmazonLinux2DefaultPatchBaseline", "aws_provided": True}, "aws_provided",
     "AWS-provided baselines cannot be changed"),
]


@pytest.fixture(scope="module")
def results(sandbox, ssm_client, tmp_path_factory):
    """Run every case in one playbook; return (results by case id, writes made during the run)."""
    sandbox.set_faults(throttle_rate=0.0)
    existing = ssm_client.create_patch_baseline(Name=EXISTING, OperatingSystem="AMAZON_LINUX_2")["BaselineId"]
    ssm_client.register_patch_baseline_for_patch_group(BaselineId=existing, PatchGroup=HELD)
    aws_default = ssm_client.get_default_patch_baseline(OperatingSystem="AMAZON_LINUX_2")["BaselineId"]
    ssm_client.register_default_patch_baseline(BaselineId=existing)
    twins = [ssm_client.create_patch_baseline(Name=DUPLICATE)["BaselineId"] for _twin in range(2)]
    tmp = tmp_path_factory.mktemp("pbvalidation")
    out = tmp / "results.json"
    tasks = [{"name": case, "mwops.ssm.patch_baseline": {k: v for k, v in args.items() if v is not None},
              "register": f"case_{index}", "ignore_errors": True} for index, (case, args, _p, _w) in enumerate(CASES)]
    collect = "{{ {" + ", ".join(f"'{c[0]}': case_{i}" for i, c in enumerate(CASES)) + "} | to_json }}"
    tasks.append({"name": "collect", "ansible.builtin.copy": {"content": collect, "dest": str(out), "mode": "0600"}})
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "module_defaults": H.module_defaults(sandbox.endpoint), "tasks": tasks}]
    start = len(sandbox.requests())
    proc = H.run_playbook(H.write_playbook(tmp / "validation.json", play))
    log = sandbox.requests()[start:]
    H.record_calls(log, ["patch_baseline"])
    assert proc.returncode == 0, H.describe_failure(proc)
    try:
        yield json.loads(out.read_text()), [r["operation"] for r in log if r["write"]]
    finally:
        ssm_client.register_default_patch_baseline(BaselineId=aws_default)
        ssm_client.deregister_patch_baseline_for_patch_group(BaselineId=existing, PatchGroup=HELD)
        for baseline_id in [existing] + twins:
            ssm_client.delete_patch_baseline(BaselineId=baseline_id)


def test_table_is_large_enough():
    assert len(CASES) >= 30
    assert len({c[0] for c in CASES}) == len(CASES)


def test_nothing_was_written(results):
    _by_case, writes = results
    assert writes == []


@pytest.mark.parametrize("case,args,path,words", CASES, ids=[c[0] for c in CASES])
def test_error_names_field_and_rule(results, case, args, path, words):
    by_case, _writes = results
    result = by_case[case]
    assert result.get("failed"), f"{case} did not fail: {result}"
    msg = result["msg"]
    problems = result.get("problems") or []
    matching = [p for p in problems if p["path"] == path]
    assert matching, f"{case}: no error for {path}: {msg}"
    assert words.lower() in " ".join(p["message"] for p in matching).lower(), f"{case}: {words!r} not in {problems}"
    assert "nothing was changed" in msg
    assert "secret" not in json.dumps(result), "a source configuration was echoed"
