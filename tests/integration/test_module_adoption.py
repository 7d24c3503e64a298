"""Console-made windows round-trip through maintenance_window_info and maintenance_window without a
change, and SSM pseudo parameters reach SSM byte for byte.

The "console" window is created straight through boto3 with the shapes AWS hands back for
hand-made windows: a target without a name (referenced by ID), parameters in any order, a
targetless task, an optional CloudWatch block.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from . import mw_harness as H


def _play(tmp_path: Path, sandbox, tasks: str, name: str = "play.yml") -> Path:
    return H.localhost_play(tmp_path, sandbox.endpoint, tasks, name)


def _run(sandbox, playbook: Path):
    start = len(sandbox.requests())
    proc = H.run_playbook(playbook)
    log = sandbox.requests()[start:]
    H.record_calls(log, ["maintenance_window", "maintenance_window_info"])
    assert proc.returncode == 0, H.describe_failure(proc)
    return log


def test_console_made_window_round_trip(sandbox, ssm_client, tmp_path):
    sandbox.set_faults(throttle_rate=0.0)
    name = f"console-{uuid.uuid4().hex[:8]}"
    window_id = ssm_client.create_maintenance_window(
        Name=name, Schedule="cron(30 23 ? * SUN *)", ScheduleTimezone="Asia/Tokyo", Duration=3, Cutoff=1,
        AllowUnassociatedTargets=True, Description="made by hand",
        Tags=[{"Key": "Team", "Value": "ops"}])["WindowId"]
    unnamed = ssm_client.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="INSTANCE",
        Targets=[{"Key": "tag:Role", "Values": ["db", "app"]}])["WindowTargetId"]
    ssm_client.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="RESOURCE_GROUP", Name="group",
        Targets=[{"Key": "resource-groups:Name", "Values": ["rg"]}])
    ssm_client.register_task_with_maintenance_window(
        WindowId=window_id, Name="patch", TaskType="RUN_COMMAND", TaskArn="AWS-RunShellScript", Priority=2,
        Targets=[{"Key": "WindowTargetIds", "Values": [unnamed]}], MaxConcurrency="2", MaxErrors="0",
        TaskInvocationParameters={"RunCommand": {
            "Parameters": {"workingDirectory": ["/tmp"], "commands": ["echo b", "echo a"]},
            "CloudWatchOutputConfig": {"CloudWatchOutputEnabled": False},
            "NotificationConfig": {"NotificationArn": "arn:aws:sns:us-east-1:123456789012:t",
                                   "NotificationEvents": ["TimedOut", "Failed"]}}})
    ssm_client.register_task_with_maintenance_window(
        WindowId=window_id, Name="snapshot", TaskType="AUTOMATION", TaskArn="AWS-CreateSnapshot",
        TaskInvocationParameters={"Automation": {"Parameters": {"VolumeId": ["vol-1"]}}})
    ssm_client.register_task_with_maintenance_window(
        WindowId=window_id, TaskType="RUN_COMMAND", TaskArn="AWS-RunPatchBaseline", Priority=5,
        Targets=[{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}], MaxConcurrency="1", MaxErrors="1")

    out = tmp_path / "adopted.json"
    playbook = _play(tmp_path, sandbox, f"""\
        - name: Read the console-made window
          mwops.ssm.maintenance_window_info:
            name: {name}
          register: found
        - name: Keep the definition
          ansible.builtin.copy:
            content: "{{{{ found.maintenance_windows | to_json }}}}"
            dest: {out}
            mode: "0644"
        - name: Converge from it (check mode)
          mwops.ssm.maintenance_window: "{{{{ item }}}}"
          check_mode: true
          loop: "{{{{ found.maintenance_windows }}}}"
          register: again_check
        - name: Converge from it
          mwops.ssm.maintenance_window: "{{{{ item }}}}"
          loop: "{{{{ found.maintenance_windows }}}}"
          register: again
        - name: No change
          ansible.builtin.assert:
            that:
              - again_check is not changed
              - again is not changed
        """)
    log = _run(sandbox, playbook)
    assert [r["operation"] for r in log if r["write"]] == []
    (window,) = json.loads(out.read_text())
    assert window["window_id"] == window_id and window["tags"] == {"Team": "ops"}
    patch = next(t for t in window["tasks"] if t.get("name") == "patch")
    assert patch["targets"] == [{"key": "WindowTargetIds", "values": [unnamed]}]
    assert patch["task_invocation_parameters"]["run_command"]["parameters"]["commands"] == ["echo b", "echo a"]
    unnamed_task = next(t for t in window["tasks"] if not t.get("name"))
    assert unnamed_task["window_task_id"]
    ssm_client.delete_maintenance_window(WindowId=window_id)


def test_pseudo_parameters_reach_ssm_byte_for_byte(sandbox, ssm_client, tmp_path):
    sandbox.set_faults(throttle_rate=0.0)
    name = f"pseudo-{uuid.uuid4().hex[:8]}"
    playbook = _play(tmp_path, sandbox, f"""\
        - name: A window whose tasks use pseudo parameters, written both ways
          mwops.ssm.maintenance_window:
            name: {name}
            schedule: rate(1 day)
            duration: 2
            cutoff: 0
            targets:
              - name: all
                targets: [{{key: tag-key, values: [Patch]}}]
            tasks:
              - name: automation
                task_type: AUTOMATION
                task_arn: AWS-RestartEC2Instance
                targets: [{{window_target: all}}]
                max_concurrency: "1"
                max_errors: "0"
                task_invocation_parameters:
                  automation:
                    parameters:
                      InstanceId: !unsafe "{{{{TARGET_ID}}}}"
                      Note: "{{% raw %}}{{{{WINDOW_ID}}}}/{{{{WINDOW_TASK_ID}}}}/{{{{WINDOW_TARGET_ID}}}}{{% endraw %}}"
              - name: lambda
                task_type: LAMBDA
                task_arn: arn:aws:lambda:us-east-1:123456789012:function:f
                task_invocation_parameters:
                  lambda:
                    payload: !unsafe '{{"w": "{{{{WINDOW_EXECUTION_ID}}}}", "t": "{{{{TASK_EXECUTION_ID}}}}", "i": "{{{{INVOCATION_ID}}}}"}}'
              - name: states
                task_type: STEP_FUNCTIONS
                task_arn: arn:aws:states:us-east-1:123456789012:stateMachine:m
                task_invocation_parameters:
                  step_functions:
                    name: !unsafe "{{{{INVOCATION_ID}}}}"
                    input: !unsafe '{{"resource": "{{{{RESOURCE_ID}}}}", "type": "{{{{TARGET_TYPE}}}}"}}'
          register: created
        - name: Second run
          mwops.ssm.maintenance_window:
            name: {name}
            schedule: rate(1 day)
            duration: 2
            cutoff: 0
            targets: "{{{{ created.maintenance_window.targets }}}}"
            tasks: "{{{{ created.maintenance_window.tasks }}}}"
          register: again
        - name: Unchanged
          ansible.builtin.assert:
            that: [again is not changed]
        """)
    _run(sandbox, playbook)
    window_id = next(w["WindowId"] for w in ssm_client.describe_maintenance_windows()["WindowIdentities"]
                     if w["Name"] == name)
    tasks = {t["Name"]: ssm_client.get_maintenance_window_task(WindowId=window_id, WindowTaskId=t["WindowTaskId"])
             for t in ssm_client.describe_maintenance_window_tasks(WindowId=window_id)["Tasks"]}
    automation = tasks["automation"]["TaskInvocationParameters"]["Automation"]["Parameters"]
    assert automation == {"InstanceId": ["{{TARGET_ID}}"], "Note": ["{{WINDOW_ID}}/{{WINDOW_TASK_ID}}/{{WINDOW_TARGET_ID}}"]}
    payload = tasks["lambda"]["TaskInvocationParameters"]["Lambda"]["Payload"]
    payload = payload.read() if hasattr(payload, "read") else payload
    assert payload == b'{"w": "{{WINDOW_EXECUTION_ID}}", "t": "{{TASK_EXECUTION_ID}}", "i": "{{INVOCATION_ID}}"}'
    states = tasks["states"]["TaskInvocationParameters"]["StepFunctions"]
    assert states == {"Name": "{{INVOCATION_ID}}", "Input": '{"resource": "{{RESOURCE_ID}}", "type": "{{TARGET_TYPE}}"}'}
    ssm_client.delete_maintenance_window(WindowId=window_id)


def test_two_windows_with_one_name_fail_clearly(sandbox, ssm_client, tmp_path):
    sandbox.set_faults(throttle_rate=0.0)
    name = f"twin-{uuid.uuid4().hex[:8]}"
    ids = sorted(ssm_client.create_maintenance_window(Name=name, Schedule="rate(1 day)", Duration=2, Cutoff=0,
                                                      AllowUnassociatedTargets=False)["WindowId"] for _twin in range(2))
    out = tmp_path / "twins.json"
    playbook = _play(tmp_path, sandbox, f"""\
        - name: By name
          mwops.ssm.maintenance_window:
            name: {name}
            schedule: rate(1 day)
            duration: 2
            cutoff: 0
          register: by_name
          ignore_errors: true
        - name: By ID
          mwops.ssm.maintenance_window:
            window_id: {ids[1]}
            name: {name}
            schedule: rate(1 day)
            duration: 3
            cutoff: 0
          register: by_id
        - name: Keep the results
          ansible.builtin.copy:
            content: "{{{{ {{'by_name': by_name, 'by_id': by_id}} | to_json }}}}"
            dest: {out}
            mode: "0644"
        """)
    log = _run(sandbox, playbook)
    results = json.loads(out.read_text())
    assert results["by_name"]["failed"]
    assert ids[0] in results["by_name"]["msg"] and ids[1] in results["by_name"]["msg"]
    assert "window_id" in results["by_name"]["msg"]
    assert results["by_id"]["changed"] and results["by_id"]["window_id"] == ids[1]
    assert [r["operation"] for r in log if r["write"]] == ["UpdateMaintenanceWindow"]
    for window_id in ids:
        ssm_client.delete_maintenance_window(WindowId=window_id)
