# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""SSM documents as Ansible work: what one invocation of a RUN_COMMAND task runs on a host.

Pure functions, no Ansible imports. The gate action turns the ``Invocation`` returned here into
an ``ansible.legacy.command`` call (shell documents, the patch baseline) or into the module or
action a user mapped a custom document to.

Pseudo parameters (``{{WINDOW_ID}}`` and friends, spec D) are replaced by plain string
substitution; nothing here is ever passed through Jinja2. Their values can come from outside
(``{{TARGET_ID}}`` is an inventory host name, possibly from a dynamic inventory), and the text
they land in is often ``/bin/sh`` script, so a value is substituted only when it is a safe token
(letters, digits and ``._:@+=,-``); otherwise the invocation is refused and nothing runs. The
same rule holds for every document, shell or not: one rule, no quoting context to get wrong.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._patch_local import script_arguments

RUN_SHELL_SCRIPT = "AWS-RunShellScript"
RUN_PATCH_BASELINE = "AWS-RunPatchBaseline"
SUPPORTED_TASK_TYPES = ("RUN_COMMAND",)

PSEUDO_PARAMETERS = ("WINDOW_ID", "WINDOW_TASK_ID", "WINDOW_TARGET_ID", "WINDOW_EXECUTION_ID",
                     "TASK_EXECUTION_ID", "INVOCATION_ID", "TARGET_TYPE", "TARGET_ID", "RESOURCE_ID")
_PSEUDO_RE = re.compile(r"\{\{\s*(" + "|".join(PSEUDO_PARAMETERS) + r")\s*\}\}")
# What a pseudo parameter value may hold to be pasted into shell text or module arguments as is:
# no quoting, expansion, separator, glob, redirection or path characters.
SAFE_TOKEN = re.compile(r"^[A-Za-z0-9._:@+=,-]*$")

SHELL_PARAMETERS = ("commands", "workingDirectory", "executionTimeout")
DEFAULT_EXECUTION_TIMEOUT = 3600
MAX_EXECUTION_TIMEOUT = 172800
PATCH_PARAMETERS = ("Operation", "RebootOption", "SnapshotId")
PATCH_OPERATIONS = ("Scan", "Install")
REBOOT_OPTIONS = ("RebootIfNeeded", "NoReboot")
REBOOT_MARKER = "MWOPS_REBOOT_REQUIRED"
# Grace before coreutils' timeout sends SIGKILL after SIGTERM.
KILL_GRACE_SECONDS = 5


class DocumentError(ValueError):
    """A task that the local executor cannot run."""


class UnsafeValueError(DocumentError):
    """A pseudo parameter value that is not a safe token; the invocation must not run."""


@dataclass(frozen=True)
class Invocation:
    """What to run on one host: a module or action name with its arguments."""

    module: str
    args: dict[str, Any]
    kind: str  # "shell", "patch" or "custom"
    timeout: int | None = None  # target-side time limit (seconds) enforced with coreutils timeout
    reboot: bool = False  # patch baseline: reboot when the package manager says it is needed
    extra: dict[str, Any] = field(default_factory=dict)


def _safe_value(match: re.Match[str], values: Mapping[str, str]) -> str:
    name = match.group(1)
    if name not in values:
        return match.group(0)
    value = str(values[name])
    if not SAFE_TOKEN.match(value):
        raise UnsafeValueError(f"pseudo parameter {{{{{name}}}}} has the value {value!r}, which is not a safe token "
                               "(letters, digits and ._:@+=,- only), so it is not substituted into the command or "
                               "module arguments; nothing was run on this target")
    return value


def substitute_pseudo_parameters(value: Any, values: Mapping[str, str]) -> Any:
    """Replace ``{{NAME}}`` pseudo parameters in every string inside ``value`` (safe tokens only)."""
    if isinstance(value, str):
        return _PSEUDO_RE.sub(lambda m: _safe_value(m, values), value)
    if isinstance(value, Mapping):
        return {k: substitute_pseudo_parameters(v, values) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [substitute_pseudo_parameters(v, values) for v in value]
    return value


def _as_list(value: Any) -> list[str]:
    """SSM document parameters are lists of strings; accept a bare scalar too."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _single(parameters: Mapping[str, Any], name: str, default: str | None = None) -> str | None:
    values = _as_list(parameters.get(name))
    return values[0] if values else default


def check_task(task_type: str, document: str, parameters: Mapping[str, Any],
               user_documents: Mapping[str, Any]) -> list[str]:
    """Reasons why the local executor cannot run this task (empty when it can)."""
    if task_type not in SUPPORTED_TASK_TYPES:
        return [f"task type {task_type!r} is not supported by the local executor "
                f"(supported: {', '.join(SUPPORTED_TASK_TYPES)})"]
    if document in user_documents:
        mapping = user_documents[document]
        if not isinstance(mapping, Mapping) or not isinstance(mapping.get("module"), str):
            return [f"the mapping for document {document!r} needs a 'module' name"]
        if not isinstance(mapping.get("args", {}), Mapping):
            return [f"the mapping for document {document!r} has 'args' that are not a dictionary"]
        return []
    if document in DOCUMENTS:
        return DOCUMENTS[document].check(parameters)
    return [f"document {document!r} is not supported by the local executor: use one of "
            f"{', '.join(DOCUMENTS)} or map it to an Ansible module with the 'documents' option"]


def _unknown(parameters: Mapping[str, Any], known: tuple[str, ...], document: str) -> list[str]:
    return [f"parameter {name!r} is not supported for {document} by the local executor "
            f"(supported: {', '.join(known)})" for name in parameters if name not in known]


def _check_shell(parameters: Mapping[str, Any]) -> list[str]:
    errors = _unknown(parameters, SHELL_PARAMETERS, RUN_SHELL_SCRIPT)
    if not _as_list(parameters.get("commands")):
        errors.append(f"{RUN_SHELL_SCRIPT} needs the 'commands' parameter")
    timeout = _single(parameters, "executionTimeout")
    if timeout is not None and not (timeout.isdigit() and 1 <= int(timeout) <= MAX_EXECUTION_TIMEOUT):
        errors.append(f"executionTimeout {timeout!r} must be a whole number of seconds from 1 to {MAX_EXECUTION_TIMEOUT}")
    return errors


def _check_patch(parameters: Mapping[str, Any]) -> list[str]:
    errors = _unknown(parameters, PATCH_PARAMETERS, RUN_PATCH_BASELINE)
    operation = _single(parameters, "Operation")
    if operation not in PATCH_OPERATIONS:
        errors.append(f"{RUN_PATCH_BASELINE} needs Operation Scan or Install, got {operation!r}")
    reboot = _single(parameters, "RebootOption", "RebootIfNeeded")
    if reboot not in REBOOT_OPTIONS:
        errors.append(f"RebootOption must be one of {', '.join(REBOOT_OPTIONS)}, got {reboot!r}")
    return errors


def _bounded_timeout(limit: int | None, seconds_to_cutoff: float | None) -> int | None:
    candidates = [limit] if limit else []
    if seconds_to_cutoff is not None:
        candidates.append(max(1, int(seconds_to_cutoff)))
    return min(candidates) if candidates else None


def shell_command(script: str, timeout: int | None, working_directory: str | None = None) -> str:
    """A /bin/sh command line running ``script``, killed after ``timeout`` s when coreutils can."""
    body = script if not working_directory else f"cd {shlex.quote(working_directory)} || exit 1\n{script}"
    if not timeout:
        return f"/bin/sh -c {shlex.quote(body)}"
    limited = f"timeout -k {KILL_GRACE_SECONDS} {timeout} /bin/sh -c \"$0\""
    # Fall back to an unlimited run where coreutils' timeout is missing (busybox has it too).
    wrapper = f'if command -v timeout >/dev/null 2>&1; then exec {limited}; else exec /bin/sh -c "$0"; fi'
    return f"/bin/sh -c {shlex.quote(wrapper)} {shlex.quote(body)}"


@dataclass(frozen=True)
class HostContext:
    """What a document's build step knows of the host one invocation runs on."""

    seconds_to_cutoff: float | None = None  # until a CANCEL_TASK cutoff; None without one
    patch_command: str | None = None  # the host's mw_patch_command (a package-manager test double)
    patch_baseline: Mapping[str, Any] | None = None  # the baseline assigned to the host (_patch_local)


def _shell_invocation(parameters: Mapping[str, Any], host: HostContext) -> Invocation:
    seconds_to_cutoff = host.seconds_to_cutoff
    script = "\n".join(_as_list(parameters.get("commands")))
    limit = int(_single(parameters, "executionTimeout", str(DEFAULT_EXECUTION_TIMEOUT)) or DEFAULT_EXECUTION_TIMEOUT)
    timeout = _bounded_timeout(limit, seconds_to_cutoff)
    command = shell_command(script, timeout, _single(parameters, "workingDirectory"))
    return Invocation("ansible.legacy.command", {"_raw_params": command, "_uses_shell": True}, "shell",
                      timeout=timeout)


PATCH_SCRIPT = r"""
op="$1"
custom="$2"
baseline="$3"
shift 3
# The rest: the baseline's rejected package patterns. Data only: checked against a strict pattern
# before they got here, never evaluated; globbing is off so they are matched, not expanded.
set -f
patterns="$*"
if [ -n "$custom" ]; then
  exec /bin/sh -c "$custom \"\$@\"" mw-patch "$op" "$@"
fi
[ -n "$baseline" ] && printf 'Baseline: %s\n' "$baseline"
is_rejected() {
  for pat in $patterns; do
    case "$1" in $pat) return 0;; esac
  done
  return 1
}
count() { echo $#; }
if command -v apt-get >/dev/null 2>&1; then
  if [ "$op" = scan ]; then
    out=$(LC_ALL=C apt-get -s -q -o Debug::NoLocking=1 upgrade) || exit $?
    if [ -z "$patterns" ]; then
      echo "Missing updates: $(printf '%s\n' "$out" | grep -c '^Inst ' || true)"
      printf '%s\n' "$out" | grep '^Inst ' || true
      exit 0
    fi
    missing=""; rejected=""; lines=""
    while read -r word pkg rest; do
      [ "$word" = Inst ] || continue
      if is_rejected "$pkg"; then rejected="$rejected $pkg"; else missing="$missing $pkg"; lines="$lines
Inst $pkg $rest"; fi
    done <<MWOPS_END
$out
MWOPS_END
    echo "Missing updates: $(count $missing)"
    [ -n "$lines" ] && printf '%s\n' "${lines#?}"
    echo "Rejected updates: $(count $rejected)"
    for pkg in $rejected; do echo "Rejected: $pkg"; done
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -q update || exit $?
  held=""
  if [ -n "$patterns" ]; then
    shown=$(apt-mark showhold) || exit $?
    already=" $(echo $shown) "
    for pkg in $(dpkg-query -W -f '${Package}\n'); do
      is_rejected "$pkg" || continue
      case "$already" in *" $pkg "*) continue;; esac
      held="$held $pkg"
    done
  fi
  if [ -n "$held" ]; then
    # The holds last for this run only: released on every exit, failures and signals included.
    release() { rc=$?; trap - EXIT; apt-mark unhold $held >/dev/null && echo "Released the holds:$held"; exit $rc; }
    trap release EXIT
    trap 'exit 143' TERM; trap 'exit 130' INT; trap 'exit 129' HUP
    apt-mark hold $held >/dev/null || exit $?
    echo "Held for this run (rejected by the baseline):$held"
  fi
  apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold upgrade || exit $?
  if [ -f /var/run/reboot-required ]; then echo MWOPS_REBOOT_REQUIRED; fi
  exit 0
fi
for pm in dnf yum; do
  if command -v "$pm" >/dev/null 2>&1; then
    if [ "$op" = scan ]; then
      if [ -z "$patterns" ]; then
        "$pm" -q check-update; rc=$?
        [ "$rc" -eq 100 ] && exit 0
        exit "$rc"
      fi
      out=$("$pm" -q check-update); rc=$?
      if [ "$rc" -ne 0 ] && [ "$rc" -ne 100 ]; then printf '%s\n' "$out"; exit "$rc"; fi
      missing=""; rejected=""
      while read -r nevra version repo; do
        [ -n "$repo" ] || continue
        if is_rejected "${nevra%.*}"; then rejected="$rejected ${nevra%.*}"; else missing="$missing $nevra"; fi
      done <<MWOPS_END
$out
MWOPS_END
      echo "Missing updates: $(count $missing)"
      for pkg in $missing; do echo "Update: $pkg"; done
      echo "Rejected updates: $(count $rejected)"
      for pkg in $rejected; do echo "Rejected: $pkg"; done
      exit 0
    fi
    set --
    for pat in $patterns; do set -- "$@" "--exclude=$pat"; done
    [ -n "$patterns" ] && echo "Excluded for this run (rejected by the baseline): $patterns"
    "$pm" -y -q upgrade "$@" || exit $?
    if command -v needs-restarting >/dev/null 2>&1; then
      needs-restarting -r >/dev/null 2>&1 || echo MWOPS_REBOOT_REQUIRED
    fi
    exit 0
  fi
done
if command -v zypper >/dev/null 2>&1; then
  if [ -n "$patterns" ]; then
    echo "The baseline rejects packages; the local executor mirrors that with apt holds and dnf/yum excludes, not on zypper hosts." >&2
    exit 1
  fi
  if [ "$op" = scan ]; then zypper -n -q list-updates; exit $?; fi
  zypper -n -q update || exit $?
  zypper needs-rebooting >/dev/null 2>&1; [ $? -eq 102 ] && echo MWOPS_REBOOT_REQUIRED
  exit 0
fi
echo "No supported package manager (apt-get, dnf, yum, zypper) was found on this host." >&2
exit 1
"""


def _patch_invocation(parameters: Mapping[str, Any], host: HostContext) -> Invocation:
    # No target-side time limit: the gate's task timeout still ends it at a CANCEL_TASK cutoff.
    patch_command, patch_baseline = host.patch_command, host.patch_baseline
    operation = (_single(parameters, "Operation") or "Scan").lower()
    reboot = _single(parameters, "RebootOption", "RebootIfNeeded") == "RebootIfNeeded"
    # The baseline's label and rejected patterns are arguments of the script (data, never its text).
    baseline = script_arguments(patch_baseline) or [""]
    words = ("/bin/sh", "-c", PATCH_SCRIPT, "mw-patch", operation, patch_command or "", *baseline)
    command = " ".join(shlex.quote(word) for word in words)
    return Invocation("ansible.legacy.command", {"_raw_params": command, "_uses_shell": True}, "patch",
                      reboot=reboot and operation == "install", extra={"operation": operation})


def _custom_invocation(mapping: Mapping[str, Any], parameters: Mapping[str, Any]) -> Invocation:
    args: dict[str, Any] = dict(mapping.get("args") or {})
    if mapping.get("pass_parameters", True):
        for name, value in parameters.items():
            # SSM parameters are lists of strings; a one-element list becomes that string.
            args[name] = value[0] if isinstance(value, (list, tuple)) and len(value) == 1 else value
    return Invocation(str(mapping["module"]), args, "custom")


@dataclass(frozen=True)
class Document:
    """A built-in SSM document the local executor runs: one entry of ``DOCUMENTS``.

    ``check`` lists why a task's parameters cannot run (before anything runs); ``build`` makes
    the invocation from parameters whose pseudo parameters are already substituted, given what
    is known of the host (``HostContext``).
    """

    name: str
    check: Callable[[Mapping[str, Any]], list[str]]
    build: Callable[[Mapping[str, Any], HostContext], Invocation]


# The registry: a new built-in document is one entry here (with its check and build functions).
DOCUMENTS: dict[str, Document] = {document.name: document for document in (
    Document(RUN_SHELL_SCRIPT, _check_shell, _shell_invocation),
    Document(RUN_PATCH_BASELINE, _check_patch, _patch_invocation),
)}
BUILTIN_DOCUMENTS = tuple(DOCUMENTS)


def build_invocation(document: str, parameters: Mapping[str, Any], user_documents: Mapping[str, Any],
                     pseudo: Mapping[str, str], seconds_to_cutoff: float | None = None,
                     patch_command: str | None = None, patch_baseline: Mapping[str, Any] | None = None) -> Invocation:
    """The work of one invocation, pseudo parameters substituted (check_task first)."""
    parameters = substitute_pseudo_parameters(dict(parameters or {}), pseudo)
    if document in user_documents:
        mapping = substitute_pseudo_parameters(dict(user_documents[document]), pseudo)
        return _custom_invocation(mapping, parameters)
    if document in DOCUMENTS:
        return DOCUMENTS[document].build(parameters, HostContext(seconds_to_cutoff, patch_command, patch_baseline))
    raise DocumentError(f"document {document!r} is not supported by the local executor")


def wants_reboot(invocation: Invocation, stdout: str) -> bool:
    return invocation.reboot and any(line.strip() == REBOOT_MARKER for line in stdout.splitlines())
