"""The sandbox runs windows: executions on a simulated clock, served through SSM's history API.

``start_execution`` runs a window *now* (or at a given instant) against the instances the
sandbox knows: moto EC2 instances (with their tags) and the on-prem ``mi-`` nodes of the
managed-node registry (``_managed_ext``, with their tags). Each instance's outcome comes
from its tags (``OUTCOME_TAG``: ``success``, ``failure`` or ``failure:<exit code>``, ``timeout``,
``undeliverable``; ``RUNTIME_TAG``: simulated seconds, default 60; ``OUTPUT_TAG``: its output), except
that a registered node whose ``ping_status`` is not Online is always undeliverable.

The run itself is the collection's executor semantics core (``_executor_core.simulate_window``:
priorities, sliding MaxConcurrency per window-target group, MaxErrors, cutoff), so the history
is what SSM would record for those outcomes. It is computed at once and stored on moto's SSM
backend (a moto reset wipes it), then read through DescribeMaintenanceWindowExecutions,
GetMaintenanceWindowExecution, DescribeMaintenanceWindowExecutionTasks,
GetMaintenanceWindowExecutionTask, DescribeMaintenanceWindowExecutionTaskInvocations,
GetMaintenanceWindowExecutionTaskInvocation and GetCommandInvocation, with paging.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any, Dict, List, Optional, Tuple

from moto.core.responses import ActionResult
from moto.ssm.exceptions import ValidationException
from moto.ssm.responses import SimpleSystemManagerResponse

from . import _managed_ext, _paths, _ssm_ext

_paths.ensure_collection_importable()

# pylint: disable=wrong-import-position
from ansible_collections.mwops.ssm.plugins.module_utils import _rate_control  # noqa: E402
from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_core as core  # noqa: E402

OUTCOME_TAG = "mwsandbox:outcome"
RUNTIME_TAG = "mwsandbox:runtime"
OUTPUT_TAG = "mwsandbox:output"
DEFAULT_RUNTIME = 60.0

# Run Command's per-invocation status for each outcome (GetCommandInvocation).
_COMMAND_STATUS = {core.OUTCOME_SUCCESS: ("Success", "Success"), core.OUTCOME_FAILED: ("Failed", "Failed"),
                   core.OUTCOME_TIMED_OUT: ("TimedOut", "ExecutionTimedOut"),
                   core.OUTCOME_UNDELIVERABLE: ("Failed", "Undeliverable")}


class RunError(ValueError):
    """A run request the sandbox cannot carry out (unknown window, bad outcome tag, ...)."""


class _Runs:
    """Per-backend state: executions (newest last) and commands."""

    def __init__(self) -> None:
        self.executions: Dict[str, Dict[str, Any]] = {}
        self.commands: Dict[Tuple[str, str], Dict[str, Any]] = {}


def _runs(backend: Any) -> _Runs:
    state = backend.__dict__.get("_mwsandbox_runs")
    if state is None:
        state = backend.__dict__["_mwsandbox_runs"] = _Runs()
    return state


# --------------------------------------------------------------------------- instances


def _instance_tags(backend: Any, account_id: str, region: str) -> Dict[str, Dict[str, str]]:
    """Every instance the sandbox knows with its tags: EC2 (moto) first, then the registry's mi- nodes."""
    from moto.ec2.models import ec2_backends  # pylint: disable=import-outside-toplevel

    found: Dict[str, Dict[str, str]] = {}
    for instance in ec2_backends[account_id][region].all_instances():
        found[instance.id] = {t["key"]: t["value"] for t in instance.get_tags()}
    found.update(_managed_ext.managed_tags(_managed_ext.nodes(backend)))
    return found


def _resolve(targets: List[Dict[str, Any]], instances: Dict[str, Dict[str, str]]) -> List[str]:
    """Instance IDs a Targets list names (tag:K, tag-key, InstanceIds), in instance order."""
    chosen: List[str] = []
    for entry in targets or []:
        key, values = entry.get("Key", ""), entry.get("Values") or []
        if key == "InstanceIds":
            matched = [v for v in values if v in instances]
        elif key.startswith("tag:"):
            matched = [i for i, tags in instances.items() if tags.get(key[4:]) in values]
        elif key == "tag-key":
            matched = [i for i, tags in instances.items() if any(v in tags for v in values)]
        else:
            raise RunError("the sandbox resolves InstanceIds, tag:<key> and tag-key targets, not %s" % key)
        chosen = [i for i in chosen if i in matched] if chosen else matched  # keys AND together
    return sorted(set(chosen), key=list(instances).index)


def _outcome(tags: Dict[str, str]) -> Tuple[str, Optional[int]]:
    text = tags.get(OUTCOME_TAG, "success").strip().lower()
    if text == "success":
        return core.OUTCOME_SUCCESS, 0
    if text == "failure" or text.startswith("failure:"):
        code = text.split(":", 1)[1] if ":" in text else "1"
        if not code.isdigit() or int(code) == 0:
            raise RunError("%s failure:<exit code> needs a non-zero number, got %r" % (OUTCOME_TAG, text))
        return core.OUTCOME_FAILED, int(code)
    if text == "timeout":
        return core.OUTCOME_TIMED_OUT, None
    if text == "undeliverable":
        return core.OUTCOME_UNDELIVERABLE, None
    raise RunError("%s must be success, failure[:<exit code>], timeout or undeliverable, got %r" % (OUTCOME_TAG, text))


def _runtime(tags: Dict[str, str]) -> float:
    try:
        seconds = float(tags.get(RUNTIME_TAG, DEFAULT_RUNTIME))
    except ValueError:
        raise RunError("%s must be a number of seconds, got %r" % (RUNTIME_TAG, tags[RUNTIME_TAG])) from None
    if seconds <= 0:
        raise RunError("%s must be positive" % RUNTIME_TAG)
    return seconds


# --------------------------------------------------------------------------- running a window


def _task_groups(window: Any, task: Dict[str, Any], instances: Dict[str, Dict[str, str]]) -> List[Tuple[Optional[str], List[str]]]:
    """(WindowTargetId or None, instance IDs) per target group of a task, in the task's order."""
    groups: List[Tuple[Optional[str], List[str]]] = []
    for entry in task.get("Targets") or []:
        if entry.get("Key") == "WindowTargetIds":
            for target_id in entry.get("Values") or []:
                target = window.targets.get(target_id)
                if target is not None:
                    groups.append((target_id, _resolve(target.get("Targets") or [], instances)))
        else:
            groups.append((None, _resolve([entry], instances)))
    return groups


def _when(moment: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(moment, tz=datetime.timezone.utc)


def start_execution(backend: Any, account_id: str, region: str, window_id: str,
                    start_time: Optional[str] = None) -> Dict[str, Any]:
    """Run a window now (or at ``start_time``) and record its SSM history; returns the summary."""
    window = backend.windows.get(window_id)
    if not isinstance(window, _ssm_ext.Window):
        raise RunError("maintenance window %s does not exist" % window_id)
    start = (datetime.datetime.fromisoformat(start_time.replace("Z", "+00:00")) if start_time
             else datetime.datetime.now(datetime.timezone.utc))
    if start.tzinfo is None:
        start = start.replace(tzinfo=datetime.timezone.utc)
    instances = _instance_tags(backend, account_id, region)
    plans, groups_of = [], {}
    for task in window.tasks.values():
        groups = _task_groups(window, task, instances)
        count = sum(len(ids) for dummy, ids in groups)
        groups_of[task["WindowTaskId"]] = groups
        plans.append(core.TaskPlan(
            name=task["WindowTaskId"], priority=int(task.get("Priority") or 0),
            target_groups=tuple(tuple(ids) for dummy, ids in groups),
            max_concurrency=_rate_control.resolve_max_concurrency(task.get("MaxConcurrency") or "1", count),
            max_errors=_rate_control.resolve_max_errors(task.get("MaxErrors") or "0", count),
            cutoff_behavior=task.get("CutoffBehavior") or core.CONTINUE_TASK))
    outcomes = {i: _outcome(tags) for i, tags in instances.items()}
    for instance_id, node in _managed_ext.nodes(backend).items():
        if instance_id in outcomes and node["ping_status"] != "Online":  # the agent is not there to answer
            outcomes[instance_id] = (core.OUTCOME_UNDELIVERABLE, None)
    plan = core.WindowPlan(window.fields.get("Name") or window.id, float(window.fields["Duration"]) * 3600,
                           float(window.fields["Cutoff"]) * 3600, tuple(plans))
    simulated = core.simulate_window(plan, start.timestamp(), lambda t, i: _runtime(instances[i]),
                                     lambda t, i: outcomes[i][0])
    execution_id = str(uuid.uuid4())
    record = {"WindowExecutionId": execution_id, "WindowId": window.id, "Status": simulated.status,
              "StatusDetails": simulated.status_details, "StartTime": start,
              "EndTime": _when(simulated.end), "tasks": {}}
    state = _runs(backend)
    for ran in simulated.tasks:
        task = window.tasks[ran.plan.name]
        record["tasks"][str(uuid.uuid4())] = _task_record(state, window, task, ran, groups_of[task["WindowTaskId"]],
                                                          instances, outcomes, execution_id, region)
    state.executions[execution_id] = record
    return summary(record)


def _task_record(state: _Runs, window: Any, task: Dict[str, Any], ran: core.SimulatedTask,
                 groups: List[Tuple[Optional[str], List[str]]], instances: Dict[str, Dict[str, str]],
                 outcomes: Dict[str, Tuple[str, Optional[int]]], execution_id: str, region: str) -> Dict[str, Any]:
    run_command = (task.get("TaskInvocationParameters") or {}).get("RunCommand") or {}
    group_of = {i: target_id for target_id, ids in groups for i in ids}
    invocations = []
    for result in ran.results:
        instance = result.target
        target = window.targets.get(group_of.get(instance) or "") or {}
        parameters = {"documentName": task["TaskArn"], "instanceIds": [instance],
                      "parameters": run_command.get("Parameters") or {},
                      "maxConcurrency": task.get("MaxConcurrency"), "maxErrors": task.get("MaxErrors"),
                      "timeoutSeconds": run_command.get("TimeoutSeconds"),
                      "documentVersion": run_command.get("DocumentVersion"),
                      "outputS3BucketName": run_command.get("OutputS3BucketName"),
                      "outputS3KeyPrefix": run_command.get("OutputS3KeyPrefix")}
        invocation = {"InvocationId": str(uuid.uuid4()), "TaskType": task["TaskType"],
                      "Parameters": json.dumps({k: v for k, v in parameters.items() if v is not None}),
                      "OwnerInformation": target.get("OwnerInformation"), "WindowTargetId": group_of.get(instance),
                      "StartTime": _when(result.start) if result.started else None,
                      "EndTime": _when(result.end) if result.end is not None else None}
        if result.started:
            command_id = str(uuid.uuid4())
            invocation.update(ExecutionId=command_id, Status=result.status,
                              StatusDetails=_details(result, outcomes[instance]))
            state.commands[(command_id, instance)] = _command(command_id, instance, task, run_command, result,
                                                              outcomes[instance][1], instances[instance], region)
        else:
            invocation.update(Status=core.CANCELLED, StatusDetails=core.NOT_STARTED_DETAILS[
                result.not_started_reason or core.REFUSED_CUTOFF].format(max_errors=ran.plan.max_errors))
        invocations.append(invocation)
    return {"TaskArn": task["TaskArn"], "Type": task["TaskType"], "Priority": task.get("Priority"),
            "ServiceRole": task.get("ServiceRoleArn"), "MaxConcurrency": task.get("MaxConcurrency"),
            "MaxErrors": task.get("MaxErrors"), "Status": ran.status, "StatusDetails": ran.status_details,
            "TaskParameters": [{k: v} for k, v in (task.get("TaskParameters") or {}).items()] or None,
            "StartTime": _when(ran.start) if ran.start is not None else None,
            "EndTime": _when(ran.end) if ran.end is not None else None, "invocations": invocations}


def _details(result: core.InvocationResult, outcome: Tuple[str, Optional[int]]) -> str:
    if result.cancelled_at_cutoff:
        return "Cancelled at the window's cutoff (CANCEL_TASK)."
    kind, code = outcome
    return {core.OUTCOME_SUCCESS: "Success", core.OUTCOME_FAILED: "Failed: exit code %s." % code,
            core.OUTCOME_TIMED_OUT: "ExecutionTimedOut",
            core.OUTCOME_UNDELIVERABLE: "Undeliverable: the managed node is not reachable"}[kind]


def _command(command_id: str, instance: str, task: Dict[str, Any], run_command: Dict[str, Any],
             result: core.InvocationResult, code: Optional[int], tags: Dict[str, str], region: str) -> Dict[str, Any]:
    status, details = _COMMAND_STATUS[result.outcome or core.OUTCOME_FAILED]
    if result.cancelled_at_cutoff:
        status, details = "Cancelled", "Cancelled"
    default = "mwsandbox: %s on %s: %s\n" % (task["TaskArn"], instance, details)
    stdout = tags.get(OUTPUT_TAG, default) if result.outcome != core.OUTCOME_UNDELIVERABLE else ""
    bucket = run_command.get("OutputS3BucketName")
    url = ""
    if bucket:
        prefix = (run_command.get("OutputS3KeyPrefix") or "").strip("/")
        key = "/".join(p for p in (prefix, command_id, instance, "awsrunShellScript", "0.awsrunShellScript", "stdout") if p)
        url = "https://s3.%s.amazonaws.com/%s/%s" % (region, bucket, key)
    return {"CommandId": command_id, "InstanceId": instance, "Comment": run_command.get("Comment") or "",
            "DocumentName": task["TaskArn"], "DocumentVersion": run_command.get("DocumentVersion") or "$DEFAULT",
            "PluginName": "aws:runShellScript", "ResponseCode": code if code is not None else -1,
            "ExecutionStartDateTime": _when(result.start).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if result.start else "",
            "ExecutionEndDateTime": _when(result.end).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if result.end else "",
            "Status": status, "StatusDetails": details, "StandardOutputContent": stdout,
            "StandardOutputUrl": url, "StandardErrorContent": "exit code %s\n" % code if result.outcome == core.OUTCOME_FAILED else "",
            "StandardErrorUrl": url[:-len("stdout")] + "stderr" if url else "",
            "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False}}


def summary(record: Dict[str, Any]) -> Dict[str, Any]:
    """What the control endpoint returns: IDs and statuses down to each invocation."""
    return {
        "window_execution_id": record["WindowExecutionId"], "window_id": record["WindowId"],
        "status": record["Status"], "status_details": record["StatusDetails"],
        "tasks": [{"task_execution_id": task_id, "task_arn": t["TaskArn"], "priority": t["Priority"],
                   "status": t["Status"], "status_details": t["StatusDetails"],
                   "invocations": [{"target": json.loads(i["Parameters"])["instanceIds"][0], "status": i["Status"],
                                    "started": i["StartTime"] is not None} for i in t["invocations"]]}
                  for task_id, t in record["tasks"].items()],
    }


# --------------------------------------------------------------------------- SSM read operations


def _execution(self: SimpleSystemManagerResponse, execution_id: str) -> Dict[str, Any]:
    record = _runs(self.ssm_backend).executions.get(execution_id)
    if record is None:
        raise _ssm_ext.does_not_exist("Maintenance window execution %s does not exist" % execution_id)
    return record


def _task(self: SimpleSystemManagerResponse, params: Dict[str, Any]) -> Dict[str, Any]:
    record = _execution(self, params["WindowExecutionId"])
    task = record["tasks"].get(params["TaskId"])
    if task is None:
        raise _ssm_ext.does_not_exist("Task execution %s does not exist in window execution %s"
                                      % (params["TaskId"], params["WindowExecutionId"]))
    return task


def _task_view(record: Dict[str, Any], task_id: str, task: Dict[str, Any]) -> Dict[str, Any]:
    return {"WindowExecutionId": record["WindowExecutionId"], "TaskExecutionId": task_id,
            **{k: v for k, v in task.items() if k != "invocations"}}


def _invocation_view(record: Dict[str, Any], task_id: str, invocation: Dict[str, Any]) -> Dict[str, Any]:
    return {"WindowExecutionId": record["WindowExecutionId"], "TaskExecutionId": task_id, **invocation}


def _instant(text: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationException("Invalid date/time %r: use ISO 8601, such as 2024-11-04T05:00:00Z" % text) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def describe_maintenance_window_executions(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _ssm_ext._params(self)  # pylint: disable=protected-access
    _ssm_ext._window(self.ssm_backend, params["WindowId"])  # pylint: disable=protected-access
    filters = _ssm_ext._filter_values(params, ("ExecutedBefore", "ExecutedAfter"))  # pylint: disable=protected-access
    rows = [r for r in _runs(self.ssm_backend).executions.values() if r["WindowId"] == params["WindowId"]]
    for value in filters.get("ExecutedAfter", []):
        rows = [r for r in rows if r["StartTime"] >= _instant(value)]
    for value in filters.get("ExecutedBefore", []):
        rows = [r for r in rows if r["StartTime"] <= _instant(value)]
    rows.sort(key=lambda r: r["StartTime"], reverse=True)  # newest first, as the console lists them
    page, token = _ssm_ext._page([{k: v for k, v in r.items() if k != "tasks"} for r in rows], params)  # pylint: disable=protected-access
    return _ssm_ext._result({"WindowExecutions": page, "NextToken": token})  # pylint: disable=protected-access


def get_maintenance_window_execution(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _ssm_ext._params(self)  # pylint: disable=protected-access
    record = _execution(self, params["WindowExecutionId"])
    view = {k: v for k, v in record.items() if k not in ("tasks", "WindowId")}
    return _ssm_ext._result({**view, "TaskIds": list(record["tasks"])})  # pylint: disable=protected-access


def _status_filtered(params: Dict[str, Any], rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    filters = _ssm_ext._filter_values(params, ("Status",))  # pylint: disable=protected-access
    return [r for r in rows if _ssm_ext._matches(filters, r)]  # pylint: disable=protected-access


def describe_maintenance_window_execution_tasks(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _ssm_ext._params(self)  # pylint: disable=protected-access
    record = _execution(self, params["WindowExecutionId"])
    rows = [{k: v for k, v in _task_view(record, task_id, task).items()
             if k in ("WindowExecutionId", "TaskExecutionId", "Status", "StatusDetails", "StartTime", "EndTime",
                      "TaskArn", "TaskType")} | {"TaskType": task["Type"]}
            for task_id, task in record["tasks"].items()]
    page, token = _ssm_ext._page(_status_filtered(params, rows), params)  # pylint: disable=protected-access
    return _ssm_ext._result({"WindowExecutionTaskIdentities": page, "NextToken": token})  # pylint: disable=protected-access


def get_maintenance_window_execution_task(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _ssm_ext._params(self)  # pylint: disable=protected-access
    record = _execution(self, params["WindowExecutionId"])
    return _ssm_ext._result(_task_view(record, params["TaskId"], _task(self, params)))  # pylint: disable=protected-access


def describe_maintenance_window_execution_task_invocations(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _ssm_ext._params(self)  # pylint: disable=protected-access
    record = _execution(self, params["WindowExecutionId"])
    rows = [_invocation_view(record, params["TaskId"], i) for i in _task(self, params)["invocations"]]
    page, token = _ssm_ext._page(_status_filtered(params, rows), params)  # pylint: disable=protected-access
    return _ssm_ext._result({"WindowExecutionTaskInvocationIdentities": page, "NextToken": token})  # pylint: disable=protected-access


def get_maintenance_window_execution_task_invocation(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _ssm_ext._params(self)  # pylint: disable=protected-access
    record = _execution(self, params["WindowExecutionId"])
    for invocation in _task(self, params)["invocations"]:
        if invocation["InvocationId"] == params["InvocationId"]:
            return _ssm_ext._result(_invocation_view(record, params["TaskId"], invocation))  # pylint: disable=protected-access
    raise _ssm_ext.does_not_exist("Invocation %s does not exist" % params["InvocationId"])


_MOTO_GET_COMMAND_INVOCATION = SimpleSystemManagerResponse.get_command_invocation


def get_command_invocation(self: SimpleSystemManagerResponse) -> ActionResult:
    """Commands of sandbox runs answer from the run; others go to moto (SendCommand's)."""
    params = _ssm_ext._params(self)  # pylint: disable=protected-access
    command = _runs(self.ssm_backend).commands.get((params.get("CommandId"), params.get("InstanceId")))
    if command is None:
        return _MOTO_GET_COMMAND_INVOCATION(self)
    return _ssm_ext._result(command)  # pylint: disable=protected-access


HANDLERS = {fn.__name__: fn for fn in (
    describe_maintenance_window_executions, get_maintenance_window_execution,
    describe_maintenance_window_execution_tasks, get_maintenance_window_execution_task,
    describe_maintenance_window_execution_task_invocations, get_maintenance_window_execution_task_invocation,
    get_command_invocation,
)}


def install(controls: Optional[Dict[str, Any]] = None) -> None:
    """Patch moto's SSM responses (idempotent); register ``/mwsandbox/runs`` when given the app's controls."""
    for name, handler in HANDLERS.items():
        setattr(SimpleSystemManagerResponse, name, handler)
    if controls is not None:
        controls["runs"] = control


# --------------------------------------------------------------------------- control endpoints


def control(method: str, spec: Dict[str, Any]) -> Tuple[Dict[str, Any], str]:
    """``POST /mwsandbox/runs`` with ``{"window_id", "start_time", "region", "account_id"}``."""
    from moto.core import DEFAULT_ACCOUNT_ID  # pylint: disable=import-outside-toplevel
    from moto.ssm.models import ssm_backends  # pylint: disable=import-outside-toplevel

    if method != "POST":
        return {"error": "/mwsandbox/runs takes POST, not %s" % method}, "405 Method Not Allowed"
    account = str(spec.get("account_id") or DEFAULT_ACCOUNT_ID)
    region = str(spec.get("region") or "us-east-1")
    try:
        if not spec.get("window_id"):
            raise RunError("window_id is required")
        return start_execution(ssm_backends[account][region], account, region, str(spec["window_id"]),
                               spec.get("start_time")), "200 OK"
    except (RunError, _rate_control.RateControlError, ValueError, KeyError) as exc:
        return {"error": str(exc)}, "400 Bad Request"
