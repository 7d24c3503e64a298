"""Development environment for mwops.ssm: pinned venvs, amazon.aws, and the collection tree.

Standard library only, so a fresh machine with nothing but Python, pip and apt can run it.
Everything it makes lives under ``MWOPS_WORK`` (default ``~/.cache/mwops-ssm``) and is keyed by
the content of the requirement files, so a changed pin rebuilds what depends on it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("MWOPS_WORK", Path.home() / ".cache" / "mwops-ssm"))
REQS = REPO / "tests" / "requirements"

# ansible-core versions we test, each in its own venv on this interpreter.
CORES = {"2.19": "2.19.14", "2.17": "2.17.14"}
MAIN_CORE = "2.19"
# amazon.aws is taken from the `ansible` community package (no Galaxy access needed).
ANSIBLE_PACKAGE = "ansible==12.3.0"

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


def venv_dir(core: str) -> Path:
    return WORK / f"venv-core{core.replace('.', '')}"


def venv_python(core: str = MAIN_CORE) -> Path:
    return venv_dir(core) / "bin" / "python"


def venv_bin(core: str = MAIN_CORE) -> Path:
    return venv_dir(core) / "bin"


def ensure_venv(core: str) -> Path:
    """Create (or reuse) the venv for one ansible-core version with pinned test tools."""
    constraints = REQS / f"constraints-core{core.replace('.', '')}.txt"
    req_files = [REQS / "test.txt"] + ([REQS / "tools.txt"] if core == MAIN_CORE else [])
    stamp_value = _digest(constraints, *req_files, extra=f"{sys.version}|{CORES[core]}")
    vdir = venv_dir(core)
    stamp = vdir / ".mwops-stamp"
    if stamp.exists() and stamp.read_text() == stamp_value and venv_python(core).exists():
        return vdir
    log(f"creating venv for ansible-core {CORES[core]} in {vdir}")
    if vdir.exists():
        shutil.rmtree(vdir)
    subprocess.run([sys.executable, "-m", "venv", str(vdir)], check=True)
    pip = [str(venv_python(core)), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["install", "-c", str(constraints), f"ansible-core=={CORES[core]}"]
                   + [a for f in req_files for a in ("-r", str(f))], check=True)
    stamp.write_text(stamp_value)
    return vdir


def ensure_amazon_aws() -> Path:
    """Extract amazon.aws from the `ansible` wheel into WORK/collections (once)."""
    root = WORK / "collections"
    target = root / "ansible_collections" / "amazon" / "aws"
    stamp = root / ".mwops-stamp"
    if target.is_dir() and stamp.exists() and stamp.read_text() == ANSIBLE_PACKAGE:
        return root
    downloads = WORK / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    wheels = sorted(downloads.glob("ansible-*.whl"))
    wanted = ANSIBLE_PACKAGE.split("==")[1]
    wheels = [w for w in wheels if w.name.startswith(f"ansible-{wanted}-")]
    if not wheels:
        log(f"downloading {ANSIBLE_PACKAGE} (for amazon.aws only)")
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        ANSIBLE_PACKAGE, "-d", str(downloads)], check=True)
        wheels = sorted(downloads.glob(f"ansible-{wanted}-*.whl"))
    if target.exists():
        shutil.rmtree(target)
    with zipfile.ZipFile(wheels[0]) as z:
        members = [n for n in z.namelist() if n.startswith("ansible_collections/amazon/aws/")]
        z.extractall(root, members)
    stamp.write_text(ANSIBLE_PACKAGE)
    log(f"amazon.aws extracted ({len(members)} files)")
    return root


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


def build_tree() -> Path:
    """Lay the collection out at a real ansible_collections/mwops/ssm path, amazon.aws beside it.

    ansible-test insists on a real (not symlinked) path and on dependencies in the same root.
    Returns the collections root (the directory holding ``ansible_collections``).
    """
    root = WORK / "trees" / os.environ.get("MWOPS_TREE", "default")
    coll = root / "ansible_collections" / "mwops" / "ssm"
    if coll.exists():
        shutil.rmtree(coll)
    coll.mkdir(parents=True)
    for rel in source_files():
        dest = coll / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, dest)
    aws_src = ensure_amazon_aws() / "ansible_collections" / "amazon" / "aws"
    aws_dst = root / "ansible_collections" / "amazon" / "aws"
    if not aws_dst.exists():
        shutil.copytree(aws_src, aws_dst)
    return root


def ensure_get_pip_shim() -> None:
    cache = Path.home() / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    shim = cache / "get_pip_24_2.py"
    if not shim.exists() or shim.read_text() != GET_PIP_SHIM:
        shim.write_text(GET_PIP_SHIM)


def collection_dir(root: Path) -> Path:
    return root / "ansible_collections" / "mwops" / "ssm"


def test_env(root: Path, core: str = MAIN_CORE) -> dict[str, str]:
    """Environment for anything that runs Ansible or the sandbox against this tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_", "PYTHON"))}
    env.update(
        PATH=f"{venv_bin(core)}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv_dir(core)),
        ANSIBLE_COLLECTIONS_PATH=str(root),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        PYTHONPATH=str(collection_dir(root) / "tests" / "sandbox"),
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
