"""The documents behind InstructLab knowledge leaves, and chunks of them.

A leaf names `document.repo` + `patterns`. Repositories cannot be cloned here, so users map a
repo URL to a local folder (`document_map`); a repo that is itself a local folder (or a
`file://` URL) is read only when the seed column says `allow_local_repos: true`. When neither
works the caller falls back to the leaf's seed contexts.

A taxonomy may come from an attacker, so what it makes synthloom read stays inside the folder
the repo maps to: patterns that are absolute or climb with `..` are refused, and so is any file
whose real path (symlinks followed) leaves that folder, or that is over MAX_DOCUMENT_BYTES."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthloom.config.errors import SynthloomError

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # one knowledge document; InstructLab's are far smaller
_REMOTE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|[\w.-]+@[\w.-]+:)")  # scheme:// or git@host:


class DocumentError(SynthloomError):
    """A leaf's documents may not be read as the taxonomy asks; the caller names the leaf."""

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


def is_local_repo(repo: str) -> bool:
    """A `file://` URL or a path, as opposed to a remote repository (scheme://... or git@host:...)."""
    return repo.strip().lower().startswith("file:") or not _REMOTE.match(repo.strip())


def document_folder(document: dict[str, Any] | None, document_map: dict[str, Path],
                    allow_local: bool = False) -> Path | None:
    """The folder a leaf's documents are read from: its repo's `document_map` entry; or, with
    `allow_local`, the local folder the repo names. None when there is none to read."""
    if not document or not document.get("repo"):
        return None
    repo = str(document["repo"])
    mapped = {normalise_repo(k): Path(v) for k, v in document_map.items()}.get(normalise_repo(repo))
    if mapped is not None:
        return mapped if mapped.is_dir() else None
    if not is_local_repo(repo):
        return None
    if not allow_local:
        raise DocumentError(
            f"document.repo {repo!r} is a local folder, which synthloom reads only when the seed column sets "
            "`allow_local_repos: true`; set it, or map the repo to a folder with `document_map`"
        )
    local = Path(repo[len("file://"):] if repo.lower().startswith("file://") else repo).expanduser()
    return local if local.is_dir() else None


def _check_pattern(pattern: str) -> None:
    if not isinstance(pattern, str) or not pattern.strip():
        raise DocumentError(f"document pattern {pattern!r} is not a file pattern; write e.g. '*.md'")
    path = Path(pattern)
    if path.is_absolute() or pattern.startswith(("/", "\\", "~")) or ".." in re.split(r"[/\\]", pattern):
        raise DocumentError(
            f"document pattern {pattern!r} points outside the document folder; patterns must be relative "
            "and without `..` (e.g. 'docs/*.md')"
        )


def document_files(folder: Path, patterns: list[str]) -> list[Path]:
    """The files the patterns match in `folder`, each checked to lie inside it (symlinks followed)."""
    root = folder.resolve()
    files: list[Path] = []
    for pattern in patterns or ["*.md"]:
        _check_pattern(pattern)
        for p in sorted(folder.glob(pattern)):
            try:
                real = p.resolve()
            except (OSError, RuntimeError):  # a symlink loop
                real = Path("/")  # reported below as outside
            if real != root and root not in real.parents:
                raise DocumentError(
                    f"document file {p.relative_to(folder).as_posix()} (pattern {pattern!r}) resolves to a path outside "
                    f"the document folder {folder}; remove the link or copy the file into the folder"
                )
            if real.is_file() and p not in files:
                files.append(p)
    return files


def read_document(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"document file {path.name} is {size:,} bytes, over synthloom's limit of "
                            f"{MAX_DOCUMENT_BYTES:,}; split it into several files")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"document file {path.name} is not UTF-8 (byte {exc.start}); save it as UTF-8") from None


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
        for i, text in enumerate(chunk_text(plain_text(read_document(path)), chunk_words)):
            out.append(Chunk(path.name, i, text))
    return out
