"""The baseline registry: both modules' DOCUMENTATION, conversion, comparison."""

from __future__ import annotations

import yaml

from ansible_collections.mwops.ssm.plugins.module_utils import _baseline_fields as B
from ansible_collections.mwops.ssm.plugins.module_utils import _fields as F
from ansible_collections.mwops.ssm.plugins.modules import patch_baseline
from ansible_collections.mwops.ssm.plugins.modules import patch_baseline_info


def documented_options(module) -> dict:
    return yaml.safe_load(module.DOCUMENTATION)["options"]


def test_patch_baseline_documentation_matches_the_registry():
    documented = documented_options(patch_baseline)
    assert F.doc_mismatches(F.doc_options(B.OPTIONS), documented) == []
    assert set(documented) == set(B.argument_spec())


def test_patch_baseline_info_documentation_matches_the_registry():
    documented = documented_options(patch_baseline_info)
    assert F.doc_mismatches(F.doc_options(B.INFO_OPTIONS), documented) == []
    assert set(documented) == set(B.info_argument_spec())


def test_argument_spec_hides_source_configuration_and_enforces_module_choices():
    spec = B.argument_spec()
    assert spec["sources"]["options"]["configuration"]["no_log"] is True
    assert spec["state"] == {"type": "str", "default": "present", "choices": ["present", "absent"]}
    assert spec["tags"]["aliases"] == ["resource_tags"]


def test_api_round_trip_and_aws_defaults():
    value = {"name": "pb-test", "operating_system": "UBUNTU", "rejected_patches": ["b", "a"],
             "approval_rules": {"patch_rules": [{"patch_filter_group": {"patch_filters": [
                 {"key": "PRIORITY", "values": ["Required"]}]}}]}}
    api = B.to_api(value)
    assert api["ApprovalRules"]["PatchRules"][0]["PatchFilterGroup"]["PatchFilters"] == [
        {"Key": "PRIORITY", "Values": ["Required"]}]
    back = B.from_api(dict(api, BaselineId="pb-0123456789abcdef0"))
    assert back["rejected_patches"] == ["a", "b"]
    assert back["approved_patches_compliance_level"] == "UNSPECIFIED"
    assert back["rejected_patches_action"] == "ALLOW_AS_DEPENDENCY"
    assert back["global_filters"] == {"patch_filters": []}
    assert back["approval_rules"]["patch_rules"][0]["compliance_level"] == "UNSPECIFIED"
    assert back["baseline_id"] == "pb-0123456789abcdef0"


def test_differences_ignore_order_of_patch_lists_filters_and_values():
    current = B.from_api({"Name": "n", "OperatingSystem": "WINDOWS", "ApprovedPatches": ["KB1", "KB2"],
                          "GlobalFilters": {"PatchFilters": [{"Key": "PRODUCT", "Values": ["A", "B"]},
                                                             {"Key": "CLASSIFICATION", "Values": ["C"]}]}})
    same = {"approved_patches": ["KB2", "KB1"], "global_filters": {"patch_filters": [
        {"key": "CLASSIFICATION", "values": ["C"]}, {"key": "PRODUCT", "values": ["B", "A"]}]}}
    assert B.differences(B.desired_baseline(same), current) == []
    assert B.differences(B.desired_baseline({"approved_patches": ["KB1"]}), current) == ["approved_patches"]
    # Unset members keep what AWS has; AWS's defaults equal an explicit default.
    assert B.differences(B.desired_baseline({"rejected_patches_action": "ALLOW_AS_DEPENDENCY"}), current) == []
    assert B.differences(B.desired_baseline({"rejected_patches_action": "BLOCK"}), current) == [
        "rejected_patches_action"]


def test_rule_order_matters_and_rule_defaults_compare_equal():
    rule_a = {"patch_filter_group": {"patch_filters": [{"key": "CLASSIFICATION", "values": ["Security"]}]},
              "approve_after_days": 7}
    rule_b = {"patch_filter_group": {"patch_filters": [{"key": "SEVERITY", "values": ["Critical"]}]},
              "approve_after_days": 0}
    current = B.from_api(B.to_api({"name": "n", "approval_rules": {"patch_rules": [rule_a, rule_b]}}))
    assert B.differences(B.desired_baseline({"approval_rules": {"patch_rules": [rule_a, rule_b]}}), current) == []
    assert B.differences(B.desired_baseline({"approval_rules": {"patch_rules": [rule_b, rule_a]}}), current) == [
        "approval_rules.patch_rules"]


def test_merged_overlays_set_members_on_current():
    current = {"name": "n", "description": "old", "rejected_patches_action": "BLOCK"}
    assert B.merged({"description": "new", "approved_patches": None}, current) == {
        "name": "n", "description": "new", "rejected_patches_action": "BLOCK"}
