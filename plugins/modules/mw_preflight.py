#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mw_preflight
short_description: Catch the five classic maintenance-window failures before the window opens
version_added: 0.1.0
description:
  - Checks AWS Systems Manager maintenance windows before they run and names the five classic failure modes, each with
    its fix. C(targets_resolve) (tasks do not run; verify tags / resource groups), C(patch_groups_match) (instances
    skipped; standardize tagging), C(reboots_not_missed) (use RebootOption), C(window_long_enough) (timeout failures;
    increase duration) and C(role_is_right) (permissions denied; validate service role).
  - Checks one window (O(name) or O(window_id)), a window definition that is not deployed yet (O(definition)), or every
    window of the region (none of these given).
  - Each check of each window is V(pass), V(warn) or V(fail), with findings that name instance IDs, counts and minutes.
    With O(fail_on) (default V(fail)) the task fails when any check has that status, so a pipeline stops.
  - Read-only. It never writes. Instances are read in batches (tag selectors of all windows merged into filtered
    C(DescribeInstances) calls, C(DescribeInstanceInformation) with up to 100 IDs per call, C(DescribeInstancePatchStates)
    with 50), never one call per instance.
  - How each check decides, and the IAM permissions each task type needs, are described in C(docs/preflight.md).
author:
  - mwops maintainers (@mwops)
options:
  name:
    description: Check the window with exactly this name.
    type: str
    aliases: [window]
  window_id:
    description: Check the window with this ID.
    type: str
  definition:
    description:
      - A window definition in the vocabulary of M(mwops.ssm.maintenance_window) (with C(targets) and C(tasks)), checked
        without being deployed. It is validated first, and errors name the field.
    type: dict
  ssm_history:
    description:
      - Read the recent executions of each deployed window from SSM's own history
        (C(DescribeMaintenanceWindowExecutions) and the execution's tasks and invocations, as
        M(mwops.ssm.mw_execution_info) reads them) and take each task's p90 invocation time from them.
      - This is the first history source; O(history_dir), then O(history), then O(estimates) serve the tasks it has no
        samples for. A definition (O(definition)) is not deployed and has no SSM history.
      - "Cost per deployed window: C(ceil(executions / 100)) C(DescribeMaintenanceWindowExecutions) pages, one
        C(ListTagsForResource) and one C(DescribeMaintenanceWindowTasks) when it has executions, then for each of the
        O(ssm_history.last) executions read one C(DescribeMaintenanceWindowExecutionTasks) page and, per task, one
        C(GetMaintenanceWindowExecutionTask) and C(ceil(invocations / 100)) C(DescribeMaintenanceWindowExecutionTaskInvocations)
        pages. Nothing is asked per instance."
    type: dict
    default: {}
    suboptions:
      enabled:
        description: Read SSM's history of deployed windows.
        type: bool
        default: true
      last:
        description:
          - How many of each window's most recent executions that ran (status V(SUCCESS), V(FAILED), V(TIMED_OUT) or
            V(CANCELLED)) are read. Bounds the calls.
        type: int
        default: 10
  history_dir:
    description:
      - A local executor history directory (files in the schema C(mwops.ssm/window-execution/1)). When it has invocations
        of a task (and SSM's history has none), they give that task's p90 time.
    type: path
  history:
    description:
      - Window execution documents in the schema C(mwops.ssm/window-execution/1), for example the output of
        M(mwops.ssm.mw_execution_info) for another time range. Used for tasks that O(ssm_history) and O(history_dir)
        have no samples for.
    type: list
    elements: dict
    default: []
  estimates:
    description:
      - Declared minutes per invocation for tasks without history, keyed by C(window/task), task name or task ARN.
    type: dict
    default: {}
  margin_percent:
    description: C(window_long_enough) warns when the estimate leaves less than this share of C(duration - cutoff).
    type: int
    default: 20
  check_role:
    description: Run C(role_is_right) (needs C(iam:GetRole), C(iam:SimulatePrincipalPolicy) and C(sts:GetCallerIdentity)).
    type: bool
    default: true
  fail_on:
    description: Fail the task when any check of any window has one of these statuses. An empty list never fails.
    type: list
    elements: str
    choices: [fail, warn]
    default: [fail]
extends_documentation_fragment: [ansible.builtin.action_common_attributes, mwops.ssm.attributes.info,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
notes:
  - Patch groups are read with C(ssm:DescribePatchGroups); the service role with C(iam:GetRole) and
    C(iam:SimulatePrincipalPolicy) (U(https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html)).
seealso:
  - name: Patch groups
    description: How SSM picks a patch baseline for an instance.
    link: https://docs.aws.amazon.com/systems-manager/latest/userguide/patch-manager-patch-groups.html
  - name: Maintenance window service role
    description: The permissions maintenance window tasks need.
    link: https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-maintenance-perm-console.html
"""

EXAMPLES = r"""
- name: Check every window of the region before tonight (the task fails on any fail)
  mwops.ssm.mw_preflight:
    history_dir: /var/lib/mwops/history
  register: preflight

- name: Show the summary table
  ansible.builtin.debug:
    var: preflight.summary

- name: Check a definition in a pull request, with declared estimates, failing on warnings too
  mwops.ssm.mw_preflight:
    definition: "{{ lookup('ansible.builtin.file', 'windows/prod-linux.yml') | from_yaml }}"
    estimates:
      patch: 12
    fail_on: [fail, warn]

- name: Check one window and keep going whatever it finds
  mwops.ssm.mw_preflight:
    name: prod-linux-patching
    fail_on: []
  register: prod

- name: Estimate from the last 20 executions SSM recorded for the window
  mwops.ssm.mw_preflight:
    name: prod-linux-patching
    ssm_history:
      last: 20

- name: Ignore SSM's history (for example a fleet that changed since) and use declared minutes
  mwops.ssm.mw_preflight:
    name: prod-linux-patching
    ssm_history:
      enabled: false
    estimates:
      patch: 12
"""

RETURN = r"""
status:
  description: The worst status of every check of every window.
  returned: always
  type: str
  sample: fail
windows:
  description: One report per window checked.
  returned: always
  type: list
  elements: dict
  contains:
    window_name:
      description: The window's name.
      type: str
    window_id:
      description: The window's ID (null for a definition not deployed).
      type: str
    status:
      description: The worst status of its checks.
      type: str
    checks:
      description:
        - One entry per check, in the order C(targets_resolve), C(patch_groups_match), C(reboots_not_missed),
          C(window_long_enough), C(role_is_right).
        - Each has C(check), C(status) (V(pass), V(warn) or V(fail)), C(failure) and C(cause) (the classic failure mode),
          C(fix), C(findings) (a list of C(status), C(subject), C(message) and C(instance_ids)) and C(evidence) (counts per
          target and task; for C(window_long_enough) the minutes per task (with the C(source) of its p90) and per
          priority level, C(needed_minutes), C(available_minutes) and C(history_sources), the history sources consulted
          in order with the number of executions of this window each held; the roles for C(role_is_right)).
      type: list
      elements: dict
  sample:
    - window_name: prod-linux-patching
      window_id: mw-0123456789abcdef0
      status: fail
      checks:
        - check: patch_groups_match
          status: fail
          failure: Instances skipped
          cause: Wrong Patch Group
          fix: Standardize tagging
          findings:
            - status: fail
              subject: instances
              message: "tag key 'patchgroup' is not 'Patch Group' or 'PatchGroup': SSM ignores it and applies the default baseline"
              instance_ids: [i-0abc1234def567890]
          evidence: {patch_tasks: 1, instances_checked: 12, registered_groups: [Prod-Linux]}
summary:
  description: A readable table, one line per window and check, then the findings that are not a pass.
  returned: always
  type: list
  elements: str
  sample:
    - "window                           check                status fix"
    - "prod-linux-patching              patch_groups_match   fail   Standardize tagging"
"""

from ansible_collections.mwops.ssm.plugins.module_utils import _aws_preflight as A
from ansible_collections.mwops.ssm.plugins.module_utils import _preflight as P
from ansible_collections.mwops.ssm.plugins.module_utils import _ssm
from ansible_collections.mwops.ssm.plugins.module_utils._converge import find_window
from ansible_collections.mwops.ssm.plugins.module_utils._definition import Problem
from ansible_collections.mwops.ssm.plugins.module_utils._converge import read_window_state
from ansible_collections.mwops.ssm.plugins.module_utils._modules import AnsibleSSMModule
from ansible_collections.mwops.ssm.plugins.module_utils._modules import run_guarded
from ansible_collections.mwops.ssm.plugins.module_utils._plan import DefinitionError
from ansible_collections.mwops.ssm.plugins.module_utils._plan import state_document
from ansible_collections.mwops.ssm.plugins.module_utils._plan_window import plan_window
from ansible_collections.mwops.ssm.plugins.module_utils._preflight_estimate import load_history_dir
from ansible_collections.mwops.ssm.plugins.module_utils._ssm_history import read_history

SSM_HISTORY = "SSM history"
# Executions that ran; pending, in-progress and skipped ones hold no finished invocation.
RAN_STATUSES = ["SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED"]


def deployed(client, api_window) -> dict:
    return state_document(read_window_state(client, api_window, full_tasks=True, with_tags=False))


def windows_to_check(client, params) -> list[tuple[dict, dict | None]]:
    """(window in the vocabulary, the API's window or None): a validated definition, one deployed
    window, or all of them."""
    if params["definition"] is not None:
        plan = plan_window(params["definition"], None, _ssm.service_model(), compare_tags=_ssm.window_tag_changes)
        if plan.problems:
            raise DefinitionError(plan.problems)
        return [(dict(plan.after, window_id=None), None)]
    if params["name"] or params["window_id"]:
        api_window = find_window(client, params["name"], params["window_id"])
        if api_window is None:
            which = params["window_id"] or params["name"]
            raise DefinitionError([Problem("window_id" if params["window_id"] else "name",
                                           f"no maintenance window {which!r} exists")])
        return [(deployed(client, api_window), api_window)]
    found = []
    for identity in _ssm.describe_windows(client):
        api_window = _ssm.get_window(client, identity["WindowId"])
        if api_window is not None:
            found.append((deployed(client, api_window), api_window))
    return sorted(found, key=lambda pair: (pair[0].get("name") or "", pair[0].get("window_id") or ""))


def main() -> None:
    module = AnsibleSSMModule(
        argument_spec=dict(
            name=dict(type="str", aliases=["window"]),
            window_id=dict(type="str"),
            definition=dict(type="dict"),
            history_dir=dict(type="path"),
            history=dict(type="list", elements="dict", default=[]),
            ssm_history=dict(type="dict", default={}, options=dict(
                enabled=dict(type="bool", default=True),
                last=dict(type="int", default=10),
            )),
            estimates=dict(type="dict", default={}),
            margin_percent=dict(type="int", default=20),
            check_role=dict(type="bool", default=True),
            fail_on=dict(type="list", elements="str", choices=["fail", "warn"], default=["fail"]),
        ),
        mutually_exclusive=[["name", "window_id", "definition"]],
        supports_check_mode=True,
    )
    params = module.params
    if not 0 <= params["margin_percent"] < 100:
        module.fail_json(msg="margin_percent must be between 0 and 99")
    if params["ssm_history"]["last"] < 1:
        module.fail_json(msg=f"ssm_history.last must be at least 1, got {params['ssm_history']['last']}")
    for key, value in params["estimates"].items():
        try:
            if float(value) < 0:
                raise ValueError
        except (TypeError, ValueError):
            module.fail_json(msg=f"estimates['{key}'] must be a number of minutes (0 or more), got {value!r}")
    sources = []
    if params["history_dir"]:
        sources.append(("local history", load_history_dir(params["history_dir"])))
    if params["history"]:
        sources.append(("supplied history", params["history"]))
    ssm = module.client("ssm")
    clients = {"ssm": ssm}

    def client(service):
        if service not in clients:
            clients[service] = module.client(service)
        return clients[service]

    def check():
        checked = windows_to_check(ssm, params)
        windows = [window for window, dummy in checked]
        history = list(sources)
        api_windows = [api for dummy, api in checked if api is not None]
        if params["ssm_history"]["enabled"] and api_windows:
            # One batched read for every deployed window; SSM's own record comes first.
            history.insert(0, (SSM_HISTORY, read_history(ssm, api_windows, [], RAN_STATUSES,
                                                         params["ssm_history"]["last"], True, False)))
        facts, account, partition = A.gather(client, windows, module.region, params["check_role"], history,
                                             params["estimates"], params["margin_percent"] / 100.0)
        return [P.preflight_window(f, module.region, account, partition) for f in facts]

    try:
        reports = run_guarded(module, check)
    except A.AnsiblePreflightError as e:
        module.fail_json_aws_error(e)
    status = P.worst(r["status"] for r in reports)
    result = dict(changed=False, status=status, windows=reports, summary=P.summary_table(reports))
    hit = [f"{r['window_name']} ({', '.join(c['check'] for c in r['checks'] if c['status'] in params['fail_on'])})"
           for r in reports if any(c["status"] in params["fail_on"] for c in r["checks"])]
    if hit:
        module.fail_json(msg=f"preflight found {'/'.join(params['fail_on'])} in {len(hit)} window(s): {'; '.join(hit)}",
                         **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
