# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Preflight: the five classic maintenance-window failures, decided before the window opens.

Pure Python, no Ansible or boto3. Facts in (a window in our vocabulary, the instances its
targets resolved to with tags, ping status, platform and patch state, the patch-group
registrations, what IAM said about the roles, execution history), verdicts out: per check
``pass``/``warn``/``fail`` with findings naming instances, counts and minutes, and the fix in
the words of the classic table. The AWS layer (``_aws_preflight``) gathers the facts; the local
executor gathers them from the inventory (``local_facts``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._preflight_estimate import DEFAULT_MARGIN, estimate_window, executions_of, length_findings

PASS, WARN, FAIL = "pass", "warn", "fail"
STATUSES = (PASS, WARN, FAIL)
# check name -> (what users see when it goes wrong, root cause, fix): the classic table's words.
CHECKS: dict[str, tuple[str, str, str]] = {
    "targets_resolve": ("Tasks don't run", "No targets resolved", "Verify tags / resource groups"),
    "patch_groups_match": ("Instances skipped", "Wrong Patch Group", "Standardize tagging"),
    "reboots_not_missed": ("Reboots missed", "Missing reboot option", "Use RebootOption"),
    "window_long_enough": ("Timeout failures", "Window too short", "Increase duration"),
    "role_is_right": ("Permissions denied", "Wrong IAM role", "Validate service role"),
}
PATCH_DOCUMENTS = ("AWS-RunPatchBaseline", "AWS-RunPatchBaselineWithHooks")
PATCH_GROUP_KEYS = ("Patch Group", "PatchGroup")
REBOOT_OPTIONS = ("RebootIfNeeded", "NoReboot")
REBOOT_COMMAND = re.compile(r"\b(reboot|shutdown\s+-r|systemctl\s+reboot|Restart-Computer)\b", re.IGNORECASE)
REBOOT_AUTOMATIONS = ("AWS-RestartEC2Instance", "AWS-RestartManagedInstance")
SERVICE_LINKED_ROLE = "aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"

Doc = dict[str, Any]


@dataclass
class Instance:
    """One node a target resolved to: EC2 tags plus what SSM knows about it."""

    instance_id: str
    tags: dict[str, str] = field(default_factory=dict)
    managed: bool = False
    ping_status: str | None = None
    platform_type: str | None = None
    platform_name: str | None = None
    platform_version: str | None = None
    pending_reboot: int = 0

    @property
    def online(self) -> bool:
        return self.managed and self.ping_status == "Online"


@dataclass
class RoleFacts:
    """What IAM said about one role: ``decisions`` maps (action, resource) to SimulatePrincipalPolicy's
    EvalDecision; ``pass_role`` is the caller's decision for iam:PassRole on it (None: unknown)."""

    arn: str
    exists: bool | None = None
    trusts_ssm: bool | None = None
    decisions: dict[tuple[str, str], str] = field(default_factory=dict)
    pass_role: str | None = None
    error: str | None = None


@dataclass
class Facts:
    window: Doc
    target_instances: dict[str, list[str]] = field(default_factory=dict)
    target_errors: dict[str, str] = field(default_factory=dict)
    instances: dict[str, Instance] = field(default_factory=dict)
    patch_groups: dict[str, dict[str, str]] | None = None  # group -> {OS: baseline}; None: not known
    roles: dict[str, RoleFacts] | None = None
    caller_arn: str | None = None
    history: list[tuple[str, list[Doc]]] = field(default_factory=list)
    estimates: dict[str, Any] = field(default_factory=dict)
    margin: float = DEFAULT_MARGIN


# ----------------------------------------------------------------------------- small rules

def worst(statuses: Iterable[str]) -> str:
    ranked = [STATUSES.index(s) for s in statuses]
    return STATUSES[max(ranked)] if ranked else PASS


def target_key(target: Mapping[str, Any]) -> str:
    return str(target.get("name") or target.get("window_target_id"))


def document_name(task_arn: Any) -> str:
    """``arn:aws:ssm:us-east-1::document/AWS-RunPatchBaseline`` -> ``AWS-RunPatchBaseline``."""
    return str(task_arn or "").rsplit("document/", 1)[-1].rsplit("automation-definition/", 1)[-1].split(":")[0]


def task_name(task: Mapping[str, Any]) -> str:
    return str(task.get("name") or task.get("window_task_id") or "(unnamed)")


def parameters(task: Mapping[str, Any]) -> dict[str, list[str]]:
    block = task.get("task_invocation_parameters") or {}
    params = (block.get("run_command") or block.get("automation") or {}).get("parameters") or {}
    return {str(k): [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in params.items()}


def is_patch_task(task: Mapping[str, Any]) -> bool:
    return task.get("task_type") == "RUN_COMMAND" and document_name(task.get("task_arn")) in PATCH_DOCUMENTS


def is_install(task: Mapping[str, Any]) -> bool:
    return is_patch_task(task) and parameters(task).get("Operation") == ["Install"]


def reboot_option(task: Mapping[str, Any]) -> str:
    return (parameters(task).get("RebootOption") or ["RebootIfNeeded"])[0]


def reboots(task: Mapping[str, Any]) -> bool:
    """Does this task restart the nodes it reaches?"""
    if is_install(task):
        return reboot_option(task) == "RebootIfNeeded"
    if task.get("task_type") == "AUTOMATION":
        return document_name(task.get("task_arn")) in REBOOT_AUTOMATIONS
    commands = parameters(task).get("commands") or []
    return task.get("task_type") == "RUN_COMMAND" and any(REBOOT_COMMAND.search(c) for c in commands)


def squash(text: str) -> str:
    return re.sub(r"[\s_\-]", "", text).lower()


def operating_system(instance: Instance) -> str | None:
    """Patch-baseline OperatingSystem for the platform SSM reports (None when unknown)."""
    kind, name, version = (instance.platform_type or ""), (instance.platform_name or "").lower(), \
        (instance.platform_version or "")
    if kind == "Windows":
        return "WINDOWS"
    if kind == "MacOS":
        return "MACOS"
    if "amazon linux" in name:
        major = version.split(".")[0]
        return {"2": "AMAZON_LINUX_2", "2022": "AMAZON_LINUX_2022", "2023": "AMAZON_LINUX_2023"}.get(major, "AMAZON_LINUX")
    for marker, value in (("ubuntu", "UBUNTU"), ("red hat", "REDHAT_ENTERPRISE_LINUX"), ("suse", "SUSE"),
                          ("centos", "CENTOS"), ("oracle", "ORACLE_LINUX"), ("debian", "DEBIAN"),
                          ("raspbian", "RASPBIAN"), ("rocky", "ROCKY_LINUX"), ("alma", "ALMA_LINUX")):
        if marker in name:
            return value
    return None


# ----------------------------------------------------------------------------- task targets

def task_instances(facts: Facts, task: Mapping[str, Any]) -> tuple[list[str] | None, list[str]]:
    """(instance IDs the task reaches, or None for a task without targets; unknown target names)."""
    entries = task.get("targets") or []
    if not entries:
        return None, []
    by_id = {str(x.get("window_target_id")): target_key(x) for x in facts.window.get("targets") or []}
    found: list[str] = []
    unknown: list[str] = []
    for entry in entries:
        if entry.get("window_target"):
            keys = [str(entry["window_target"])]
        elif entry.get("key") == "WindowTargetIds":
            keys = [by_id.get(str(v), str(v)) for v in entry.get("values") or []]
        else:
            found += [str(v) for v in entry.get("values") or [] if str(v) not in found]
            continue
        for key in keys:
            if key not in facts.target_instances:
                unknown.append(key)
            found += [i for i in facts.target_instances.get(key, []) if i not in found]
    return found, unknown


def _online(facts: Facts, ids: Iterable[str]) -> list[str]:
    return [i for i in ids if i in facts.instances and facts.instances[i].online]


# ----------------------------------------------------------------------------- the checks

Finding = tuple[str, str, str, list[str]]  # status, subject, message, instance IDs


def check_targets(facts: Facts) -> tuple[list[Finding], Doc]:
    findings: list[Finding] = []
    evidence: Doc = {"targets": {}, "tasks": {}}
    for target in facts.window.get("targets") or []:
        key = target_key(target)
        ids = facts.target_instances.get(key, [])
        not_managed = [i for i in ids if not facts.instances.get(i, Instance(i)).managed]
        offline = [i for i in ids if i not in not_managed and not facts.instances[i].online]
        evidence["targets"][key] = {"resolved": len(ids), "online": len(ids) - len(not_managed) - len(offline)}
        if key in facts.target_errors:
            findings.append((FAIL, f"target {key}", facts.target_errors[key], []))
        elif not ids:
            findings.append((WARN, f"target {key}", f"selects no node: {describe_selector(target)}", []))
        if not_managed:
            findings.append((WARN, f"target {key}", f"{len(not_managed)} not managed by SSM (no agent or "
                             "instance profile)", not_managed))
        if offline:
            pings = sorted({str(facts.instances[i].ping_status) for i in offline})
            findings.append((WARN, f"target {key}", f"{len(offline)} managed but not online ({', '.join(pings)})",
                             offline))
    for task in facts.window.get("tasks") or []:
        ids, unknown = task_instances(facts, task)
        if ids is None:
            evidence["tasks"][task_name(task)] = None
            continue
        online = _online(facts, ids)
        evidence["tasks"][task_name(task)] = len(online)
        if unknown:
            findings.append((FAIL, f"task {task_name(task)}", f"refers to unknown window targets {sorted(unknown)}", []))
        if not online:
            findings.append((FAIL, f"task {task_name(task)}", f"resolves to no online managed node "
                             f"({len(ids)} selected): it will not run", ids))
    return findings, evidence


def describe_selector(target: Mapping[str, Any]) -> str:
    return "; ".join(f"{x.get('key')}={','.join(map(str, x.get('values') or []))}" for x in target.get("targets") or [])


def _patch_reached(facts: Facts) -> list[str]:
    reached: list[str] = []
    for task in facts.window.get("tasks") or []:
        if is_patch_task(task):
            ids = task_instances(facts, task)[0]
            reached += [i for i in _online(facts, ids or []) if i not in reached]
    return reached


def check_patch_groups(facts: Facts) -> tuple[list[Finding], Doc]:
    if not any(is_patch_task(t) for t in facts.window.get("tasks") or []):
        return [], {"patch_tasks": 0}
    groups: dict[tuple[str, str], list[str]] = {}
    squashed = {squash(g): g for g in facts.patch_groups or {}}
    for instance_id in _patch_reached(facts):
        instance = facts.instances[instance_id]
        problem = patch_group_problem(instance, facts.patch_groups, squashed)
        if problem:
            groups.setdefault(problem, []).append(instance_id)
    findings = [(status, "instances", message, ids) for (status, message), ids in sorted(groups.items())]
    return findings, {"patch_tasks": sum(1 for t in facts.window.get("tasks") or [] if is_patch_task(t)),
                      "instances_checked": len(_patch_reached(facts)),
                      "registered_groups": None if facts.patch_groups is None else sorted(facts.patch_groups)}


def patch_group_problem(instance: Instance, registered: Mapping[str, Mapping[str, str]] | None,
                        squashed: Mapping[str, str]) -> tuple[str, str] | None:
    """(status, message) for an instance whose patch group will not apply, else None.
    Without registrations (local runs) only the tag itself is judged."""
    exact = [k for k in PATCH_GROUP_KEYS if k in instance.tags]
    near = [k for k in instance.tags if k not in PATCH_GROUP_KEYS and squash(k) == "patchgroup"]
    if not exact:
        if near:
            return FAIL, (f"tag key {near[0]!r} is not 'Patch Group' or 'PatchGroup': SSM ignores it and "
                          "applies the default baseline")
        return WARN, "no 'Patch Group' tag: the default patch baseline for the OS applies"
    value = instance.tags[exact[0]]
    if registered is None:
        if value != value.strip() or not value:
            return FAIL, f"patch group {value!r} has stray white space: it matches no registered group"
        return None
    if value not in registered:
        close = squashed.get(squash(value))
        if close is not None:
            return FAIL, f"patch group {value!r} is a near miss of the registered {close!r}: the default baseline applies"
        return FAIL, f"patch group {value!r} is not registered to any patch baseline: the default baseline applies"
    os_name = operating_system(instance)
    if os_name is None:
        return WARN, f"patch group {value!r}: operating system unknown ({instance.platform_name}), baseline not checked"
    if os_name not in registered[value]:
        return FAIL, (f"patch group {value!r} has no baseline for {os_name} (has {sorted(registered[value])}): "
                      "the default baseline applies")
    return None


def check_reboots(facts: Facts) -> tuple[list[Finding], Doc]:
    findings: list[Finding] = []
    tasks = facts.window.get("tasks") or []
    installs = 0
    for task in tasks:
        if not is_patch_task(task):
            continue
        option = reboot_option(task)
        if option not in REBOOT_OPTIONS:
            findings.append((FAIL, f"task {task_name(task)}", f"RebootOption {option!r} is not one of "
                             f"{list(REBOOT_OPTIONS)}: the command fails", []))
            continue
        if not is_install(task):
            continue
        installs += 1
        if option != "NoReboot":
            continue
        ids = task_instances(facts, task)[0]
        ids = _online(facts, ids or [])
        covered: set[str] = set()
        for later in tasks:
            if int(later.get("priority") or 1) > int(task.get("priority") or 1) and reboots(later):
                covered.update(task_instances(facts, later)[0] or [])
        missed = [i for i in ids if i not in covered]
        if missed or not ids:
            findings.append((FAIL, f"task {task_name(task)}", "installs with RebootOption NoReboot and no later task "
                             "reboots these nodes: patches stay pending", missed))
    pending = [i for i in _reached(facts) if facts.instances.get(i) and facts.instances[i].pending_reboot > 0]
    if pending:
        findings.append((WARN, "instances", f"{len(pending)} already wait for a reboot "
                         "(InstalledPendingRebootCount > 0)", pending))
    return findings, {"install_tasks": installs, "pending_reboot": len(pending)}


def _reached(facts: Facts) -> list[str]:
    reached: list[str] = []
    for task in facts.window.get("tasks") or []:
        reached += [i for i in task_instances(facts, task)[0] or [] if i not in reached]
    return reached


def check_length(facts: Facts) -> tuple[list[Finding], Doc]:
    counts: dict[str, int | None] = {}
    for task in facts.window.get("tasks") or []:
        ids = task_instances(facts, task)[0]
        counts[task_name(task)] = None if ids is None else len(_online(facts, ids))
    estimate = estimate_window(facts.window, counts, facts.history, facts.estimates)
    findings = [(s, subject, message, []) for s, subject, message in length_findings(estimate, facts.margin)]
    # Which history was consulted, and how many executions of this window each source held.
    sources = [{"source": label, "executions": executions_of(docs, facts.window.get("name"),
                                                             facts.window.get("window_id"))}
               for label, docs in facts.history]
    return findings, {"needed_minutes": estimate.needed_minutes, "available_minutes": estimate.available_minutes,
                      "levels": estimate.levels, "tasks": [x.as_dict() for x in estimate.tasks],
                      "history_sources": sources}


# ----------------------------------------------------------------------------- role

def account_of(arn: str | None) -> str:
    parts = str(arn or "").split(":")
    return parts[4] if len(parts) > 4 else ""


def role_for_task(task: Mapping[str, Any], account_id: str, partition: str = "aws") -> str:
    return str(task.get("service_role_arn") or f"arn:{partition}:iam::{account_id}:role/{SERVICE_LINKED_ROLE}")


def required_actions(task: Mapping[str, Any], window: Mapping[str, Any], region: str, account_id: str,
                     partition: str = "aws") -> list[tuple[str, str]]:
    """(action, resource) pairs the service role needs for this task (see docs/preflight.md)."""
    kind, arn = task.get("task_type"), str(task.get("task_arn") or "")
    if kind == "RUN_COMMAND":
        doc = arn if arn.startswith("arn:") else (
            f"arn:{partition}:ssm:{region}::document/{arn}" if arn.startswith("AWS-")
            else f"arn:{partition}:ssm:{region}:{account_id}:document/{arn}")
        needed = [("ssm:SendCommand", doc), ("ssm:ListCommands", "*")]
    elif kind == "AUTOMATION":
        needed = [("ssm:StartAutomationExecution", "*"), ("ssm:GetAutomationExecution", "*")]
    elif kind == "LAMBDA":
        function = arn if arn.startswith("arn:") else f"arn:{partition}:lambda:{region}:{account_id}:function:{arn}"
        needed = [("lambda:InvokeFunction", function)]
    elif kind == "STEP_FUNCTIONS":
        execution = arn.replace(":stateMachine:", ":execution:") + ":*"
        needed = [("states:StartExecution", arn), ("states:DescribeExecution", execution)]
    else:
        needed = []
    used = {e.get("window_target") for e in task.get("targets") or []}
    if any(t.get("resource_type") == "RESOURCE_GROUP" and target_key(t) in used for t in window.get("targets") or []):
        needed += [("resource-groups:ListGroupResources", "*"), ("tag:GetResources", "*")]
    return needed


def check_role(facts: Facts, region: str, account_id: str, partition: str = "aws") -> tuple[list[Finding], Doc]:
    findings: list[Finding] = []
    evidence: Doc = {}
    for task in facts.window.get("tasks") or []:
        arn = role_for_task(task, account_id, partition)
        subject = f"task {task_name(task)}"
        role = (facts.roles or {}).get(arn)
        linked = SERVICE_LINKED_ROLE in arn
        evidence[task_name(task)] = arn
        if role is None or role.error:
            findings.append((WARN, subject, f"role {arn} not verified: {role.error if role else 'not read'}", []))
            continue
        if not role.exists:
            findings.append((WARN if linked else FAIL, subject,
                             f"service-linked role {arn} does not exist yet (SSM creates it when a task is registered)"
                             if linked else f"role {arn} does not exist", []))
            continue
        if not linked and not role.trusts_ssm:
            findings.append((FAIL, subject, f"role {arn} does not trust ssm.amazonaws.com (trust policy)", []))
        denied = [f"{a} on {r} ({role.decisions.get((a, r), 'not simulated')})"
                  for a, r in required_actions(task, facts.window, region, account_id, partition)
                  if role.decisions.get((a, r)) != "allowed"]
        if denied:
            findings.append((FAIL, subject, f"role {arn} is not allowed: {'; '.join(denied)}", []))
        if not linked and role.pass_role != "allowed":
            who = facts.caller_arn or "the caller"
            findings.append((FAIL if role.pass_role in ("implicitDeny", "explicitDeny") else WARN, subject,
                             f"{who} may not iam:PassRole {arn} ({role.pass_role or 'unknown'})", []))
    return findings, {"roles": evidence, "caller": facts.caller_arn}


# ----------------------------------------------------------------------------- report

def check_result(name: str, findings: Sequence[Finding], evidence: Doc) -> Doc:
    failure, cause, fix = CHECKS[name]
    return {"check": name, "status": worst(f[0] for f in findings), "failure": failure, "cause": cause, "fix": fix,
            "findings": [{"status": s, "subject": subject, "message": message, "instance_ids": sorted(ids)}
                         for s, subject, message, ids in findings],
            "evidence": evidence}


def preflight_window(facts: Facts, region: str = "", account_id: str = "", partition: str = "aws") -> Doc:
    """Every check for one window; ``facts.roles`` None leaves the role check out (local runs)."""
    checks = [check_result("targets_resolve", *check_targets(facts)),
              check_result("patch_groups_match", *check_patch_groups(facts)),
              check_result("reboots_not_missed", *check_reboots(facts)),
              check_result("window_long_enough", *check_length(facts))]
    if facts.roles is not None:
        checks.append(check_result("role_is_right", *check_role(facts, region, account_id, partition)))
    return {"window_name": facts.window.get("name"), "window_id": facts.window.get("window_id"),
            "status": worst(c["status"] for c in checks), "checks": checks}


def summary_table(reports: Sequence[Mapping[str, Any]]) -> list[str]:
    """Readable lines: one per window and check, then the findings that are not a pass."""
    lines = [f"{'window':<32} {'check':<20} {'status':<6} fix"]
    for report in reports:
        for check in report["checks"]:
            fix = check["fix"] if check["status"] != PASS else ""
            lines.append(f"{str(report['window_name'])[:32]:<32} {check['check']:<20} {check['status']:<6} {fix}")
            for finding in check["findings"]:
                ids = finding["instance_ids"]
                shown = f" [{', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''}]" if ids else ""
                lines.append(f"    {finding['status']}: {finding['subject']}: {finding['message']}{shown}")
    return lines
