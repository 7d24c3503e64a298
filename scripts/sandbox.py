"""Start the loopback SSM endpoint (tests/sandbox/mwsandbox) in the pinned test venv.

    ./scripts/sandbox                     # http://127.0.0.1:5055
    ./scripts/sandbox --port 0            # a free port (printed on start)
    ./scripts/sandbox --pid-file /tmp/mwsandbox.pid

Stops on Ctrl-C or SIGTERM. Point boto3/Ansible at it with endpoint_url (or
AWS_ENDPOINT_URL_SSM) and any credentials. See docs/sandbox.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import devenv  # noqa: E402  pylint: disable=wrong-import-position


def main() -> int:
    devenv.ensure_venv(devenv.MAIN_CORE)
    python = str(devenv.venv_python(devenv.MAIN_CORE))
    env = dict(os.environ)
    sandbox_dir = str(devenv.REPO / "tests" / "sandbox")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (sandbox_dir, env.get("PYTHONPATH", "")) if p)
    env.setdefault("AWS_ACCESS_KEY_ID", "testing")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    argv = sys.argv[1:]
    if not any(a == "--port" or a.startswith("--port=") for a in argv):
        argv = ["--port", "5055"] + argv
    os.execve(python, [python, "-m", "mwsandbox"] + argv, env)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
