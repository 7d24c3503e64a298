#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mw_execution_info
short_description: Read the execution history of SSM maintenance windows, in the local executor's schema
version_added: 0.1.0
description:
  - Reads AWS Systems Manager's execution history of one maintenance window, or of every window in the region, down to each
    task invocation (one per target), and optionally each Run Command invocation's output.
  - Returns the executions in the schema C(mwops.ssm/window-execution/1) that the local executor M(mwops.ssm.mw_run) writes
    to its history files, so code (and M(mwops.ssm.mw_report)) that reads one reads the other.
  - Calls C(DescribeMaintenanceWindowExecutions), C(DescribeMaintenanceWindowExecutionTasks),
    C(GetMaintenanceWindowExecutionTask) and C(DescribeMaintenanceWindowExecutionTaskInvocations), all paginated, and
    C(GetCommandInvocation) with O(include_output=true). Throttled calls are retried with backoff.
  - Parameters whose names look like secrets (password, secret, token, API key, private key, credential, passphrase) are
    masked as C(********); SSM itself returns C(SecureString) parameters redacted. See
    U(https://docs.aws.amazon.com/systems-manager/latest/userguide/maintenance-windows-cli-tutorials-task-info.html).
  - SSM keeps execution history for 30 days and Run Command output for a shorter time; output that SSM no longer has is
    returned empty.
author:
  - mwops maintainers (@mwops)
options:
  window_id:
    description: The window to read (C(mw-...)). Mutually exclusive with O(name).
    type: str
  name:
    description:
      - The window to read, by its exact name. Fails when no window or more than one window has the name.
      - Without O(window_id) and O(name), every window of the account and region is read.
    type: str
  executed_after:
    description: Only executions that started at or after this ISO-8601 instant, such as V(2024-11-04T05:00:00Z).
    type: str
  executed_before:
    description: Only executions that started at or before this ISO-8601 instant.
    type: str
  status:
    description: Only executions with one of these statuses. All when empty.
    type: list
    elements: str
    choices: [PENDING, IN_PROGRESS, SUCCESS, FAILED, TIMED_OUT, CANCELLING, CANCELLED, SKIPPED_OVERLAPPING]
    default: []
  last:
    description: Only the newest N executions of each window (after the other filters).
    type: int
  include_tasks:
    description:
      - Read each execution's task executions and their invocations. With V(false) only the window executions are read
        (one paginated call per window) and C(task_executions) is empty.
    type: bool
    default: true
  include_output:
    description:
      - Also read each Run Command invocation's output (the last 2,500 characters of stdout and stderr), exit code and
        S3 output location (when the task writes its output to S3) with C(GetCommandInvocation).
    type: bool
    default: false
extends_documentation_fragment: [ansible.builtin.action_common_attributes, mwops.ssm.attributes.info,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
notes:
  - SSM's execution records do not name the task; C(name) is the window task's name when exactly one current task of the
    window has the same ARN, type and priority, otherwise the task ARN.
  - The window's C(Duration) and C(Cutoff) are read now, so C(window_end_time) and C(last_task_start_time) assume they did
    not change since the execution.
"""

EXAMPLES = r"""
- name: The last three executions of a window, with Run Command output
  mwops.ssm.mw_execution_info:
    name: prod-linux-patching
    last: 3
    include_output: true
  register: history

- name: Failed executions of every window in the region during November
  mwops.ssm.mw_execution_info:
    status: [FAILED, TIMED_OUT]
    executed_after: "2024-11-01T00:00:00Z"
    executed_before: "2024-12-01T00:00:00Z"
  register: failures

- name: Evidence for the change ticket
  mwops.ssm.mw_report:
    executions: "{{ history.executions }}"
    dest: evidence/
    formats: [markdown, html]
"""

RETURN = r"""
executions:
  description:
    - Window executions, grouped by window (sorted by name) and newest first within a window, in the schema
      C(mwops.ssm/window-execution/1). Times are ISO-8601 UTC strings.
    - C(source) is V(ssm); C(tags) are the window's tags now (for the change reference).
  returned: always
  type: list
  elements: dict
  contains:
    schema:
      description: Always V(mwops.ssm/window-execution/1).
      type: str
    id:
      description: The window execution ID.
      type: str
    window_id:
      description: The window ID.
      type: str
    window_name:
      description: The window name.
      type: str
    status:
      description: SSM's status of the window execution, such as V(SUCCESS), V(FAILED) or V(TIMED_OUT).
      type: str
    status_details:
      description: SSM's status details.
      type: str
    start_time:
      description: When the execution started.
      type: str
    end_time:
      description: When it ended (null while it runs).
      type: str
    window_end_time:
      description: Start plus the window's duration.
      type: str
    last_task_start_time:
      description: Start plus duration minus cutoff; no task starts after it.
      type: str
    tags:
      description: The window's tags.
      type: dict
    task_executions:
      description:
        - Task executions by priority, each with C(id), C(name), C(task_type), C(task_arn), C(priority), C(max_concurrency)
          and C(max_errors) (resolved to numbers for the number of invocations) with the C(_spec) values as set,
          C(status), C(status_details), times, C(errors_counted), C(document_version), C(parameters) (masked),
          C(service_role_arn) and C(invocations).
        - Each invocation has C(id), C(target) (the instance ID), C(window_target_id), C(owner_information), C(status),
          C(status_details), times, C(counted_as_error) (failed and timed out, not undeliverable), C(execution_id) (the
          Run Command command ID), and with O(include_output) C(exit_code), C(output) (the last 2,500 characters) and
          C(output_location) (the S3 URL of the full output when the task writes to S3).
      type: list
      elements: dict
  sample:
    - schema: mwops.ssm/window-execution/1
      id: 518d5565-5969-4cca-8f0e-da3b2a638355
      window_id: mw-0c50858d01a3b2c4e
      window_name: prod-linux-patching
      status: FAILED
      status_details: "1 task(s): 1 failed, 0 timed out, 0 not started."
      start_time: "2024-11-12T02:00:00.000000Z"
      end_time: "2024-11-12T02:41:07.000000Z"
      source: ssm
      tags: {"ChangeTicket": "CHG0012345"}
      task_executions:
        - id: ac0c6ae1-daa3-4a89-832e-d384503b6586
          name: patch
          task_arn: AWS-RunPatchBaseline
          priority: 1
          max_concurrency: 2
          max_concurrency_spec: "10%"
          status: FAILED
          parameters: {"Operation": ["Install"]}
          invocations:
            - target: i-0123456789abcdef0
              status: FAILED
              status_details: "Failed"
              exit_code: 1
              owner_information: team-web
windows:
  description: IDs of the windows that were read.
  returned: always
  type: list
  elements: str
  sample: [mw-0c50858d01a3b2c4e]
"""

from ansible_collections.mwops.ssm.plugins.module_utils._execution_schema import iso
from ansible_collections.mwops.ssm.plugins.module_utils._modules import AnsibleSSMModule
from ansible_collections.mwops.ssm.plugins.module_utils._modules import run_guarded
from ansible_collections.mwops.ssm.plugins.module_utils._ssm_history import read_history
from ansible_collections.mwops.ssm.plugins.module_utils._ssm_history import target_windows

STATUSES = ["PENDING", "IN_PROGRESS", "SUCCESS", "FAILED", "TIMED_OUT", "CANCELLING", "CANCELLED", "SKIPPED_OVERLAPPING"]


def _time_filters(module: AnsibleSSMModule) -> list[dict]:
    filters = []
    for option, key in (("executed_after", "ExecutedAfter"), ("executed_before", "ExecutedBefore")):
        value = module.params[option]
        if value is None:
            continue
        try:
            moment = iso(value)
        except (TypeError, ValueError):
            module.fail_json(msg=f"{option}: {value!r} is not an ISO-8601 instant such as 2024-11-04T05:00:00Z")
        filters.append({"Key": key, "Values": [moment[:19] + "Z"]})
    return filters


def main() -> None:
    module = AnsibleSSMModule(
        argument_spec=dict(
            window_id=dict(type="str"),
            name=dict(type="str"),
            executed_after=dict(type="str"),
            executed_before=dict(type="str"),
            status=dict(type="list", elements="str", choices=STATUSES, default=[]),
            last=dict(type="int"),
            include_tasks=dict(type="bool", default=True),
            include_output=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("window_id", "name")],
        supports_check_mode=True,
    )
    params = module.params
    if params["last"] is not None and params["last"] < 1:
        module.fail_json(msg=f"last: must be at least 1, got {params['last']}")
    filters = _time_filters(module)
    client = module.client("ssm")
    try:
        windows = run_guarded(module, lambda: target_windows(client, params["window_id"], params["name"]))
    except LookupError as e:
        module.fail_json(msg=str(e))
    executions = run_guarded(module, lambda: read_history(
        client, windows, filters, params["status"], params["last"], params["include_tasks"], params["include_output"]))
    module.exit_json(changed=False, executions=executions, windows=[w["WindowId"] for w in windows])


if __name__ == "__main__":
    main()
