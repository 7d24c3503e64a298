"""botocore's SSM service model, and wire JSON turned into boto3-style parameters."""

from __future__ import annotations

import base64
import binascii
import functools
import re
from typing import Any, Dict, List, Mapping, Optional, Pattern, Tuple

import botocore.loaders


@functools.lru_cache(maxsize=1)
def ssm_model() -> Dict[str, Any]:
    """The raw ``ssm`` service-2 model of the installed botocore (the numbers the rules read)."""
    return botocore.loaders.create_loader().load_service_model("ssm", "service-2")


@functools.lru_cache(maxsize=None)
def rest_routes(service: str) -> List[Tuple[str, Pattern[str], str]]:
    """(HTTP method, path pattern, operation) of a REST service (``rest-json``/``rest-xml``) from
    botocore's model; empty for other protocols or an unknown service."""
    try:
        model = botocore.loaders.create_loader().load_service_model(service, "service-2")
    except Exception:  # pylint: disable=broad-except  # botocore raises several unknown-service errors
        return []
    if not model.get("metadata", {}).get("protocol", "").startswith("rest-"):
        return []
    routes = []
    for name, operation in model["operations"].items():
        uri = operation["http"]["requestUri"].split("?", 1)[0]
        # "/resources/{Arn}/tags": each {Label} is one path segment, {Label+} the rest of the path.
        pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.escape(uri))
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        routes.append((operation["http"]["method"], re.compile(pattern + "/?"), name))
    # Literal paths before patterns with labels, so "/groups-list" never matches "/groups/{x}".
    routes.sort(key=lambda route: route[1].pattern.count("[^/]+") + route[1].pattern.count(".+"))
    return routes


def rest_operation(service: str, method: str, path: str) -> Optional[str]:
    """The operation a REST call of ``service`` invokes, or None."""
    for route_method, pattern, name in rest_routes(service):
        if route_method == method and pattern.fullmatch(path):
            return name
    return None


def decode_blobs(operation: str, params: Mapping[str, Any]) -> Dict[str, Any]:
    """Copy of ``params`` with every blob member base64-decoded, as boto3 would have had it."""
    model = ssm_model()
    op = model["operations"].get(operation)
    if op is None or "input" not in op or not isinstance(params, Mapping):
        return dict(params) if isinstance(params, Mapping) else {}
    return _decode(model["shapes"], op["input"]["shape"], params)


def _decode(shapes: Mapping[str, Any], shape_name: str, value: Any) -> Any:
    shape = shapes[shape_name]
    kind = shape["type"]
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            return value  # not base64: leave it for the validator to judge
    if kind == "structure" and isinstance(value, Mapping):
        members = shape.get("members", {})
        return {k: _decode(shapes, members[k]["shape"], v) if k in members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_decode(shapes, shape["member"]["shape"], v) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: _decode(shapes, shape["value"]["shape"], v) for k, v in value.items()}
    return value
