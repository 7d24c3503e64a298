"""The sandbox's managed-node registry: one record per node the SSM agent would report.

moto has no SSM agent, so no instance is a managed node until it is registered here through
``/mwsandbox/managed-instances``. One record per node, keyed by its ID, per account and region::

    {"instance_id": "mi-0123456789abcdef0", "tags": {"PatchGroup": "web"},
     "ping_status": "Online", "platform_type": "Linux", "platform_name": "Amazon Linux",
     "platform_version": "2023", "agent_version": "3.3.0.0", "patch_state": None}

``tags`` belong to on-prem ``mi-`` nodes only: an EC2 instance's tags are its tags in moto's EC2
(RunInstances, CreateTags). Two readers share the registry:
- ``_preflight_ext``: DescribeInstanceInformation and DescribeInstancePatchStates list its records;
- ``_runs_ext``: window targets resolve over moto's EC2 instances plus the ``mi-`` records (tags).

Records live on moto's SSM backend (``__dict__``), so ``/moto-api/reset`` wipes them. The sandbox
serves control calls under its SSM lock, so the registry needs no lock of its own.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
MANAGED_INSTANCE_PREFIX = "mi-"
NODE_DEFAULTS: Dict[str, Any] = {
    "tags": {}, "ping_status": "Online", "platform_type": "Linux", "platform_name": "Amazon Linux",
    "platform_version": "2023", "agent_version": "3.3.0.0", "patch_state": None,
}
PING_STATUSES = ("Online", "ConnectionLost", "Inactive")
PLATFORM_TYPES = ("Linux", "Windows", "MacOS")
BODY_KEYS = ("instance_id", "instances", "instance_ids", "defaults", "remove", "account", "account_id", "region")
_NODE_ID = re.compile(r"(i|mi)-[0-9A-Za-z]+")


class RegistryError(ValueError):
    """A registration the sandbox refuses; the message names the field and the rule."""


def nodes(backend: Any) -> Dict[str, Dict[str, Any]]:
    """The registry of one SSM backend (account and region), in registration order."""
    return backend.__dict__.setdefault("_mwsandbox_managed_nodes", {})


def _checked_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _NODE_ID.fullmatch(value):
        raise RegistryError(f"{field} must be an EC2 instance ID (i-...) or a managed-instance ID such as "
                            f"mi-0123456789abcdef0, got {value!r}")
    return value


def node_record(item: Mapping[str, Any], field: str = "instance") -> Dict[str, Any]:
    """One complete, validated record from a node's fields (unset fields take NODE_DEFAULTS)."""
    if not isinstance(item, Mapping):
        raise RegistryError(f"{field} must be an object with instance_id, got {item!r}")
    unknown = sorted(set(item) - set(NODE_DEFAULTS) - {"instance_id"})
    if unknown:
        raise RegistryError(f"{field} has unknown fields {', '.join(unknown)}; "
                            f"known: instance_id, {', '.join(NODE_DEFAULTS)}")
    instance_id = _checked_id(item.get("instance_id"), f"{field}.instance_id")
    record = {"instance_id": instance_id, **NODE_DEFAULTS, **{k: v for k, v in item.items() if v is not None}}
    tags = record["tags"]
    if not isinstance(tags, Mapping):
        raise RegistryError(f"{field}.tags must be an object of tag keys to values")
    if tags and not instance_id.startswith(MANAGED_INSTANCE_PREFIX):
        raise RegistryError(f"{field}.tags is for mi- managed nodes only; {instance_id} is an EC2 instance, "
                            "tag it in EC2 (CreateTags)")
    record["tags"] = {str(k): str(v) for k, v in tags.items()}
    if record["ping_status"] not in PING_STATUSES:
        raise RegistryError(f"{field}.ping_status must be one of {', '.join(PING_STATUSES)}, "
                            f"got {record['ping_status']!r}")
    if record["platform_type"] not in PLATFORM_TYPES:
        raise RegistryError(f"{field}.platform_type must be one of {', '.join(PLATFORM_TYPES)}, "
                            f"got {record['platform_type']!r}")
    if record["patch_state"] is not None and not isinstance(record["patch_state"], Mapping):
        raise RegistryError(f"{field}.patch_state must be an object such as {{\"InstalledPendingRebootCount\": 1}}")
    for name in ("platform_name", "platform_version", "agent_version"):
        record[name] = str(record[name])
    return record


def register(registry: Dict[str, Dict[str, Any]], body: Mapping[str, Any]) -> Dict[str, Any]:
    """Apply a POST body (see docs/sandbox.md, "Managed nodes"); all or nothing.

    Single node: ``{"instance_id", "tags", "ping_status", ...}``. Batch: ``{"instances": [node, ...]}``
    and/or ``{"instance_ids": [...], "defaults": {node fields}}``; ``"remove": [ids]`` forgets nodes.
    """
    unknown = sorted(set(body) - set(BODY_KEYS) - set(NODE_DEFAULTS))
    if unknown:
        raise RegistryError(f"unknown fields {', '.join(unknown)}; known: {', '.join(BODY_KEYS)} and the node fields "
                            f"{', '.join(NODE_DEFAULTS)}")
    single = {k: body[k] for k in ("instance_id", *NODE_DEFAULTS) if k in body}
    if single and "instance_id" not in single:
        raise RegistryError(f"{', '.join(sorted(single))} need instance_id (or use instances: [...])")
    items: List[Dict[str, Any]] = [node_record(single)] if single else []
    if not isinstance(body.get("instances") or [], list):
        raise RegistryError("instances must be a list of node objects")
    items += [node_record(item, f"instances[{n}]") for n, item in enumerate(body.get("instances") or [])]
    defaults = body.get("defaults") or {}
    if not isinstance(defaults, Mapping) or "instance_id" in defaults:
        raise RegistryError("defaults must be an object of node fields without instance_id")
    items += [node_record({**defaults, "instance_id": i}, f"instance_ids[{n}]")
              for n, i in enumerate(body.get("instance_ids") or [])]
    removed = [_checked_id(i, f"remove[{n}]") for n, i in enumerate(body.get("remove") or [])]
    if not items and not removed:
        raise RegistryError("nothing to do: give instance_id, instances, instance_ids or remove")
    for item in items:
        registry[item["instance_id"]] = item
    for instance_id in removed:
        registry.pop(instance_id, None)
    return {"count": len(registry), "managed_instances": items, "removed": removed}


def managed_tags(registry: Mapping[str, Mapping[str, Any]]) -> Dict[str, Dict[str, str]]:
    """The tags of the on-prem (``mi-``) nodes, which window targets resolve over."""
    return {i: dict(n["tags"]) for i, n in registry.items() if i.startswith(MANAGED_INSTANCE_PREFIX)}


# --------------------------------------------------------------------------- control endpoint


def _backend(body: Mapping[str, Any]) -> Any:
    from moto.ssm.models import ssm_backends  # pylint: disable=import-outside-toplevel

    account = str(body.get("account_id") or body.get("account") or DEFAULT_ACCOUNT)
    return ssm_backends[account][str(body.get("region") or DEFAULT_REGION)]


def control(method: str, body: Dict[str, Any]) -> Tuple[Any, str]:
    """``GET /mwsandbox/managed-instances`` lists the records; ``POST`` registers (see ``register``)."""
    if method == "GET":
        return {"managed_instances": [dict(n) for n in nodes(_backend(body)).values()]}, "200 OK"
    if method != "POST":
        return {"error": f"/mwsandbox/managed-instances takes GET or POST, not {method}"}, "405 Method Not Allowed"
    try:
        return register(nodes(_backend(body)), body), "200 OK"
    except RegistryError as exc:
        return {"error": str(exc)}, "400 Bad Request"


def install(controls: Optional[Dict[str, Callable[[str, Dict[str, Any]], Tuple[Any, str]]]] = None) -> None:
    """Register the control endpoint with the sandbox app (nothing to patch in moto)."""
    if controls is not None:
        controls["managed-instances"] = control
