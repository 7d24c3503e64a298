"""Integration-test ordering: the IAM policy test reads what every module run recorded.

tests/integration/test_modules_iam_policy.py compares docs/iam-policy.json with the AWS calls
the module tests collected in ``mw_harness.OPERATIONS_SEEN``; its name sorts before
test_mw_history_evidence.py and test_preflight.py, so it is moved to the end of the session.
"""

from __future__ import annotations

LAST = "test_modules_iam_policy.py"


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.path.name == LAST)  # stable: everything else keeps its order
