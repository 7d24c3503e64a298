# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Preflight for the local executor: the inventory-side checks before anything runs.

Pure Python. The executor resolves window targets to inventory hosts itself; this turns that
into preflight facts (every host counts as a reachable managed node, tags from the host
variable) and runs the checks that make sense without AWS: targets resolve, patch-group tag
values, reboot options and window length against the local history. The role check needs IAM
and is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._preflight import Facts, Instance, preflight_window
from ._preflight_estimate import load_history_dir

Doc = dict[str, Any]


def local_facts(window: Doc, hosts_by_target: Mapping[str, Sequence[str]], host_tags: Mapping[str, Mapping[str, str]],
                history: Sequence[Doc] = (), estimates: Mapping[str, Any] | None = None,
                platforms: Mapping[str, str] | None = None) -> Facts:
    """Facts for the local executor: inventory hosts stand in for managed nodes (all reachable);
    ``platforms`` maps a host to a patch-baseline OS name when known. No role check."""
    instances = {}
    for host in {h for hosts in hosts_by_target.values() for h in hosts}:
        os_name = (platforms or {}).get(host)
        instances[host] = Instance(host, dict(host_tags.get(host) or {}), managed=True, ping_status="Online",
                                   platform_type="Windows" if os_name == "WINDOWS" else "Linux",
                                   platform_name=os_name)
    return Facts(window=window, target_instances={k: list(v) for k, v in hosts_by_target.items()},
                 instances=instances, history=[("local history", list(history))], estimates=dict(estimates or {}))


def local_preflight(window: Doc, hosts_by_target: Mapping[str, Sequence[str]],
                    host_tags: Mapping[str, Mapping[str, str]], history_dir: str | None = None,
                    estimates: Mapping[str, Any] | None = None) -> Doc:
    """The preflight report for a window about to run locally (same shape as mw_preflight's)."""
    history = load_history_dir(history_dir) if history_dir else []
    return preflight_window(local_facts(window, hosts_by_target, host_tags, history, estimates))
