"""Read an InstructLab taxonomy (qna.yaml versions 1-3) into seed rows.

One row per seed example: knowledge leaves give a context with its question/answer pairs;
skill leaves give a question and answer, with a context for grounded skills."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from synthloom.config.errors import RecipeError, SynthloomError
from synthloom.config.yaml_reader import load_yaml, read_yaml_text

KINDS = ("knowledge", "compositional_skills", "foundational_skills")
SUPPORTED_VERSIONS = (1, 2, 3)
MAX_QNA_BYTES = 1024 * 1024  # InstructLab's own qna.yaml files are a few kilobytes


class TaxonomyError(SynthloomError):
    pass


@dataclass
class Leaf:
    path: str  # e.g. knowledge/science/animals/birds/black_capped_chickadee
    kind: str
    file: Path
    version: int
    created_by: str | None
    domain: str | None
    task_description: str | None
    document_outline: str | None
    document: dict[str, Any] | None
    seed_examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def grounded(self) -> bool:
        return self.kind == "knowledge" or any(ex.get("context") for ex in self.seed_examples)


def find_leaves(root: str | Path) -> list[Path]:
    root = Path(root)
    if not root.is_dir():
        raise TaxonomyError(f"taxonomy directory {root} does not exist; check the path")
    files = sorted(root.rglob("qna.yaml"))
    real_root = root.resolve()
    for file in files:
        try:
            real = file.resolve()
        except (OSError, RuntimeError):
            real = Path("/")
        if real_root not in real.parents:
            raise TaxonomyError(f"{file}: is a link to a file outside the taxonomy {root}; copy the file in instead")
    if not files:
        raise TaxonomyError(f"taxonomy directory {root} has no qna.yaml files; point at the taxonomy root")
    return files


def load_leaf(file: Path, root: Path) -> Leaf:
    try:
        data = load_yaml(read_yaml_text(file, "qna.yaml", MAX_QNA_BYTES), str(file))
    except RecipeError as exc:
        raise TaxonomyError(str(exc)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark else ""
        raise TaxonomyError(f"{file}{at}: is not valid YAML ({getattr(exc, 'problem', exc)}); fix the syntax") from None
    if not isinstance(data, dict):
        raise TaxonomyError(f"{file}: must be a YAML mapping with `seed_examples`")
    rel = file.parent.relative_to(root).as_posix()
    kind = rel.split("/", 1)[0]
    if kind not in KINDS:
        raise TaxonomyError(f"{file}: leaf is outside {', '.join(KINDS)}; move it under one of them")
    version = data.get("version", 1)
    if version not in SUPPORTED_VERSIONS:
        raise TaxonomyError(f"{file}: version {version!r} is not supported; use one of {SUPPORTED_VERSIONS}")
    examples = data.get("seed_examples")
    if not isinstance(examples, list) or not examples:
        raise TaxonomyError(f"{file}: has no `seed_examples`; add at least one example")
    for i, ex in enumerate(examples):
        _check_example(file, kind, version, i, ex)
    return Leaf(
        path=rel,
        kind=kind,
        file=file,
        version=version,
        created_by=data.get("created_by"),
        domain=data.get("domain"),
        task_description=data.get("task_description"),
        document_outline=data.get("document_outline"),
        document=data.get("document"),
        seed_examples=examples,
    )


def _check_example(file: Path, kind: str, version: int, i: int, ex: Any) -> None:
    where = f"{file}: seed_examples[{i}]"
    if not isinstance(ex, dict):
        raise TaxonomyError(f"{where} must be a mapping")
    if kind == "knowledge" and version >= 3:
        if not str(ex.get("context") or "").strip():
            raise TaxonomyError(f"{where} has no `context`; knowledge examples need one")
        qas = ex.get("questions_and_answers")
        if not isinstance(qas, list) or not qas:
            raise TaxonomyError(f"{where} has no `questions_and_answers`; knowledge examples need them")
        for j, qa in enumerate(qas):
            if not isinstance(qa, dict) or not qa.get("question") or not qa.get("answer"):
                raise TaxonomyError(f"{where}.questions_and_answers[{j}] needs a `question` and an `answer`")
    elif not ex.get("question") or not ex.get("answer"):
        raise TaxonomyError(f"{where} needs a `question` and an `answer`")


def load_taxonomy(root: str | Path, kinds: list[str] | None = None) -> list[Leaf]:
    root = Path(root)
    leaves = [load_leaf(f, root) for f in find_leaves(root)]
    if kinds:
        leaves = [leaf for leaf in leaves if leaf.kind in kinds]
        if not leaves:
            raise TaxonomyError(f"taxonomy {root} has no leaves of kind {', '.join(kinds)}")
    return leaves


def _clean(text: Any) -> str:
    return str(text or "").strip()


def _example_qas(ex: dict[str, Any]) -> list[dict[str, str]]:
    qas = ex.get("questions_and_answers") or [{"question": ex.get("question"), "answer": ex.get("answer")}]
    return [{"question": _clean(qa.get("question")), "answer": _clean(qa.get("answer"))} for qa in qas]


def _row(leaf: Leaf, example: int, context: str, qas: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    leaf_examples = [
        {"context": _clean(ex.get("context")), "question": q["question"], "answer": q["answer"]}
        for ex in leaf.seed_examples
        for q in _example_qas(ex)[:1]
    ]
    return {
        "leaf": leaf.path,
        "leaf_kind": leaf.kind,
        "example": example,
        "domain": leaf.domain or "",
        "task_description": _clean(leaf.task_description),
        "document_outline": _clean(leaf.document_outline),
        "context": context,
        "question": qas[0]["question"],
        "answer": qas[0]["answer"],
        "questions_and_answers": qas,
        "leaf_examples": leaf_examples,  # every example of the leaf, for in-context prompts
        "source": extra.get("source", "seed_example"),
        "chunk": extra.get("chunk", -1),
    }


def taxonomy_rows(
    root: str | Path,
    kinds: list[str] | None = None,
    *,
    unit: str = "example",
    document_map: dict[str, Path] | None = None,
    chunk_words: int = 300,
    notices: list[str] | None = None,
    allow_local_repos: bool = False,
) -> list[dict[str, Any]]:
    """Seed rows in a stable order (leaf path, then example or chunk order).

    unit="chunk": knowledge leaves give one row per chunk of their documents, each with the
    leaf's seed Q&A (rotating through the examples) as in-context examples; a leaf whose
    documents cannot be found falls back to its seed contexts, noted once in `notices`."""
    rows: list[dict[str, Any]] = []
    for leaf in load_taxonomy(root, kinds):
        examples = [(_clean(ex.get("context")), _example_qas(ex)) for ex in leaf.seed_examples]
        chunks = []
        if unit == "chunk" and leaf.kind == "knowledge":
            chunks = _chunks_for(leaf, document_map or {}, chunk_words, notices, allow_local_repos)
        if chunks:
            for i, chunk in enumerate(chunks):
                _, qas = examples[i % len(examples)]
                rows.append(_row(leaf, i % len(examples), chunk.text, qas, source=chunk.source, chunk=chunk.index))
        else:
            rows.extend(_row(leaf, i, ctx, qas) for i, (ctx, qas) in enumerate(examples))
    return rows


def _chunks_for(leaf: Leaf, document_map: dict[str, Path], chunk_words: int, notices: list[str] | None,
                allow_local: bool = False) -> list[Any]:
    from synthloom.data.sources.documents import DocumentError, document_folder, leaf_chunks

    document = leaf.document if isinstance(leaf.document, dict) else {}
    patterns = document.get("patterns") or []
    try:
        if not isinstance(patterns, list):
            raise DocumentError("document.patterns must be a list of file patterns such as '*.md'")
        folder = document_folder(document, document_map, allow_local)
        chunks = leaf_chunks(folder, list(patterns), chunk_words) if folder else []
    except DocumentError as exc:
        raise TaxonomyError(f"{leaf.file}: {exc}") from None
    if not chunks:
        if not document.get("repo"):
            raise TaxonomyError(
                f"{leaf.file}: knowledge leaf has no `document` to read; add document.repo and patterns"
            )
        if notices is not None:
            where = f"{folder} has no files matching {document.get('patterns')}" if folder else (
                f"{document.get('repo')} cannot be reached here"
            )
            notices.append(
                f"{leaf.path}: {where}; using its seed contexts instead (map the repo to a local folder "
                "with the seed column's document_map)"
            )
    return chunks
