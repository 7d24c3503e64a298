#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: patch_baseline
short_description: Manage an SSM Patch Manager patch baseline, its patch groups and the default per OS
version_added: 0.1.0
description:
  - Creates, updates or deletes an AWS Systems Manager custom patch baseline identified by its O(name) (or
    O(baseline_id)), with every field of C(CreatePatchBaseline) and C(UpdatePatchBaseline) in snake_case. See
    U(https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreatePatchBaseline.html).
  - Updates go through C(UpdatePatchBaseline) with C(Replace=true) and the whole baseline (options left unset keep what
    the baseline has), so the ID never changes.
  - O(patch_groups) are registered with C(RegisterPatchBaselineForPatchGroup) and deregistered with
    C(DeregisterPatchBaselineForPatchGroup). A patch group has at most one baseline per operating system
    (U(https://docs.aws.amazon.com/systems-manager/latest/userguide/patch-manager-patch-groups.html)); a group that
    another baseline of the same operating system holds is refused, naming that baseline, unless O(force) moves it.
  - O(default_for_os) uses C(RegisterDefaultPatchBaseline)
    (U(https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_RegisterDefaultPatchBaseline.html)).
  - Everything is compared after normalisation (order of patch lists, filter values and sources; the values AWS fills
    in), so a second run reports no change and makes no write call.
  - Every request is validated before the first write call against botocore's model and the cross-field rules AWS
    documents (one of approve_after_days and approve_until_date, filter keys per operating system, sources for Linux
    only, ...). Errors name the field, for example C(approval_rules.patch_rules[0].approve_after_days), and the rule.
  - The output of M(mwops.ssm.patch_baseline_info) can be fed back to this module unchanged (adoption of baselines made
    in the console).
  - Safe under concurrency. A new baseline is created with a C(ClientToken) derived from its name, so simultaneous runs
    of one definition get one baseline; two different definitions of one name racing make one baseline and the other
    run fails (C(IdempotentParameterMismatch)) instead of adding a second baseline of that name.
  - A run that fails after writing reports C(changed=true) and lists its writes in RV(completed_writes).
author:
  - mwops maintainers (@mwops)
options:
  name:
    description:
      - 'Name of the baseline: its identity unless O(baseline_id) is given.'
    type: str
  operating_system:
    description:
      - 'The operating system the baseline applies to: one of V(WINDOWS), V(AMAZON_LINUX), V(AMAZON_LINUX_2), V(AMAZON_LINUX_2022),
        V(AMAZON_LINUX_2023), V(UBUNTU), V(DEBIAN), V(RASPBIAN), V(REDHAT_ENTERPRISE_LINUX), V(SUSE), V(CENTOS), V(ORACLE_LINUX),
        V(ROCKY_LINUX), V(ALMA_LINUX), V(MACOS).'
      - AWS's default is V(WINDOWS). It cannot change after creation.
    type: str
  description:
    description:
      - Description of the baseline.
    type: str
  global_filters:
    description:
      - Filters every patch must pass, whatever rule approves it.
    type: dict
    suboptions:
      patch_filters:
        description:
          - The filters (at most 4, one per key); a patch must match all of them.
        type: list
        elements: dict
        suboptions:
          key:
            description:
              - The patch property the filter matches, one of V(ARCH), V(ADVISORY_ID), V(BUGZILLA_ID), V(PATCH_SET),
                V(PRODUCT), V(PRODUCT_FAMILY), V(CLASSIFICATION), V(CVE_ID), V(EPOCH), V(MSRC_SEVERITY), V(NAME), V(PATCH_ID),
                V(SECTION), V(PRIORITY), V(REPOSITORY), V(RELEASE), V(SEVERITY), V(SECURITY), V(VERSION), valid for the
                baseline's O(operating_system) (see C(aws ssm describe-patch-properties)).
            type: str
          values:
            description:
              - Values of the property (1 to 20); V(*) matches every value.
            type: list
            elements: str
  approval_rules:
    description:
      - Rules that approve patches automatically.
    type: dict
    suboptions:
      patch_rules:
        description:
          - The rules (at most 10).
        type: list
        elements: dict
        suboptions:
          patch_filter_group:
            description:
              - The filters that select the patches this rule approves.
            type: dict
            suboptions:
              patch_filters:
                description:
                  - The filters (at most 4, one per key); a patch must match all of them.
                type: list
                elements: dict
                suboptions:
                  key:
                    description:
                      - The patch property the filter matches, one of V(ARCH), V(ADVISORY_ID), V(BUGZILLA_ID), V(PATCH_SET),
                        V(PRODUCT), V(PRODUCT_FAMILY), V(CLASSIFICATION), V(CVE_ID), V(EPOCH), V(MSRC_SEVERITY), V(NAME),
                        V(PATCH_ID), V(SECTION), V(PRIORITY), V(REPOSITORY), V(RELEASE), V(SEVERITY), V(SECURITY), V(VERSION),
                        valid for the baseline's O(operating_system) (see C(aws ssm describe-patch-properties)).
                    type: str
                  values:
                    description:
                      - Values of the property (1 to 20); V(*) matches every value.
                    type: list
                    elements: str
          compliance_level:
            description:
              - 'Compliance severity of the patches the rule approves: one of V(CRITICAL), V(HIGH), V(MEDIUM), V(LOW),
                V(INFORMATIONAL), V(UNSPECIFIED).'
            type: str
          approve_after_days:
            description:
              - Days (0 to 360) after a patch's release date before it is approved.
              - Exactly one of O(approval_rules.patch_rules[].approve_after_days) and O(approval_rules.patch_rules[].approve_until_date),
                except on Debian and Ubuntu, which support neither.
            type: int
          approve_until_date:
            description:
              - Patches released on or before this date (C(YYYY-MM-DD)) are approved.
            type: str
          enable_non_security:
            description:
              - 'Linux only: also install non-security updates from the repositories the rule matches.'
            type: bool
  approved_patches:
    description:
      - Patches approved explicitly (IDs or package names, at most 50), whatever the rules say.
    type: list
    elements: str
  approved_patches_compliance_level:
    description:
      - 'Compliance severity of the explicitly approved patches: one of V(CRITICAL), V(HIGH), V(MEDIUM), V(LOW), V(INFORMATIONAL),
        V(UNSPECIFIED).'
    type: str
  approved_patches_enable_non_security:
    description:
      - 'Linux only: the approved patches include non-security updates.'
    type: bool
  rejected_patches:
    description:
      - Patches rejected explicitly (IDs or package names, at most 50).
    type: list
    elements: str
  rejected_patches_action:
    description:
      - 'What happens to a rejected patch another package depends on: one of V(ALLOW_AS_DEPENDENCY), V(BLOCK).'
    type: str
  sources:
    description:
      - 'Linux only: alternative source repositories (at most 20).'
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Name of the source repository (3 to 50 of C(a-zA-Z0-9_-.)).
        type: str
      products:
        description:
          - The operating system versions the source applies to, for example C(AmazonLinux2023).
        type: list
        elements: str
      configuration:
        description:
          - The repository file's content (yum/dnf C(.repo) or apt C(sources.list) syntax). It may hold credentials,
            so it is never logged or shown in a diff.
        type: str
  available_security_updates_compliance_status:
    description:
      - 'Windows only: the compliance status a node gets when security updates are available but not approved: one of
        V(COMPLIANT), V(NON_COMPLIANT).'
    type: str
  baseline_id:
    description:
      - ID or ARN of an existing baseline to manage; identity then does not depend on O(name), so the baseline can be
        renamed.
    type: str
  patch_groups:
    description:
      - The patch groups registered with this baseline (RegisterPatchBaselineForPatchGroup). A patch group has at most
        one baseline per operating system.
      - Groups registered here and not listed are deregistered; leave unset to leave them alone.
    type: list
    elements: str
  default_for_os:
    description:
      - V(true) makes this baseline the default for its operating system (RegisterDefaultPatchBaseline); V(false) gives
        the default back to the AWS-provided default baseline of that operating system when this one is the default;
        unset leaves the default alone.
    type: bool
  tags:
    description:
      - Tags of the baseline.
    type: dict
    aliases:
      - resource_tags
  purge_tags:
    description:
      - Remove tags not listed in O(tags). Tags whose keys start with C(aws:) are never removed.
    type: bool
    default: true
  force:
    description:
      - Move a patch group registered with another baseline of the same operating system, and delete a baseline that
        is the default or still has patch groups (the default goes back to AWS's baseline first and the groups are deregistered).
    type: bool
    default: false
  state:
    description:
      - V(absent) deletes the baseline.
    type: str
    default: present
    choices:
      - present
      - absent
  aws_provided:
    description:
      - 'What M(mwops.ssm.patch_baseline_info) says of a baseline, accepted so that its output can be fed back. V(true)
        is refused: AWS-provided baselines cannot be changed.'
    type: bool
    default: false
extends_documentation_fragment: [ansible.builtin.action_common_attributes, mwops.ssm.attributes.converge,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
"""

EXAMPLES = r"""
- name: A baseline for Amazon Linux 2023 with two patch groups
  mwops.ssm.patch_baseline:
    name: prod-al2023
    operating_system: AMAZON_LINUX_2023
    description: Security updates after 7 days, critical ones at once
    approval_rules:
      patch_rules:
        - patch_filter_group:
            patch_filters:
              - {key: CLASSIFICATION, values: [Security]}
              - {key: SEVERITY, values: [Critical]}
          approve_after_days: 0
          compliance_level: CRITICAL
        - patch_filter_group:
            patch_filters:
              - {key: CLASSIFICATION, values: [Security, Bugfix]}
          approve_after_days: 7
          compliance_level: HIGH
    rejected_patches: [kernel-debug]
    rejected_patches_action: BLOCK
    patch_groups: [Prod-Linux, Prod-Batch]
    tags:
      Environment: prod
  register: baseline

- name: Make it the default for Amazon Linux 2023
  mwops.ssm.patch_baseline:
    name: prod-al2023
    default_for_os: true

- name: Move a patch group that another baseline holds
  mwops.ssm.patch_baseline:
    name: prod-al2023
    patch_groups: [Prod-Linux, Prod-Batch, Legacy-Linux]
    force: true

- name: Delete it, giving the default back to AWS and deregistering its groups
  mwops.ssm.patch_baseline:
    name: prod-al2023
    state: absent
    force: true
"""

RETURN = r"""
baseline_id:
  description: ID of the baseline (V(pb-00000000000000000) for a creation predicted in check mode); null when absent.
  returned: always
  type: str
  sample: pb-0123456789abcdef0
patch_baseline:
  description:
    - The baseline after the run in the vocabulary of this module's options, with C(baseline_id), C(tags),
      C(patch_groups) and C(default_for_os). Empty after a deletion. Source configurations are masked.
  returned: always
  type: dict
  sample:
    baseline_id: pb-0123456789abcdef0
    name: prod-al2023
    operating_system: AMAZON_LINUX_2023
    approval_rules:
      patch_rules:
        - patch_filter_group: {"patch_filters": [{"key": "CLASSIFICATION", "values": ["Security"]}]}
          approve_after_days: 7
          compliance_level: HIGH
          enable_non_security: false
    global_filters: {"patch_filters": []}
    approved_patches: []
    approved_patches_compliance_level: UNSPECIFIED
    approved_patches_enable_non_security: false
    rejected_patches: []
    rejected_patches_action: ALLOW_AS_DEPENDENCY
    patch_groups: [Prod-Linux]
    default_for_os: false
    tags: {"Environment": "prod"}
changed_fields:
  description: The fields that changed (or would change in check mode), for example C(approval_rules.patch_rules).
  returned: always
  type: list
  elements: str
  sample: [description, patch_groups]
completed_writes:
  description: The write calls made, in order (also after a failure part way).
  returned: always
  type: list
  elements: dict
  sample: [{"operation": "CreatePatchBaseline", "baseline_id": "pb-0123456789abcdef0"}]
problems:
  description:
    - When the definition is refused, each problem with its field path in this module's vocabulary (for example
      C(approval_rules.patch_rules[0].approve_after_days)) and the rule. Nothing was written.
  returned: failure
  type: list
  elements: dict
  contains:
    path:
      description: The field, in this module's vocabulary.
      type: str
      returned: always
      sample: approval_rules.patch_rules[0].approve_until_date
    message:
      description: The rule the value breaks.
      type: str
      returned: always
      sample: approve_after_days and approve_until_date exclude each other; set one
diff:
  description: Before and after, in the vocabulary, in diff mode.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: The baseline before the run (empty when it did not exist).
      type: dict
      returned: success
    after:
      description: The baseline after the run (empty after a deletion).
      type: dict
      returned: success
"""

from ansible_collections.mwops.ssm.plugins.module_utils import _baseline_aws as A
from ansible_collections.mwops.ssm.plugins.module_utils import _baseline_fields as B
from ansible_collections.mwops.ssm.plugins.module_utils import _baseline_plan as P
from ansible_collections.mwops.ssm.plugins.module_utils._modules import AnsibleSSMModule
from ansible_collections.mwops.ssm.plugins.module_utils._modules import run_guarded
from ansible_collections.mwops.ssm.plugins.module_utils._ssm import service_model


def main() -> None:
    module = AnsibleSSMModule(
        argument_spec=B.argument_spec(),
        supports_check_mode=True,
        required_one_of=[["name", "baseline_id"]],
    )
    params = module.params
    client = module.client("ssm")
    req = P.Request(baseline=B.desired_baseline(params), baseline_id=params["baseline_id"],
                    patch_groups=params["patch_groups"], default_for_os=params["default_for_os"], tags=params["tags"],
                    purge_tags=params["purge_tags"], force=params["force"], present=params["state"] == "present",
                    aws_provided=bool(params["aws_provided"]))

    def converge():
        state = A.find_state(client, params["name"], params["baseline_id"], with_default=True)
        plan = P.plan_baseline(req, state, A.surroundings(client, req, state), service_model(client))
        writes: list = []
        if plan.ops and not module.check_mode:
            new_id, writes = A.execute(client, plan.ops, module.lifeline.keep_going)
            if new_id and plan.after:
                plan.after["baseline_id"] = new_id
        return plan, writes

    plan, writes = run_guarded(module, converge)
    for warning in plan.warnings:
        module.warn(warning)
    final = plan.after or {}
    result = dict(changed=plan.changed, baseline_id=final.get("baseline_id") or (plan.before or {}).get("baseline_id"),
                  patch_baseline=final, changed_fields=plan.changed_fields, completed_writes=writes)
    if module._diff:
        result["diff"] = {"before": plan.before or {}, "after": final}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
