"""``python -m mwsandbox --host 127.0.0.1 --port 5055 [--pid-file F]``: run the sandbox until
SIGTERM or SIGINT. Prints ``mwsandbox listening on http://HOST:PORT`` once it accepts calls."""

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


def main(argv: Optional[List[str]] = None) -> int:
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
