# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Patch baselines for the local executor's ``AWS-RunPatchBaseline``: which host gets which.

Pure, no Ansible imports. Like AWS, a host's baseline is the one registered for its patch group
(the ``Patch Group`` or ``PatchGroup`` tag; one baseline per group and operating system), else the
baseline that is the default for its operating system; without either, the package manager's own
view (every available update), as before. See
https://docs.aws.amazon.com/systems-manager/latest/userguide/patch-manager-patch-groups.html

What the executor mirrors of a baseline is its ``rejected_patches``: Install holds (apt) or
excludes (dnf, yum) them for the run, Scan reports them as rejected. Each entry must be a package
name or a name pattern with ``*`` and ``?``: it reaches the host as an argument, never as shell
text, and is checked against ``PACKAGE_PATTERN`` first. Approval rules (classifications,
severities, vendor release dates and their ``approve_after_days``) need vendor metadata the
package managers do not offer offline, so they are not mirrored: see docs/patching.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

RUN_PATCH_BASELINE = "AWS-RunPatchBaseline"
PATCH_GROUP_TAGS = ("Patch Group", "PatchGroup")  # AWS's documented key first
# A package name or name pattern: what apt-mark and dnf --exclude take, nothing a shell or an
# option parser would read (no leading '-', no quotes, separators, $ or /).
PACKAGE_PATTERN = re.compile(r"[A-Za-z0-9_*?][A-Za-z0-9._+:~*?-]{0,99}")
REJECTED_ACTIONS = ("ALLOW_AS_DEPENDENCY", "BLOCK")
# Ansible's distribution facts -> AWS's OperatingSystem values, for hosts without mw_operating_system.
DISTRIBUTIONS = {
    "Ubuntu": "UBUNTU", "Debian": "DEBIAN", "RedHat": "REDHAT_ENTERPRISE_LINUX", "CentOS": "CENTOS",
    "Rocky": "ROCKY_LINUX", "AlmaLinux": "ALMA_LINUX", "OracleLinux": "ORACLE_LINUX", "SLES": "SUSE",
    "openSUSE Leap": "SUSE", "Raspbian": "RASPBIAN",
}


class PatchBaselineError(ValueError):
    """A baseline or an assignment the executor refuses before anything runs (names the field)."""


@dataclass(frozen=True)
class LocalBaseline:
    """What the executor uses of one baseline in the patch_baseline vocabulary."""

    label: str  # name, else baseline_id
    operating_system: str
    patch_groups: tuple[str, ...] = ()
    default_for_os: bool = False
    rejected: tuple[str, ...] = ()
    rejected_action: str = "ALLOW_AS_DEPENDENCY"


@dataclass(frozen=True)
class Assignment:
    """The baseline one host patches with, and why (for the output and the history)."""

    baseline: str
    reason: str
    rejected: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {"baseline": self.baseline, "reason": self.reason, "rejected": list(self.rejected)}


def _text_list(value: Any, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise PatchBaselineError(f"{path}: must be a list of strings")
    return tuple(value)


def check_package_pattern(value: str, path: str) -> str:
    if not PACKAGE_PATTERN.fullmatch(value):
        raise PatchBaselineError(
            f"{path}: {value!r} is not a package name or name pattern the local executor can hold or exclude "
            "(letters, digits and ._+:~-, with * and ? as wildcards, at most 100 characters, not starting with "
            "- or .); it would reach the host's package manager, so it is refused")
    return value


def check_baselines(baselines: Sequence[Mapping[str, Any]], option: str = "patch_baselines") -> list[LocalBaseline]:
    """The ``patch_baselines`` option, checked: every field the executor uses, and AWS's uniqueness
    rules (one baseline per patch group and operating system, one default per operating system)."""
    checked: list[LocalBaseline] = []
    for n, raw in enumerate(baselines):
        path = f"{option}[{n}]"
        if not isinstance(raw, Mapping):
            raise PatchBaselineError(f"{path}: must be a baseline in the patch_baseline vocabulary (a dictionary)")
        label = raw.get("name") or raw.get("baseline_id")
        if not isinstance(label, str) or not label:
            raise PatchBaselineError(f"{path}: needs a name (or baseline_id)")
        operating_system = raw.get("operating_system")
        if not isinstance(operating_system, str) or not operating_system:
            raise PatchBaselineError(f"{path}.operating_system: is required (for example UBUNTU or "
                                     "REDHAT_ENTERPRISE_LINUX), to match hosts as AWS does")
        action = raw.get("rejected_patches_action") or "ALLOW_AS_DEPENDENCY"
        if action not in REJECTED_ACTIONS:
            raise PatchBaselineError(f"{path}.rejected_patches_action: must be one of {', '.join(REJECTED_ACTIONS)}, "
                                     f"got {action!r}")
        default = raw.get("default_for_os", False)
        if not isinstance(default, bool):
            raise PatchBaselineError(f"{path}.default_for_os: must be true or false")
        rejected = tuple(check_package_pattern(v, f"{path}.rejected_patches[{i}]")
                         for i, v in enumerate(_text_list(raw.get("rejected_patches"), f"{path}.rejected_patches")))
        checked.append(LocalBaseline(label, operating_system, _text_list(raw.get("patch_groups"), f"{path}.patch_groups"),
                                     default, rejected, action))
    _check_unique(checked, option)
    return checked


def _check_unique(baselines: Sequence[LocalBaseline], option: str) -> None:
    owners: dict[tuple[str, str], str] = {}
    defaults: dict[str, str] = {}
    for b in baselines:
        for group in b.patch_groups:
            other = owners.setdefault((group, b.operating_system), b.label)
            if other != b.label:
                raise PatchBaselineError(f"{option}: patch group {group!r} is registered with {other!r} and "
                                         f"{b.label!r} for {b.operating_system}; AWS allows one baseline per patch "
                                         "group and operating system")
        if b.default_for_os:
            other = defaults.setdefault(b.operating_system, b.label)
            if other != b.label:
                raise PatchBaselineError(f"{option}: {other!r} and {b.label!r} are both default_for_os for "
                                         f"{b.operating_system}; AWS has one default baseline per operating system")


def host_patch_group(tags: Mapping[str, str]) -> str | None:
    """The host's patch group: the ``Patch Group`` tag, else ``PatchGroup``."""
    for key in PATCH_GROUP_TAGS:
        if tags.get(key):
            return str(tags[key])
    return None


def host_operating_system(explicit: Any, distribution: Any) -> str | None:
    """``mw_operating_system`` when set, else the AWS name of Ansible's distribution fact."""
    if isinstance(explicit, str) and explicit:
        return explicit
    return DISTRIBUTIONS.get(distribution) if isinstance(distribution, str) else None


def _one(candidates: list[LocalBaseline], host: str, operating_system: str | None, what: str) -> LocalBaseline | None:
    if operating_system is not None:
        candidates = [b for b in candidates if b.operating_system == operating_system]
    if len(candidates) > 1:
        systems = ", ".join(sorted(b.operating_system for b in candidates))
        raise PatchBaselineError(f"host {host!r}: {what} has baselines for several operating systems ({systems}); "
                                 "set the host variable mw_operating_system (AWS's OperatingSystem value) so the "
                                 "executor picks the one AWS would")
    return candidates[0] if candidates else None


def assign(baselines: Sequence[LocalBaseline], host: str, tags: Mapping[str, str],
           operating_system: str | None) -> Assignment | None:
    """The baseline a host patches with, as AWS picks it; None when no baseline applies."""
    group = host_patch_group(tags)
    if group is not None:
        found = _one([b for b in baselines if group in b.patch_groups], host, operating_system,
                     f"patch group {group!r}")
        if found is not None:
            return Assignment(found.label, f"patch group {group}", found.rejected)
    found = _one([b for b in baselines if b.default_for_os], host, operating_system, "the default baselines")
    if found is not None:
        return Assignment(found.label, f"default for {found.operating_system}", found.rejected)
    return None


def assign_hosts(baselines: Sequence[LocalBaseline],
                 hosts: Iterable[tuple[str, Mapping[str, str], str | None]]) -> dict[str, dict[str, Any]]:
    """``{host: assignment}`` for the hosts a patch task targets (hosts without a baseline left out)."""
    assignments: dict[str, dict[str, Any]] = {}
    if not baselines:
        return assignments
    for name, tags, operating_system in hosts:
        found = assign(baselines, name, tags, operating_system)
        if found is not None:
            assignments[name] = found.as_dict()
    return assignments


def script_arguments(assignment: Mapping[str, Any] | None) -> list[str]:
    """The patch script's arguments after the operation and the custom command: the baseline's
    label, then the rejected patterns (checked again: they are passed to the host's package manager)."""
    if not assignment:
        return []
    rejected = [check_package_pattern(str(p), f"rejected_patches[{i}]")
                for i, p in enumerate(assignment.get("rejected") or [])]
    return [f"{assignment.get('baseline')} ({assignment.get('reason')})", *rejected]


def plan_assignments(baselines: Sequence[Mapping[str, Any]], tasks: Iterable[Any],
                     host_tags: Mapping[str, Mapping[str, str]], host_systems: Mapping[str, str | None],
                     user_documents: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``mw_run``'s ``patch_baselines`` resolved for every host an ``AWS-RunPatchBaseline`` task of
    the plan targets (``tasks``: the plan's TaskSpec objects), before anything runs."""
    checked = check_baselines(baselines)
    patched = sorted({h for task in tasks if task.task_arn == RUN_PATCH_BASELINE and task.task_arn not in user_documents
                      for h in task.targets})
    return assign_hosts(checked, ((h, host_tags.get(h) or {}, host_systems.get(h)) for h in patched))
