"""Preflight over an estate of 50 windows and 500 instances: API calls and wall time.

Builds the estate in an in-process sandbox (500 EC2 instances in 50 tag groups, all seeded as
online managed nodes with a registered patch group; 50 deployed windows, one target and one
AWS-RunPatchBaseline task each, with a custom service role), then runs ``mw_preflight`` once over
the whole region with ansible-playbook and prints the calls per operation from the request log.
Instance-level reads are batched (100 IDs per DescribeInstanceInformation filter, 50 per
DescribeInstancePatchStates), so they grow with the fleet / 50, not with the fleet.
With ``--runs N`` the sandbox first runs every window N times, so the SSM history read of the
window-length check (``ssm_history``, on by default) has executions to read and its cost shows.

    ~/.cache/mwops-ssm/venv-core219/bin/python benchmarks/preflight_estate.py [--windows 50] [--per-window 10] [--runs 0]
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "sandbox"))
import boto3  # noqa: E402  pylint: disable=wrong-import-position
import mwsandbox  # noqa: E402  pylint: disable=wrong-import-position


def _harness():
    spec = importlib.util.spec_from_file_location("mw_harness", ROOT / "tests" / "integration" / "mw_harness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


H = _harness()
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def build_estate(sandbox, windows: int, per_window: int) -> dict:
    kw = dict(endpoint_url=sandbox.endpoint, region_name="us-east-1", aws_access_key_id="testing",
              aws_secret_access_key="testing")
    ec2, ssm, iam = (boto3.client(s, **kw) for s in ("ec2", "ssm", "iam"))
    role = iam.create_role(RoleName="mw-bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.attach_role_policy(RoleName="mw-bench",
                           PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole")
    iam.create_user(UserName="bench")
    iam.put_user_policy(UserName="bench", PolicyName="pass", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": role}]}))
    key = iam.create_access_key(UserName="bench")["AccessKey"]
    baseline = ssm.create_patch_baseline(Name="bench", OperatingSystem="AMAZON_LINUX_2023")["BaselineId"]
    ssm.register_patch_baseline_for_patch_group(BaselineId=baseline, PatchGroup="Prod-Linux")
    nodes, window_ids = [], []
    for index in range(windows):
        group = f"g-{index:02d}"
        found = ec2.run_instances(ImageId="ami-12c6146b", MinCount=per_window, MaxCount=per_window, TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Group", "Value": group},
                                                  {"Key": "Patch Group", "Value": "Prod-Linux"}]}])["Instances"]
        nodes += [{"instance_id": i["InstanceId"], "platform_version": "2023.5"} for i in found]
        window_id = ssm.create_maintenance_window(Name=f"bench-{group}", Schedule="cron(0 2 ? * SUN *)", Duration=3,
                                                  Cutoff=1, AllowUnassociatedTargets=False)["WindowId"]
        window_ids.append(window_id)
        target = ssm.register_target_with_maintenance_window(
            WindowId=window_id, ResourceType="INSTANCE", Name="fleet",
            Targets=[{"Key": "tag:Group", "Values": [group]}])["WindowTargetId"]
        ssm.register_task_with_maintenance_window(
            WindowId=window_id, Name="patch", TaskType="RUN_COMMAND", TaskArn="AWS-RunPatchBaseline", Priority=1,
            MaxConcurrency="20%", MaxErrors="1", ServiceRoleArn=role,
            Targets=[{"Key": "WindowTargetIds", "Values": [target]}],
            TaskInvocationParameters={"RunCommand": {"Parameters": {"Operation": ["Install"]}}})
    sandbox.register_managed_nodes(nodes)
    return {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"], "instances": len(nodes),
            "window_ids": window_ids}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=50)
    parser.add_argument("--per-window", type=int, default=10)
    parser.add_argument("--runs", type=int, default=0, help="executions of every window before preflight")
    args = parser.parse_args()
    with mwsandbox.start() as sandbox, tempfile.TemporaryDirectory() as tmp:
        estate = build_estate(sandbox, args.windows, args.per_window)
        for run in range(args.runs):
            for window_id in estate["window_ids"]:
                sandbox.run_window(window_id, f"2026-03-{1 + run % 28:02d}T02:00:00Z")
        out = Path(tmp) / "result.json"
        play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
                 "module_defaults": H.module_defaults(sandbox.endpoint),
                 "tasks": [{"mwops.ssm.mw_preflight": {"fail_on": [], "estimates": {"patch": 10},
                                                       "access_key": estate["access_key"],
                                                       "secret_key": estate["secret_key"]},
                            "register": "checked"},
                           {"ansible.builtin.copy": {"content": "{{ checked | to_json }}", "dest": str(out),
                                                     "mode": "0600"}}]}]
        sandbox.reset_requests()
        started = time.monotonic()
        proc = H.run_playbook(H.write_playbook(Path(tmp) / "preflight.json", play))
        elapsed = time.monotonic() - started
        if proc.returncode != 0:
            sys.exit(H.describe_failure(proc))
        log = sandbox.requests()
        result = json.loads(out.read_text())
    calls = collections.Counter(r["operation"] for r in log)
    per_instance_ops = ("DescribeInstanceInformation", "DescribeInstancePatchStates")
    statuses = collections.Counter(w["status"] for w in result["windows"])
    print(f"preflight estate: {len(result['windows'])} windows, {estate['instances']} instances, "
          f"{args.runs} SSM execution(s) per window")
    for operation, count in sorted(calls.items()):
        print(f"  {operation:<50} {count:>5}")
    print(f"API calls: {len(log)} total, {sum(1 for r in log if r['write'])} writes, "
          f"{sum(calls[o] for o in per_instance_ops)} instance-level reads for {estate['instances']} instances")
    print(f"window verdicts: {dict(statuses)}")
    print(f"wall time (ansible-playbook, one mw_preflight task): {elapsed:.1f} s")


if __name__ == "__main__":
    main()
