"""Fixtures for the history and report cores."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def _executor_history():
    # A real history file written by the local executor (mw_run) for a window whose task hit
    # MaxErrors 0 on its second host: 1 success, 1 failure, 3 not started.
    return json.loads((FIXTURES / "executor-history.json").read_text())


@pytest.fixture
def local_execution(_executor_history):
    return copy.deepcopy(_executor_history)
