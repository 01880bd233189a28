"""The documents behind InstructLab knowledge leaves, and chunks of them.

A leaf names `document.repo` + `patterns`. Repositories cannot be cloned here, so users map a
repo URL to a local folder (`document_map`); a repo that is itself a local folder is read
directly. When neither works the caller falls back to the leaf's seed contexts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# [text](target "wikilink") -> text ; emphasis markers -> nothing
_TARGET = r"\((?:[^()]|\([^()]*\))*\)"  # a link target, allowing one level of parentheses inside
_LINK = re.compile(r"\[([^\]]+)\]" + _TARGET)
_EMPHASIS = re.compile(r"\*{1,3}([^*]+)\*{1,3}")


@dataclass(frozen=True)
class Chunk:
    source: str  # file name within the document folder
    index: int
    text: str


def normalise_repo(url: str) -> str:
    return url.strip().rstrip("/").removesuffix(".git").lower()


def document_folder(document: dict[str, Any] | None, document_map: dict[str, Path]) -> Path | None:
    if not document or not document.get("repo"):
        return None
    repo = str(document["repo"])
    mapped = {normalise_repo(k): Path(v) for k, v in document_map.items()}.get(normalise_repo(repo))
    if mapped is not None:
        return mapped if mapped.is_dir() else None
    local = Path(repo.removeprefix("file://")).expanduser()
    return local if local.is_dir() else None


def document_files(folder: Path, patterns: list[str]) -> list[Path]:
    files: list[Path] = []
    for pattern in patterns or ["*.md"]:
        files.extend(p for p in sorted(folder.glob(pattern)) if p.is_file() and p not in files)
    return files


def plain_text(markdown: str) -> str:
    text = _LINK.sub(r"\1", markdown)
    return _EMPHASIS.sub(r"\1", text)


def chunk_text(text: str, chunk_words: int, overlap_paragraphs: int = 1) -> list[str]:
    """Paragraph-aligned chunks of about `chunk_words` words; consecutive chunks share the
    last `overlap_paragraphs` paragraphs so a fact split across a border survives."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    chunks: list[str] = []
    current: list[str] = []
    count = fresh = 0  # fresh: paragraphs not yet in any chunk
    for para in paragraphs:
        n = len(para.split())
        if fresh and count + n > chunk_words:
            chunks.append("\n\n".join(current))
            current = current[-overlap_paragraphs:] if overlap_paragraphs else []
            count, fresh = sum(len(p.split()) for p in current), 0
        current.append(para)
        count += n
        fresh += 1
    if fresh:
        chunks.append("\n\n".join(current))
    return chunks


def leaf_chunks(folder: Path, patterns: list[str], chunk_words: int) -> list[Chunk]:
    out: list[Chunk] = []
    for path in document_files(folder, patterns):
        for i, text in enumerate(chunk_text(plain_text(path.read_text(encoding="utf-8")), chunk_words)):
            out.append(Chunk(path.name, i, text))
    return out
