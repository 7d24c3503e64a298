# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The local executor's targets: window-target filters and task target entries resolved to inventory hosts.

Pure functions, no Ansible imports. Target keys map to the inventory like this:

* ``InstanceIds``: inventory hostnames;
* ``tag:KEY``: the host's tags (a host variable, ``tags`` by default as the aws_ec2 inventory
  sets it) have KEY with one of the values; several keys must all match (spec E.2);
* ``tag-key``: the host's tags have every one of the keys;
* ``resource-groups:Name``: the host is in the inventory group of that name
  (``resource-groups:ResourceTypeFilters`` may only name instance types).

Targets are resolved in inventory order, which is also the dispatch order (spec G.11).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

INSTANCE_RESOURCE_TYPES = ("AWS::EC2::Instance", "AWS::SSM::ManagedInstance")
# A stable namespace so a window's local IDs stay the same from run to run.
_ID_NAMESPACE = uuid.UUID("5d0c6a4e-3c1b-4b7e-9a55-6d2f1f0e9a11")


@dataclass(frozen=True)
class InventoryHost:
    name: str
    tags: Mapping[str, str]
    groups: frozenset[str]


@dataclass(frozen=True)
class TargetGroup:
    """The hosts one task entry resolves to, and what its pseudo parameters say about them."""

    window_target_id: str
    target_type: str
    hosts: tuple[str, ...]
    label: str = ""  # how the task names it: window target 'web' or InstanceIds
    owner_information: str | None = None  # the window target's, for the history and the report


def local_uuid(*parts: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join(parts)))


def host_tags(value: Any) -> dict[str, str]:
    """Tags from a host variable: a dict (aws_ec2 style) or a list of Key/Value pairs."""
    if isinstance(value, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        tags: dict[str, str] = {}
        for item in value:
            if isinstance(item, Mapping):
                key = item.get("Key", item.get("key"))
                if key is not None:
                    tags[str(key)] = str(item.get("Value", item.get("value", "")))
        return tags
    return {}


def _filters(entries: Any) -> list[tuple[str, list[str]]]:
    result = []
    for entry in entries or []:
        if not isinstance(entry, Mapping):
            raise ValueError(f"target filter {entry!r} must be a dictionary with 'key' and 'values'")
        key = entry.get("key", entry.get("Key"))
        values = entry.get("values", entry.get("Values"))
        if not isinstance(key, str) or not isinstance(values, (list, tuple)):
            raise ValueError(f"target filter {dict(entry)!r} needs a 'key' string and a 'values' list")
        result.append((key, [str(v) for v in values]))
    return result


def _matches(host: InventoryHost, key: str, values: list[str], inventory_names: set[str]) -> bool:
    if key == "InstanceIds":
        return host.name in values
    if key.startswith("tag:"):
        tag = key[len("tag:"):]
        return tag in host.tags and host.tags[tag] in values
    if key == "tag-key":
        return all(v in host.tags for v in values)
    if key == "resource-groups:Name":
        return any(v in host.groups for v in values)
    if key == "resource-groups:ResourceTypeFilters":
        return True  # checked once in _check_filters
    raise ValueError(f"target key {key!r} is not supported by the local executor "
                     "(InstanceIds, tag:KEY, tag-key, resource-groups:Name)")


def _check_filters(filters: list[tuple[str, list[str]]], hosts: Sequence[InventoryHost],
                   group_names: set[str]) -> list[str]:
    problems = []
    names = {h.name for h in hosts}
    for key, values in filters:
        if key == "InstanceIds":
            problems += [f"InstanceIds value {v!r} is not an inventory host" for v in values if v not in names]
        elif key == "resource-groups:Name":
            problems += [f"resource group {v!r} is not an inventory group" for v in values if v not in group_names]
        elif key == "resource-groups:ResourceTypeFilters":
            problems += [f"resource type {v!r} is not an instance type the local executor can run on"
                         for v in values if v not in INSTANCE_RESOURCE_TYPES]
        elif not (key.startswith("tag:") or key == "tag-key"):
            problems.append(f"target key {key!r} is not supported by the local executor "
                            "(InstanceIds, tag:KEY, tag-key, resource-groups:Name)")
    return problems


def resolve_filters(filters: list[tuple[str, list[str]]], hosts: Sequence[InventoryHost]) -> tuple[str, ...]:
    """Hosts matching every filter, in inventory order."""
    names = {h.name for h in hosts}
    return tuple(h.name for h in hosts if filters and all(_matches(h, k, v, names) for k, v in filters))


def resolve_window_targets(window: Mapping[str, Any], hosts: Sequence[InventoryHost], group_names: set[str],
                           problems: list[str]) -> dict[str, TargetGroup]:
    resolved: dict[str, TargetGroup] = {}
    for target in window.get("targets") or []:
        name = target.get("name") if isinstance(target, Mapping) else None
        if not isinstance(name, str):
            problems.append(f"window target {target!r} needs a name")
            continue
        if name in resolved:
            problems.append(f"window target name {name!r} is used twice")
            continue
        resource_type = target.get("resource_type", "INSTANCE")
        try:
            filters = _filters(target.get("targets"))
        except ValueError as exc:
            problems.append(f"window target {name!r}: {exc}")
            continue
        found = _check_filters(filters, hosts, group_names)
        problems += [f"window target {name!r}: {p}" for p in found]
        if resource_type == "RESOURCE_GROUP" and not any(k == "resource-groups:Name" for k, dummy in filters):
            problems.append(f"window target {name!r}: RESOURCE_GROUP targets need a resource-groups:Name key")
        if not filters:
            problems.append(f"window target {name!r} has no target filters")
        if not found:
            owner = target.get("owner_information")
            resolved[name] = TargetGroup(local_uuid(window.get("name", ""), "target", name), str(resource_type),
                                         resolve_filters(filters, hosts), f"window target {name!r}",
                                         None if owner is None else str(owner))
    return resolved


def resolve_task_groups(task: Mapping[str, Any], window_name: str, window_targets: dict[str, TargetGroup],
                        hosts: Sequence[InventoryHost], group_names: set[str]) -> tuple[list[TargetGroup], list[str]]:
    groups: list[TargetGroup] = []
    problems: list[str] = []
    for entry in task.get("targets") or []:
        if not isinstance(entry, Mapping):
            problems.append(f"target entry {entry!r} must be a dictionary")
            continue
        if "window_target" in entry:
            names = [entry["window_target"]]
        elif entry.get("key", entry.get("Key")) == "WindowTargetIds":
            names = list(entry.get("values", entry.get("Values")) or [])
        elif entry.get("key", entry.get("Key")) == "InstanceIds":
            try:
                filters = _filters([entry])
            except ValueError as exc:
                problems.append(str(exc))
                continue
            found = _check_filters(filters, hosts, group_names)
            problems += found
            if not found:
                groups.append(TargetGroup("", "INSTANCE", resolve_filters(filters, hosts), "InstanceIds"))
            continue
        else:
            continue  # reported by the task rules (_definition.check_task)
        for name in names:
            if name not in window_targets:
                problems.append(f"window target {name!r} is not defined in the window")
            else:
                groups.append(window_targets[name])
    # A host named by two entries runs once, in the first group that names it; an entry that
    # resolved to no host at all keeps its (empty) group so the task can report it.
    seen: set[str] = set()
    unique = []
    for group in groups:
        hosts_left = tuple(h for h in group.hosts if h not in seen)
        seen.update(hosts_left)
        if hosts_left or not group.hosts:
            unique.append(TargetGroup(group.window_target_id, group.target_type, hosts_left, group.label,
                                      group.owner_information))
    return unique, problems


def empty_target_labels(groups: Sequence[TargetGroup]) -> tuple[str, ...]:
    """Labels of the target entries that resolved to no host at all (before de-duplication)."""
    return tuple(dict.fromkeys(g.label for g in groups if not g.hosts))
