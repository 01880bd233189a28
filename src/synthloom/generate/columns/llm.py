"""LLM columns: free text, structured JSON, and judges that score on a rubric.

Any of them can run `over` a list: one call per item, the value is the list of results."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
from typing import Any

import jinja2

from synthloom.config import columns as C
from synthloom.config.errors import SynthloomError
from synthloom.config.templates import template_env
from synthloom.generate.cells import CellContext, CellRejected, stable_int
from synthloom.generate.columns.base import BaseGenerator, BatchEnv, BuildContext
from synthloom.generate.columns.magpie import magpie_prompt
from synthloom.generate.columns.registry import generates
from synthloom.models.protocol import GenerationRequest, GenerationResult, ModelCallError, Usage
from synthloom.models.structured import StructuredOutputError, generate_structured

JUDGE_SYSTEM = "You are a strict, fair grader. You reply with JSON only."


def render(template: jinja2.Template, values: dict[str, Any]) -> str:
    try:
        return template.render(**values)
    except jinja2.TemplateError as exc:
        raise CellRejected(f"prompt template failed: {exc}") from None


async def call_model(env: BatchEnv, alias: str, column: str, request: GenerationRequest) -> GenerationResult:
    try:
        return await env.callers[alias].call(request, column, env.tally)
    except ModelCallError as exc:
        raise CellRejected(exc.reason) from None


class _LLMGenerator(BaseGenerator[Any]):
    def __init__(self, config: Any, ctx: BuildContext):
        super().__init__(config, ctx)
        env = template_env()
        self.prompt = env.from_string(config.prompt)
        self.system = env.from_string(config.system_prompt) if config.system_prompt else None
        self.over = env.compile_expression(config.over, undefined_to_none=False) if config.over else None
        digest = hashlib.sha256((config.prompt + "\0" + (config.system_prompt or "")).encode())
        self.template_hash = digest.hexdigest()[:12]

    def schema(self) -> dict[str, Any] | None:
        return None

    async def generate(self, ctx: CellContext, env: BatchEnv) -> Any:
        if self.over is None:
            value, result, usage = await self.one(ctx.row.values, ctx.model_seed(), env)
            self.record(ctx, [(result, usage)])
            return value
        try:
            items = self.over(**ctx.row.values)
        except jinja2.TemplateError as exc:
            raise CellRejected(f"`over` failed: {exc}") from None
        if not isinstance(items, (list, tuple)):
            raise CellRejected(f"`over` must give a list, got {type(items).__name__}")
        base = ctx.model_seed()
        calls = [
            self.one({**ctx.row.values, "item": item, "item_index": i}, stable_int(base, i), env)
            for i, item in enumerate(items)
        ]
        outcomes = await asyncio.gather(*calls)
        self.record(ctx, [(r, u) for _, r, u in outcomes])
        return [v for v, _, _ in outcomes]

    async def one(self, values: dict[str, Any], seed: int, env: BatchEnv) -> tuple[Any, GenerationResult, Usage]:
        raise NotImplementedError

    def build_request(self, values: dict[str, Any], seed: int, *, mode: str = "chat", n: int = 1) -> GenerationRequest:
        cfg = self.config
        prompt = render(self.prompt, values)
        common = dict(
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            max_tokens=cfg.max_tokens,
            stop=tuple(cfg.stop) if cfg.stop else None,
            n=n,
            json_schema=self.schema(),
            seed=seed,
        )
        if mode == "completion":
            system = render(self.system, values) if self.system else ""
            return GenerationRequest(prompt=system + prompt, **common)
        messages = []
        if self.system is not None:
            messages.append(("system", render(self.system, values)))
        messages.append(("user", prompt))
        return GenerationRequest(messages=tuple(messages), **common)

    def record(self, ctx: CellContext, calls: list[tuple[GenerationResult, Usage]]) -> None:
        ctx.row.lineage.setdefault("llm", {})[self.name] = {
            "model": self.config.model,
            "model_id": calls[0][0].model if calls else "",
            "template": self.template_hash,
            "calls": len(calls),
            "latency_s": round(sum(r.latency_s for r, _ in calls), 4),
            "prompt_tokens": sum(u.prompt_tokens for _, u in calls),
            "completion_tokens": sum(u.completion_tokens for _, u in calls),
            "cached": all(r.cached for r, _ in calls),
        }

    async def _structured(self, values: dict[str, Any], seed: int, env: BatchEnv) -> tuple[Any, GenerationResult, Usage]:
        async def call(req: GenerationRequest) -> GenerationResult:
            return await call_model(env, self.config.model, self.name, req)

        try:
            return await generate_structured(call, self.build_request(values, seed))
        except StructuredOutputError as exc:
            raise CellRejected(exc.reason) from None


@generates(C.LLMTextColumn)
class LLMTextGenerator(_LLMGenerator):
    async def one(self, values: dict[str, Any], seed: int, env: BatchEnv) -> tuple[Any, GenerationResult, Usage]:
        cfg: C.LLMTextColumn = self.config
        if cfg.mode == "magpie":
            request = magpie_prompt(self, values, seed, env)
        else:
            request = self.build_request(values, seed, mode=cfg.mode, n=cfg.n)
        result = await call_model(env, cfg.model, self.name, request)
        texts = [t.strip() for t in result.texts]
        if not any(texts):
            raise CellRejected("model returned empty text")
        return (texts if cfg.n > 1 else texts[0]), result, result.usage


@generates(C.LLMStructuredColumn)
class LLMStructuredGenerator(_LLMGenerator):
    def __init__(self, config: C.LLMStructuredColumn, ctx: BuildContext):
        super().__init__(config, ctx)
        self._schema = config.output_schema or _schema_from_model(config.name, config.schema_model or "")

    def schema(self) -> dict[str, Any]:
        return self._schema

    async def one(self, values: dict[str, Any], seed: int, env: BatchEnv) -> tuple[Any, GenerationResult, Usage]:
        return await self._structured(values, seed, env)


@generates(C.JudgeColumn)
class JudgeGenerator(_LLMGenerator):
    """Renders the user's prompt (what to judge), appends the rubric, and asks for integer
    scores per attribute; the schema uses an enum so grammars constrain it exactly."""

    def __init__(self, config: C.JudgeColumn, ctx: BuildContext):
        if config.system_prompt is None:
            config = config.model_copy(update={"system_prompt": JUDGE_SYSTEM})
        super().__init__(config, ctx)
        scores = list(range(config.min_score, config.max_score + 1))
        self._schema = {
            "type": "object",
            "properties": {a: {"type": "integer", "enum": scores} for a in config.attributes},
            "required": list(config.attributes),
            "additionalProperties": False,
        }
        rubric = "\n".join(f"- {a}: {d}" for a, d in config.attributes.items())
        self.rubric = (
            f"\n\nScore it on each attribute with an integer from {config.min_score} (worst) "
            f"to {config.max_score} (best):\n{rubric}\n"
            f"Reply with a JSON object with the keys {', '.join(config.attributes)}."
        )

    def schema(self) -> dict[str, Any]:
        return self._schema

    def build_request(self, values: dict[str, Any], seed: int, *, mode: str = "chat", n: int = 1) -> GenerationRequest:
        req = super().build_request(values, seed)
        messages = list(req.messages or ())
        role, content = messages[-1]
        messages[-1] = (role, content + self.rubric)
        return GenerationRequest(
            messages=tuple(messages),
            temperature=req.temperature,
            top_p=req.top_p,
            max_tokens=req.max_tokens,
            stop=req.stop,
            json_schema=req.json_schema,
            seed=req.seed,
        )

    async def one(self, values: dict[str, Any], seed: int, env: BatchEnv) -> tuple[Any, GenerationResult, Usage]:
        return await self._structured(values, seed, env)


def _schema_from_model(column: str, path: str) -> dict[str, Any]:
    module_name, _, attr = path.partition(":")
    try:
        model = getattr(importlib.import_module(module_name), attr)
        return model.model_json_schema()
    except (ImportError, AttributeError, ValueError) as exc:
        raise SynthloomError(
            f"column '{column}': schema_model '{path}' cannot be loaded ({exc}); "
            "give it as package.module:ModelClass importable from here"
        ) from None
