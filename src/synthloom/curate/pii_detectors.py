"""Detectors a pii step adds to the built-in ones: a user's own functions named 'module:function',
and Presidio with a spaCy NER model (the `presidio:` option)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path

from synthloom.config.curation import PIIStep
from synthloom.config.errors import SynthloomError
from synthloom.data.pii import Detector, Span


def as_detector(fn: Callable[[str], Iterable[Span | tuple[str, int, int]]]) -> Detector:
    """A function returning (kind, start, end) tuples or Spans, as a detector of Spans."""
    def detect(text: str) -> Iterable[Span]:
        for found in fn(text):
            if isinstance(found, Span):
                yield found
            else:
                kind, start, end = found
                yield Span(str(kind), int(start), int(end), text[int(start):int(end)])
    return detect


def imported(path: str) -> Detector:
    """'package.module:function' -> a detector."""
    module, _, name = path.partition(":")
    try:
        fn = getattr(importlib.import_module(module), name) if name else None
    except (ImportError, AttributeError) as exc:
        raise SynthloomError(f"pii detector '{path}' cannot be imported ({exc}); give 'module:function' of a "
                             "function on the Python path") from None
    if not callable(fn):
        raise SynthloomError(f"pii detector '{path}' is not a function; write it as 'module:function'")
    return as_detector(fn)


def extra_detectors(step: PIIStep, resolve_path: Callable[[str], Path]) -> list[Detector]:
    found = [imported(p) for p in step.detectors]
    if step.presidio is not None:
        from synthloom.models.presidio_ner import presidio_detector

        spec = step.presidio
        folder = resolve_path(spec.model)  # a folder beside the curation file, or a package name
        model = str(folder) if folder.exists() else spec.model
        found.append(as_detector(presidio_detector(model, spec.language, tuple(spec.entities), spec.min_score)))
    return found
