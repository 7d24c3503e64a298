# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The fields of a patch baseline, each declared once (see ``_fields``).

The API members are those of CreatePatchBaseline / UpdatePatchBaseline / GetPatchBaseline
(https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreatePatchBaseline.html).
``aws_default`` is what GetPatchBaseline answers for a member the request left out, so a baseline
made in the console with AWS's defaults compares equal to a definition that leaves them unset.

Pure: no Ansible or boto3 imports.
"""

from __future__ import annotations

import typing as t

from . import _fields as F

# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreatePatchBaseline.html#systemsmanager-CreatePatchBaseline-request-OperatingSystem
OPERATING_SYSTEMS = ("WINDOWS", "AMAZON_LINUX", "AMAZON_LINUX_2", "AMAZON_LINUX_2022", "AMAZON_LINUX_2023",
                     "UBUNTU", "DEBIAN", "RASPBIAN", "REDHAT_ENTERPRISE_LINUX", "SUSE", "CENTOS", "ORACLE_LINUX",
                     "ROCKY_LINUX", "ALMA_LINUX", "MACOS")
COMPLIANCE_LEVELS = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED")
PATCH_ACTIONS = ("ALLOW_AS_DEPENDENCY", "BLOCK")
COMPLIANCE_STATUSES = ("COMPLIANT", "NON_COMPLIANT")
FILTER_KEYS = ("ARCH", "ADVISORY_ID", "BUGZILLA_ID", "PATCH_SET", "PRODUCT", "PRODUCT_FAMILY", "CLASSIFICATION",
               "CVE_ID", "EPOCH", "MSRC_SEVERITY", "NAME", "PATCH_ID", "SECTION", "PRIORITY", "REPOSITORY",
               "RELEASE", "SEVERITY", "SECURITY", "VERSION")


def _one_of(values: tuple[str, ...]) -> str:
    return "one of " + ", ".join(f"V({v})" for v in values) + "."


def _sorted_unique(values: t.Any) -> t.Any:
    return sorted({str(v) for v in values}) if isinstance(values, list) else values


PATCH_FILTER: F.Fields = (
    F.Field("key", "Key", no_log=False,
            doc=("The patch property the filter matches, " + _one_of(FILTER_KEYS)[:-1]
                 + ", valid for the baseline's O(operating_system) (see C(aws ssm describe-patch-properties)).",)),
    F.Field("values", "Values", "list", elements="str", compare=F.UNORDERED,
            doc=("Values of the property (1 to 20); V(*) matches every value.",)),
)

PATCH_FILTER_GROUP: F.Fields = (
    F.Field("patch_filters", "PatchFilters", "list", elements="dict", options=PATCH_FILTER, compare=F.UNORDERED,
            doc=("The filters (at most 4, one per key); a patch must match all of them.",)),
)

PATCH_RULE: F.Fields = (
    F.Field("patch_filter_group", "PatchFilterGroup", "dict", options=PATCH_FILTER_GROUP,
            doc=("The filters that select the patches this rule approves.",)),
    F.Field("compliance_level", "ComplianceLevel", aws_default="UNSPECIFIED",
            doc=("Compliance severity of the patches the rule approves: " + _one_of(COMPLIANCE_LEVELS),)),
    F.Field("approve_after_days", "ApproveAfterDays", "int",
            doc=("Days (0 to 360) after a patch's release date before it is approved.",
                 "Exactly one of O(approval_rules.patch_rules[].approve_after_days) and "
                 "O(approval_rules.patch_rules[].approve_until_date), except on Debian and Ubuntu, "
                 "which support neither.")),
    F.Field("approve_until_date", "ApproveUntilDate",
            doc=("Patches released on or before this date (C(YYYY-MM-DD)) are approved.",)),
    F.Field("enable_non_security", "EnableNonSecurity", "bool", aws_default=False,
            doc=("Linux only: also install non-security updates from the repositories the rule matches.",)),
)

APPROVAL_RULES: F.Fields = (
    F.Field("patch_rules", "PatchRules", "list", elements="dict", options=PATCH_RULE,
            doc=("The rules (at most 10).",)),
)

SOURCE: F.Fields = (
    F.Field("name", "Name", doc=("Name of the source repository (3 to 50 of C(a-zA-Z0-9_-.)).",)),
    F.Field("products", "Products", "list", elements="str", compare=F.UNORDERED,
            doc=("The operating system versions the source applies to, for example C(AmazonLinux2023).",)),
    F.Field("configuration", "Configuration", no_log=True,
            doc=("The repository file's content (yum/dnf C(.repo) or apt C(sources.list) syntax). It may hold "
                 "credentials, so it is never logged or shown in a diff.",)),
)

BASELINE: F.Fields = (
    F.Field("name", "Name", doc=("Name of the baseline: its identity unless O(baseline_id) is given.",)),
    F.Field("operating_system", "OperatingSystem", aws_default="WINDOWS",
            doc=("The operating system the baseline applies to: " + _one_of(OPERATING_SYSTEMS),
                 "AWS's default is V(WINDOWS). It cannot change after creation.")),
    F.Field("description", "Description", doc=("Description of the baseline.",)),
    F.Field("global_filters", "GlobalFilters", "dict", options=PATCH_FILTER_GROUP,
            doc=("Filters every patch must pass, whatever rule approves it.",)),
    F.Field("approval_rules", "ApprovalRules", "dict", options=APPROVAL_RULES,
            doc=("Rules that approve patches automatically.",)),
    F.Field("approved_patches", "ApprovedPatches", "list", elements="str", compare=F.UNORDERED, aws_default=[],
            doc=("Patches approved explicitly (IDs or package names, at most 50), whatever the rules say.",)),
    F.Field("approved_patches_compliance_level", "ApprovedPatchesComplianceLevel", aws_default="UNSPECIFIED",
            doc=("Compliance severity of the explicitly approved patches: " + _one_of(COMPLIANCE_LEVELS),)),
    F.Field("approved_patches_enable_non_security", "ApprovedPatchesEnableNonSecurity", "bool", aws_default=False,
            doc=("Linux only: the approved patches include non-security updates.",)),
    F.Field("rejected_patches", "RejectedPatches", "list", elements="str", compare=F.UNORDERED, aws_default=[],
            doc=("Patches rejected explicitly (IDs or package names, at most 50).",)),
    F.Field("rejected_patches_action", "RejectedPatchesAction", aws_default="ALLOW_AS_DEPENDENCY",
            doc=("What happens to a rejected patch another package depends on: " + _one_of(PATCH_ACTIONS),)),
    F.Field("sources", "Sources", "list", elements="dict", options=SOURCE, compare=F.UNORDERED,
            doc=("Linux only: alternative source repositories (at most 20).",)),
    F.Field("available_security_updates_compliance_status", "AvailableSecurityUpdatesComplianceStatus",
            doc=("Windows only: the compliance status a node gets when security updates are available but not "
                 "approved: " + _one_of(COMPLIANCE_STATUSES),)),
)

# Read back from GetPatchBaseline / DescribePatchBaselines, never options.
BASELINE_READ_ONLY: F.Fields = (
    F.Field("baseline_id", "BaselineId", compare=F.IGNORED, api_only=True),
    F.Field("created_date", "CreatedDate", compare=F.IGNORED, api_only=True),
    F.Field("modified_date", "ModifiedDate", compare=F.IGNORED, api_only=True),
)

# The module's own options, not API members of the baseline itself.
MODULE_OPTIONS: F.Fields = (
    F.Field("baseline_id", "", doc=("ID or ARN of an existing baseline to manage; identity then does not depend on "
                                    "O(name), so the baseline can be renamed.",)),
    F.Field("patch_groups", "", "list", elements="str", compare=F.UNORDERED,
            doc=("The patch groups registered with this baseline (RegisterPatchBaselineForPatchGroup). A patch "
                 "group has at most one baseline per operating system.",
                 "Groups registered here and not listed are deregistered; leave unset to leave them alone.")),
    F.Field("default_for_os", "", "bool",
            doc=("V(true) makes this baseline the default for its operating system (RegisterDefaultPatchBaseline); "
                 "V(false) gives the default back to the AWS-provided default baseline of that operating system "
                 "when this one is the default; unset leaves the default alone.",)),
    F.Field("tags", "", "dict", aliases=("resource_tags",), doc=("Tags of the baseline.",)),
    F.Field("purge_tags", "", "bool", default=True,
            doc=("Remove tags not listed in O(tags). Tags whose keys start with C(aws:) are never removed.",)),
    F.Field("force", "", "bool", default=False,
            doc=("Move a patch group registered with another baseline of the same operating system, and delete a "
                 "baseline that is the default or still has patch groups (the default goes back to AWS's baseline "
                 "first and the groups are deregistered).",)),
    F.Field("state", "", choices=("present", "absent"), default="present",
            doc=("V(absent) deletes the baseline.",)),
    F.Field("aws_provided", "", "bool", default=False,
            doc=("What M(mwops.ssm.patch_baseline_info) says of a baseline, accepted so that its output can be fed "
                 "back. V(true) is refused: AWS-provided baselines cannot be changed.",)),
)

FIELDS = BASELINE + BASELINE_READ_ONLY
# Options of patch_baseline: the baseline's members first, then the module's own.
OPTIONS = BASELINE + MODULE_OPTIONS

# Filters of patch_baseline_info.
INFO_OPTIONS: F.Fields = (
    F.Field("name", "", doc=("Only the baselines with exactly this name.",)),
    F.Field("operating_system", "", doc=("Only the baselines of this operating system.",), choices=OPERATING_SYSTEMS),
    F.Field("owner", "", choices=("Self", "AWS", "All"), default="All",
            doc=("V(Self): your custom baselines; V(AWS): the AWS-provided ones; V(All): both.",)),
    F.Field("baseline_ids", "", "list", elements="str", default=[], doc=("Only the baselines with these IDs.",)),
)

LINUX_WITHOUT_APPROVAL_DELAY = ("UBUNTU", "DEBIAN")


def argument_spec() -> F.Doc:
    spec = F.argument_spec(OPTIONS)
    spec["state"]["default"] = "present"
    spec["state"]["choices"] = ["present", "absent"]
    spec["purge_tags"]["default"] = True
    spec["force"]["default"] = False
    spec["aws_provided"]["default"] = False
    return spec


def info_argument_spec() -> F.Doc:
    spec = F.argument_spec(INFO_OPTIONS)
    spec["owner"].update(default="All", choices=["Self", "AWS", "All"])
    spec["operating_system"]["choices"] = list(OPERATING_SYSTEMS)
    spec["baseline_ids"]["default"] = []
    return spec


def desired_baseline(params: t.Mapping[str, t.Any]) -> F.Doc:
    """The baseline's members as the user set them (our normalisers and defaults applied)."""
    desired = F.normalise(BASELINE, params)
    for key in ("approved_patches", "rejected_patches"):
        if key in desired:
            desired[key] = _sorted_unique(desired[key])
    return desired


def from_api(api: t.Mapping[str, t.Any]) -> F.Doc:
    """GetPatchBaseline (or a stored request) -> the vocabulary, AWS's defaults filled in."""
    value = F.from_api(FIELDS, api) or {}
    for f in BASELINE:
        if f.key not in value and f.aws_default is not None:
            value[f.key] = list(f.aws_default) if isinstance(f.aws_default, list) else f.aws_default
    for key in ("approved_patches", "rejected_patches"):
        value[key] = _sorted_unique(value.get(key) or [])
    # An unset group reads back as an empty one.
    value.setdefault("global_filters", {"patch_filters": []})
    value.setdefault("approval_rules", {"patch_rules": []})
    value["global_filters"].setdefault("patch_filters", [])
    value["approval_rules"].setdefault("patch_rules", [])
    for rule in value["approval_rules"]["patch_rules"]:
        rule.setdefault("compliance_level", "UNSPECIFIED")
        rule.setdefault("enable_non_security", False)
    return value


def to_api(value: t.Mapping[str, t.Any]) -> F.Doc:
    return F.to_api(BASELINE, value) or {}


def differences(desired: t.Mapping[str, t.Any], current: t.Mapping[str, t.Any]) -> list[str]:
    """Paths whose desired value differs from the current one; unset members keep what AWS has."""
    changed = []
    for f in BASELINE:
        want = desired.get(f.key)
        if want is None:
            continue
        if f.options is not None and f.type == "dict":
            changed.extend(F.differences(f.options, want, current.get(f.key) or {}, f"{f.key}."))
        elif not F.same(f, want, current.get(f.key)):
            changed.append(f.key)
    return changed


def merged(desired: t.Mapping[str, t.Any], current: t.Mapping[str, t.Any]) -> F.Doc:
    """What the baseline becomes: the current members overlaid with the set ones (sent whole with Replace)."""
    out = {f.key: current[f.key] for f in BASELINE if current.get(f.key) is not None}
    out.update({k: v for k, v in desired.items() if v is not None})
    return out
