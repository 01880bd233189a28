"""Model backends behind one async protocol (`protocol.py`): the embedded SmolLM2 through llama.cpp
in synthloom's worker processes, and any OpenAI-compatible server over HTTP, with what each server
needs (the structured-output dialect its `provider:` names or a probe finds, retries and the
requests never retried, token counts when it reports none, the hosts a key may go to). Also the
sentence embeddings and the optional NER model that curation and evaluation use. Nothing here
knows about recipes' columns or runs."""

from synthloom.models.protocol import (
    GenerationRequest,
    GenerationResult,
    LLMBackend,
    ModelCallError,
    RequestRefused,
    Usage,
)

__all__ = ["GenerationRequest", "GenerationResult", "LLMBackend", "ModelCallError", "RequestRefused", "Usage"]
