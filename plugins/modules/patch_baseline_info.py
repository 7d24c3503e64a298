#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: patch_baseline_info
short_description: List SSM patch baselines (custom and AWS-provided), their patch groups and the default per OS
version_added: 0.1.0
description:
  - Lists AWS Systems Manager patch baselines in the vocabulary that M(mwops.ssm.patch_baseline) takes, with their tags,
    patch groups and whether each is the default baseline of its operating system
    (U(https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribePatchBaselines.html)).
  - Each returned custom baseline fed back to M(mwops.ssm.patch_baseline) reports no change. This is how baselines made
    in the console are adopted as code.
author:
  - mwops maintainers (@mwops)
options:
  name:
    description:
      - Only the baselines with exactly this name.
    type: str
  operating_system:
    description:
      - Only the baselines of this operating system.
    type: str
    choices:
      - WINDOWS
      - AMAZON_LINUX
      - AMAZON_LINUX_2
      - AMAZON_LINUX_2022
      - AMAZON_LINUX_2023
      - UBUNTU
      - DEBIAN
      - RASPBIAN
      - REDHAT_ENTERPRISE_LINUX
      - SUSE
      - CENTOS
      - ORACLE_LINUX
      - ROCKY_LINUX
      - ALMA_LINUX
      - MACOS
  owner:
    description:
      - 'V(Self): your custom baselines; V(AWS): the AWS-provided ones; V(All): both.'
    type: str
    default: All
    choices:
      - Self
      - AWS
      - All
  baseline_ids:
    description:
      - Only the baselines with these IDs.
    type: list
    default: []
    elements: str
extends_documentation_fragment: [ansible.builtin.action_common_attributes, mwops.ssm.attributes.info,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
"""

EXAMPLES = r"""
- name: Every baseline of the account and region, AWS-provided ones included
  mwops.ssm.patch_baseline_info:
  register: all_baselines

- name: The custom baselines for Ubuntu
  mwops.ssm.patch_baseline_info:
    owner: Self
    operating_system: UBUNTU
  register: ubuntu

- name: Adopt console-made baselines as code (a no-op the first time)
  mwops.ssm.patch_baseline: "{{ item }}"
  loop: "{{ ubuntu.patch_baselines }}"
  loop_control:
    label: "{{ item.name }}"
"""

RETURN = r"""
patch_baselines:
  description:
    - The baselines, sorted by name, each in the vocabulary of M(mwops.ssm.patch_baseline) (its RETURN
      C(patch_baseline) has the details) with C(baseline_id), C(tags), C(patch_groups), C(default_for_os) and
      C(aws_provided).
    - C(aws_provided) baselines belong to AWS (their ID is an ARN); they are listed but cannot be managed.
  returned: always
  type: list
  elements: dict
  sample:
    - baseline_id: pb-0123456789abcdef0
      name: prod-ubuntu
      operating_system: UBUNTU
      aws_provided: false
      default_for_os: false
      patch_groups: [Prod-Linux]
      tags: {"Environment": "prod"}
      approval_rules:
        patch_rules:
          - patch_filter_group: {"patch_filters": [{"key": "PRIORITY", "values": ["Required", "Important"]}]}
            compliance_level: UNSPECIFIED
            enable_non_security: false
      global_filters: {"patch_filters": []}
      approved_patches: []
      approved_patches_compliance_level: UNSPECIFIED
      approved_patches_enable_non_security: false
      rejected_patches: []
      rejected_patches_action: ALLOW_AS_DEPENDENCY
default_baselines:
  description: The default baseline of each operating system among the listed baselines, by operating system.
  returned: always
  type: dict
  sample: {"UBUNTU": "arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-0c7e89f711c3095f4"}
"""

from ansible_collections.mwops.ssm.plugins.module_utils import _baseline_aws as A
from ansible_collections.mwops.ssm.plugins.module_utils import _baseline_fields as B
from ansible_collections.mwops.ssm.plugins.module_utils._modules import AnsibleSSMModule
from ansible_collections.mwops.ssm.plugins.module_utils._modules import run_guarded


def main() -> None:
    module = AnsibleSSMModule(argument_spec=B.info_argument_spec(), supports_check_mode=True)
    params = module.params
    client = module.client("ssm")
    baselines, defaults = run_guarded(module, lambda: A.list_baselines(
        client, name=params["name"], operating_system=params["operating_system"], owner=params["owner"],
        baseline_ids=params["baseline_ids"]))
    baselines = sorted(baselines, key=lambda b: (b.get("name") or "", b.get("baseline_id") or ""))
    module.exit_json(changed=False, patch_baselines=baselines, default_baselines=defaults)


if __name__ == "__main__":
    main()
