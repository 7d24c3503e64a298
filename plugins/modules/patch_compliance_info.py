#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: patch_compliance_info
short_description: Report SSM Patch Manager compliance per patch group and per managed node
version_added: 0.1.0
description:
  - Reads the patch compliance that the SSM agent reports after each C(AWS-RunPatchBaseline) Scan or Install, per patch
    group (C(DescribePatchGroupState)) and per managed node (C(DescribeInstancePatchStatesForPatchGroup),
    C(DescribeInstancePatchStates)), with the baselines registered for each group (C(DescribePatchGroups)).
  - Returns flat records in snake_case, shaped for a report or a CSV file, plus a summary; the patch compliance evidence
    auditors ask for. See
    U(https://docs.aws.amazon.com/systems-manager/latest/userguide/patch-manager-compliance-states.html).
  - A node is V(NON_COMPLIANT) when it has missing, failed, installed-pending-reboot or installed-rejected patches, or
    patches SSM counts as non-compliant by severity (critical, security, other).
  - Read-only; paginated calls are followed to the end and throttled calls are retried with backoff.
author:
  - mwops maintainers (@mwops)
options:
  patch_groups:
    description:
      - The patch groups to report, by name (the value of the C(Patch Group) or C(PatchGroup) tag).
      - When omitted, every patch group registered with a baseline in the account and region, unless
        O(instance_ids) is given (then only those nodes).
      - A group that no node reports for is listed with zero counts.
    type: list
    elements: str
  instance_ids:
    description:
      - Managed nodes to report as well (C(i-...) or C(mi-...)), whatever their patch group. Each node is listed once.
    type: list
    elements: str
    default: []
  filters:
    description:
      - Only nodes whose counts pass every filter (at most 4). SSM applies them to the patch-group reads; the same test
        is applied to the nodes of O(instance_ids).
      - The group counts (C(instances), C(instances_with_missing), ...) are SSM's over all nodes of the group.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description: The count compared.
        type: str
        required: true
        choices: [installed, installed_other, installed_pending_reboot, installed_rejected, missing, failed,
                  unreported_not_applicable, not_applicable]
      type:
        description: The comparison.
        type: str
        choices: [Equal, NotEqual, LessThan, GreaterThan]
        default: Equal
      value:
        description: The number compared with (at least 0).
        type: int
        required: true
extends_documentation_fragment: [ansible.builtin.action_common_attributes, mwops.ssm.attributes.info,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
notes:
  - Compliance is what the nodes last reported; a node that has not run a Scan or Install since it joined the group is
    not listed. Compare C(operation_end_time) with your patching cadence to find stale reports.
"""

EXAMPLES = r"""
- name: Compliance of every registered patch group
  mwops.ssm.patch_compliance_info:
  register: compliance

- name: Fail the pipeline when production is not fully compliant
  ansible.builtin.assert:
    that: compliance.summary.non_compliant_instances == 0
    fail_msg: "Non-compliant: {{ compliance.summary.non_compliant_instance_ids | join(', ') }}"

- name: Nodes of two groups with missing patches
  mwops.ssm.patch_compliance_info:
    patch_groups: [Prod-Linux, Prod-Windows]
    filters:
      - key: missing
        type: GreaterThan
        value: 0
  register: missing

- name: Evidence as CSV for the auditors
  ansible.builtin.copy:
    dest: evidence/patch-compliance.csv
    mode: "0600"
    content: |
      instance_id,patch_group,baseline_id,operation,operation_end_time,missing,failed,compliance
      {% for i in compliance.instances %}
      {{ [i.instance_id, i.patch_group, i.baseline_id, i.operation, i.operation_end_time, i.missing, i.failed,
          i.compliance] | join(',') }}
      {% endfor %}
"""

RETURN = r"""
groups:
  description:
    - One record per patch group, in the order of O(patch_groups) (sorted by name when read from the registrations).
    - C(instances) and the C(instances_with_*) counts are SSM's (C(DescribePatchGroupState)) - how many nodes of the group
      have at least one patch in that state; C(compliant_instances), C(non_compliant_instances) and the operation times
      come from the listed node records.
  returned: always
  type: list
  elements: dict
  contains:
    patch_group:
      description: The patch group.
      type: str
    baseline_id:
      description: The baseline registered for the group when there is exactly one (one per operating system is allowed).
      type: str
    baselines:
      description: Every registered baseline of the group, each with C(operating_system), C(baseline_id), C(baseline_name).
      type: list
      elements: dict
    instances:
      description: Nodes that report for the group.
      type: int
    instances_with_installed:
      description: Nodes with installed patches.
      type: int
    instances_with_installed_other:
      description: Nodes with installed patches that the baseline does not approve.
      type: int
    instances_with_installed_pending_reboot:
      description: Nodes with patches installed but not yet in effect (reboot pending); non-compliant.
      type: int
    instances_with_installed_rejected:
      description: Nodes with installed patches that the baseline rejects.
      type: int
    instances_with_missing:
      description: Nodes with approved patches that are not installed.
      type: int
    instances_with_failed:
      description: Nodes with patches that failed to install.
      type: int
    instances_with_not_applicable:
      description: Nodes with approved patches that do not apply to them.
      type: int
    instances_with_unreported_not_applicable:
      description: Nodes with unreported not-applicable patches.
      type: int
    instances_with_critical_non_compliant:
      description: Nodes with non-compliant patches of compliance level CRITICAL.
      type: int
    instances_with_security_non_compliant:
      description: Nodes with non-compliant security patches.
      type: int
    instances_with_other_non_compliant:
      description: Nodes with non-compliant patches that are neither critical nor security.
      type: int
    instances_with_available_security_updates:
      description: Nodes with security updates available but not approved.
      type: int
    compliant_instances:
      description: Listed nodes of the group that are compliant.
      type: int
    non_compliant_instances:
      description: Listed nodes of the group that are not.
      type: int
    oldest_operation_end_time:
      description: The oldest last-operation end among the listed nodes (ISO-8601 UTC); null without nodes.
      type: str
    newest_operation_end_time:
      description: The newest one.
      type: str
  sample:
    - patch_group: Prod-Linux
      baseline_id: pb-0123456789abcdef0
      baselines: [{operating_system: AMAZON_LINUX_2023, baseline_id: pb-0123456789abcdef0, baseline_name: prod-al2023}]
      instances: 12
      instances_with_missing: 1
      instances_with_failed: 0
      instances_with_installed_pending_reboot: 1
      compliant_instances: 10
      non_compliant_instances: 2
      oldest_operation_end_time: "2024-11-12T02:20:00Z"
      newest_operation_end_time: "2024-11-12T02:41:07Z"
instances:
  description: One record per node (each once), sorted by patch group and node ID; only nodes that pass O(filters).
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: The node.
      type: str
    patch_group:
      description: The patch group the node reported under (empty when none).
      type: str
    baseline_id:
      description: The baseline the last operation used.
      type: str
    snapshot_id:
      description: The baseline snapshot the last operation used.
      type: str
    owner_information:
      description: The window target's owner information, when set.
      type: str
    install_override_list:
      description: The C(InstallOverrideList) the last operation used, when set.
      type: str
    operation:
      description: The last operation, V(Scan) or V(Install).
      type: str
    operation_start_time:
      description: When it started (ISO-8601 UTC).
      type: str
    operation_end_time:
      description: When it ended (ISO-8601 UTC).
      type: str
    last_no_reboot_install_operation_time:
      description: The last Install with C(RebootOption=NoReboot), when there was one.
      type: str
    reboot_option:
      description: The reboot option of the last Install, V(RebootIfNeeded) or V(NoReboot).
      type: str
    installed:
      description: Installed approved patches.
      type: int
    installed_other:
      description: Installed patches the baseline does not approve.
      type: int
    installed_pending_reboot:
      description: Patches installed but pending a reboot.
      type: int
    installed_rejected:
      description: Installed patches the baseline rejects.
      type: int
    missing:
      description: Approved patches not installed.
      type: int
    failed:
      description: Patches that failed to install.
      type: int
    not_applicable:
      description: Approved patches that do not apply.
      type: int
    unreported_not_applicable:
      description: Unreported not-applicable patches.
      type: int
    available_security_updates:
      description: Security updates available but not approved.
      type: int
    critical_non_compliant:
      description: Non-compliant patches of compliance level CRITICAL.
      type: int
    security_non_compliant:
      description: Non-compliant security patches.
      type: int
    other_non_compliant:
      description: Other non-compliant patches.
      type: int
    compliance:
      description: V(COMPLIANT) or V(NON_COMPLIANT) (see the description).
      type: str
  sample:
    - instance_id: i-0123456789abcdef0
      patch_group: Prod-Linux
      baseline_id: pb-0123456789abcdef0
      operation: Install
      operation_start_time: "2024-11-12T02:00:00Z"
      operation_end_time: "2024-11-12T02:20:00Z"
      reboot_option: RebootIfNeeded
      installed: 412
      missing: 0
      failed: 0
      installed_pending_reboot: 0
      compliance: COMPLIANT
summary:
  description:
    - Totals over the listed nodes, each counted once - C(patch_groups), C(instances), C(compliant_instances),
      C(non_compliant_instances), C(compliance_percent) (null without nodes), C(non_compliant_instance_ids),
      C(operations) (nodes per last operation), C(oldest_operation_end_time), C(newest_operation_end_time), and the sum
      of every patch count of the node records (C(installed), C(missing), C(failed), ...).
  returned: always
  type: dict
  sample:
    patch_groups: 2
    instances: 3
    compliant_instances: 2
    non_compliant_instances: 1
    compliance_percent: 66.7
    non_compliant_instance_ids: [i-0fedcba9876543210]
    operations: {Install: 2, Scan: 1}
    missing: 2
    failed: 0
"""

from ansible_collections.mwops.ssm.plugins.module_utils._aws_patch_compliance import read_compliance
from ansible_collections.mwops.ssm.plugins.module_utils._modules import AnsibleSSMModule
from ansible_collections.mwops.ssm.plugins.module_utils._modules import run_guarded
from ansible_collections.mwops.ssm.plugins.module_utils._patch_compliance import FILTER_KEYS
from ansible_collections.mwops.ssm.plugins.module_utils._patch_compliance import FILTER_TYPES
from ansible_collections.mwops.ssm.plugins.module_utils._patch_compliance import ComplianceInputError
from ansible_collections.mwops.ssm.plugins.module_utils._patch_compliance import check_filters
from ansible_collections.mwops.ssm.plugins.module_utils._patch_compliance import check_instance_id
from ansible_collections.mwops.ssm.plugins.module_utils._patch_compliance import check_patch_group


def main() -> None:
    module = AnsibleSSMModule(
        argument_spec=dict(
            patch_groups=dict(type="list", elements="str"),
            instance_ids=dict(type="list", elements="str", default=[]),
            filters=dict(type="list", elements="dict", default=[], options=dict(
                key=dict(type="str", required=True, choices=list(FILTER_KEYS), no_log=False),
                type=dict(type="str", choices=list(FILTER_TYPES), default="Equal"),
                value=dict(type="int", required=True),
            )),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        groups = None if params["patch_groups"] is None else \
            [check_patch_group(g, f"patch_groups[{n}]") for n, g in enumerate(params["patch_groups"])]
        instance_ids = [check_instance_id(i, f"instance_ids[{n}]") for n, i in enumerate(params["instance_ids"])]
        filters = check_filters(params["filters"])
    except ComplianceInputError as e:
        module.fail_json(msg=str(e))
    client = module.client("ssm")
    answer = run_guarded(module, lambda: read_compliance(client, groups, instance_ids, filters))
    module.exit_json(changed=False, **answer)


if __name__ == "__main__":
    main()
