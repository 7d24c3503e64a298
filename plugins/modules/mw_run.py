#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This is a documentation stub: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mw_run
short_description: Run a maintenance-window definition on inventory hosts with SSM's semantics
version_added: 0.1.0
description:
  - Runs the tasks of one AWS SSM maintenance-window definition on the hosts of an Ansible
    inventory (for example on-premises servers, or the hosts of a Molecule scenario), with the
    semantics SSM documents for maintenance windows.
  - Tasks run in priority order, lowest number first. Tasks with the same priority run in
    parallel. A priority starts only when every task of the previous priority has ended,
    whatever their status.
  - Within a task, at most a task's C(max_concurrency) invocations run at once, as a sliding
    window over the resolved targets (absolute or a percentage, rounded down, at least 1). Once
    more than its C(max_errors) errors were received no new invocation starts; the
    running ones finish. An unreachable host is recorded as undeliverable and does not count.
  - No task starts after the window's end minus its cutoff. With C(cutoff_behavior=CANCEL_TASK)
    running invocations are cancelled at the cutoff and end C(TIMED_OUT); with C(CONTINUE_TASK)
    the task keeps dispatching to its remaining targets.
  - Each SSM task is one ordinary C(ansible-playbook) child run (builtin C(linear) strategy,
    C(throttle) and forks equal to the resolved MaxConcurrency) whose single task is the gate
    action M(mwops.ssm.mw_invoke). The child runs use the same inventory sources, vault secrets,
    extra variables, connection options and prompted passwords as the calling run.
  - History is written as one JSON file per window execution in O(history_dir), shaped like
    SSM's window execution, task executions and task invocations; executions older than
    O(retention_days) are pruned.
  - Supported documents are C(AWS-RunShellScript) (C(commands), C(workingDirectory),
    C(executionTimeout)), C(AWS-RunPatchBaseline) (C(Operation) C(Scan)/C(Install),
    C(RebootOption)) and any document mapped to an Ansible module with O(documents). Only
    C(RUN_COMMAND) tasks are supported. Anything else fails before a task runs.
  - SSM pseudo parameters such as C({{WINDOW_ID}}), C({{WINDOW_EXECUTION_ID}}),
    C({{TASK_EXECUTION_ID}}), C({{INVOCATION_ID}}) and C({{TARGET_ID}}) in task parameters are
    replaced with the local execution's IDs. Protect them from Jinja2 with C(!unsafe), or use
    O(window_file), which is never templated. A value is substituted only when it is a safe token
    (letters, digits and C(._:@+=,-)); otherwise that invocation fails, saying why, and nothing runs
    on that target (a host name from a dynamic inventory never reaches a shell).
  - Window, target and task names are checked against SSM's own patterns (the rule the window
    modules use, from botocore's service model) before anything runs. Definition data reaches the
    child runs only as data; the generated child playbook holds no name from the definition or the
    inventory.
  - Vault secrets reach the child runs through pipes, never through files. Every file the executor
    writes is 0600 and every directory 0700; a state directory that others can write to is refused.
    If the engine is killed, its child runs start no new invocation and stop within seconds.
  - See C(docs/local-executor.md) in the collection for how targets map to the inventory and
    where local semantics differ from SSM.
author:
  - mwops maintainers (@mwops)
options:
  window:
    description:
      - The window definition, in the collection's window vocabulary (SSM API fields in snake_case), with
        V(name), V(duration), V(cutoff), V(targets) and V(tasks); other keys are ignored.
      - When neither O(window) nor O(window_file) is given, the value of the variable C(mw_window) is
        used as data (never templated).
      - A definition given as top-level extra variables (C(ansible-playbook -e @window.yml)) is
        refused, because its keys would override every host's variables of the same name, such as C(tags).
    type: dict
  window_file:
    description:
      - Path of a YAML file holding one window definition. It is read without templating.
      - A relative path is relative to the working directory of C(ansible-playbook).
      - Mutually exclusive with O(window).
    type: path
  history_dir:
    description:
      - Directory for the execution history (one JSON file per window execution) and the full
        output of every invocation (under C(output/)). Created 0700 when missing; a directory that
        belongs to another user or that group or others can write to is refused.
      - A relative path is relative to the working directory of C(ansible-playbook).
    type: path
    required: true
  inventory:
    description:
      - Inventory sources to target. Defaults to the inventory sources of the current run.
    type: list
    elements: str
  tags_variable:
    description:
      - The host variable holding a host's tags, matched by C(tag:KEY) and C(tag-key) targets.
      - A dictionary (as the C(amazon.aws.aws_ec2) inventory sets C(tags)) or a list of
        C(Key)/C(Value) pairs.
      - The default is not C(tags), which ansible-core 2.19 reserves; set V(tags) for hosts of the
        C(amazon.aws.aws_ec2) inventory.
    type: str
    default: mw_tags
  allow_empty_targets:
    description:
      - The one rule for empty targets. A task target (window target or C(InstanceIds) entry) that
        resolves to no inventory host is a failure unless this is V(true) - a preflight C(fail) of
        C(targets_resolve), which refuses the run with the default O(preflight_fail_on), and, if the
        run goes on anyway, the task and window end V(FAILED) with the reason in the status details.
      - With V(true) it is a preflight C(warn) and a note in the task's status details; the task
        runs on the hosts its other targets resolve to.
    type: bool
    default: false
  preflight_fail_on:
    description:
      - Before anything runs, the inventory-side checks of M(mwops.ssm.mw_preflight) are made on the
        resolved plan - C(targets_resolve), C(patch_groups_match) (patch-group tag values from
        O(tags_variable)), C(reboots_not_missed) and C(window_long_enough) (against the local history
        in O(history_dir) or O(preflight_estimates)). C(role_is_right) needs IAM and is left out.
      - When any check has one of these statuses the run is refused - the task fails with the
        report, nothing is executed and no window execution is recorded (the history is not
        touched). An empty list only reports.
      - The report is returned as RV(preflight) and shown as a readable table, also in check mode.
    type: list
    elements: str
    choices: [fail, warn]
    default: [fail]
  preflight_estimates:
    description:
      - Declared minutes per invocation for C(window_long_enough), for tasks without local history,
        keyed by C(window/task), task name or task ARN (as O(mwops.ssm.mw_preflight#module:estimates)).
    type: dict
    default: {}
  report_dir:
    description:
      - Write the evidence report of this window execution (the M(mwops.ssm.mw_report) documents) to
        this directory after the run, next to the history. Relative paths are relative to the
        current working directory. The directory is created 0700 and the files 0600.
      - The file names are the window name and execution ID; RV(report_files) returns the paths.
      - Not written in check mode or when preflight refuses the run.
    type: path
  report_formats:
    description: The report formats written to O(report_dir).
    type: list
    elements: str
    choices: [markdown, csv, json, html]
    default: [html, markdown]
  report_change_tag:
    description: The window tag whose value the report shows as the change reference.
    type: str
    default: ChangeTicket
  documents:
    description:
      - Maps SSM document names to Ansible modules, so custom documents have a local twin.
      - Each value is a dictionary with C(module) (a module or action name), optional C(args)
        and optional C(pass_parameters) (default V(true), which adds the task's document parameters
        to the module arguments, one-element lists as plain strings).
      - Pseudo parameters are replaced in C(args) and parameters.
    type: dict
    default: {}
  patch_baselines:
    description:
      - Patch baselines in the vocabulary of M(mwops.ssm.patch_baseline) (C(name) or C(baseline_id),
        C(operating_system), C(rejected_patches), C(patch_groups), C(default_for_os); other fields are accepted and
        not used), for C(AWS-RunPatchBaseline) tasks.
      - As in AWS, a host patches with the baseline registered for its patch group (its C(Patch Group) or
        C(PatchGroup) tag), else with the one that is C(default_for_os) for its operating system (host variable
        C(mw_operating_system), AWS's C(OperatingSystem) value such as V(UBUNTU), else its gathered distribution
        fact). Without a baseline a host installs every available update.
      - Install holds (apt) or excludes (dnf, yum) the baseline's C(rejected_patches) for the run, restored
        afterwards, also on failure; Scan reports them as rejected and does not count them as missing. Each entry
        must be a package name or a name pattern with C(*) and C(?) (letters, digits and C(._+:~-)); others are
        refused before anything runs.
      - Approval rules, classifications and approval delays are not mirrored (they need vendor metadata); see
        C(docs/patching.md).
    type: list
    elements: dict
    default: []
  duration_seconds:
    description:
      - Local-only. The window's duration in seconds instead of C(window.duration) hours, for tests.
    type: float
  cutoff_seconds:
    description:
      - Local-only. The window's cutoff in seconds instead of C(window.cutoff) hours, for tests.
    type: float
  forks_ceiling:
    description:
      - Upper bound for a child run's forks. A task whose resolved MaxConcurrency is higher runs
        with this many simultaneous invocations, and its status details say so.
    type: int
    default: 50
  retention_days:
    description:
      - Window executions that started longer ago than this are deleted from O(history_dir), with
        their output. Only files of the collection's history schema whose ID is an execution ID
        are ever deleted, never the current execution. Values below V(1) are refused.
    type: float
    default: 30
  fail_on_status:
    description:
      - Fail the task when the window execution ends with one of these statuses (for example
        V(FAILED), V(TIMED_OUT), V(CANCELLED)). By default the task succeeds whatever the outcome
        and returns it.
    type: list
    elements: str
    default: []
  child_args:
    description:
      - Extra command-line arguments for every child C(ansible-playbook) run.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: >-
      In check mode the window is validated against the inventory, preflight runs, and the plan and the
      preflight report are returned; nothing runs. The task fails when preflight would refuse the run.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - Run it once, on the controller (for example in a play on C(localhost)).
  - Variables in C(group_vars)/C(host_vars) next to the calling playbook are not seen by the child
    runs; keep them next to the inventory.
  - Vault secrets (also prompted ones, C(--ask-vault-pass)) are handed to the child runs through
    pipes (C(--vault-id ID@/dev/fd/N)). Prompted connection passwords (C(-k), C(-K)) travel as
    vault-encrypted extra variables whose one-time key only such a pipe carries. Nothing secret is
    written to disk.
seealso:
  - module: mwops.ssm.mw_invoke
"""

EXAMPLES = r"""
- name: Run a window on the on-prem inventory
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run the patching window
      mwops.ssm.mw_run:
        window_file: windows/prod-linux-patching.yml
        history_dir: /var/lib/mwops/history
        fail_on_status: [FAILED, TIMED_OUT]

- name: Run a window and leave its evidence next to the history, for the change ticket
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run the patching window
      mwops.ssm.mw_run:
        window_file: windows/prod-linux-patching.yml
        history_dir: /var/lib/mwops/history
        report_dir: /var/lib/mwops/evidence
        report_formats: [html, markdown]
        preflight_estimates:
          patch-web: 12
      register: patching

    - name: Show where the Markdown evidence is
      ansible.builtin.debug:
        msg: "{{ patching.report_files.markdown }}"

- name: Preflight only (check mode) - stop a pipeline on warnings too
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Check the window against the inventory and the local history
      mwops.ssm.mw_run:
        window_file: windows/prod-linux-patching.yml
        history_dir: /var/lib/mwops/history
        preflight_fail_on: [fail, warn]
      check_mode: true

- name: A window written inline, with a pseudo parameter and short test timings
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run it
      mwops.ssm.mw_run:
        history_dir: "{{ playbook_dir }}/history"
        duration_seconds: 120
        cutoff_seconds: 30
        window:
          name: test-window
          duration: 2
          cutoff: 1
          targets:
            - name: web
              resource_type: INSTANCE
              targets: [{key: "tag:Role", values: [web]}]
          tasks:
            - name: say-hello
              task_type: RUN_COMMAND
              task_arn: AWS-RunShellScript
              priority: 1
              targets: [{window_target: web}]
              max_concurrency: "50%"
              max_errors: "1"
              task_invocation_parameters:
                run_command:
                  parameters:
                    commands: !unsafe ["echo running {{INVOCATION_ID}} of {{WINDOW_EXECUTION_ID}}"]  # noqa: jinja[spacing]
      register: run

- name: Map a custom SSM document to an Ansible module
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run a window that uses Company-RestartService
      mwops.ssm.mw_run:
        window_file: windows/restart.yml
        history_dir: /var/lib/mwops/history
        documents:
          Company-RestartService:
            module: ansible.builtin.service
            args: {state: restarted}
"""

RETURN = r"""
status:
  description: Status of the window execution.
  returned: success and not check mode
  type: str
  sample: SUCCESS
status_details:
  description: Why the window execution has that status.
  returned: success and not check mode
  type: str
  sample: "2 task(s): 0 failed, 0 timed out, 0 not started."
history_file:
  description: The JSON file holding this window execution.
  returned: success and not check mode
  type: str
  sample: /var/lib/mwops/history/20240501T150000Z_prod-linux-patching_0b6d0b3e-7d0a-4a11-8a4b-1f2e3d4c5b6a.json
summary:
  description:
    - The summary shown at the end of the run, one line per element; after the table, each task
      that did not succeed and each failed or not-started host, with the reason.
  returned: success and not check mode
  type: list
  elements: str
window_execution:
  description:
    - The window execution as written to O(history_dir), without the invocations' output.
    - Times are ISO-8601 UTC with microseconds.
  returned: success and not check mode
  type: dict
  contains:
    id:
      description: The window execution ID (a UUID).
      type: str
    window_id:
      description: A stable local window ID, C(mw-) and 17 hex digits derived from the window name.
      type: str
    window_name:
      description: The window's name.
      type: str
    status:
      description: One of C(SUCCESS), C(FAILED), C(TIMED_OUT), C(CANCELLED), C(SKIPPED_OVERLAPPING).
      type: str
    status_details:
      description: Why.
      type: str
    start_time:
      description: When the execution started.
      type: str
    end_time:
      description: When the execution ended.
      type: str
    source:
      description: V(local) for the local executor (V(ssm) in M(mwops.ssm.mw_execution_info)).
      type: str
    tags:
      description: The window definition's tags (the report's change reference comes from them).
      type: dict
    task_executions:
      description:
        - One per task, with C(id), C(name), C(task_arn), C(priority), the resolved
          C(max_concurrency) and C(max_errors), C(status), C(status_details), C(start_time),
          C(end_time), C(errors_counted), C(parameters) (secret-named ones masked, also in the history
          file) and C(invocations).
        - Each invocation has C(id), C(target) (the inventory hostname), C(status),
          C(status_details), C(start_time), C(end_time), C(counted_as_error), C(exit_code),
          C(owner_information) (the window target's), C(execution_id) (always null locally) and
          C(output_path) = C(output_location) (the full output); the history file also holds
          C(output), its last 2,500 characters.
        - The schema is C(mwops.ssm/window-execution/1), the one M(mwops.ssm.mw_execution_info) returns.
      type: list
      elements: dict
plan:
  description: The resolved plan (targets, rate controls) in check mode, or when preflight refused the run.
  returned: check mode, or preflight refused the run
  type: dict
preflight:
  description:
    - The preflight report of the resolved plan, in the shape of one window of M(mwops.ssm.mw_preflight)
      (without C(role_is_right)).
  returned: always, once the window and inventory were read
  type: dict
  contains:
    status:
      description: The worst check status, C(pass), C(warn) or C(fail).
      type: str
      sample: warn
    checks:
      description:
        - One per check, with C(check), C(status), C(failure), C(cause), C(fix), C(findings)
          (C(status), C(subject), C(message), C(instance_ids) - here inventory hostnames) and C(evidence).
      type: list
      elements: dict
patch_baselines:
  description: The baseline each host targeted by an C(AWS-RunPatchBaseline) task patches with, and why.
  returned: always, once the window and inventory were read
  type: dict
  sample:
    web-01: {baseline: prod-ubuntu, reason: "patch group Prod-Web", rejected: ["nginx*"]}
preflight_summary:
  description: The preflight report as a readable table, one line per element (also shown in the output).
  returned: always, once the window and inventory were read
  type: list
  elements: str
  sample:
    - "preflight of window prod-linux-patching: warn"
report_files:
  description: The evidence report files written to O(report_dir), by format.
  returned: when O(report_dir) is set and not check mode
  type: dict
  sample:
    html: /var/lib/mwops/evidence/prod-linux-patching_0b6d0b3e-7d0a-4a11-8a4b-1f2e3d4c5b6a.html
    markdown: /var/lib/mwops/evidence/prod-linux-patching_0b6d0b3e-7d0a-4a11-8a4b-1f2e3d4c5b6a.md
"""
