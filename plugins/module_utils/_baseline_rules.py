# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The cross-field rules AWS documents for a patch baseline, on the vocabulary.

botocore's model checks each member on its own (enums, lengths, counts: ``_ssm_rules.check_request``);
these are the rules that need two members at once, above all the operating system. Each rule cites
the AWS page it comes from. Pure: no Ansible or boto3 imports; the sandbox applies the same rules.
"""

from __future__ import annotations

import datetime
import typing as t

from . import _baseline_fields as B


class Problem(t.NamedTuple):
    """A broken rule: the field in our vocabulary and what is wrong with it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


# Filter keys per operating system, from DescribePatchProperties and the PatchFilter reference:
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribePatchProperties.html
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PatchFilter.html
# https://docs.aws.amazon.com/systems-manager/latest/userguide/patch-manager-predefined-and-custom-patch-baselines.html
_RPM_KEYS = ("ADVISORY_ID", "ARCH", "BUGZILLA_ID", "CLASSIFICATION", "CVE_ID", "EPOCH", "NAME", "PRODUCT", "RELEASE",
             "REPOSITORY", "SECURITY", "SEVERITY", "VERSION")
_DEB_KEYS = ("PRIORITY", "PRODUCT", "SECTION")
FILTER_KEYS_BY_OS: dict[str, tuple[str, ...]] = {
    "WINDOWS": ("CLASSIFICATION", "MSRC_SEVERITY", "PATCH_ID", "PATCH_SET", "PRODUCT", "PRODUCT_FAMILY"),
    "MACOS": ("CLASSIFICATION", "PRODUCT"),
    "UBUNTU": _DEB_KEYS,
    "DEBIAN": _DEB_KEYS,
    "RASPBIAN": _DEB_KEYS,
    **{os_name: _RPM_KEYS for os_name in ("AMAZON_LINUX", "AMAZON_LINUX_2", "AMAZON_LINUX_2022", "AMAZON_LINUX_2023",
                                          "CENTOS", "ORACLE_LINUX", "REDHAT_ENTERPRISE_LINUX", "ROCKY_LINUX",
                                          "ALMA_LINUX", "SUSE")},
}
# Members AWS documents as "Linux managed nodes only" / "Windows only":
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreatePatchBaseline.html
NOT_LINUX = ("WINDOWS", "MACOS")


def check(baseline: t.Mapping[str, t.Any]) -> list[Problem]:
    """Every documented cross-field rule ``baseline`` (the vocabulary, whole) breaks."""
    os_name = baseline.get("operating_system") or "WINDOWS"
    problems: list[Problem] = []
    groups = [("global_filters", baseline.get("global_filters"))]
    for index, rule in enumerate((baseline.get("approval_rules") or {}).get("patch_rules") or []):
        where = f"approval_rules.patch_rules[{index}]"
        groups.append((f"{where}.patch_filter_group", (rule or {}).get("patch_filter_group")))
        problems += _check_rule(where, rule or {}, os_name)
    for where, group in groups:
        problems += _check_filters(where, group or {}, os_name)
    problems += _check_os_members(baseline, os_name)
    return problems


def _check_filters(where: str, group: t.Mapping[str, t.Any], os_name: str) -> list[Problem]:
    problems = []
    valid = FILTER_KEYS_BY_OS.get(os_name)
    seen: set[str] = set()
    for index, patch_filter in enumerate(group.get("patch_filters") or []):
        key = (patch_filter or {}).get("key")
        path = f"{where}.patch_filters[{index}].key"
        if valid is not None and key in B.FILTER_KEYS and key not in valid:
            problems.append(Problem(path, f"{key} is not a patch filter key for {os_name} (valid: {', '.join(valid)})"))
        if key in seen:
            problems.append(Problem(path, f"{key} appears twice in one filter group; give each key once"))
        seen.add(key)
    return problems


def _check_rule(where: str, rule: t.Mapping[str, t.Any], os_name: str) -> list[Problem]:
    # https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PatchRule.html
    after, until = rule.get("approve_after_days"), rule.get("approve_until_date")
    if os_name in B.LINUX_WITHOUT_APPROVAL_DELAY:
        return [Problem(f"{where}.{key}", f"is not supported for {os_name}; leave it unset")
                for key, value in (("approve_after_days", after), ("approve_until_date", until)) if value is not None]
    problems = []
    if after is not None and until is not None:
        problems.append(Problem(f"{where}.approve_until_date",
                                "approve_after_days and approve_until_date exclude each other; set one"))
    elif after is None and until is None:
        problems.append(Problem(f"{where}.approve_after_days",
                                "a rule needs approve_after_days or approve_until_date (one of them)"))
    if until is not None and not _is_date(until):
        problems.append(Problem(f"{where}.approve_until_date", f"must be a date YYYY-MM-DD (got {until!r})"))
    if rule.get("enable_non_security") and os_name in NOT_LINUX:
        problems.append(Problem(f"{where}.enable_non_security", f"applies to Linux only, not {os_name}"))
    return problems


def _is_date(value: t.Any) -> bool:
    try:
        datetime.date.fromisoformat(str(value))
    except ValueError:
        return False
    return len(str(value)) == 10


def _check_os_members(baseline: t.Mapping[str, t.Any], os_name: str) -> list[Problem]:
    problems = []
    if baseline.get("sources") and os_name in NOT_LINUX:
        problems.append(Problem("sources", f"source repositories are for Linux only, not {os_name}"))
    if baseline.get("approved_patches_enable_non_security") and os_name in NOT_LINUX:
        problems.append(Problem("approved_patches_enable_non_security", f"applies to Linux only, not {os_name}"))
    if baseline.get("available_security_updates_compliance_status") is not None and os_name != "WINDOWS":
        problems.append(Problem("available_security_updates_compliance_status",
                                f"applies to Windows only, not {os_name}"))
    names = [s.get("name") for s in baseline.get("sources") or []]
    for index, name in enumerate(names):
        if name is not None and names.index(name) != index:
            problems.append(Problem(f"sources[{index}].name", f"source {name!r} appears twice; names are unique"))
    return problems


def check_patch_groups(groups: t.Sequence[t.Any]) -> list[Problem]:
    problems = []
    for index, group in enumerate(groups):
        if not isinstance(group, str) or not group.strip():
            problems.append(Problem(f"patch_groups[{index}]", "must be a non-empty string"))
    return problems
