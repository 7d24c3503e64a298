#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: maintenance_window_info
short_description: List SSM maintenance windows with their targets and tasks, as definitions
version_added: 0.1.0
description:
  - Lists AWS Systems Manager maintenance windows with their tags, targets and tasks (tasks with their full invocation
    parameters), in the same vocabulary that M(mwops.ssm.maintenance_window) takes.
  - Each returned window fed back to M(mwops.ssm.maintenance_window) reports no change. This is how windows made in the
    console are adopted as code.
author:
  - mwops maintainers (@mwops)
options:
  name:
    description: Only the windows with exactly this name.
    type: str
  window_ids:
    description: Only the windows with these IDs.
    type: list
    elements: str
    default: []
  enabled:
    description: Only enabled (V(true)) or disabled (V(false)) windows. All when not set.
    type: bool
  tags:
    description: Only windows that carry all of these tags (key and value).
    type: dict
    default: {}
extends_documentation_fragment: [ansible.builtin.action_common_attributes, mwops.ssm.attributes.info,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
"""

EXAMPLES = r"""
- name: Every window of the account and region
  mwops.ssm.maintenance_window_info:
  register: all_windows

- name: The production windows that are enabled
  mwops.ssm.maintenance_window_info:
    enabled: true
    tags:
      Environment: prod
  register: prod

- name: Adopt a console-made window as code (a no-op the first time)
  mwops.ssm.maintenance_window: "{{ item }}"
  loop: "{{ prod.maintenance_windows }}"

- name: Write a definition file to review
  ansible.builtin.copy:
    content: "{{ prod.maintenance_windows | to_nice_yaml }}"
    dest: windows.yml
    mode: "0644"
"""

RETURN = r"""
maintenance_windows:
  description:
    - The windows, sorted by name, each in the vocabulary of M(mwops.ssm.maintenance_window) (its RETURN
      C(maintenance_window) has the details) with C(window_id), C(tags), C(targets) and C(tasks).
  returned: always
  type: list
  elements: dict
  sample:
    - window_id: mw-0123456789abcdef0
      name: prod-linux-patching
      schedule: cron(0 2 ? * TUE#2 *)
      duration: 4
      cutoff: 1
      allow_unassociated_targets: false
      enabled: true
      tags: {"Environment": "prod"}
      targets:
        - name: prod-web
          resource_type: INSTANCE
          targets: [{"key": "tag:PatchGroup", "values": ["Prod-Linux"]}]
          window_target_id: 3a6a1a51-5a1e-4b5e-9b1f-5f6c1f0e2d3c
      tasks:
        - name: patch
          task_type: RUN_COMMAND
          task_arn: AWS-RunPatchBaseline
          priority: 1
          cutoff_behavior: CONTINUE_TASK
          max_concurrency: "10%"
          max_errors: "1"
          targets: [{"window_target": "prod-web"}]
          task_invocation_parameters: {"run_command": {"parameters": {"Operation": ["Install"]}}}
          window_task_id: 7d8e1a51-5a1e-4b5e-9b1f-5f6c1f0e2d3c
"""

from ansible_collections.mwops.ssm.plugins.module_utils._converge import list_windows
from ansible_collections.mwops.ssm.plugins.module_utils._modules import AnsibleSSMModule
from ansible_collections.mwops.ssm.plugins.module_utils._modules import run_guarded


def main() -> None:
    module = AnsibleSSMModule(
        argument_spec=dict(
            name=dict(type="str"),
            window_ids=dict(type="list", elements="str", default=[]),
            enabled=dict(type="bool"),
            tags=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    params = module.params
    client = module.client("ssm")
    windows = run_guarded(module, lambda: list_windows(client, name=params["name"], enabled=params["enabled"],
                                                       tags=params["tags"], window_ids=params["window_ids"]))
    windows = sorted(windows, key=lambda w: (w.get("name") or "", w.get("window_id") or ""))
    module.exit_json(changed=False, maintenance_windows=windows)


if __name__ == "__main__":
    main()
