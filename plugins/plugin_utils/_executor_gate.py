# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The gate spec: what the engine tells the gate action (``mw_invoke``) of one child run.

Pure Python, no Ansible imports. The engine writes one spec per task as JSON (``gate.json``,
named by the ``MWOPS_SSM_GATE_SPEC`` environment variable of the child run); the gate reads it
back with ``GateSpec.from_json``. The spec carries a ``version``: a gate that reads a spec of
another version (an engine and a gate from two installs of the collection) refuses to run
instead of guessing what the fields mean.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

GATE_SPEC_VERSION = 2  # 2: patch_baselines


_OPTIONAL = ("targets", "patch_baselines")  # fields with defaults a spec may leave out


class GateSpecError(ValueError):
    """A gate spec that this gate cannot read (another version, or fields missing)."""


@dataclass(frozen=True)
class GateSpec:
    """Everything the gate of one task needs; the child playbook itself names nothing."""

    ledger: str  # the task's ledger directory
    window_name: str
    task_name: str
    document: str  # the task ARN: an SSM document name
    parameters: Mapping[str, Any]
    user_documents: Mapping[str, Any]
    max_errors: int
    cancel_at: float | None  # the cutoff instant for a CANCEL_TASK task, else None
    history_dir: str
    execution_id: str
    barrier: str  # the barrier file the engine opens when the task's priority is due
    engine_lock: str  # held by the engine while it lives; liveness is this lock
    engine_pid: int  # for diagnostics only
    hosts: list[str]  # add_host step: target i of the task joins the child group groups[i]
    groups: list[str]
    pseudo: Mapping[str, str]  # pseudo parameters of the task execution
    targets: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # per host pseudo parameters
    patch_baselines: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # host -> its baseline
    version: int = GATE_SPEC_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> GateSpec:
        if not isinstance(data, Mapping):
            raise GateSpecError(f"the gate spec must be a JSON object, got {type(data).__name__}")
        version = data.get("version")
        if version != GATE_SPEC_VERSION:
            raise GateSpecError(f"the gate spec has version {version!r}, but this mwops.ssm.mw_invoke reads version "
                                f"{GATE_SPEC_VERSION}: the executor that wrote it comes from another version of the "
                                "mwops.ssm collection")
        names = {f.name for f in fields(cls)}
        missing = sorted(f.name for f in fields(cls) if f.name not in data and f.name not in _OPTIONAL)
        if missing:
            raise GateSpecError(f"the gate spec lacks {', '.join(missing)}")
        return cls(**{key: value for key, value in data.items() if key in names})

    def pseudo_parameters(self, host: str, invocation_id: str) -> dict[str, str]:
        """The pseudo parameter values of one invocation on ``host``."""
        return {**self.pseudo, **self.targets.get(host, {}), "INVOCATION_ID": invocation_id,
                "TARGET_ID": host, "RESOURCE_ID": host}


def read_gate_spec(path: str) -> GateSpec:
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except ValueError as exc:
            raise GateSpecError(f"the gate spec {path} is not JSON: {exc}") from None
    return GateSpec.from_json(data)
