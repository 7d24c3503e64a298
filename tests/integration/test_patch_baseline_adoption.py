"""A patch baseline made outside Ansible (boto3, the way the console or the CLI makes one) is adopted
with no change: patch_baseline_info's output fed back to patch_baseline reports no change and the
sandbox's request log shows no write call."""

from __future__ import annotations

import json
import uuid

from . import mw_harness as H

NAME = f"adopt-{uuid.uuid4().hex[:8]}"
GROUPS = [f"{NAME}-web", f"{NAME}-db"]


def create_console_style(ssm) -> str:
    baseline_id = ssm.create_patch_baseline(
        Name=NAME, OperatingSystem="REDHAT_ENTERPRISE_LINUX", Description="made in the console",
        GlobalFilters={"PatchFilters": [{"Key": "PRODUCT", "Values": ["RedhatEnterpriseLinux9.2", "RedhatEnterpriseLinux9.0"]}]},
        ApprovalRules={"PatchRules": [
            {"PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Security"]},
                                                   {"Key": "SEVERITY", "Values": ["Important", "Critical"]}]},
             "ComplianceLevel": "HIGH", "ApproveAfterDays": 3},
            {"PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Bugfix"]}]},
             "ApproveUntilDate": "2026-06-30", "EnableNonSecurity": True},
        ]},
        ApprovedPatches=["kernel-5.14.0-284", "openssl-3.0.7"], ApprovedPatchesEnableNonSecurity=True,
        RejectedPatches=["telnet*"], RejectedPatchesAction="BLOCK",
        Sources=[{"Name": "internal", "Products": ["RedhatEnterpriseLinux9.2"],
                  "Configuration": "[internal]\nname=internal\nbaseurl=https://repo.example.internal/rhel9\n"}],
        Tags=[{"Key": "Owner", "Value": "console"}])["BaselineId"]
    for group in GROUPS:
        ssm.register_patch_baseline_for_patch_group(BaselineId=baseline_id, PatchGroup=group)
    return baseline_id


def test_console_made_baseline_round_trips_with_no_write(sandbox, ssm_client, tmp_path):
    baseline_id = create_console_style(ssm_client)
    out = tmp_path / "out.json"
    tasks = f"""\
        - name: Read it
          mwops.ssm.patch_baseline_info:
            name: {NAME}
          register: found
        - name: Mark
          ansible.builtin.uri:
            url: {sandbox.endpoint}/mwsandbox/requests
            return_content: true
          register: mark
        - name: Feed it back (check mode)
          mwops.ssm.patch_baseline: "{{{{ found.patch_baselines[0] }}}}"
          check_mode: true
          register: back_check
        - name: Feed it back
          mwops.ssm.patch_baseline: "{{{{ found.patch_baselines[0] }}}}"
          register: back
        - name: Keep the results
          ansible.builtin.copy:
            content: "{{{{ {{'found': found, 'mark': mark.json | length, 'check': back_check, 'back': back}} | to_json }}}}"
            dest: {out}
            mode: "0600"
        """
    try:
        start = len(sandbox.requests())
        proc = H.run_playbook(H.localhost_play(tmp_path, sandbox.endpoint, tasks))
        log = sandbox.requests()
        H.record_calls(log[start:], ["patch_baseline", "patch_baseline_info"])
        assert proc.returncode == 0, H.describe_failure(proc)
        result = json.loads(out.read_text())
        adopted = result["found"]["patch_baselines"][0]
        assert adopted["baseline_id"] == baseline_id and adopted["aws_provided"] is False
        assert adopted["patch_groups"] == sorted(GROUPS)
        assert adopted["approval_rules"]["patch_rules"][1] == {
            "patch_filter_group": {"patch_filters": [{"key": "CLASSIFICATION", "values": ["Bugfix"]}]},
            "approve_until_date": "2026-06-30", "compliance_level": "UNSPECIFIED", "enable_non_security": True}
        assert adopted["tags"] == {"Owner": "console"}
        assert result["check"]["changed"] is False and result["back"]["changed"] is False
        assert result["back"]["changed_fields"] == [] and result["back"]["completed_writes"] == []
        writes = [r["operation"] for r in log[result["mark"]:] if r["write"]]
        assert writes == []
    finally:
        for group in GROUPS:
            ssm_client.deregister_patch_baseline_for_patch_group(BaselineId=baseline_id, PatchGroup=group)
        ssm_client.delete_patch_baseline(BaselineId=baseline_id)
