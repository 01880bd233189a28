"""Multi-turn dialogues in which the model plays both sides.

The simulated user sees the conversation with roles swapped (its own lines as `assistant`),
which is how chat models are steered to write the other side of a conversation."""

from __future__ import annotations

from typing import Any

from synthloom.config.columns import LLMDialogueColumn
from synthloom.config.templates import template_env
from synthloom.generate.cells import CellContext, CellRejected, stable_int
from synthloom.generate.columns.base import BaseGenerator, BatchEnv, BuildContext
from synthloom.generate.columns.llm import call_model, render
from synthloom.generate.columns.registry import generates
from synthloom.models.protocol import GenerationRequest, Usage

SWAP = {"user": "assistant", "assistant": "user"}


@generates(LLMDialogueColumn)
class DialogueGenerator(BaseGenerator[LLMDialogueColumn]):
    def __init__(self, config: LLMDialogueColumn, ctx: BuildContext):
        super().__init__(config, ctx)
        env = template_env()
        self.opening = env.from_string(config.opening) if config.opening else None
        self.user_prompt = env.from_string(config.user_prompt)
        self.assistant_prompt = env.from_string(config.assistant_prompt)

    def _request(self, system: str, history: list[tuple[str, str]], seed: int) -> GenerationRequest:
        cfg = self.config
        return GenerationRequest(
            messages=(("system", system), *history),
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            max_tokens=cfg.max_tokens,
            seed=seed,
        )

    async def _say(self, system: str, history: list[tuple[str, str]], seed: int, env: BatchEnv, usage: Usage) -> str:
        result = await call_model(env, self.config.model, self.name, self._request(system, history, seed))
        usage.prompt_tokens += result.usage.prompt_tokens
        usage.completion_tokens += result.usage.completion_tokens
        text = result.text.strip()
        if not text:
            raise CellRejected(f"empty message at turn {len(history) + 1}")
        return text

    async def generate(self, ctx: CellContext, env: BatchEnv) -> Any:
        cfg = self.config
        values = ctx.row.values
        user_system = render(self.user_prompt, values)
        assistant_system = render(self.assistant_prompt, values)
        base = ctx.model_seed()
        usage = Usage()
        messages: list[tuple[str, str]] = []
        for turn in range(cfg.turns):
            if turn == 0 and self.opening is not None:
                user_text = render(self.opening, values).strip()
            else:
                # the user model needs a turn to answer: an empty conversation starts with a cue
                swapped = [(SWAP[r], c) for r, c in messages] or [("user", "Start the conversation.")]
                user_text = await self._say(user_system, swapped, stable_int(base, turn, "user"), env, usage)
            messages.append(("user", user_text))
            reply = await self._say(assistant_system, messages, stable_int(base, turn, "assistant"), env, usage)
            messages.append(("assistant", reply))
        ctx.row.lineage.setdefault("llm", {})[self.name] = {
            "model": cfg.model,
            "turns": cfg.turns,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
        }
        return [{"role": r, "content": c} for r, c in messages]
