"""LLM backends behind one async protocol (protocol.py)."""

from synthloom.models.protocol import (
    GenerationRequest,
    GenerationResult,
    LLMBackend,
    ModelCallError,
    RequestRefused,
    Usage,
)

__all__ = ["GenerationRequest", "GenerationResult", "LLMBackend", "ModelCallError", "RequestRefused", "Usage"]
