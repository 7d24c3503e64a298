"""What the sandbox serves for preflight: seeded managed nodes, patch groups, resource groups, IAM simulation."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from mwsandbox._preflight_ext import evaluate


@pytest.fixture(name="clients")
def fixture_clients(sandbox):
    sandbox.reset()
    kw = dict(endpoint_url=sandbox.endpoint, region_name="us-east-1", aws_access_key_id="testing",
              aws_secret_access_key="testing")
    return {s: boto3.client(s, **kw) for s in ("ec2", "ssm", "iam", "resource-groups")}


def launch(ec2, count, **tags):
    found = ec2.run_instances(ImageId="ami-12c6146b", MinCount=count, MaxCount=count, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}])["Instances"]
    return sorted(i["InstanceId"] for i in found)


def test_only_seeded_nodes_are_managed_and_pages_follow_max_results(sandbox, clients):
    ids = launch(clients["ec2"], 12, Role="web")
    sandbox.register_managed_nodes([{"instance_id": ids[0], "ping_status": "ConnectionLost"}],
                                   instance_ids=ids[1:11], defaults={"platform_name": "Ubuntu"})
    pages = list(clients["ssm"].get_paginator("describe_instance_information").paginate(
        Filters=[{"Key": "InstanceIds", "Values": ids}], PaginationConfig={"PageSize": 5}))
    listed = [i for p in pages for i in p["InstanceInformationList"]]
    assert len(pages) == 3 and sorted(i["InstanceId"] for i in listed) == ids[:11]
    online = clients["ssm"].describe_instance_information(Filters=[{"Key": "PingStatus", "Values": ["Online"]}],
                                                          MaxResults=50)["InstanceInformationList"]
    assert len(online) == 10 and {i["PlatformName"] for i in online} == {"Ubuntu"}
    with pytest.raises(ClientError, match="Invalid filter key"):
        clients["ssm"].describe_instance_information(Filters=[{"Key": "Color", "Values": ["x"]}])


def test_patch_states_and_patch_groups(sandbox, clients):
    ids = launch(clients["ec2"], 2, Role="patched")
    sandbox.register_managed_nodes([{"instance_id": ids[0], "patch_state": {"InstalledPendingRebootCount": 2}},
                                    {"instance_id": ids[1]}])
    states = clients["ssm"].describe_instance_patch_states(InstanceIds=ids)["InstancePatchStates"]
    assert [(s["InstanceId"], s["InstalledPendingRebootCount"]) for s in states] == [(ids[0], 2)]
    baseline = clients["ssm"].create_patch_baseline(Name="al2023", OperatingSystem="AMAZON_LINUX_2023")["BaselineId"]
    clients["ssm"].register_patch_baseline_for_patch_group(BaselineId=baseline, PatchGroup="Prod")
    mappings = clients["ssm"].describe_patch_groups()["Mappings"]
    # moto keeps its default baselines for every OS in the group; AWS lists only the registration.
    assert [(m["PatchGroup"], m["BaselineIdentity"]["OperatingSystem"]) for m in mappings] == [
        ("Prod", "AMAZON_LINUX_2023")]


def test_list_group_resources_follows_tag_query(clients):
    web = launch(clients["ec2"], 2, Role="web")
    launch(clients["ec2"], 1, Role="db")
    clients["resource-groups"].create_group(Name="webs", ResourceQuery={"Type": "TAG_FILTERS_1_0", "Query": json.dumps(
        {"ResourceTypeFilters": ["AWS::EC2::Instance"], "TagFilters": [{"Key": "Role", "Values": ["web"]}]})})
    found = clients["resource-groups"].list_group_resources(Group="webs")["ResourceIdentifiers"]
    assert sorted(x["ResourceArn"].rsplit("/", 1)[1] for x in found) == web
    with pytest.raises(ClientError):
        clients["resource-groups"].list_group_resources(Group="nope")


def test_simulate_principal_policy_is_a_read_and_evaluates_attached_policies(sandbox, clients):
    iam = clients["iam"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole")
    sandbox.reset_requests()
    results = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["ssm:SendCommand", "lambda:InvokeFunction"],
        ResourceArns=["arn:aws:lambda:us-east-1:123456789012:function:patcher"])["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "implicitDeny"]
    assert sandbox.write_requests() == []


@pytest.mark.parametrize("statements, action, resource, context, decision", [
    ([{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}], "ssm:SendCommand", "*", {}, "allowed"),
    ([{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
      {"Effect": "Deny", "Action": "ssm:Send*", "Resource": "*"}], "ssm:SendCommand", "*", {}, "explicitDeny"),
    ([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], "iam:PassRole", "*", {}, "implicitDeny"),
    ([{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:*:*:function:SSM*"}],
     "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:1:function:SSM-patch", {}, "allowed"),
    ([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
       "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}}],
     "iam:PassRole", "arn:aws:iam::1:role/x", {"iam:passedtoservice": ["ec2.amazonaws.com"]}, "implicitDeny"),
    ([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
       "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}}],
     "iam:PassRole", "arn:aws:iam::1:role/x", {"iam:passedtoservice": ["ssm.amazonaws.com"]}, "allowed"),
])
def test_evaluate(statements, action, resource, context, decision):
    assert evaluate([{"Statement": statements}], action, resource, context) == decision
