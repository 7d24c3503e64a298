"""botocore's SSM service model, and wire JSON turned into boto3-style parameters."""

from __future__ import annotations

import base64
import binascii
import functools
from typing import Any, Dict, Mapping

import botocore.loaders


@functools.lru_cache(maxsize=1)
def ssm_model() -> Dict[str, Any]:
    """The raw ``ssm`` service-2 model of the installed botocore (the numbers the rules read)."""
    return botocore.loaders.create_loader().load_service_model("ssm", "service-2")


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
