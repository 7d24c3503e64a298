#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mw_task
short_description: Register, update or deregister a task of an SSM maintenance window
version_added: 0.1.0
description:
  - Converges one task of an AWS Systems Manager maintenance window, identified by its O(name) within the window.
  - Changes go through C(UpdateMaintenanceWindowTask) with C(Replace=true) and the full task, so the task keeps its ID
    and nothing is left behind; the whole C(TaskInvocationParameters) are always resent. Only a change of O(task_type)
    registers a new task.
  - The definition is the full desired shape; options left out are cleared.
  - Comparison is normalised, so a second run reports no change and makes no write call. Document parameter names may
    come back in any order, values are coerced to lists of strings, SSM's placeholder rate controls of targetless
    tasks, its service-linked role and its default CloudWatch log group are not differences.
  - Several targets or tasks with this name (left by a crash or made by hand) are repaired when one of them is
    provably the one to keep (equal to the definition, or the only one in use); the others are deregistered.
    Otherwise the module fails naming their IDs; give the ID option to choose.
  - The whole definition is validated before the first write call; errors name the option and the rule.
author:
  - mwops maintainers (@mwops)
options:
  name:
    description:
      - Name of the task, its identity within the window (3 to 128 letters, digits, V(_), V(-) or V(.)).
      - Optional. Without O(name) and O(window_task_id) the task is identified by its content (an equal unnamed task
        of the window is kept, otherwise one is registered).
    type: str
  description:
    description:
      - Description of the task (1 to 128 characters).
    type: str
  task_type:
    description:
      - V(RUN_COMMAND), V(AUTOMATION), V(LAMBDA) or V(STEP_FUNCTIONS). Required.
      - SSM cannot change it in place; a different type registers a new task (new ID).
    type: str
  task_arn:
    description:
      - The document name (Run Command, Automation), the Lambda function or the state machine ARN. Required.
    type: str
  priority:
    description:
      - Lower runs first; tasks of equal priority run in parallel. V(1) when not set.
    type: int
  service_role_arn:
    description:
      - Role SSM assumes to run the task. When not set SSM uses its service-linked role. That role given explicitly
        (C(.../aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM)) means the same; neither is reported as a
        difference.
    type: str
  max_concurrency:
    description:
      - How many targets run the task at once, a number (V(10)) or a percentage (V(10%)).
      - Required for a task with targets; not allowed for a targetless task (SSM's placeholder V(1) is ignored).
    type: str
  max_errors:
    description:
      - Errors allowed before the task stops being scheduled, a number (V(0)) or a percentage (V(10%)).
      - Required for a task with targets; not allowed for a targetless task.
    type: str
  cutoff_behavior:
    description:
      - What happens to a running task when the window reaches its cutoff, V(CONTINUE_TASK) (default in SSM) or
        V(CANCEL_TASK).
    type: str
  alarm_configuration:
    description:
      - A CloudWatch alarm that stops the task when it fires.
    type: dict
    suboptions:
      alarms:
        description: Exactly one alarm.
        type: list
        elements: dict
        suboptions:
          name:
            description: The alarm name.
            type: str
      ignore_poll_alarm_failure:
        description: Run the task even when the alarm state cannot be read. V(false) when not set.
        type: bool
  targets:
    description:
      - Where the task runs. Leave out for a targetless task (not allowed for V(RUN_COMMAND)).
      - Each entry is either C(targets[].window_target), a window target of the same window by name (resolved to its ID;
        at most 10), or C(targets[].key)/C(targets[].values) with V(WindowTargetIds) or V(InstanceIds) (up to 50; the
        window needs C(allow_unassociated_targets=true) for instance IDs).
    type: list
    elements: dict
    suboptions:
      window_target:
        description: Name of a window target of this window.
        type: str
      key:
        description: V(WindowTargetIds) or V(InstanceIds).
        type: str
      values:
        description: Window target IDs or instance IDs.
        type: list
        elements: str
  task_invocation_parameters:
    description:
      - Parameters for the task, under the key that matches C(task_type). The whole set is always sent, so anything
        left out here is removed from the task.
      - "SSM pseudo parameters such as C({{WINDOW_ID}}) or C({{INVOCATION_ID}}) are passed to SSM byte for byte. Write
        them so that Ansible does not template them: C(!unsafe '{{WINDOW_ID}}') or inside C({% raw %}...{% endraw %})."
    type: dict
    suboptions:
      run_command:
        description: For V(RUN_COMMAND) tasks.
        type: dict
        suboptions:
          comment:
            description: Comment for the command (up to 100 characters).
            type: str
          cloudwatch_output_config:
            description: Send command output to CloudWatch Logs.
            type: dict
            suboptions:
              cloudwatch_log_group_name:
                description: Log group. When not set, SSM picks one and that is not reported as a difference.
                type: str
              cloudwatch_output_enabled:
                description: Whether output goes to CloudWatch Logs.
                type: bool
          document_hash:
            description: Hash of the document, to make sure it did not change.
            type: str
          document_hash_type:
            description: V(Sha256) or V(Sha1).
            type: str
          document_version:
            description: V($DEFAULT) (same as not set), V($LATEST) or a version number.
            type: str
          notification_config:
            description: SNS notifications about the command.
            type: dict
            suboptions:
              notification_arn:
                description: SNS topic ARN.
                type: str
              notification_events:
                description: Any of V(All), V(InProgress), V(Success), V(TimedOut), V(Cancelled), V(Failed).
                type: list
                elements: str
              notification_type:
                description: V(Command) or V(Invocation).
                type: str
          output_s3_bucket_name:
            description: S3 bucket for command output.
            type: str
          output_s3_key_prefix:
            description: S3 key prefix for command output.
            type: str
          parameters:
            description:
              - Document parameters, name to list of strings. A scalar becomes a one-item list, booleans are
                written V(true)/V(false). The order of names does not matter; the order of values does.
            type: dict
          service_role_arn:
            description:
              - Role SSM uses to publish SNS notifications for this command (not the task's C(service_role_arn)).
            type: str
            aliases: [notification_role_arn]
          timeout_seconds:
            description: Seconds (30 to 2592000) the command may wait to start before it is not run.
            type: int
      automation:
        description: For V(AUTOMATION) tasks.
        type: dict
        suboptions:
          document_version:
            description: V($DEFAULT) (same as not set), V($LATEST) or a version number.
            type: str
          parameters:
            description: Automation parameters, name to list of strings (scalars are coerced).
            type: dict
      lambda:
        description: For V(LAMBDA) tasks.
        type: dict
        suboptions:
          client_context:
            description: Base64 client context.
            type: str
          qualifier:
            description: Function version or alias.
            type: str
          payload:
            description: JSON text passed to the function (up to 4096 bytes).
            type: str
      step_functions:
        description: For V(STEP_FUNCTIONS) tasks.
        type: dict
        suboptions:
          input:
            description: JSON input for the execution (up to 4096 characters).
            type: str
          name:
            description: Name of the execution.
            type: str
  window_task_id:
    description:
      - ID of the task. It must exist (C(no task with ID ...) otherwise, and nothing is written; with
        O(state=absent) it is already absent). When O(name) is given too, it must be this task's name.
    type: str
  state:
    description:
      - V(present) registers or updates the task, V(absent) deregisters it.
      - With O(state=absent) and a name, every task of that name is deregistered.
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment: [mwops.ssm.window_identity, ansible.builtin.action_common_attributes, mwops.ssm.attributes.converge,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
"""

EXAMPLES = r"""
- name: Patch the web servers, 10% at a time
  mwops.ssm.mw_task:
    window: prod-linux-patching
    name: patch
    task_type: RUN_COMMAND
    task_arn: AWS-RunPatchBaseline
    priority: 1
    targets:
      - window_target: prod-web
    max_concurrency: "10%"
    max_errors: "1"
    cutoff_behavior: CANCEL_TASK
    task_invocation_parameters:
      run_command:
        parameters:
          Operation: Install
          RebootOption: RebootIfNeeded
        timeout_seconds: 600
        output_s3_bucket_name: my-patch-logs
        cloudwatch_output_config:
          cloudwatch_output_enabled: true

- name: A targetless Automation task that gets the window ID (pseudo parameter kept away from Jinja2)
  mwops.ssm.mw_task:
    window: prod-linux-patching
    name: snapshot
    task_type: AUTOMATION
    task_arn: AWS-CreateSnapshot
    priority: 0
    task_invocation_parameters:
      automation:
        document_version: $LATEST
        parameters:
          VolumeId: vol-0123456789abcdef0
          Description: "before patching in {% raw %}{{WINDOW_ID}}{% endraw %}"

- name: A Lambda task with a payload and an alarm that stops it
  mwops.ssm.mw_task:
    window: prod-linux-patching
    name: notify
    task_type: LAMBDA
    task_arn: arn:aws:lambda:us-east-1:123456789012:function:notify
    priority: 9
    alarm_configuration:
      alarms:
        - name: patching-errors
    task_invocation_parameters:
      lambda:
        payload: '{% raw %}{"window": "{{WINDOW_ID}}"}{% endraw %}'

- name: Remove it
  mwops.ssm.mw_task:
    window: prod-linux-patching
    name: notify
    state: absent
"""

RETURN = r"""
window_id:
  description: ID of the maintenance window.
  returned: when the window exists
  type: str
  sample: mw-0123456789abcdef0
window_task_id:
  description: ID of the task (V(null) in check mode before it exists).
  returned: always
  type: str
  sample: 7d8e1a51-5a1e-4b5e-9b1f-5f6c1f0e2d3c
task:
  description: The task in the window-definition vocabulary, with its ID. Empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the task.
      type: str
      returned: when set
      sample: patch
    description:
      description: Description.
      type: str
      returned: when set
    task_type:
      description: The task type.
      type: str
      returned: success
      sample: RUN_COMMAND
    task_arn:
      description: Document, function or state machine.
      type: str
      returned: success
      sample: AWS-RunPatchBaseline
    priority:
      description: Priority.
      type: int
      returned: success
      sample: 1
    service_role_arn:
      description: Role, unless it is SSM's service-linked role.
      type: str
      returned: when set
    max_concurrency:
      description: Concurrency (not for targetless tasks).
      type: str
      returned: when set
      sample: "10%"
    max_errors:
      description: Error threshold (not for targetless tasks).
      type: str
      returned: when set
      sample: "1"
    cutoff_behavior:
      description: V(CONTINUE_TASK) or V(CANCEL_TASK).
      type: str
      returned: success
    alarm_configuration:
      description: The alarm that stops the task.
      type: dict
      returned: when set
    targets:
      description: Window targets by name (C(window_target)) or key/values entries.
      type: list
      elements: dict
      returned: when set
      sample: [{"window_target": "prod-web"}]
    task_invocation_parameters:
      description: Invocation parameters in full, under the key of the task type.
      type: dict
      returned: when set
      sample: {"run_command": {"parameters": {"Operation": ["Install"]}, "timeout_seconds": 600}}
    window_task_id:
      description: ID of the task.
      type: str
      returned: success
changed_fields:
  description: What changed (or would change in check mode), by field.
  returned: always
  type: list
  elements: str
  sample: ["priority", "task_invocation_parameters.run_command.timeout_seconds"]
completed_writes:
  description:
    - The task's write calls this run made (C(RegisterTaskWithMaintenanceWindow), C(UpdateMaintenanceWindowTask),
      C(DeregisterTaskFromMaintenanceWindow)), in order, each with the window and task IDs it touched.
    - When the module fails after some writes, C(changed) is V(true) and this lists what was done.
  returned: always
  type: list
  elements: dict
  sample: [{"operation": "UpdateMaintenanceWindowTask", "window_id": "mw-0123456789abcdef0",
            "window_task_id": "7d8e1a51-5a1e-4b5e-9b1f-5f6c1f0e2d3c", "name": "patch"}]
problems:
  description:
    - When the task is refused, each problem with the path of the option it concerns (for example
      C(max_errors) or C(targets[0].window_target)) and the rule. Nothing was written.
  returned: failure
  type: list
  elements: dict
  contains:
    path:
      description: The option of this module, with positions in lists (O(targets), invocation parameters).
      type: str
      returned: always
      sample: max_concurrency
    message:
      description: The rule the value breaks.
      type: str
      returned: always
      sample: "must match the pattern ^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$ (got '0')"
"""

from ansible_collections.mwops.ssm.plugins.module_utils._argspec import TASK_KEYS
from ansible_collections.mwops.ssm.plugins.module_utils._argspec import mw_task_argument_spec
from ansible_collections.mwops.ssm.plugins.module_utils._converge import ensure_task
from ansible_collections.mwops.ssm.plugins.module_utils._modules import run_window_member


def main() -> None:
    run_window_member(mw_task_argument_spec(), TASK_KEYS, "task", ensure_task)


if __name__ == "__main__":
    main()
