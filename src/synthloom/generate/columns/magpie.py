"""Magpie: give an aligned model only the start of a user turn of its own chat template and
let it write the user's query (Xu et al., 2024). Needs a raw-completion endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from synthloom.config.errors import SynthloomError
from synthloom.models.protocol import GenerationRequest

if TYPE_CHECKING:
    from synthloom.generate.columns.base import BatchEnv
    from synthloom.generate.columns.llm import LLMTextGenerator

# family -> (prefix up to where the user's words start, given the system text; end-of-turn stop)
TEMPLATES: dict[str, tuple[Callable[[str], str], str]] = {
    "chatml": (
        lambda sys: (f"<|im_start|>system\n{sys}<|im_end|>\n" if sys else "") + "<|im_start|>user\n",
        "<|im_end|>",
    ),
    "llama3": (
        lambda sys: "<|begin_of_text|>"
        + (f"<|start_header_id|>system<|end_header_id|>\n\n{sys}<|eot_id|>" if sys else "")
        + "<|start_header_id|>user<|end_header_id|>\n\n",
        "<|eot_id|>",
    ),
    "mistral": (lambda sys: "<s>[INST] " + (f"{sys}\n\n" if sys else ""), "[/INST]"),
    "gemma": (lambda sys: "<start_of_turn>user\n" + (f"{sys}\n\n" if sys else ""), "<end_of_turn>"),
    "phi3": (lambda sys: (f"<|system|>\n{sys}<|end|>\n" if sys else "") + "<|user|>\n", "<|end|>"),
}
MARKERS = {"<|im_start|>": "chatml", "<|start_header_id|>": "llama3", "[INST]": "mistral",
           "<start_of_turn>": "gemma", "<|user|>": "phi3"}


def family_of(chat_template: str | None) -> str | None:
    for marker, family in MARKERS.items():
        if chat_template and marker in chat_template:
            return family
    return None


def magpie_prompt(gen: "LLMTextGenerator", values: dict[str, Any], seed: int, env: "BatchEnv") -> GenerationRequest:
    cfg = gen.config
    backend = env.callers[cfg.model].backend
    if not backend.supports_completions:
        raise SynthloomError(
            f"column '{cfg.name}' uses Magpie, which needs raw completions, but model '{cfg.model}' does not "
            "serve them (supports_completions: false, or the probe found no /completions); Magpie cannot run on "
            "it, use another endpoint"
        )
    family = cfg.magpie_template
    if family == "auto":
        family = family_of(getattr(backend, "chat_template", None))
        if family is None:
            raise SynthloomError(
                f"column '{cfg.name}': cannot tell model '{cfg.model}''s chat template; set magpie_template "
                "to one of chatml, llama3, mistral, gemma, phi3"
            )
    prefix, stop = TEMPLATES[family]
    system = gen.prompt.render(**values).strip()
    return GenerationRequest(
        prompt=prefix(system),
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        max_tokens=cfg.max_tokens,
        stop=(stop, *(cfg.stop or ())),
        seed=seed,
    )
