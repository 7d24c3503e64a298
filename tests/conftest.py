"""Shared pytest setup: make the collection importable as ansible_collections.mwops.ssm."""

from __future__ import annotations

import os
import sys
from pathlib import Path

COLLECTION = Path(__file__).resolve().parent.parent


def _collection_root() -> Path:
    """The directory holding ansible_collections/ with this collection inside it.

    The test runner copies the collection to a real ansible_collections/mwops/ssm path. When
    pytest runs straight from a git checkout, a symlink tree under .cache/ stands in for it.
    """
    if COLLECTION.parent.parent.name == "ansible_collections":
        return COLLECTION.parent.parent.parent
    root = COLLECTION / ".cache" / "pyroot"
    link = root / "ansible_collections" / "mwops" / "ssm"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(COLLECTION, link)
    return root


for _path in (str(_collection_root()), str(COLLECTION / "tests" / "sandbox")):
    if _path not in sys.path:
        sys.path.insert(0, _path)
