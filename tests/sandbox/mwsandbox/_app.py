"""The WSGI layer in front of moto: control endpoints, request log, fault injection, validation.

Every AWS API call passes through ``SandboxApp`` before moto sees it:
1. it is recorded in the request log (operation, service, whether it writes, HTTP status);
2. a hold may make it wait (a barrier for racing calls, or a gate a test opens after killing
   the caller; a gate may drop the call, as a crash before it reached AWS would);
   fault injection may answer it with HTTP 400 ``ThrottlingException`` instead;
3. an SSM call is checked with ``_ssm_rules.check_request`` against botocore's model and
   answered with ``ValidationException`` when it breaks a rule, so nothing changes;
4. moto (with the maintenance-window extension) handles it, one SSM call at a time.
"""

from __future__ import annotations

import io
import json
import random
import threading
import urllib.parse
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from . import _paths

_paths.ensure_collection_importable()

# pylint: disable=wrong-import-position
from ansible_collections.mwops.ssm.plugins.module_utils import _ssm_rules  # noqa: E402

from ._model import decode_blobs, rest_operation, ssm_model  # noqa: E402

CONTROL_PREFIX = "/mwsandbox/"
READ_PREFIXES = ("Get", "Describe", "List", "BatchGet", "Search", "Simulate")
# Control endpoints of the extensions (runs, managed-instances): action -> handler(method, JSON
# object) -> (JSON answer, HTTP status). Handlers run under the SSM lock.
CONTROL_HANDLERS: Dict[str, Callable[[str, Dict[str, Any]], Tuple[Any, str]]] = {}
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
UNSIGNED_SSM_AUTHORIZATION = ("AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/ssm/aws4_request, "
                              "SignedHeaders=host, Signature=unsigned")

StartResponse = Callable[..., Any]
Environ = Dict[str, Any]


def is_write(operation: str) -> bool:
    return not operation.startswith(READ_PREFIXES)


class Faults:
    """Throttle a share of calls, reproducibly: same seed and call order, same throttled calls."""

    def __init__(self) -> None:
        self.rate = 0.0
        self.operations: Optional[List[str]] = None
        self.seed: Optional[int] = None
        self._random = random.Random()

    def configure(self, rate: float, seed: Optional[int], operations: Optional[List[str]]) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("throttle_rate must be between 0 and 1")
        self.rate, self.seed, self.operations = rate, seed, list(operations) if operations else None
        self._random = random.Random(seed)

    def should_throttle(self, operation: str) -> bool:
        if self.rate <= 0.0 or (self.operations is not None and operation not in self.operations):
            return False
        return self._random.random() < self.rate

    def describe(self) -> Dict[str, Any]:
        return {"throttle_rate": self.rate, "seed": self.seed, "operations": self.operations}


class Holds:
    """Make chosen calls wait, to reproduce races and crashes at an exact point.

    ``barrier``: the first ``count`` calls of the operation wait until all ``count`` arrived, then
    proceed together (two runs racing on one registration). ``gate``: the first ``count`` calls
    wait until ``release``; released with ``drop`` they are answered with an error and never reach
    the backend (the caller died before the call was made).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._holds: Dict[str, Dict[str, Any]] = {}

    def configure(self, operation: str, count: int, mode: str, timeout: float) -> None:
        if mode not in ("barrier", "gate") or count < 1:
            raise ValueError("a hold needs mode barrier or gate and a count of at least 1")
        with self._cond:
            self._holds[operation] = {"count": count, "mode": mode, "timeout": timeout, "arrived": 0,
                                      "waiting": 0, "released": False, "drop": False}
            self._cond.notify_all()

    def release(self, operation: str, drop: bool) -> None:
        with self._cond:
            hold = self._holds.get(operation)
            if hold:
                hold.update(released=True, drop=drop)
            self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            for hold in self._holds.values():
                hold["released"] = True
            self._holds.clear()
            self._cond.notify_all()

    def wait(self, operation: str) -> Tuple[bool, bool]:
        """(held, dropped) for one call of ``operation``."""
        with self._cond:
            hold = self._holds.get(operation)
            if hold is None or hold["arrived"] >= hold["count"]:
                return False, False
            hold["arrived"] += 1
            hold["waiting"] += 1
            self._cond.notify_all()
            if hold["mode"] == "barrier":
                self._cond.wait_for(lambda: hold["arrived"] >= hold["count"] or hold["released"], hold["timeout"])
            else:
                self._cond.wait_for(lambda: hold["released"], hold["timeout"])
            hold["waiting"] -= 1
            return True, bool(hold["drop"])

    def describe(self) -> Dict[str, Any]:
        with self._cond:
            return {op: dict(hold) for op, hold in self._holds.items()}


class SandboxApp:
    """WSGI middleware around moto's ``DomainDispatcherApplication``."""

    def __init__(self, inner: Callable[[Environ, StartResponse], Iterable[bytes]]) -> None:
        self._inner = inner
        self._lock = threading.Lock()  # guards the log and the fault switch
        self._ssm_lock = threading.RLock()  # moto's backends are not thread-safe
        self._log: List[Dict[str, Any]] = []
        self._faults = Faults()
        self._holds = Holds()

    # ------------------------------------------------------------------ WSGI entry

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(environ, start_response, path[len(CONTROL_PREFIX):].strip("/"))
        if path.startswith("/moto-api"):
            if path.rstrip("/") == "/moto-api/reset" and environ.get("REQUEST_METHOD") == "POST":
                with self._ssm_lock:
                    self.reset_extras()
                    return list(self._inner(environ, start_response))
            return self._inner(environ, start_response)
        body = _read_body(environ)
        call = identify_call(environ, body)
        if call is None:
            return self._inner(environ, start_response)
        service, operation = call
        if service == "ssm" and not environ.get("HTTP_AUTHORIZATION"):
            # moto picks the service from the signature: let unsigned SSM calls (curl, uri) through.
            environ["HTTP_AUTHORIZATION"] = UNSIGNED_SSM_AUTHORIZATION
        entry = {"operation": operation, "service": service, "write": is_write(operation),
                 "throttled": False, "status": None}
        with self._lock:
            self._log.append(entry)
            throttled = self._faults.should_throttle(operation)
        recording = _recording(start_response, entry)
        held, dropped = self._holds.wait(operation)
        if held:
            entry["held"] = True
        if dropped:
            entry["dropped"] = True
            return _error(recording, "InternalFailure", "dropped by a sandbox hold (the caller was killed)",
                          "500 Internal Server Error")
        if throttled:
            entry["throttled"] = True
            return _error(recording, "ThrottlingException", "Rate exceeded")
        if service != "ssm":
            return self._inner(environ, recording)
        with self._ssm_lock:
            rejection = validation_error(operation, body)
            if rejection:
                return _error(recording, "ValidationException", rejection)
            return list(self._inner(environ, recording))

    def reset_extras(self) -> None:
        with self._lock:
            self._log.clear()
            self._faults.configure(0.0, None, None)
        self._holds.clear()

    # ------------------------------------------------------------------ control endpoints

    def _control(self, environ: Environ, start_response: StartResponse, action: str) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if action == "requests" and method == "GET":
            with self._lock:
                return _json(start_response, [dict(e) for e in self._log])
        if action == "requests/reset" and method == "POST":
            with self._lock:
                self._log.clear()
            return _json(start_response, {"ok": True})
        if action == "faults" and method == "GET":
            with self._lock:
                return _json(start_response, self._faults.describe())
        if action == "faults" and method == "POST":
            return self._set_faults(environ, start_response)
        if action == "holds" and method == "GET":
            return _json(start_response, self._holds.describe())
        if action in ("holds", "holds/release", "holds/clear") and method == "POST":
            return self._set_holds(environ, start_response, action)
        if action == "health":
            return _json(start_response, {"ok": True})
        if action in CONTROL_HANDLERS:
            return self._extension_control(environ, start_response, action, method)
        return _json(start_response, {"error": "unknown control endpoint %s %s" % (method, action)}, "404 Not Found")

    def _extension_control(self, environ: Environ, start_response: StartResponse, action: str,
                           method: str) -> Iterable[bytes]:
        """A control endpoint of an extension: JSON body (plus query parameters) in, JSON out."""
        try:
            spec = json.loads(_read_body(environ) or b"{}")
        except ValueError as exc:
            return _json(start_response, {"error": "body is not JSON: %s" % exc}, "400 Bad Request")
        if not isinstance(spec, dict):
            return _json(start_response, {"error": "body must be a JSON object"}, "400 Bad Request")
        spec.update(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))  # GET ?region=eu-west-1
        with self._ssm_lock:  # the handlers read and write moto's SSM backends
            return _json(start_response, *CONTROL_HANDLERS[action](method, spec))

    def _set_faults(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            spec = json.loads(_read_body(environ) or b"{}")
            rate = float(spec.get("throttle_rate", 0.0))
            seed = spec.get("seed")
            operations = spec.get("operations")
            with self._lock:
                self._faults.configure(rate, None if seed is None else int(seed), operations)
                return _json(start_response, self._faults.describe())
        except (ValueError, TypeError, AttributeError) as exc:
            return _json(start_response, {"error": str(exc)}, "400 Bad Request")

    def _set_holds(self, environ: Environ, start_response: StartResponse, action: str) -> Iterable[bytes]:
        try:
            spec = json.loads(_read_body(environ) or b"{}")
            if action == "holds":
                self._holds.configure(str(spec["operation"]), int(spec.get("count", 1)), str(spec.get("mode", "gate")),
                                      float(spec.get("timeout", 120)))
            elif action == "holds/release":
                self._holds.release(str(spec["operation"]), bool(spec.get("drop", False)))
            else:
                self._holds.clear()
            return _json(start_response, self._holds.describe())
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return _json(start_response, {"error": str(exc)}, "400 Bad Request")


# ---------------------------------------------------------------------- helpers


def _read_body(environ: Environ) -> bytes:
    """Read the request body and put it back so the next layer can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def identify_call(environ: Environ, body: bytes) -> Optional[Tuple[str, str]]:
    """(service, operation) of an AWS API call, or None for anything else."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    service = _credential_scope_service(environ.get("HTTP_AUTHORIZATION", ""))
    if target and "." in target:
        prefix, operation = target.rsplit(".", 1)
        return (service or ("ssm" if prefix == "AmazonSSM" else prefix.lower())), operation
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    action = query.get("Action")
    if not action and body and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action")
    if action:
        return service or "unknown", action[0]
    # REST services (Resource Groups): no target and no Action; the signed service's model names
    # the operation from the method and path.
    operation = rest_operation(service, environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")) \
        if service else None
    return (service, operation) if operation else None


def _credential_scope_service(authorization: str) -> Optional[str]:
    # "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/ssm/aws4_request, ..."
    marker = "Credential="
    if marker not in authorization:
        return None
    scope = authorization.split(marker, 1)[1].split(",", 1)[0].split("/")
    return scope[3] if len(scope) >= 5 else None


def validation_error(operation: str, body: bytes) -> Optional[str]:
    """AWS's ValidationException text for an SSM request body, or None when it is valid."""
    if operation not in ssm_model()["operations"]:
        return None
    try:
        raw = json.loads(body or b"{}")
    except ValueError:
        return None  # moto answers malformed JSON itself
    if not isinstance(raw, dict):
        return None
    violations = _ssm_rules.check_request(operation, decode_blobs(operation, raw), ssm_model())
    return _ssm_rules.aws_error_message(violations) if violations else None


def _recording(start_response: StartResponse, entry: Dict[str, Any]) -> StartResponse:
    def wrapped(status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> Any:
        entry["status"] = int(status.split(" ", 1)[0])
        return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)
    return wrapped


def _error(start_response: StartResponse, code: str, message: str, status: str = "400 Bad Request") -> Iterable[bytes]:
    body = json.dumps({"__type": code, "message": message}).encode()
    start_response(status, [("Content-Type", JSON_CONTENT_TYPE), ("Content-Length", str(len(body))),
                            ("x-amzn-RequestId", "mwsandbox-%s" % code)])
    return [body]


def _json(start_response: StartResponse, data: Any, status: str = "200 OK") -> Iterable[bytes]:
    body = json.dumps(data).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
