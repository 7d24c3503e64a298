"""mwops.ssm.mw_preflight end to end against the sandbox: a pass, a warn and a fail case per check.

The estate is built in the sandbox with real API calls (EC2 instances with tags, managed nodes
seeded with ping status and patch state, a patch baseline registered to a patch group, a
resource group, IAM roles and a caller with iam:PassRole). The module runs in ansible-playbook
with the caller's own access key, so STS, IAM simulation and every read go through the sandbox.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import boto3
import pytest


from . import mw_harness as H

TRUST_SSM = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
TRUST_EC2 = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
MW_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole"
ACCOUNT = "123456789012"
READS = {"DescribeInstances", "DescribeInstanceInformation", "DescribeInstancePatchStates", "DescribePatchGroups",
         "GetRole", "SimulatePrincipalPolicy", "GetCallerIdentity", "ListGroupResources"}
SSM_HISTORY_READS = {"DescribeMaintenanceWindowExecutions", "DescribeMaintenanceWindowExecutionTasks",
                     "GetMaintenanceWindowExecutionTask", "DescribeMaintenanceWindowExecutionTaskInvocations"}


def role_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


@pytest.fixture(scope="module")
def estate(sandbox):
    """Instances by role tag, managed-node facts, patch group, resource group, roles and a CI caller."""
    sandbox.reset()
    kw = dict(endpoint_url=sandbox.endpoint, region_name="us-east-1", aws_access_key_id="testing",
              aws_secret_access_key="testing")
    ec2, ssm, iam = (boto3.client(s, **kw) for s in ("ec2", "ssm", "iam"))
    ids = {}

    def launch(role, count, **tags):
        tag_list = [{"Key": "Role", "Value": role}]
        tag_list += [{"Key": "Patch Group" if k == "Patch_Group" else k, "Value": v} for k, v in tags.items()]
        found = ec2.run_instances(ImageId="ami-12c6146b", MinCount=count, MaxCount=count, TagSpecifications=[
            {"ResourceType": "instance", "Tags": tag_list}])["Instances"]
        ids[role] = sorted(i["InstanceId"] for i in found)
        return ids[role]

    launch("web", 4, Patch_Group="Prod-Linux")
    launch("shaky", 3, Patch_Group="Prod-Linux")
    launch("plain", 1)
    sloppy_key = launch("sloppy-key", 1, patchgroup="Prod-Linux")
    sloppy_value = launch("sloppy-value", 1, Patch_Group="Prod-Linux ")
    launch("pending", 2, Patch_Group="Prod-Linux")
    nodes = [{"instance_id": i, "platform_name": "Amazon Linux", "platform_version": "2023.5"}
             for role in ("web", "plain", "sloppy-key", "sloppy-value", "pending") for i in ids[role]]
    nodes += [{"instance_id": ids["shaky"][0]}, {"instance_id": ids["shaky"][1], "ping_status": "ConnectionLost"}]
    nodes[-4]["patch_state"] = {"InstalledPendingRebootCount": 3, "PatchGroup": "Prod-Linux"}  # first "pending" node
    assert nodes[-4]["instance_id"] == ids["pending"][0]
    sandbox.register_managed_nodes(nodes)
    baseline = ssm.create_patch_baseline(Name="prod-al2023", OperatingSystem="AMAZON_LINUX_2023")["BaselineId"]
    ssm.register_patch_baseline_for_patch_group(BaselineId=baseline, PatchGroup="Prod-Linux")
    boto3.client("resource-groups", **kw).create_group(Name="web-rg", ResourceQuery={
        "Type": "TAG_FILTERS_1_0", "Query": json.dumps({"ResourceTypeFilters": ["AWS::EC2::Instance"],
                                                        "TagFilters": [{"Key": "Role", "Values": ["web"]}]})})
    iam.create_role(RoleName="mw-good", AssumeRolePolicyDocument=json.dumps(TRUST_SSM))
    iam.attach_role_policy(RoleName="mw-good", PolicyArn=MW_POLICY)
    iam.create_role(RoleName="mw-ec2-trust", AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    iam.attach_role_policy(RoleName="mw-ec2-trust", PolicyArn=MW_POLICY)
    iam.create_role(RoleName="mw-weak", AssumeRolePolicyDocument=json.dumps(TRUST_SSM))
    iam.put_role_policy(RoleName="mw-weak", PolicyName="list-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:ListCommands", "Resource": "*"}]}))
    iam.create_user(UserName="ci")
    key = iam.create_access_key(UserName="ci")["AccessKey"]
    iam.put_user_policy(UserName="ci", PolicyName="pass-mw-roles", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/mw-*",
             "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}},
            {"Effect": "Deny", "Action": "iam:PassRole", "Resource": role_arn("mw-weak")}]}))
    return {"ids": ids, "key": key, "ssm": ssm}


def definition(name, selector, **task_changes):
    task = {"name": "patch", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunPatchBaseline", "priority": 1,
            "max_concurrency": "1", "max_errors": "1", "targets": [{"window_target": "fleet"}],
            "service_role_arn": role_arn("mw-good"),
            "task_invocation_parameters": {"run_command": {"parameters": {"Operation": ["Install"]}}}}
    params = task_changes.pop("parameters", None)
    if params:
        task["task_invocation_parameters"]["run_command"]["parameters"].update(params)
    task.update(task_changes)
    resource_type = "RESOURCE_GROUP" if selector[0]["key"].startswith("resource-groups:") else "INSTANCE"
    return {"name": name, "schedule": "cron(0 2 ? * SUN *)", "duration": 2, "cutoff": 1,
            "targets": [{"name": "fleet", "resource_type": resource_type, "targets": selector}],
            "tasks": [task]}


def by_role(role):
    return [{"key": "tag:Role", "values": [role]}]


def run_module(sandbox, estate, tmp_path, arguments, name="preflight"):
    """Run mw_preflight once per argument set (fail_on: [] unless given); returns results and the process."""
    out = tmp_path / f"{name}.json"
    creds = {"access_key": estate["key"]["AccessKeyId"], "secret_key": estate["key"]["SecretAccessKey"]}
    tasks = [{"name": f"preflight {n}", "mwops.ssm.mw_preflight": dict(args, **creds), "register": f"checked{n}"}
             for n, args in enumerate(arguments)]
    everything = ", ".join(f"checked{n}" for n in range(len(arguments)))
    tasks.append({"name": "keep", "ansible.builtin.copy": {"content": f"{{{{ [{everything}] | to_json }}}}",
                                                           "dest": str(out), "mode": "0600"}})
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "module_defaults": H.module_defaults(sandbox.endpoint), "tasks": tasks}]
    start = len(sandbox.requests())
    proc = H.run_playbook(H.write_playbook(tmp_path / f"{name}.yml", play))
    H.record_calls(sandbox.requests()[start:], ["mw_preflight"])
    results = json.loads(out.read_text()) if out.exists() else None
    return results, proc


def check_of(result, name):
    report = result["windows"][0]
    return next(c for c in report["checks"] if c["check"] == name)


# (case, definition, extra module arguments, check, expected status)
def cases(estate, history_dir):
    ids = estate["ids"]
    return [
        ("targets-pass-resource-group", definition("t-pass", [{"key": "resource-groups:Name", "values": ["web-rg"]}]),
         {"estimates": {"patch": 5}}, "targets_resolve", "pass"),
        ("targets-warn-offline-unmanaged", definition("t-warn", by_role("shaky")), {"estimates": {"patch": 5}},
         "targets_resolve", "warn"),
        ("targets-fail-nothing", definition("t-fail", by_role("ghost")), {}, "targets_resolve", "fail"),
        ("targets-fail-missing-group", definition("t-fail-rg", [{"key": "resource-groups:Name", "values": ["nope"]}]),
         {}, "targets_resolve", "fail"),
        ("patch-pass", definition("p-pass", by_role("web")), {"estimates": {"patch": 5}}, "patch_groups_match", "pass"),
        ("patch-warn-untagged", definition("p-warn", by_role("plain")), {"estimates": {"patch": 5}},
         "patch_groups_match", "warn"),
        ("patch-fail-near-miss-key", definition("p-fail-key", by_role("sloppy-key")), {}, "patch_groups_match", "fail"),
        ("patch-fail-near-miss-value", definition("p-fail-value", by_role("sloppy-value")), {}, "patch_groups_match",
         "fail"),
        ("reboot-pass", definition("r-pass", by_role("web")), {"estimates": {"patch": 5}}, "reboots_not_missed", "pass"),
        ("reboot-warn-pending", definition("r-warn", by_role("pending")), {"estimates": {"patch": 5}},
         "reboots_not_missed", "warn"),
        ("reboot-fail-noreboot", definition("r-fail", by_role("web"), parameters={"RebootOption": ["NoReboot"]}), {},
         "reboots_not_missed", "fail"),
        ("length-pass-local-history", definition("len-pass", by_role("web")), {"history_dir": str(history_dir)},
         "window_long_enough", "pass"),
        ("length-warn-tight", definition("len-warn", by_role("web")), {"estimates": {"patch": 13}},
         "window_long_enough", "warn"),
        ("length-fail-fleet", definition("len-fail", by_role("web")), {"estimates": {"patch": 20}},
         "window_long_enough", "fail"),
        ("role-pass", definition("role-pass", by_role("web")), {"estimates": {"patch": 5}}, "role_is_right", "pass"),
        ("role-warn-service-linked-missing", definition("role-warn", by_role("web"), service_role_arn=None),
         {"estimates": {"patch": 5}}, "role_is_right", "warn"),
        ("role-fail-trust", definition("role-fail-trust", by_role("web"), service_role_arn=role_arn("mw-ec2-trust")),
         {}, "role_is_right", "fail"),
        ("role-fail-permissions", definition("role-fail-perm", by_role("web"), service_role_arn=role_arn("mw-weak")),
         {}, "role_is_right", "fail"),
    ], ids


@pytest.fixture(scope="module")
def results(sandbox, estate, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("preflight")
    history = tmp / "history"
    history.mkdir()
    invocations = [{"status": "Success", "start_time": "2026-11-01T02:00:00.000000Z",
                    "end_time": f"2026-11-01T02:{m:02d}:00.000000Z"} for m in (2, 3, 4)]
    (history / "x.json").write_text(json.dumps({"schema": "mwops.ssm/window-execution/1", "window_name": "len-pass",
                                                "task_executions": [{"name": "patch", "invocations": invocations}]}))
    table, _ids = cases(estate, history)
    arguments = [dict({"definition": case[1], "fail_on": []}, **case[2]) for case in table]
    sandbox.reset_requests()
    found, proc = run_module(sandbox, estate, tmp, arguments)
    assert proc.returncode == 0, H.describe_failure(proc)
    return {case[0]: result for case, result in zip(table, found)}, sandbox.requests()


CASE_IDS = [c[0] for c in cases({"ids": {}}, Path("."))[0]]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASE_IDS)
def test_check_verdict(results, estate, case):
    check, expected = next(c for c in cases(estate, Path("."))[0] if c[0] == case)[3:]
    result = check_of(results[0][case], check)
    assert result["status"] == expected, json.dumps(result, indent=1)
    assert result["fix"] and result["cause"] and (expected == "pass") == (not [
        f for f in result["findings"] if f["status"] != "pass"])


@pytest.mark.slow
def test_findings_name_the_instances_and_numbers(results, estate):
    found, ids = results[0], estate["ids"]
    shaky = check_of(found["targets-warn-offline-unmanaged"], "targets_resolve")
    assert {tuple(f["instance_ids"]) for f in shaky["findings"]} == {(ids["shaky"][2],), (ids["shaky"][1],)}
    assert shaky["evidence"]["targets"]["fleet"] == {"resolved": 3, "online": 1}
    assert "does not exist" in check_of(found["targets-fail-missing-group"], "targets_resolve")["findings"][0]["message"]
    assert check_of(found["targets-pass-resource-group"], "targets_resolve")["evidence"]["tasks"] == {"patch": 4}
    key = check_of(found["patch-fail-near-miss-key"], "patch_groups_match")["findings"][0]
    assert key["instance_ids"] == ids["sloppy-key"] and "'patchgroup'" in key["message"]
    value = check_of(found["patch-fail-near-miss-value"], "patch_groups_match")["findings"][0]
    assert value["instance_ids"] == ids["sloppy-value"] and "near miss of the registered 'Prod-Linux'" in value["message"]
    assert check_of(found["reboot-warn-pending"], "reboots_not_missed")["findings"][0]["instance_ids"] == \
        [ids["pending"][0]]
    assert check_of(found["reboot-fail-noreboot"], "reboots_not_missed")["findings"][0]["instance_ids"] == ids["web"]
    # 4 nodes one at a time: 4 waves x p90.
    local = check_of(found["length-pass-local-history"], "window_long_enough")["evidence"]
    assert (local["tasks"][0]["source"], local["tasks"][0]["p90_minutes"], local["needed_minutes"]) == \
        ("local history", 4.0, 16.0)
    short = check_of(found["length-fail-fleet"], "window_long_enough")
    assert (short["evidence"]["needed_minutes"], short["evidence"]["available_minutes"]) == (80.0, 60.0)
    assert short["fix"] == "Increase duration"
    perm = check_of(found["role-fail-permissions"], "role_is_right")["findings"]
    assert any("ssm:SendCommand" in f["message"] for f in perm)
    assert any("may not iam:PassRole" in f["message"] and "explicitDeny" in f["message"] for f in perm)
    assert check_of(found["role-pass"], "role_is_right")["evidence"]["caller"].endswith(":user/ci")
    assert found["patch-pass"]["status"] == "pass"
    assert any("Standardize tagging" in line for line in found["patch-fail-near-miss-key"]["summary"])


@pytest.mark.slow
def test_preflight_makes_no_write_call(results):
    log = results[1]
    operations = {r["operation"] for r in log}
    assert READS <= operations, sorted(operations)
    assert [r["operation"] for r in log if r["write"]] == []


def deploy(ssm, name, role_tag):
    window_id = ssm.create_maintenance_window(Name=name, Schedule="cron(0 2 ? * SUN *)", Duration=2, Cutoff=1,
                                              AllowUnassociatedTargets=False)["WindowId"]
    target = ssm.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="INSTANCE", Name="fleet",
        Targets=[{"Key": "tag:Role", "Values": [role_tag]}])["WindowTargetId"]
    ssm.register_task_with_maintenance_window(
        WindowId=window_id, Name="patch", TaskType="RUN_COMMAND", TaskArn="AWS-RunPatchBaseline", Priority=1,
        MaxConcurrency="1", MaxErrors="0", ServiceRoleArn=role_arn("mw-good"),
        Targets=[{"Key": "WindowTargetIds", "Values": [target]}],
        TaskInvocationParameters={"RunCommand": {"Parameters": {"Operation": ["Install"]}}})
    return window_id


@pytest.mark.slow
def test_deployed_windows_by_name_and_region_wide_and_fail_on(sandbox, estate, tmp_path):
    window_id = deploy(estate["ssm"], "deployed-broken", "sloppy-key")
    deploy(estate["ssm"], "deployed-web", "web")
    sandbox.reset_requests()
    found, proc = run_module(sandbox, estate, tmp_path, [{"name": "deployed-broken", "fail_on": [],
                                                          "estimates": {"patch": 5}},
                                                         {"fail_on": [], "estimates": {"patch": 5}}])
    assert proc.returncode == 0, H.describe_failure(proc)
    by_name, region = found
    assert by_name["windows"][0]["window_id"] == window_id
    assert check_of(by_name, "patch_groups_match")["status"] == "fail"
    assert [w["window_name"] for w in region["windows"]] == ["deployed-broken", "deployed-web"]
    assert [w["status"] for w in region["windows"]] == ["fail", "pass"]
    counts = [next(c for c in w["checks"] if c["check"] == "targets_resolve")["evidence"]["targets"]["fleet"]
              for w in region["windows"]]
    assert counts == [{"resolved": 1, "online": 1}, {"resolved": 4, "online": 4}]
    log = sandbox.requests()
    assert [r["operation"] for r in log if r["write"]] == []
    # Both windows' tag:Role selectors were answered by one DescribeInstances per module run.
    assert sum(1 for r in log if r["operation"] == "DescribeInstances") == 2
    # The default fail_on stops the play, naming the window and the failed check.
    proc = run_module(sandbox, estate, tmp_path, [{"window_id": window_id}], name="stops")[1]
    assert proc.returncode != 0
    assert "preflight found fail in 1 window(s): deployed-broken (patch_groups_match)" in proc.stdout


@pytest.mark.slow
def test_invalid_definition_names_the_field(sandbox, estate, tmp_path):
    broken = copy.deepcopy(definition("bad", by_role("web")))
    broken["tasks"][0]["max_concurrency"] = "0"
    proc = run_module(sandbox, estate, tmp_path, [{"definition": broken}], name="invalid")[1]
    assert proc.returncode != 0 and "tasks[0].max_concurrency" in proc.stdout


@pytest.mark.slow
def test_window_length_from_the_ssm_history_of_runs(sandbox, estate, tmp_path):
    """The sandbox runs a deployed window; preflight reads those executions back through SSM's
    history API and estimates from them: 4 web nodes one at a time in 60 min (duration 2 h, cutoff
    1 h). 10-minute invocations fit (4 x 10 = 40 min, pass); after a run with 25-minute
    invocations the p90 is 25 min and 4 x 25 = 100 min does not fit (fail)."""
    ssm = estate["ssm"]
    ec2 = boto3.client("ec2", endpoint_url=sandbox.endpoint, region_name="us-east-1")
    web = estate["ids"]["web"]
    window_id = deploy(ssm, "history-web", "web")

    def run_with(seconds, start):
        ec2.create_tags(Resources=web, Tags=[{"Key": "mwsandbox:runtime", "Value": str(seconds)}])
        ran = sandbox.run_window(window_id, start)
        return [i["status"] for t in ran["tasks"] for i in t["invocations"]]

    try:
        assert run_with(600, "2026-03-01T02:00:00Z") == ["SUCCESS"] * 4
        sandbox.reset_requests()
        short = run_module(sandbox, estate, tmp_path, [{"window_id": window_id}], name="short")
        assert short[1].returncode == 0, H.describe_failure(short[1])
        short_log = sandbox.requests()
        run_with(1500, "2026-03-08T02:00:00Z")
        sandbox.reset_requests()
        found, proc = run_module(sandbox, estate, tmp_path, [
            {"window_id": window_id, "fail_on": []},
            {"window_id": window_id, "fail_on": [], "ssm_history": {"last": 1}},
            {"window_id": window_id, "fail_on": [], "ssm_history": {"enabled": False}, "estimates": {"patch": 10}},
        ], name="long")
        assert proc.returncode == 0, H.describe_failure(proc)
        long_log = sandbox.requests()
        stopped = run_module(sandbox, estate, tmp_path, [{"window_id": window_id}], name="stops-long")[1]
    finally:
        ec2.delete_tags(Resources=web, Tags=[{"Key": "mwsandbox:runtime"}])
        ssm.delete_maintenance_window(WindowId=window_id)
    fits = check_of(short[0][0], "window_long_enough")
    assert fits["status"] == "pass", json.dumps(fits, indent=1)
    task = fits["evidence"]["tasks"][0]
    assert (task["source"], task["samples"], task["p90_minutes"], task["waves"]) == ("SSM history", 4, 10.0, 4)
    assert (fits["evidence"]["needed_minutes"], fits["evidence"]["available_minutes"]) == (40.0, 60.0)
    assert fits["evidence"]["history_sources"] == [{"source": "SSM history", "executions": 1}]
    all_runs, newest, declared = (check_of(result, "window_long_enough") for result in found)
    for short_window in (all_runs, newest):
        task = short_window["evidence"]["tasks"][0]
        assert short_window["status"] == "fail" and short_window["fix"] == "Increase duration"
        assert (task["source"], task["p90_minutes"], short_window["evidence"]["needed_minutes"]) == \
            ("SSM history", 25.0, 100.0)
        assert "leaves 60 min" in short_window["findings"][0]["message"]
    # The default reads the last 10 executions that ran (both runs, 8 samples); last: 1 only the newest.
    assert [c["evidence"]["history_sources"] for c in (all_runs, newest)] == [
        [{"source": "SSM history", "executions": 2}], [{"source": "SSM history", "executions": 1}]]
    assert [all_runs["evidence"]["tasks"][0]["samples"], newest["evidence"]["tasks"][0]["samples"]] == [8, 4]
    # Switched off, SSM's history is not read and the declared estimate decides (4 x 10 min fits).
    assert declared["status"] == "pass" and declared["evidence"]["history_sources"] == []
    assert declared["evidence"]["tasks"][0]["source"] == "declared estimate"
    # The default fail_on stops a pipeline on the window SSM's own history says is too short.
    assert stopped.returncode != 0 and "history-web (window_long_enough)" in stopped.stdout
    # Read-only, and the history came from SSM's history API (one DescribeMaintenanceWindowExecutions
    # per window and module run; the third run did not read it).
    for log in (short_log, long_log):
        assert [r["operation"] for r in log if r["write"]] == []
        assert SSM_HISTORY_READS <= {r["operation"] for r in log}
    assert sum(1 for r in long_log if r["operation"] == "DescribeMaintenanceWindowExecutions") == 2
