#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mw_target
short_description: Register, update or deregister a target of an SSM maintenance window
version_added: 0.1.0
description:
  - Converges one target of an AWS Systems Manager maintenance window, identified by its O(name) within the window.
  - Changes go through C(UpdateMaintenanceWindowTarget), so the target keeps its ID; only a change of O(resource_type)
    registers a new target (SSM cannot change it in place).
  - The definition is the full desired shape, so options left out are cleared.
  - Deregistering a target that a task still uses fails and names the task, unless O(force=true).
  - Several targets or tasks with this name (left by a crash or made by hand) are repaired when one of them is
    provably the one to keep (equal to the definition, or the only one in use); the others are deregistered.
    Otherwise the module fails naming their IDs; give the ID option to choose.
  - The whole definition is validated (the SSM API constraints and cross-field rules) before the first write call.
author:
  - mwops maintainers (@mwops)
options:
  name:
    description:
      - Name of the window target, its identity within the window (3 to 128 letters, digits, V(_), V(-) or V(.)).
      - Optional. Without O(name) and O(window_target_id) the window target is identified by its content (an equal unnamed window target
        of the window is kept, otherwise one is registered).
    type: str
  description:
    description:
      - Description of the window target (1 to 128 characters). Unset means none.
    type: str
  resource_type:
    description:
      - V(INSTANCE) or V(RESOURCE_GROUP).
      - When not set, V(RESOURCE_GROUP) if a key starts with C(resource-groups:), else V(INSTANCE).
      - SSM cannot change it in place; a change registers a new target (new ID) and deregisters the old one.
    type: str
  targets:
    description:
      - What the target selects, as key/values entries (up to 5; entries and values are ANDed/ORed as in SSM).
      - "By tag: C(targets[].key=tag:PatchGroup) with the tag values."
      - "By tag key (any value): C(targets[].key=tag-key) with the tag keys."
      - "By instance: C(targets[].key=InstanceIds) with up to 50 instance IDs."
      - "By resource group (C(resource_type=RESOURCE_GROUP)): C(targets[].key=resource-groups:Name) with one group name,
        optionally C(targets[].key=resource-groups:ResourceTypeFilters) with resource types such as C(AWS::EC2::Instance)."
      - Order of entries and of values does not matter.
    type: list
    elements: dict
    suboptions:
      key:
        description: The target key.
        type: str
      values:
        description: The values for C(targets[].key).
        type: list
        elements: str
  owner_information:
    description:
      - Free text (1 to 128 characters) that SSM passes to every task run on this target.
    type: str
  window_target_id:
    description:
      - ID of the window target. It must exist (C(no window target with ID ...) otherwise, and nothing is written; with
        O(state=absent) it is already absent). When O(name) is given too, it must be this window target's name.
    type: str
  state:
    description:
      - V(present) registers or updates the target, V(absent) deregisters it.
      - With O(state=absent) and a name, every target of that name is deregistered.
    type: str
    default: present
    choices: [present, absent]
  force:
    description:
      - Deregister the target even when tasks of the window still use it (C(Safe=false)).
    type: bool
    default: false
extends_documentation_fragment: [mwops.ssm.window_identity, ansible.builtin.action_common_attributes, mwops.ssm.attributes.converge,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
"""

EXAMPLES = r"""
- name: Web servers by patch group tag
  mwops.ssm.mw_target:
    window: prod-linux-patching
    name: prod-web
    targets:
      - key: tag:PatchGroup
        values: [Prod-Linux]
    owner_information: team-web

- name: Any instance carrying a tag key
  mwops.ssm.mw_target:
    window: prod-linux-patching
    name: tagged
    targets:
      - key: tag-key
        values: [PatchGroup]

- name: Two instances by ID
  mwops.ssm.mw_target:
    window_id: mw-0123456789abcdef0
    name: canaries
    targets:
      - key: InstanceIds
        values: [i-0123456789abcdef0, i-0fedcba9876543210]

- name: A resource group
  mwops.ssm.mw_target:
    window: prod-linux-patching
    name: app-group
    resource_type: RESOURCE_GROUP
    targets:
      - key: resource-groups:Name
        values: [prod-app]
      - key: resource-groups:ResourceTypeFilters
        values: ["AWS::EC2::Instance"]

- name: Deregister, even though a task still uses it
  mwops.ssm.mw_target:
    window: prod-linux-patching
    name: canaries
    state: absent
    force: true
"""

RETURN = r"""
window_id:
  description: ID of the maintenance window.
  returned: when the window exists
  type: str
  sample: mw-0123456789abcdef0
window_target_id:
  description: ID of the window target (V(null) in check mode before it exists).
  returned: always
  type: str
  sample: 3a6a1a51-5a1e-4b5e-9b1f-5f6c1f0e2d3c
target:
  description: The target in the window-definition vocabulary, with its ID. Empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the target.
      type: str
      returned: when set
      sample: prod-web
    description:
      description: Description.
      type: str
      returned: when set
    resource_type:
      description: V(INSTANCE) or V(RESOURCE_GROUP).
      type: str
      returned: success
      sample: INSTANCE
    targets:
      description: Key/values entries, sorted.
      type: list
      elements: dict
      returned: success
      sample: [{"key": "tag:PatchGroup", "values": ["Prod-Linux"]}]
    owner_information:
      description: Owner information.
      type: str
      returned: when set
    window_target_id:
      description: ID of the target.
      type: str
      returned: success
changed_fields:
  description: What changed (or would change in check mode), by field.
  returned: always
  type: list
  elements: str
  sample: ["owner_information"]
completed_writes:
  description:
    - The target's write calls this run made (C(RegisterTargetWithMaintenanceWindow), C(UpdateMaintenanceWindowTarget),
      C(DeregisterTargetFromMaintenanceWindow)), in order, each with the window and target IDs it touched.
    - When the module fails after some writes, C(changed) is V(true) and this lists what was done.
  returned: always
  type: list
  elements: dict
  sample: [{"operation": "RegisterTargetWithMaintenanceWindow", "window_id": "mw-0123456789abcdef0",
            "window_target_id": "3a6a1a51-5a1e-4b5e-9b1f-5f6c1f0e2d3c", "name": "prod-web"}]
problems:
  description:
    - When the target is refused, each problem with the path of the option it concerns (for example
      C(targets[0].values[0])) and the rule. Nothing was written.
  returned: failure
  type: list
  elements: dict
  contains:
    path:
      description: The option of this module, with the position of a O(targets) entry and value.
      type: str
      returned: always
      sample: targets[0].values[0]
    message:
      description: The rule the value breaks.
      type: str
      returned: always
      sample: must not be empty
"""

from ansible_collections.mwops.ssm.plugins.module_utils._argspec import TARGET_KEYS
from ansible_collections.mwops.ssm.plugins.module_utils._argspec import mw_target_argument_spec
from ansible_collections.mwops.ssm.plugins.module_utils._converge import ensure_target
from ansible_collections.mwops.ssm.plugins.module_utils._modules import run_window_member


def main() -> None:
    run_window_member(mw_target_argument_spec(), TARGET_KEYS, "target", ensure_target, passed=("force",))


if __name__ == "__main__":
    main()
