#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: maintenance_window
short_description: Manage an SSM maintenance window, with its targets and tasks, as code
version_added: 0.1.0
description:
  - Creates, updates or deletes an AWS Systems Manager maintenance window identified by its O(name) (or O(window_id)).
  - With O(targets) and O(tasks) a whole window converges in one call; task targets refer to window targets by name.
  - Updates go through C(UpdateMaintenanceWindow) (and the target/task C(Update*) calls) with C(Replace=true) and the
    full desired shape, so IDs never change and options left out are cleared.
  - Everything is compared after normalisation (list order, defaults SSM fills in, absent versus empty), so a second
    run reports no change and makes no write call.
  - The whole definition (every request it leads to) is validated before the first write call. Errors name the field
    in this vocabulary, for example C(tasks[1].max_concurrency), and the rule.
  - The output of M(mwops.ssm.maintenance_window_info) can be fed back to this module unchanged (adoption of windows
    made in the console).
  - Safe under concurrency and crashes. New windows, targets and tasks are created with a C(ClientToken) derived from what
    the run observed, so simultaneous runs of one definition get one resource. Several targets or tasks of one name are
    repaired when one of them is provably the one to keep; otherwise the module names their IDs. See
    U(https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateMaintenanceWindow.html).
  - A run that fails after writing reports C(changed=true) and lists its writes in RV(completed_writes).
author:
  - mwops maintainers (@mwops)
options:
  name:
    description:
      - Name of the window, its identity (3 to 128 letters, digits, V(_), V(-) or V(.)).
      - When several windows have this name the module fails and lists their IDs; give O(window_id) then.
      - Required unless O(window_id) is given. With O(window_id) it must be that window's name, for every O(state);
        a name and an ID that disagree are refused.
    type: str
  window_id:
    description:
      - ID of the window (V(mw-...)). An ID that does not exist fails with C(no maintenance window with ID ...) for
        O(state=present) and writes nothing; for O(state=absent) the window is already absent.
    type: str
  description:
    description: Description of the window (1 to 128 characters).
    type: str
  schedule:
    description:
      - When the window opens, C(cron(...)), C(rate(...)) or C(at(...)) in AWS syntax. Required for O(state=present).
    type: str
  schedule_timezone:
    description:
      - IANA time zone the schedule is read in, for example V(America/New_York). UTC when not set.
      - Names of files in a host's tzdata that are not zones (V(localtime), V(posix/...), V(right/...)) are refused.
    type: str
  schedule_offset:
    description: Days (1 to 6) to wait after the cron schedule's date. Only with C(cron(...)); V(0) is refused, as AWS does.
    type: int
  start_date:
    description: ISO-8601 instant before which the window does not run. Compared as an instant, not as text.
    type: str
  end_date:
    description: ISO-8601 instant after which the window no longer runs.
    type: str
  duration:
    description: Hours (1 to 24) the window stays open. Required for O(state=present).
    type: int
  cutoff:
    description: Hours (0 to 23, at most O(duration) - 1) before the end when no new task starts. Required for O(state=present).
    type: int
  allow_unassociated_targets:
    description: Let tasks run on instances that are not registered targets. V(false) when not set.
    type: bool
  enabled:
    description: Whether the window runs. V(true) when not set.
    type: bool
  state:
    description: V(present) creates or updates the window; V(absent) deletes it with its targets and tasks.
    type: str
    default: present
    choices: [present, absent]
  targets:
    description:
      - The window targets, each identified by its C(name) within the window (same options as M(mwops.ssm.mw_target)).
      - A target without a name is identified by its content (C(resource_type), C(targets), C(owner_information),
        C(description)); an equal unnamed target of the window is kept, otherwise one is registered.
      - When not set, the window's targets are left alone. V([]) means none, so with O(purge_targets=true) every target
        is deregistered (check mode and C(changed_fields) list each one).
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Name of the window target, its identity within the window (3 to 128 letters, digits, V(_), V(-) or V(.)).
          - Optional; without it the target is identified by its content.
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
          - ID of the target; identifies it instead of C(name). It must exist (C(no window target with ID ...)
            otherwise) and, when both are given, C(name) must be its name.
        type: str
  purge_targets:
    description:
      - Deregister targets of the window that O(targets) does not list. Only when O(targets) is given.
      - A target still used by a task that stays is not deregistered unless O(force=true).
    type: bool
    default: true
  tasks:
    description:
      - The tasks, each identified by its C(name) within the window (same options as M(mwops.ssm.mw_task)).
      - A task without a name is identified by its content (all its compared fields).
      - Task targets may name window targets of O(targets) with C(window_target).
      - When not set, the window's tasks are left alone. V([]) means none, so with O(purge_tasks=true) every task is
        deregistered (check mode and C(changed_fields) list each one).
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Name of the task, its identity within the window (3 to 128 letters, digits, V(_), V(-) or V(.)).
          - Optional; without it the task is identified by its content.
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
          - ID of the task; identifies it instead of C(name). It must exist (C(no task with ID ...) otherwise) and,
            when both are given, C(name) must be its name.
        type: str
  purge_tasks:
    description: Deregister tasks of the window that O(tasks) does not list. Only when O(tasks) is given.
    type: bool
    default: true
  force:
    description: Deregister targets even when tasks that stay still use them.
    type: bool
    default: false
extends_documentation_fragment: [ansible.builtin.action_common_attributes, mwops.ssm.attributes.converge,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.tags, amazon.aws.boto3]
"""

EXAMPLES = r"""
- name: Second Tuesday patching, whole window in one call
  mwops.ssm.maintenance_window:
    name: prod-linux-patching
    schedule: cron(0 2 ? * TUE#2 *)
    schedule_timezone: America/New_York
    duration: 4
    cutoff: 1
    tags:
      Environment: prod
    targets:
      - name: prod-web
        targets:
          - key: tag:PatchGroup
            values: [Prod-Linux]
    tasks:
      - name: patch
        task_type: RUN_COMMAND
        task_arn: AWS-RunPatchBaseline
        priority: 1
        targets:
          - window_target: prod-web
        max_concurrency: "10%"
        max_errors: "1"
        task_invocation_parameters:
          run_command:
            parameters:
              Operation: Install
            timeout_seconds: 600
      - name: announce
        task_type: LAMBDA
        task_arn: arn:aws:lambda:us-east-1:123456789012:function:announce
        priority: 0
        task_invocation_parameters:
          lambda:
            payload: '{% raw %}{"window": "{{WINDOW_ID}}", "execution": "{{WINDOW_EXECUTION_ID}}"}{% endraw %}'

- name: Disable it for a change freeze (the rest of the definition as before)
  mwops.ssm.maintenance_window:
    name: prod-linux-patching
    schedule: cron(0 2 ? * TUE#2 *)
    schedule_timezone: America/New_York
    duration: 4
    cutoff: 1
    enabled: false

- name: Adopt windows made in the console
  mwops.ssm.maintenance_window_info:
    name: console-made
  register: found

- name: Converge them from what was read (reports no change)
  mwops.ssm.maintenance_window: "{{ item }}"
  loop: "{{ found.maintenance_windows }}"

- name: Delete the window with its targets and tasks
  mwops.ssm.maintenance_window:
    name: prod-linux-patching
    state: absent
"""

RETURN = r"""
window_id:
  description: ID of the window (V(null) in check mode before it exists).
  returned: always
  type: str
  sample: mw-0123456789abcdef0
maintenance_window:
  description:
    - The window in the window-definition vocabulary, with IDs, tags, targets and tasks. Empty when absent.
    - The same shape as M(mwops.ssm.maintenance_window_info) returns, and valid input for this module.
  returned: always
  type: dict
  contains:
    window_id:
      description: ID of the window.
      type: str
      returned: success
    name:
      description: Name.
      type: str
      returned: success
      sample: prod-linux-patching
    description:
      description: Description.
      type: str
      returned: when set
    schedule:
      description: Schedule expression.
      type: str
      returned: success
      sample: cron(0 2 ? * TUE#2 *)
    schedule_timezone:
      description: IANA time zone.
      type: str
      returned: when set
    schedule_offset:
      description: Offset in days.
      type: int
      returned: when set
    start_date:
      description: Start date.
      type: str
      returned: when set
    end_date:
      description: End date.
      type: str
      returned: when set
    duration:
      description: Hours.
      type: int
      returned: success
    cutoff:
      description: Hours.
      type: int
      returned: success
    allow_unassociated_targets:
      description: Whether unregistered instances may be task targets.
      type: bool
      returned: success
    enabled:
      description: Whether the window runs.
      type: bool
      returned: success
    tags:
      description: Tags as a dict.
      type: dict
      returned: success
      sample: {"Environment": "prod"}
    targets:
      description: Window targets (see M(mwops.ssm.mw_target)'s C(target)), sorted by name.
      type: list
      elements: dict
      returned: success
    tasks:
      description: Tasks with their full invocation parameters (see M(mwops.ssm.mw_task)'s C(task)), sorted by name.
      type: list
      elements: dict
      returned: success
changed_fields:
  description: What changed (or would change in check mode), by field, for example C(tasks[patch].priority).
  returned: always
  type: list
  elements: str
  sample: ["schedule", "targets[prod-web]: registered"]
completed_writes:
  description:
    - The write calls this run made, in order, each with the API operation and the IDs it touched.
    - When the module fails after some writes, C(changed) is V(true) and this lists what was done.
  returned: always
  type: list
  elements: dict
  sample: [{"operation": "RegisterTargetWithMaintenanceWindow", "window_id": "mw-0123456789abcdef0",
            "window_target_id": "3a6a1a51-5a1e-4b5e-9b1f-5f6c1f0e2d3c", "name": "prod-web"}]
problems:
  description:
    - When the definition is refused, each problem with its field path in the window-definition vocabulary
      (for example C(tasks[1].max_concurrency)) and the rule. Nothing was written.
  returned: failure
  type: list
  elements: dict
  contains:
    path:
      description: The field, in this module's vocabulary.
      type: str
      returned: always
      sample: tasks[1].max_concurrency
    message:
      description: The rule the value breaks.
      type: str
      returned: always
      sample: "must match the pattern ^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$ (got '0')"
"""

from ansible_collections.mwops.ssm.plugins.module_utils._argspec import WINDOW_KEYS
from ansible_collections.mwops.ssm.plugins.module_utils._argspec import maintenance_window_argument_spec
from ansible_collections.mwops.ssm.plugins.module_utils._argspec import strip_none
from ansible_collections.mwops.ssm.plugins.module_utils._converge import ensure_window
from ansible_collections.mwops.ssm.plugins.module_utils._modules import AnsibleSSMModule
from ansible_collections.mwops.ssm.plugins.module_utils._modules import run_guarded


def desired_window(params: dict) -> dict:
    desired = strip_none({k: params.get(k) for k in WINDOW_KEYS})
    for key in ("tags", "targets", "tasks"):
        if params.get(key) is not None:
            desired[key] = strip_none(params[key]) if key != "tags" else params[key]
    return desired


def main() -> None:
    module = AnsibleSSMModule(
        argument_spec=maintenance_window_argument_spec(),
        supports_check_mode=True,
        required_one_of=[["name", "window_id"]],
    )
    params = module.params
    present = params["state"] == "present"
    client = module.client("ssm")

    def converge():
        return ensure_window(client, params["name"], params["window_id"],
                             desired_window(params) if present else None, module.check_mode, purge_tags=params["purge_tags"],
                             purge_targets=params["purge_targets"], purge_tasks=params["purge_tasks"],
                             force=params["force"], keep_going=module.lifeline.keep_going)

    plan, final = run_guarded(module, converge)
    window_id = (final or plan.before or {}).get("window_id")
    result = dict(changed=plan.changed, window_id=window_id, maintenance_window=final or {},
                  changed_fields=plan.changed_fields, completed_writes=plan.completed_writes)
    if module._diff:
        result["diff"] = {"before": plan.before or {}, "after": final or {}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
