"""The built tarball is what users get: it installs offline and ansible-doc lists its plugins."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

COLLECTION = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Plugin types ansible-doc lists, keyed by the folder they live in.
DOC_TYPES = {"modules": "module", "lookup": "lookup", "filter": "filter", "inventory": "inventory"}


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """Build the collection and install the tarball into an empty collections path, offline."""
    work = tmp_path_factory.mktemp("build")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(work / "collections"))
    env.pop("ANSIBLE_COLLECTIONS_SCAN_SYS_PATH", None)
    _run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(work), str(COLLECTION)],
         COLLECTION, env)
    version = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())["version"]
    tarball = work / f"mwops-ssm-{version}.tar.gz"
    assert tarball.is_file()
    _run([str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps",
          "-p", str(work / "collections"), str(tarball)], work, env)
    return tarball, work / "collections", env


def test_tarball_ships_plugins_and_no_test_tooling(installed: tuple[Path, Path, dict[str, str]]) -> None:
    tarball = installed[0]
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "galaxy.yml" not in names and "MANIFEST.json" in names and "meta/runtime.yml" in names
    for unshipped in ("tests/", "scripts/", "benchmarks/", "extensions/", ".ci/", "docs/sandbox.md"):
        assert not [n for n in names if n.startswith(unshipped)], f"{unshipped} must not be shipped"
    # Shipped docs never point at the tooling docs that stay behind.
    with tarfile.open(tarball) as tar:
        for member in (m for m in tar.getmembers() if m.isfile() and m.name.startswith("docs/")):
            text = tar.extractfile(member).read().decode(errors="replace")  # type: ignore[union-attr]
            assert "docs/sandbox.md" not in text, f"{member.name} refers to the unshipped docs/sandbox.md"
    shipped_plugins = {n for n in names if n.startswith("plugins/") and n.endswith(".py")}
    source_plugins = {str(p.relative_to(COLLECTION)) for p in (COLLECTION / "plugins").rglob("*.py")}
    assert shipped_plugins == source_plugins


def test_ansible_doc_lists_every_plugin(installed: tuple[Path, Path, dict[str, str]]) -> None:
    collections, env = installed[1], installed[2]
    # amazon.aws sits beside the installed collection, as Galaxy would have put it.
    env = dict(env, ANSIBLE_COLLECTIONS_PATH=f"{collections}{os.pathsep}{os.environ['ANSIBLE_COLLECTIONS_PATH']}")
    installed_root = collections / "ansible_collections" / "mwops" / "ssm"
    expected = 0
    for folder, doc_type in DOC_TYPES.items():
        names = {p.stem for p in (installed_root / "plugins" / folder).glob("*.py") if not p.stem.startswith("_")}
        names |= {p.stem for p in (installed_root / "plugins" / folder).glob("*.yml")}
        if folder == "filter":  # filter plugins are documented per filter (YAML sidecars)
            names = {p.stem for p in (installed_root / "plugins" / folder).glob("*.yml")}
        if not names:
            continue
        listing = _run([str(BIN / "ansible-doc"), "-t", doc_type, "-l", "mwops.ssm"], installed_root, env)
        listed = {line.split()[0].removeprefix("mwops.ssm.") for line in listing.splitlines() if line.strip()}
        assert names <= listed, f"{doc_type}: not listed by ansible-doc: {sorted(names - listed)}"
        expected += len(names)
    if expected == 0:
        pytest.skip("the collection has no plugins yet")


def test_execution_environment_metadata_is_read_by_ansible_builder(installed: tuple[Path, Path, dict[str, str]]) -> None:
    """ansible-builder (as AWX Execution Environment builds use it) finds our dependencies."""
    builder = BIN / "ansible-builder"
    if not builder.exists():
        pytest.skip("ansible-builder is installed in the newest core's venv only (tests/requirements/tools.txt)")
    introspected = yaml.safe_load(_run([str(builder), "introspect", str(installed[1])], COLLECTION, installed[2]))
    python = [line.split("#")[0].strip() for line in introspected["python"]]
    system = [line.split("#")[0].strip() for line in introspected["system"]]
    expected_python = [line.strip() for line in (COLLECTION / "requirements.txt").read_text().splitlines()
                       if line.strip() and not line.startswith("#")]
    expected_system = [line.strip() for line in (COLLECTION / "bindep.txt").read_text().splitlines()
                       if line.strip() and not line.startswith("#")]
    assert python == expected_python and "boto3>=1.34.0" in python
    assert system == expected_system
