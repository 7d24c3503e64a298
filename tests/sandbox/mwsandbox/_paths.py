"""Make ``ansible_collections.mwops.ssm`` importable for the sandbox, like tests/conftest.py does.

From the test runner's tree the collection already sits at a real
``<root>/ansible_collections/mwops/ssm`` path. From a git checkout a symlink tree under
``<checkout>/.cache/pyroot`` stands in for it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# tests/sandbox/mwsandbox/_paths.py -> the collection (or checkout) root is three levels up.
COLLECTION = Path(__file__).resolve().parent.parent.parent.parent


def collection_root() -> Path:
    """The directory holding ``ansible_collections/`` with this collection inside it."""
    if COLLECTION.parent.parent.name == "ansible_collections":
        return COLLECTION.parent.parent.parent
    root = COLLECTION / ".cache" / "pyroot"
    link = root / "ansible_collections" / "mwops" / "ssm"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.symlink(COLLECTION, link)
        except FileExistsError:  # another process made it first
            pass
    return root


def ensure_collection_importable() -> None:
    try:
        import ansible_collections.mwops.ssm.plugins.module_utils._ssm_rules  # noqa: F401  pylint: disable=unused-import
        return
    except ImportError:
        pass
    root = str(collection_root())
    if root not in sys.path:
        sys.path.insert(0, root)
