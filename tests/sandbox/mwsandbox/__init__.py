"""mwsandbox: a loopback SSM endpoint for testing mwops.ssm (moto server mode plus extensions).

    import mwsandbox
    with mwsandbox.start() as sandbox:          # threaded server on 127.0.0.1, free port
        ssm = boto3.client("ssm", endpoint_url=sandbox.endpoint, region_name="us-east-1")
        ...
        sandbox.requests()                      # [{"operation": ..., "write": bool, ...}]

    mwsandbox.SandboxClient("http://127.0.0.1:5055").set_faults(throttle_rate=0.3, seed=1)

Command line: ``python -m mwsandbox --host 127.0.0.1 --port 5055`` (see docs/sandbox.md).
Test support only; never shipped with the collection.
"""

from __future__ import annotations

from ._client import SandboxClient
from ._server import Sandbox, install, start

__all__ = ["Sandbox", "SandboxClient", "install", "start"]
