"""Rows -> training records in the shapes TRL's trainers read.

SFT: {"messages": [{"role", "content"}, ...]} (conversational language modelling).
DPO: {"prompt", "chosen", "rejected"} as strings (standard) or as message lists
(conversational, with the system message, if any, at the start of the prompt)."""

from __future__ import annotations

from typing import Any

import jinja2

from synthloom.config.errors import SynthloomError
from synthloom.config.recipe import ExportSpec
from synthloom.config.templates import template_env

ROLES = {"system", "user", "assistant"}


class RecordMaker:
    def __init__(self, spec: ExportSpec, dpo_style: str = "standard"):
        env = template_env()
        self.spec = spec
        self.dpo_style = dpo_style
        self.t = {k: env.from_string(v) for k in ("system", "prompt", "response", "chosen", "rejected")
                  if (v := getattr(spec, k))}
        self.messages = env.compile_expression(spec.messages, undefined_to_none=False) if spec.messages else None

    def _render(self, key: str, row: dict[str, Any]) -> str:
        return self.t[key].render(**row).strip()

    def make(self, row: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._sft(row) if self.spec.format == "sft" else self._dpo(row)
        except jinja2.TemplateError as exc:  # any failure inside a template, limits included
            raise SynthloomError(f"row {row.get('_row_id')}: the export template failed ({exc}); fix `export`") from None
        except (ValueError, TypeError, KeyError) as exc:  # `messages` gave something else than role/content pairs
            raise SynthloomError(
                f"row {row.get('_row_id')}: `messages` did not give a list of {{role, content}} messages "
                f"({type(exc).__name__}: {str(exc)[:200]}); fix `export.messages`"
            ) from None

    def _system(self, row: dict[str, Any]) -> list[dict[str, str]]:
        return [{"role": "system", "content": self._render("system", row)}] if "system" in self.t else []

    def _sft(self, row: dict[str, Any]) -> dict[str, Any]:
        if self.messages is not None:
            convo = self.messages(**row)
            if isinstance(convo, str):
                import json

                convo = json.loads(convo)
            messages = [{"role": str(m["role"]), "content": str(m["content"])} for m in convo]
            bad = [m["role"] for m in messages if m["role"] not in ROLES]
            if bad:
                raise SynthloomError(f"row {row.get('_row_id')}: unknown message role {bad[0]!r} in `messages`")
            return {"messages": self._system(row) + messages}
        return {
            "messages": self._system(row)
            + [
                {"role": "user", "content": self._render("prompt", row)},
                {"role": "assistant", "content": self._render("response", row)},
            ]
        }

    def _dpo(self, row: dict[str, Any]) -> dict[str, Any]:
        prompt, chosen, rejected = (self._render(k, row) for k in ("prompt", "chosen", "rejected"))
        if self.dpo_style == "standard":
            system = self._render("system", row) + "\n\n" if "system" in self.t else ""
            return {"prompt": system + prompt, "chosen": chosen, "rejected": rejected}
        return {
            "prompt": self._system(row) + [{"role": "user", "content": prompt}],
            "chosen": [{"role": "assistant", "content": chosen}],
            "rejected": [{"role": "assistant", "content": rejected}],
        }
