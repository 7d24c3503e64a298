"""Package-manager doubles for the patch script: apt (apt-get, apt-mark, dpkg-query) and dnf.

They keep their state in files under ``MWOPS_FAKE_PM`` (a directory): ``packages`` (installed
names), ``upgradable`` (names with an update), ``holds`` (apt-mark), ``installed`` (what an
upgrade installed, one name a line), ``calls`` (every call with its arguments) and, when the file
``fail`` exists, the upgrade fails. An upgrade installs every upgradable package that is not
held (apt) or excluded (dnf ``--exclude=GLOB``), as the real ones do for ``upgrade``.
"""

from __future__ import annotations

import os
from pathlib import Path

PREAMBLE = '#!/bin/sh\nPATH=/usr/bin:/bin\nset -f\ns="$MWOPS_FAKE_PM"\necho "$(basename "$0") $*" >> "$s/calls"\n' \
           'touch "$s/holds" "$s/installed"\n'

APT_GET = PREAMBLE + r'''
for a; do last=$a; done
simulate=no; for a; do [ "$a" = -s ] && simulate=yes; done
[ "$last" = update ] && exit 0
[ "$last" = upgrade ] || { echo "fake apt-get: unsupported $*" >&2; exit 2; }
if [ $simulate = no ] && [ -f "$s/fail" ]; then echo "E: fake failure" >&2; exit 100; fi
for pkg in $(cat "$s/upgradable"); do
  if grep -qx "$pkg" "$s/holds"; then echo "  kept back: $pkg"; continue; fi
  if [ $simulate = yes ]; then echo "Inst $pkg [1.0] (2.0 fake:stable [amd64])"; else
    echo "$pkg" >> "$s/installed"; echo "Setting up $pkg (2.0) ..."; fi
done
exit 0
'''

APT_MARK = PREAMBLE + r'''
cmd=$1; shift
case $cmd in
  showhold) sort "$s/holds" ;;
  hold) for p; do grep -qx "$p" "$s/holds" || echo "$p" >> "$s/holds"; done ;;
  unhold) for p; do grep -vx "$p" "$s/holds" > "$s/holds.new"; mv "$s/holds.new" "$s/holds"; done ;;
  *) exit 2 ;;
esac
'''

DPKG_QUERY = PREAMBLE + 'cat "$s/packages"\n'

DNF = PREAMBLE + r'''
op=""; excludes=""
for a; do case $a in --exclude=*) excludes="$excludes ${a#--exclude=}";; -*) ;; *) op=$a;; esac; done
if [ "$op" = check-update ]; then
  [ -s "$s/upgradable" ] || exit 0
  for pkg in $(cat "$s/upgradable"); do echo "$pkg.x86_64    2.0-1.el9    updates"; done
  exit 100
fi
[ "$op" = upgrade ] || exit 2
[ -f "$s/fail" ] && exit 1
for pkg in $(cat "$s/upgradable"); do
  skip=no; for pat in $excludes; do case "$pkg" in $pat) skip=yes;; esac; done
  [ $skip = yes ] || echo "$pkg" >> "$s/installed"
done
exit 0
'''


def install(directory: Path, manager: str, packages: list[str], upgradable: list[str],
            holds: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """Write the doubles of ``manager`` (apt or dnf) into ``directory``/bin; returns (bin, state)."""
    bin_dir, state = directory / "bin", directory / "state"
    bin_dir.mkdir(parents=True)
    state.mkdir()
    tools = {"apt": {"apt-get": APT_GET, "apt-mark": APT_MARK, "dpkg-query": DPKG_QUERY}, "dnf": {"dnf": DNF}}[manager]
    for name, text in tools.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    (state / "packages").write_text("".join(f"{p}\n" for p in packages))
    (state / "upgradable").write_text("".join(f"{p}\n" for p in upgradable))
    (state / "holds").write_text("".join(f"{p}\n" for p in holds))
    return bin_dir, state


def read(state: Path, name: str) -> list[str]:
    path = state / name
    return path.read_text().split("\n")[:-1] if path.exists() else []


def env(bin_dir: Path, state: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment whose PATH finds only the doubles (the host's real package managers are hidden)."""
    result = dict(os.environ if base is None else base)
    result.update(PATH=str(bin_dir), MWOPS_FAKE_PM=str(state))
    return result
