"""The documented cross-field rules of a patch baseline (_baseline_rules)."""

from __future__ import annotations

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _baseline_rules as R


def rule(**changes):
    base = {"patch_filter_group": {"patch_filters": [{"key": "CLASSIFICATION", "values": ["Security"]}]},
            "approve_after_days": 7}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize("baseline, path, words", [
    ({"operating_system": "WINDOWS", "approval_rules": {"patch_rules": [rule(approve_until_date="2025-01-01")]}},
     "approval_rules.patch_rules[0].approve_until_date", "exclude each other"),
    ({"operating_system": "WINDOWS", "approval_rules": {"patch_rules": [rule(approve_after_days=None)]}},
     "approval_rules.patch_rules[0].approve_after_days", "one of them"),
    ({"operating_system": "UBUNTU", "approval_rules": {"patch_rules": [
        rule(patch_filter_group={"patch_filters": [{"key": "PRIORITY", "values": ["Required"]}]})]}},
     "approval_rules.patch_rules[0].approve_after_days", "not supported for UBUNTU"),
    ({"operating_system": "AMAZON_LINUX_2", "approval_rules": {"patch_rules": [
        rule(approve_after_days=None, approve_until_date="2025-13-01")]}},
     "approval_rules.patch_rules[0].approve_until_date", "YYYY-MM-DD"),
    ({"operating_system": "UBUNTU", "global_filters": {"patch_filters": [{"key": "MSRC_SEVERITY", "values": ["x"]}]}},
     "global_filters.patch_filters[0].key", "not a patch filter key for UBUNTU"),
    ({"operating_system": "WINDOWS", "approval_rules": {"patch_rules": [
        rule(patch_filter_group={"patch_filters": [{"key": "SECTION", "values": ["x"]}]})]}},
     "approval_rules.patch_rules[0].patch_filter_group.patch_filters[0].key", "not a patch filter key for WINDOWS"),
    ({"operating_system": "AMAZON_LINUX_2023", "global_filters": {"patch_filters": [
        {"key": "PRODUCT", "values": ["a"]}, {"key": "PRODUCT", "values": ["b"]}]}},
     "global_filters.patch_filters[1].key", "twice"),
    ({"operating_system": "WINDOWS", "sources": [{"name": "r", "products": ["p"], "configuration": "c"}]},
     "sources", "Linux only"),
    ({"operating_system": "MACOS", "approved_patches_enable_non_security": True},
     "approved_patches_enable_non_security", "Linux only"),
    ({"operating_system": "UBUNTU", "available_security_updates_compliance_status": "COMPLIANT"},
     "available_security_updates_compliance_status", "Windows only"),
    ({"operating_system": "WINDOWS", "approval_rules": {"patch_rules": [rule(enable_non_security=True)]}},
     "approval_rules.patch_rules[0].enable_non_security", "Linux only"),
    ({"operating_system": "CENTOS", "sources": [{"name": "r", "products": ["p"], "configuration": "c"},
                                                {"name": "r", "products": ["q"], "configuration": "d"}]},
     "sources[1].name", "twice"),
])
def test_each_rule_names_the_field(baseline, path, words):
    problems = R.check(baseline)
    assert [p.path for p in problems] == [path], problems
    assert words in problems[0].message


@pytest.mark.parametrize("baseline", [
    {"operating_system": "WINDOWS", "approval_rules": {"patch_rules": [rule()]},
     "available_security_updates_compliance_status": "NON_COMPLIANT"},
    {"operating_system": "UBUNTU", "approval_rules": {"patch_rules": [
        rule(approve_after_days=None, patch_filter_group={"patch_filters": [{"key": "SECTION", "values": ["*"]}]})]}},
    {"operating_system": "AMAZON_LINUX_2023", "approval_rules": {"patch_rules": [
        rule(approve_after_days=None, approve_until_date="2024-02-29", enable_non_security=True)]},
     "sources": [{"name": "r", "products": ["AmazonLinux2023"], "configuration": "c"}]},
    {},  # WINDOWS by default, nothing set
])
def test_valid_baselines_pass(baseline):
    assert R.check(baseline) == []


def test_every_os_has_filter_keys_and_they_are_api_keys():
    from ansible_collections.mwops.ssm.plugins.module_utils import _baseline_fields as B

    assert set(R.FILTER_KEYS_BY_OS) == set(B.OPERATING_SYSTEMS)
    assert all(set(keys) <= set(B.FILTER_KEYS) for keys in R.FILTER_KEYS_BY_OS.values())
