"""Person names (and other entities) from Microsoft Presidio's analyzer with a spaCy NER model,
for users who have such a model: the `presidio:` option of a pii curation step. Nothing is
downloaded: the model must be an installed spaCy package or a folder."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from synthloom.config.errors import SynthloomError

# Presidio's entity names -> synthloom's PII kinds (others become their lower-cased name)
KINDS = {"PERSON": "person", "EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "CREDIT_CARD": "credit_card",
         "IBAN_CODE": "iban", "US_SSN": "us_ssn", "IP_ADDRESS": "ip_address", "LOCATION": "location"}


@lru_cache(maxsize=4)
def _analyzer(model: str, language: str) -> Any:
    try:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
    except ImportError:
        raise SynthloomError("the pii step's `presidio` option needs presidio-analyzer: "
                             "pip install 'synthloom[presidio]'") from None
    import spacy.util

    if not (spacy.util.is_package(model) or Path(model).exists()):  # Presidio would download it
        raise SynthloomError(f"the spaCy model '{model}' is neither an installed package nor a folder; install it "
                             "or give the folder of a saved spaCy pipeline (nothing is downloaded at run time)")
    config = {"nlp_engine_name": "spacy", "models": [{"lang_code": language, "model_name": model}]}
    try:
        engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    except (OSError, ValueError) as exc:  # spaCy: no such package or folder
        raise SynthloomError(f"Presidio could not load the spaCy model '{model}' ({exc.__class__.__name__}); "
                             "install that model package or give the folder of a saved spaCy pipeline") from None
    _public_suffixes_offline()
    if not any(engine.nlp[language].has_pipe(p) for p in ("ner", "entity_ruler", "span_ruler")):
        raise SynthloomError(f"the spaCy model '{model}' has no named-entity component, so Presidio would find no "
                             "names with it; give a model with `ner` (e.g. en_core_web_lg)")
    return AnalyzerEngine(nlp_engine=engine, supported_languages=[language])


def _public_suffixes_offline() -> None:
    """Presidio's e-mail recognizer asks tldextract for domain suffixes, which fetches the public
    suffix list from the network on first use; the snapshot inside the package is enough."""
    try:
        from tldextract import tldextract
    except ImportError:
        return
    tldextract.TLD_EXTRACTOR.suffix_list_urls = ()


def presidio_detector(model: str, language: str = "en", entities: tuple[str, ...] = ("PERSON",),
                      min_score: float = 0.5) -> Callable[[str], list[tuple[str, int, int]]]:
    """A function from a text to its (kind, start, end) entity spans."""
    analyzer = _analyzer(model, language)
    known = set(analyzer.get_supported_entities(language))
    if unknown := sorted(set(entities) - known):
        raise SynthloomError(f"Presidio has no recognizer for {', '.join(unknown)} in language '{language}'; "
                             f"use some of: {', '.join(sorted(known))}")

    def detect(text: str) -> list[tuple[str, int, int]]:
        found = analyzer.analyze(text=text, language=language, entities=list(entities), score_threshold=min_score)
        return [(KINDS.get(r.entity_type, r.entity_type.lower()), r.start, r.end) for r in found]
    return detect
