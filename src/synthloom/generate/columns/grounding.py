"""Grounding columns: how well a text rests on its source, by word overlap and by sentence
embeddings, so a run can filter honestly when its judge is too small to judge."""

from __future__ import annotations

import asyncio
from typing import Any

import jinja2
import numpy as np

from synthloom.config.columns import GroundingColumn
from synthloom.config.templates import template_env
from synthloom.data.text.grounding import lexical_support, word_cosine
from synthloom.generate.cells import CellContext, CellRejected
from synthloom.generate.columns.base import BaseGenerator, BatchEnv, BuildContext
from synthloom.generate.columns.registry import generates


@generates(GroundingColumn)
class GroundingGenerator(BaseGenerator[GroundingColumn]):
    def __init__(self, config: GroundingColumn, ctx: BuildContext):
        super().__init__(config, ctx)
        env = template_env()
        self.text = env.from_string(config.text)
        self.source = env.from_string(config.source)
        self.embedder: Any = None

    async def start(self) -> None:
        from synthloom.models.embeddings import MiniLM, minilm_available

        if self.config.embedding == "minilm" or (self.config.embedding == "auto" and minilm_available()):
            self.embedder = MiniLM()  # raises one sentence when `minilm` is asked for and not installed
        elif self.config.embedding == "auto":
            self.notices.append(f"grounding column '{self.name}': sentence embeddings need the 'embed' extra; "
                                "`semantic` compares word counts instead")

    async def generate(self, ctx: CellContext, env: BatchEnv) -> Any:
        try:
            text, source = self.text.render(**ctx.row.values), self.source.render(**ctx.row.values)
        except jinja2.TemplateError as exc:
            raise CellRejected(f"template failed: {exc}") from None
        return {"lexical": round(lexical_support(text, source), 4),
                "semantic": round(await self._semantic(text, source), 4)}

    async def _semantic(self, text: str, source: str) -> float:
        if self.embedder is None:
            return word_cosine(text, source)
        if not text.strip() or not source.strip():
            return 0.0
        # torch releases the GIL: encoding in a thread keeps the other cells' model calls moving
        a, b = await asyncio.to_thread(self.embedder.encode, [text, source])
        return float(max(0.0, np.dot(a, b)))
