"""Release gates: `metric op value` rules over a report's summary, e.g. `quality >= 0.85`."""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from synthloom.config.errors import SynthloomError
from synthloom.config.yaml_reader import load_yaml, read_yaml_text
from synthloom.evaluate.metrics import metric_for, unknown_metric, why_missing

OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq, "!=": operator.ne}
RULE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(<=|>=|==|!=|<|>)\s*(-?[0-9.eE+-]+|true|false)\s*$", re.IGNORECASE)
BOOLEANS = {"true": 1.0, "false": 0.0}  # `collapse.alarm == false`


@dataclass(frozen=True)
class Gate:
    metric: str
    op: str
    value: float
    written: str | None = field(default=None, compare=False)  # the value as the rule wrote it (`false`)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.written or format(self.value, 'g')}"


def parse_gates(rules: list[Any], source: str = "gates") -> list[Gate]:
    gates = []
    for i, rule in enumerate(rules):
        if isinstance(rule, dict) and {"metric", "op", "value"} <= set(rule):
            text = f"{rule['metric']} {rule['op']} {rule['value']}"
        else:
            text = str(rule)
        m = RULE.match(text)
        if not m or m.group(2) not in OPS:
            raise SynthloomError(f"{source}[{i}]: {text!r} is not a gate; write e.g. 'quality >= 0.85'")
        if (problem := unknown_metric(m.group(1))) is not None:
            raise SynthloomError(f"{source}[{i}]: {problem}")
        value = m.group(3).lower()
        gates.append(Gate(m.group(1), m.group(2), BOOLEANS[value], value) if value in BOOLEANS
                     else Gate(m.group(1), m.group(2), float(value)))
    return gates


def load_gates(path: str | Path) -> list[Gate]:
    path = Path(path)
    try:
        data = load_yaml(read_yaml_text(path, "gates"), str(path))  # bounded: no aliases, size and depth caps
    except yaml.YAMLError as exc:
        raise SynthloomError(f"gates file {path} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    rules = data.get("gates") if isinstance(data, dict) else data
    if not isinstance(rules, list) or not rules:
        raise SynthloomError(f"gates file {path} must hold a list of rules (or `gates:` with one)")
    return parse_gates(rules, str(path))


def check_gates(gates: list[Gate], summary: dict[str, Any]) -> list[tuple[Gate, Any]]:
    """The gates that fail, each with the value it saw."""
    failed = []
    for gate in gates:
        if gate.metric not in summary:
            raise SynthloomError(f"gate '{gate}' names '{gate.metric}', which this report does not have"
                                 f"{_absent(gate.metric, summary)}")
        value = summary[gate.metric]
        ok = value is not None and not (isinstance(value, float) and math.isnan(value)) and OPS[gate.op](value, gate.value)
        if not ok:
            failed.append((gate, value))
    return failed


def check_report_kind(gates: list[Gate], report_kind: str) -> None:
    """Refuse, before any evaluation runs, a gate on a metric the other kind of report gives."""
    for gate in gates:
        if (problem := unknown_metric(gate.metric, report_kind)) is not None:
            raise SynthloomError(f"gate '{gate}': {problem}")


def _absent(name: str, summary: dict[str, Any]) -> str:
    """Why a known metric is missing: what it needs, or the names of its kind this report has
    (a gate on `question_pii` when the run's texts are prompts and responses)."""
    metric = metric_for(name)
    same = sorted(k for k in summary if metric is not None and metric_for(k) is metric)
    return f"; it has {', '.join(same)}" if same else why_missing(name)


def describe(gate: Gate, value: Any) -> str:
    shown = f"{value:.4g}" if isinstance(value, float) else str(value)
    return f"{gate} (got {shown})"


def apply_gates(gates: list[Gate], summary: dict[str, Any]) -> tuple[list[tuple[Gate, Any]], list[dict[str, Any]]]:
    """The failed gates, and one row per gate (rule, value, passed) for the HTML report."""
    failed = check_gates(gates, summary)
    failed_rules = {str(g) for g, _ in failed}
    rows = [{"rule": str(g), "value": summary.get(g.metric), "passed": str(g) not in failed_rules} for g in gates]
    return failed, rows
