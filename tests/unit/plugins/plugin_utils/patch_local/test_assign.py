"""Which host patches with which baseline, as AWS picks it; what reaches the host's package manager."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from ansible_collections.mwops.ssm.plugins.plugin_utils import _patch_local as P
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_documents import build_invocation

WEB_UBUNTU = {"name": "web-ubuntu", "operating_system": "UBUNTU", "patch_groups": ["Web"],
              "rejected_patches": ["nginx*", "openssl"], "approved_patches": ["x"], "description": "ignored"}
WEB_RHEL = {"name": "web-rhel", "operating_system": "REDHAT_ENTERPRISE_LINUX", "patch_groups": ["Web"],
            "rejected_patches": ["kernel*"]}
DEFAULT_UBUNTU = {"name": "ubuntu-default", "operating_system": "UBUNTU", "default_for_os": True,
                  "rejected_patches": ["telnet"]}


def baselines(*raw):
    return P.check_baselines(list(raw))


@pytest.mark.parametrize("tags", [{"Patch Group": "Web"}, {"PatchGroup": "Web"}])
def test_the_patch_group_tag_picks_the_registered_baseline(tags):
    found = P.assign(baselines(WEB_UBUNTU, DEFAULT_UBUNTU), "h1", tags, None)
    assert found == P.Assignment("web-ubuntu", "patch group Web", ("nginx*", "openssl"))


def test_aws_key_wins_over_the_legacy_key():
    assert P.host_patch_group({"PatchGroup": "Old", "Patch Group": "New"}) == "New"


def test_without_a_registered_group_the_default_for_the_os_applies():
    checked = baselines(WEB_UBUNTU, DEFAULT_UBUNTU)
    assert P.assign(checked, "h1", {"Patch Group": "Db"}, "UBUNTU").baseline == "ubuntu-default"
    assert P.assign(checked, "h1", {}, None).reason == "default for UBUNTU"
    # A registration for another OS does not apply: AWS falls back to this OS's default.
    assert P.assign(baselines(WEB_RHEL, DEFAULT_UBUNTU), "h1", {"Patch Group": "Web"}, "UBUNTU").baseline == \
        "ubuntu-default"


def test_no_baseline_leaves_the_host_unchanged():
    assert P.assign(baselines(WEB_UBUNTU), "h1", {"Role": "db"}, None) is None
    assert P.assign(baselines(DEFAULT_UBUNTU), "h1", {}, "REDHAT_ENTERPRISE_LINUX") is None


def test_one_group_several_operating_systems_needs_the_host_os():
    checked = baselines(WEB_UBUNTU, WEB_RHEL)
    assert P.assign(checked, "h1", {"Patch Group": "Web"}, "REDHAT_ENTERPRISE_LINUX").baseline == "web-rhel"
    with pytest.raises(P.PatchBaselineError, match="host 'h1': patch group 'Web' has baselines for several "
                                                   "operating systems .* set the host variable mw_operating_system"):
        P.assign(checked, "h1", {"Patch Group": "Web"}, None)


def test_host_operating_system_prefers_the_variable_then_the_fact():
    assert P.host_operating_system("AMAZON_LINUX_2023", "Ubuntu") == "AMAZON_LINUX_2023"
    assert P.host_operating_system(None, "Ubuntu") == "UBUNTU"
    assert P.host_operating_system(None, "Plan9") is None


@pytest.mark.parametrize("raw, message", [
    ({"operating_system": "UBUNTU"}, "patch_baselines[0]: needs a name (or baseline_id)"),
    ({"name": "x"}, "patch_baselines[0].operating_system: is required"),
    ({"name": "x", "operating_system": "UBUNTU", "rejected_patches": ["ok", "x; rm -rf /"]},
     "patch_baselines[0].rejected_patches[1]: 'x; rm -rf /' is not a package name"),
    ({"name": "x", "operating_system": "UBUNTU", "rejected_patches": ["--allow-downgrades"]},
     "rejected_patches[0]: '--allow-downgrades' is not a package name"),
    ({"name": "x", "operating_system": "UBUNTU", "rejected_patches": ["$(id)"]}, "rejected_patches[0]"),
    ({"name": "x", "operating_system": "UBUNTU", "rejected_patches": "nginx"}, "rejected_patches: must be a list"),
    ({"name": "x", "operating_system": "UBUNTU", "rejected_patches_action": "DROP"}, "rejected_patches_action"),
    ({"name": "x", "operating_system": "UBUNTU", "default_for_os": "yes"}, "default_for_os: must be true or false"),
])
def test_bad_baselines_are_refused_naming_the_field(raw, message):
    with pytest.raises(P.PatchBaselineError, match=re.escape(message)):
        P.check_baselines([raw])


def test_aws_uniqueness_rules():
    with pytest.raises(P.PatchBaselineError, match="patch group 'Web' is registered with 'web-ubuntu' and 'other'"):
        P.check_baselines([WEB_UBUNTU, {**WEB_UBUNTU, "name": "other"}])
    with pytest.raises(P.PatchBaselineError, match="both default_for_os for UBUNTU"):
        P.check_baselines([DEFAULT_UBUNTU, {**DEFAULT_UBUNTU, "name": "other"}])


def test_plan_assignments_cover_only_hosts_of_patch_tasks():
    tasks = [SimpleNamespace(task_arn="AWS-RunPatchBaseline", targets=("h1", "h2")),
             SimpleNamespace(task_arn="AWS-RunShellScript", targets=("h3",))]
    tags = {"h1": {"Patch Group": "Web"}, "h2": {}, "h3": {"Patch Group": "Web"}}
    found = P.plan_assignments([WEB_UBUNTU, DEFAULT_UBUNTU], tasks, tags, {"h2": "UBUNTU"}, {})
    assert found == {"h1": {"baseline": "web-ubuntu", "reason": "patch group Web", "rejected": ["nginx*", "openssl"]},
                     "h2": {"baseline": "ubuntu-default", "reason": "default for UBUNTU", "rejected": ["telnet"]}}
    # A document mapped to a module is not the patch script: no baseline.
    assert P.plan_assignments([WEB_UBUNTU], tasks, tags, {}, {"AWS-RunPatchBaseline": {"module": "x"}}) == {}
    assert P.plan_assignments([], tasks, tags, {}, {}) == {}


def test_the_baseline_reaches_the_script_as_quoted_arguments_only():
    assignment = {"baseline": "web $(id) `x`", "reason": "patch group Web", "rejected": ["nginx*", "openssl"]}
    invocation = build_invocation("AWS-RunPatchBaseline", {"Operation": ["Install"]}, {}, {},
                                  patch_baseline=assignment)
    command = invocation.args["_raw_params"]
    assert command.endswith("mw-patch install '' 'web $(id) `x` (patch group Web)' 'nginx*' openssl")
    # Patterns are checked again where they become arguments (a history spec is a file on disk).
    with pytest.raises(P.PatchBaselineError, match="rejected_patches\\[0\\]"):
        build_invocation("AWS-RunPatchBaseline", {"Operation": ["Install"]}, {}, {},
                         patch_baseline={**assignment, "rejected": ["a;b"]})
    plain = build_invocation("AWS-RunPatchBaseline", {"Operation": ["Scan"]}, {}, {}).args["_raw_params"]
    assert plain.endswith("mw-patch scan '' ''")
