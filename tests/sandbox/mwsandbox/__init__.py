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

import os

# Real IAM always has the AWS managed policies (AmazonSSMMaintenanceWindowRole, ...); moto only
# loads them when asked. Set before any IAM backend exists.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from ._client import SandboxClient  # noqa: E402  pylint: disable=wrong-import-position
from ._server import Sandbox, install, start  # noqa: E402  pylint: disable=wrong-import-position

__all__ = ["Sandbox", "SandboxClient", "install", "start"]
