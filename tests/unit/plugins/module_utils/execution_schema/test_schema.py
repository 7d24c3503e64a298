"""The execution schema core: masking, reading history, SSM answers -> schema."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _execution_schema as schema


@pytest.mark.parametrize("name", ["password", "DbPassword", "db_passwd", "Passphrase", "client_secret", "SECRET",
                                  "AccessToken", "apiKey", "api-key", "private_key", "Credentials", "pwd", "db_pwd",
                                  "admin_pass"])
def test_secret_names_are_recognised(name):
    assert schema.is_secret_name(name)


@pytest.mark.parametrize("name", ["commands", "Operation", "RebootOption", "passenger", "bypass", "compass",
                                  "workingDirectory", "executionTimeout"])
def test_ordinary_names_are_not_secrets(name):
    assert not schema.is_secret_name(name)


def test_masking_replaces_every_value_of_secret_names_at_any_depth():
    given = {"commands": ["echo hi"], "DbPassword": ["hunter2", "again"],
             "nested": {"api_key": "k", "list": [{"token": "t"}]}}
    masked = schema.mask_parameters(given)
    assert masked == {"commands": ["echo hi"], "DbPassword": [schema.MASK, schema.MASK],
                      "nested": {"api_key": schema.MASK, "list": [{"token": schema.MASK}]}}
    assert given["DbPassword"] == ["hunter2", "again"]  # a copy: the input is untouched


def test_iso_accepts_datetimes_epochs_and_strings():
    moment = datetime(2024, 5, 1, 15, 0, 0, 123456, tzinfo=timezone.utc)
    assert schema.iso(moment) == "2024-05-01T15:00:00.123456Z"
    assert schema.iso(moment.timestamp()) == "2024-05-01T15:00:00.123456Z"
    assert schema.iso("2024-05-01T17:00:00+02:00") == "2024-05-01T15:00:00.000000Z"
    assert schema.iso(None) is None
    with pytest.raises(ValueError):
        schema.iso("next tuesday")


def test_normalise_refuses_foreign_data_with_the_rule():
    with pytest.raises(schema.SchemaError, match="schema must be 'mwops.ssm/window-execution/1'"):
        schema.normalise_execution({"schema": "other/1"})
    with pytest.raises(schema.SchemaError, match="lacks"):
        schema.normalise_execution({"schema": schema.SCHEMA, "id": "x"})


def test_the_executor_writes_the_schema_fields(local_execution):
    """The fixture is a file written by mw_run: it carries the fields the schema added."""
    assert local_execution["source"] == "local" and local_execution["tags"] == {"ChangeTicket": "CHG-0042"}
    task = local_execution["task_executions"][0]
    assert task["parameters"] == {"commands": ["test {{TARGET_ID}} != h02"]}
    for invocation in task["invocations"]:
        assert invocation["owner_information"] == "team-web" and invocation["execution_id"] is None
        assert invocation["output_location"] == invocation["output_path"]
    assert schema.normalise_execution(local_execution)["tags"] == {"ChangeTicket": "CHG-0042"}


def test_normalise_fills_optional_fields_of_older_executor_files(local_execution):
    local_execution.pop("source"), local_execution.pop("tags"), local_execution.pop("description")
    task = local_execution["task_executions"][0]
    task.pop("parameters")
    for invocation in task["invocations"]:
        for key in schema.INVOCATION_OPTIONAL:
            invocation.pop(key)
    record = schema.normalise_execution(local_execution)
    assert record["source"] == "local" and record["tags"] == {}
    invocation = record["task_executions"][0]["invocations"][0]
    assert invocation["owner_information"] is None
    assert invocation["output_location"] == invocation["output_path"]
    assert record["task_executions"][0]["parameters"] == {}


# The shapes of the AWS CLI examples for the execution-history calls.
IDENTITY = {"WindowId": "mw-0c50858d01a3b2c4e", "WindowExecutionId": "518d5565-5969-4cca-8f0e-da3b2a638355",
            "Status": "FAILED", "StatusDetails": "1 task(s) failed",
            "StartTime": datetime(2024, 11, 12, 2, 0, tzinfo=timezone.utc),
            "EndTime": datetime(2024, 11, 12, 2, 5, tzinfo=timezone.utc)}
TASK = {"WindowExecutionId": IDENTITY["WindowExecutionId"], "TaskExecutionId": "ac0c6ae1-daa3-4a89-832e-d384503b6586",
        "TaskArn": "AWS-RunShellScript", "ServiceRole": "arn:aws:iam::812345678901:role/MaintenanceWindowsRole",
        "Type": "RUN_COMMAND", "Priority": 10, "MaxConcurrency": "50%", "MaxErrors": "1", "Status": "FAILED",
        "StatusDetails": "The error threshold was exceeded",
        "StartTime": datetime(2024, 11, 12, 2, 0, 1, tzinfo=timezone.utc),
        "EndTime": datetime(2024, 11, 12, 2, 4, tzinfo=timezone.utc)}


def _invocation(instance, status, details, command="c-1", owner="team-web"):
    parameters = {"documentName": "AWS-RunShellScript", "instanceIds": [instance],
                  "parameters": {"commands": ["df"], "DbPassword": ["hunter2"]}, "maxConcurrency": "50%",
                  "maxErrors": "1", "outputS3BucketName": "audit-logs", "outputS3KeyPrefix": "mw/"}
    return {"WindowExecutionId": IDENTITY["WindowExecutionId"], "TaskExecutionId": TASK["TaskExecutionId"],
            "InvocationId": f"inv-{instance}", "ExecutionId": command, "TaskType": "RUN_COMMAND",
            "Parameters": json.dumps(parameters), "Status": status, "StatusDetails": details,
            "StartTime": datetime(2024, 11, 12, 2, 1, tzinfo=timezone.utc),
            "EndTime": datetime(2024, 11, 12, 2, 2, tzinfo=timezone.utc), "OwnerInformation": owner,
            "WindowTargetId": "tgt-1"}


def test_ssm_answers_become_one_execution_in_the_schema():
    identities = [_invocation("i-1", "SUCCESS", "Success"), _invocation("i-2", "FAILED", "Failed"),
                  _invocation("i-3", "FAILED", "Undeliverable", command="c-3"),
                  _invocation("i-4", "TIMED_OUT", "ExecutionTimedOut")]
    commands = {"inv-i-2": {"ResponseCode": 3, "StandardOutputContent": "x" * 3000, "StandardErrorContent": "boom",
                            "StandardOutputUrl": "https://s3.example/audit-logs/mw/c-1/i-2/stdout"}}
    window_tasks = [{"WindowTaskId": "wt-1", "Name": "patch", "TaskArn": "AWS-RunShellScript", "Type": "RUN_COMMAND",
                     "Priority": 10, "CutoffBehavior": "CANCEL_TASK"}]
    task = schema.from_ssm_task(TASK, identities, schema.match_window_task(TASK, window_tasks), commands)
    window = {"WindowId": IDENTITY["WindowId"], "Name": "prod-linux", "Duration": 3, "Cutoff": 1}
    record = schema.from_ssm_execution(IDENTITY, [task], window, {"ChangeTicket": "CHG1"})
    assert schema.normalise_execution(record)["source"] == "ssm"
    assert set(schema.WINDOW_FIELDS) <= set(record) and set(schema.TASK_FIELDS) <= set(task)
    assert record["window_end_time"] == "2024-11-12T05:00:00.000000Z"
    assert record["last_task_start_time"] == "2024-11-12T04:00:00.000000Z"
    assert (task["name"], task["window_task_id"], task["cutoff_behavior"]) == ("patch", "wt-1", "CANCEL_TASK")
    assert (task["max_concurrency"], task["max_concurrency_spec"], task["max_errors"]) == (2, "50%", 1)
    assert task["parameters"] == {"commands": ["df"], "DbPassword": [schema.MASK]}
    assert "hunter2" not in json.dumps(record)
    by_target = {i["target"]: i for i in task["invocations"]}
    assert set(schema.INVOCATION_FIELDS) <= set(by_target["i-1"])
    # Failed and timed out count toward MaxErrors, undeliverable does not.
    assert [by_target[t]["counted_as_error"] for t in ("i-1", "i-2", "i-3", "i-4")] == [False, True, False, True]
    assert task["errors_counted"] == 2
    assert by_target["i-2"]["exit_code"] == 3
    assert by_target["i-2"]["output"].endswith("boom") and len(by_target["i-2"]["output"]) == schema.OUTPUT_TAIL
    assert by_target["i-2"]["output_location"] == "https://s3.example/audit-logs/mw/c-1/i-2/stdout"
    assert by_target["i-3"]["output_location"] == "s3://audit-logs/mw/c-3/i-3"
    assert by_target["i-1"]["owner_information"] == "team-web"


def test_an_ambiguous_window_task_is_not_guessed():
    twins = [{"WindowTaskId": w, "Name": w, "TaskArn": "AWS-RunShellScript", "Type": "RUN_COMMAND", "Priority": 10}
             for w in ("a", "b")]
    assert schema.match_window_task(TASK, twins) is None
    assert schema.from_ssm_task(TASK, [], None)["name"] == "AWS-RunShellScript"
