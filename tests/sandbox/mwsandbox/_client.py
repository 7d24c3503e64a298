"""Talk to a running sandbox's control endpoints over HTTP (works against another process)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Dict, List, Mapping, Optional, Sequence


class SandboxClient:
    """Request log, fault injection and reset of the sandbox at ``endpoint``."""

    def __init__(self, endpoint: str, timeout: float = 10.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._timeout = timeout
        # Loopback only: never route control calls through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, method: str, path: str, payload: Optional[Dict[str, Any]] = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(self.endpoint + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with self._opener.open(request, timeout=self._timeout) as response:
            text = response.read().decode() or "null"
        return json.loads(text) if text.lstrip().startswith(("{", "[")) else text

    def _checked(self, method: str, path: str, payload: Dict[str, Any]) -> Any:
        """Like _call, but a refused control call raises ValueError with the sandbox's reason."""
        try:
            return self._call(method, path, payload)
        except urllib.error.HTTPError as exc:
            raise ValueError(json.loads(exc.read().decode() or "{}").get("error", str(exc))) from None

    def requests(self) -> List[Dict[str, Any]]:
        """AWS API calls since the last reset: ``{"operation", "write", "service", "throttled", "status"}``."""
        return self._call("GET", "/mwsandbox/requests")

    def reset_requests(self) -> None:
        self._call("POST", "/mwsandbox/requests/reset")

    def write_requests(self) -> List[str]:
        """Names of the writing calls since the last reset (the common assertion)."""
        return [r["operation"] for r in self.requests() if r["write"]]

    def set_faults(self, throttle_rate: float = 0.0, seed: Optional[int] = None,
                   operations: Optional[Sequence[str]] = None) -> Dict[str, Any]:
        """Answer a share of calls (only ``operations`` if given) with ThrottlingException; 0 disables."""
        spec = {"throttle_rate": throttle_rate, "seed": seed, "operations": list(operations) if operations else None}
        return self._call("POST", "/mwsandbox/faults", spec)

    def hold(self, operation: str, count: int = 1, mode: str = "gate", timeout: float = 120.0) -> Dict[str, Any]:
        """Make the first ``count`` calls of ``operation`` wait: ``barrier`` until all arrived,
        ``gate`` until ``release`` (see ``_app.Holds``)."""
        return self._call("POST", "/mwsandbox/holds", {"operation": operation, "count": count, "mode": mode,
                                                       "timeout": timeout})

    def release(self, operation: str, drop: bool = False) -> Dict[str, Any]:
        """Let held calls of ``operation`` go on; ``drop`` answers them with an error instead."""
        return self._call("POST", "/mwsandbox/holds/release", {"operation": operation, "drop": drop})

    def holds(self) -> Dict[str, Any]:
        """Per held operation: ``arrived`` and ``waiting`` calls, ``released``."""
        return self._call("GET", "/mwsandbox/holds")

    def clear_holds(self) -> None:
        self._call("POST", "/mwsandbox/holds/clear")

    def faults(self) -> Dict[str, Any]:
        return self._call("GET", "/mwsandbox/faults")

    def run_window(self, window_id: str, start_time: Optional[str] = None, region: str = "us-east-1") -> Dict[str, Any]:
        """Run a window now (or at ``start_time``, ISO-8601) on the sandbox's instances; returns
        ``{"window_execution_id", "status", "tasks": [{"invocations": [{"target", "status"}]}]}``."""
        return self._checked("POST", "/mwsandbox/runs", {"window_id": window_id, "start_time": start_time, "region": region})

    def register_managed_instance(self, instance_id: str, tags: Optional[Dict[str, str]] = None,
                                  region: str = "us-east-1", **fields: Any) -> Dict[str, Any]:
        """Register one managed node: an on-prem ``mi-...`` with ``tags`` (runs target it) or an EC2
        ``i-...``; ``fields`` are the other node fields (``ping_status``, ``platform_name``, ...).
        Answers ``{"count", "managed_instances": [record], "removed"}``; ValueError if refused."""
        body = {"instance_id": instance_id, "tags": tags, "region": region, **fields}
        return self._checked("POST", "/mwsandbox/managed-instances", {k: v for k, v in body.items() if v is not None})

    def register_managed_nodes(self, instances: Sequence[Mapping[str, Any]] = (), **body: Any) -> Dict[str, Any]:
        """Register many managed nodes at once: ``instances`` (node objects) and/or
        ``instance_ids=[...], defaults={...}``, ``remove=[...]``, ``region=...`` (docs/sandbox.md)."""
        return self._checked("POST", "/mwsandbox/managed-instances", {"instances": list(instances), **body})

    def managed_nodes(self, region: str = "us-east-1") -> List[Dict[str, Any]]:
        """The managed-node registry's records of ``region``, in registration order."""
        return self._call("GET", "/mwsandbox/managed-instances?region=" + region)["managed_instances"]

    def seed_patch_states(self, states: Sequence[Mapping[str, Any]] = (), **body: Any) -> Dict[str, Any]:
        """Seed patch states (AWS's InstancePatchState shape, ``remove=[...]``, ``region=...``) that
        DescribeInstancePatchStates(ForPatchGroup) and DescribePatchGroupState answer."""
        return self._checked("POST", "/mwsandbox/patch-states", {"states": list(states), **body})

    def reset(self) -> None:
        """Wipe all AWS state (moto's reset), the request log and the fault switch."""
        self._call("POST", "/moto-api/reset")
