"""Shared pytest setup: make the collection importable as ansible_collections.mwops.ssm."""

from __future__ import annotations

import os
import sys
from pathlib import Path

COLLECTION = Path(__file__).resolve().parent.parent
# The sandbox package knows how to make the collection importable (a real ansible_collections
# path in the test runner's tree, a symlink tree under .cache/ in a plain git checkout).
if str(COLLECTION / "tests" / "sandbox") not in sys.path:
    sys.path.insert(0, str(COLLECTION / "tests" / "sandbox"))
from mwsandbox._paths import collection_root  # noqa: E402  pylint: disable=wrong-import-position

if str(collection_root()) not in sys.path:
    sys.path.insert(0, str(collection_root()))


# ---------------------------------------------------------------------------------------------
# The loopback SSM endpoint (tests/sandbox/mwsandbox): one in-process server per test session.

import pytest  # noqa: E402  pylint: disable=wrong-import-position

for _name, _value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                      ("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_EC2_METADATA_DISABLED", "true")):
    os.environ.setdefault(_name, _value)


@pytest.fixture(scope="session")
def sandbox():
    """The running sandbox: ``.endpoint``, ``.requests()``, ``.reset_requests()``, ``.reset()``,
    ``.set_faults(throttle_rate=0.0, seed=None, operations=None)``. State is shared across the
    session: call ``sandbox.reset()`` in tests that need an empty account."""
    import mwsandbox  # pylint: disable=import-outside-toplevel

    server = mwsandbox.start(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def ssm_client(sandbox):
    """A boto3 SSM client for the sandbox: us-east-1, ``retries={"max_attempts": 1}`` (botocore
    counts that as one retry after the first attempt; use ``total_max_attempts`` for none)."""
    import boto3  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel

    return boto3.client("ssm", endpoint_url=sandbox.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"max_attempts": 1}))
