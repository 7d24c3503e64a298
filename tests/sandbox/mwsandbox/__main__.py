"""``python -m mwsandbox --host 127.0.0.1 --port 5055 [--pid-file F]``: run the sandbox until
SIGTERM or SIGINT. Prints ``mwsandbox listening on http://HOST:PORT`` once it accepts calls.

Against a running sandbox (prints the answer as JSON):
``python -m mwsandbox run-window --endpoint URL --window-id mw-... [--start-time ISO] [--region R]``
``python -m mwsandbox register-managed-instance --endpoint URL --instance-id mi-... --tag K=V ...
[--ping-status S] [--platform-type T] [--platform-name N] [--platform-version V]`` (one node of the
managed-node registry; ``i-...`` EC2 IDs take no ``--tag``)"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import List, Optional

if __package__ in (None, ""):  # run as a file: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "mwsandbox"  # pylint: disable=redefined-builtin

from mwsandbox._server import LOOPBACK, make_sandbox_server  # noqa: E402  pylint: disable=wrong-import-position


def control(argv: List[str]) -> int:
    """The run-window and register-managed-instance commands (see the module docstring)."""
    import json  # pylint: disable=import-outside-toplevel

    from mwsandbox._client import SandboxClient  # pylint: disable=import-outside-toplevel

    parser = argparse.ArgumentParser(prog="python -m mwsandbox " + argv[0])
    parser.add_argument("--endpoint", default="http://%s:5055" % LOOPBACK)
    parser.add_argument("--region", default="us-east-1")
    if argv[0] == "run-window":
        parser.add_argument("--window-id", required=True)
        parser.add_argument("--start-time", help="ISO-8601 instant the run starts at (default: now)")
    else:
        parser.add_argument("--instance-id", required=True)
        parser.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
        for field in ("ping-status", "platform-type", "platform-name", "platform-version"):
            parser.add_argument("--" + field, help="what the SSM agent reports (default: see docs/sandbox.md)")
    args = parser.parse_args(argv[1:])
    client = SandboxClient(args.endpoint)
    try:
        if argv[0] == "run-window":
            answer = client.run_window(args.window_id, args.start_time, args.region)
        else:
            malformed = [t for t in args.tag if "=" not in t]
            if malformed:
                raise ValueError("--tag takes KEY=VALUE, got %r" % malformed[0])
            tags = dict(t.split("=", 1) for t in args.tag)
            answer = client.register_managed_instance(
                args.instance_id, tags, args.region, ping_status=args.ping_status, platform_type=args.platform_type,
                platform_name=args.platform_name, platform_version=args.platform_version)
    except ValueError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=1))
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("run-window", "register-managed-instance"):
        return control(argv)
    parser = argparse.ArgumentParser(prog="python -m mwsandbox", description=__doc__)
    parser.add_argument("--host", default=LOOPBACK, help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5055, help="port (0 picks a free one; default 5055)")
    parser.add_argument("--pid-file", help="write the process id here; removed on exit")
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request to stderr")
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

    server = make_sandbox_server(args.host, args.port, args.verbose)

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pid_file = Path(args.pid_file) if args.pid_file else None
    if pid_file:
        pid_file.write_text("%d\n" % os.getpid())
    host, port = server.server_address[:2]
    print("mwsandbox listening on http://%s:%d" % (host, port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if pid_file and pid_file.exists():
            pid_file.unlink()
    print("mwsandbox stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
