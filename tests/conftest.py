"""Shared pytest setup: make the collection importable as ansible_collections.mwops.ssm."""

from __future__ import annotations

import sys
from pathlib import Path

COLLECTION = Path(__file__).resolve().parent.parent
# tests/ -> ssm -> mwops -> ansible_collections -> root that must be on sys.path
if COLLECTION.parent.parent.name == "ansible_collections":
    ROOT = str(COLLECTION.parent.parent.parent)
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
SANDBOX = str(COLLECTION / "tests" / "sandbox")
if SANDBOX not in sys.path:
    sys.path.insert(0, SANDBOX)
