"""Detectors a pii step adds to the built-in ones: a user's own functions named 'module:function',
and Presidio with a spaCy NER model (the `presidio:` option)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path

from synthloom.config.curation import PII
from synthloom.config.errors import SynthloomError
from synthloom.data.text.pii import Detector, Span


def as_detector(fn: Callable[[str], Iterable[Span | tuple[str, int, int]]], name: str) -> Detector:
    """A function returning (kind, start, end) tuples or Spans, as a detector of Spans; what it
    returns is checked, and its failures become one sentence naming it."""
    def detect(text: str) -> list[Span]:
        try:
            found = list(fn(text) or [])
        except Exception as exc:  # a user's code: whatever it raises
            raise SynthloomError(f"pii detector {name} failed on a text ({exc.__class__.__name__}: {exc})") from None
        spans = []
        for item in found:
            try:
                kind, start, end = (item.kind, item.start, item.end) if isinstance(item, Span) else item
                start, end = int(start), int(end)
            except (TypeError, ValueError):
                raise SynthloomError(f"pii detector {name} returned {item!r}; it must return (kind, start, end) "
                                     "tuples") from None
            if not 0 <= start < end <= len(text):
                raise SynthloomError(f"pii detector {name} returned the span {start}..{end} for a text of "
                                     f"{len(text)} characters; spans must lie inside the text")
            spans.append(Span(str(kind), start, end, text[start:end]))
        return spans
    return detect


def imported(path: str) -> Detector:
    """'package.module:function' -> a detector."""
    module, _, name = path.partition(":")
    try:
        fn = getattr(importlib.import_module(module), name) if module and name else None
    except Exception as exc:  # ImportError, or whatever the module raises while it loads
        raise SynthloomError(f"pii detector '{path}' cannot be imported ({exc}); give 'module:function' of a "
                             "function on the Python path") from None
    if not callable(fn):
        raise SynthloomError(f"pii detector '{path}' is not a function; write it as 'module:function'")
    return as_detector(fn, f"'{path}'")


def presidio_model(step: PII, resolve_path: Callable[[str], Path]) -> str | None:
    """The spaCy model the `presidio:` option names: a folder beside the curation file, or a package name."""
    if step.presidio is None:
        return None
    folder = resolve_path(step.presidio.model)
    return str(folder) if folder.exists() else step.presidio.model


def extra_detectors(step: PII, model: str | None) -> list[Detector]:
    """The step's own detectors, then Presidio's on `model` (from presidio_model)."""
    found = [imported(p) for p in step.detectors]
    if step.presidio is not None and model is not None:
        from synthloom.models.presidio_ner import presidio_detector

        spec = step.presidio
        found.append(as_detector(presidio_detector(model, spec.language, tuple(spec.entities), spec.min_score), "presidio"))
    return found
