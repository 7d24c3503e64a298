"""Run the sandbox: moto's WSGI app behind ``SandboxApp`` on a werkzeug threaded server."""

from __future__ import annotations

import json
import threading
from typing import Any, Optional

from werkzeug.serving import BaseWSGIServer, make_server

from . import _managed_ext, _patch_ext, _patch_state_ext, _preflight_ext, _runs_ext, _ssm_ext
from ._app import CONTROL_HANDLERS, SandboxApp
from ._client import SandboxClient

LOOPBACK = "127.0.0.1"


def install() -> None:
    """Patch moto's SSM backend in this process (also usable under ``moto.mock_aws``)."""
    _ssm_ext.install()
    _managed_ext.install(CONTROL_HANDLERS)
    _runs_ext.install(CONTROL_HANDLERS)
    _preflight_ext.install()
    _patch_ext.install()  # after preflight: the patch-group registrations are this extension's
    _patch_state_ext.install(CONTROL_HANDLERS)
    _keep_only_ssm_managed_policies()


def _keep_only_ssm_managed_policies() -> None:
    """Offer the AWS managed policies for SSM (AmazonSSMMaintenanceWindowRole, ...), not all ~1,300.

    moto builds every managed policy again for each account after each reset; all of them cost
    about 0.35 s per reset, the SSM ones next to nothing.
    """
    import moto.iam.models as iam_models  # pylint: disable=import-outside-toplevel

    policies = json.loads(iam_models.aws_managed_policies_data)
    iam_models.aws_managed_policies_data = json.dumps({name: policy for name, policy in policies.items()
                                                       if "SSM" in name})


def build_app() -> SandboxApp:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    install()
    return SandboxApp(DomainDispatcherApplication(create_backend_app))


def _quiet_handler(verbose: bool) -> Any:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class Handler(MotoRequestHandler):
        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            if verbose:
                super().log_request(code, size)

    return Handler


def make_sandbox_server(host: str = LOOPBACK, port: int = 0, verbose: bool = False) -> BaseWSGIServer:
    if host not in (LOOPBACK, "localhost", "::1"):
        raise ValueError("the sandbox binds to the loopback interface only, not %r" % host)
    return make_server(host, port, build_app(), threaded=True, request_handler=_quiet_handler(verbose))


class Sandbox(SandboxClient):
    """A sandbox server running in a background thread of this process."""

    def __init__(self, host: str = LOOPBACK, port: int = 0, verbose: bool = False) -> None:
        self._server = make_sandbox_server(host, port, verbose)
        bound_host, bound_port = self._server.server_address[:2]
        super().__init__("http://%s:%d" % (bound_host, bound_port))
        self.host, self.port = str(bound_host), int(bound_port)
        self._thread: Optional[threading.Thread] = threading.Thread(
            target=self._server.serve_forever, name="mwsandbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def start(host: str = LOOPBACK, port: int = 0, verbose: bool = False) -> Sandbox:
    """Start a sandbox in this process; ``port=0`` picks a free port (see ``.endpoint``)."""
    return Sandbox(host, port, verbose)
