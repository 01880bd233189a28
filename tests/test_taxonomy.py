"""InstructLab taxonomies: every bundled qna.yaml loads; malformed leaves name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthloom.data.sources.taxonomy import TaxonomyError, find_leaves, load_taxonomy, taxonomy_rows


def test_every_example_leaf_loads(taxonomy_dir):
    files = find_leaves(taxonomy_dir)
    leaves = load_taxonomy(taxonomy_dir)
    assert len(leaves) == len(files)
    assert all(leaf.version == 3 and leaf.created_by for leaf in leaves)
    knowledge = [leaf for leaf in leaves if leaf.kind == "knowledge"]
    skills = [leaf for leaf in leaves if leaf.kind != "knowledge"]
    assert len(knowledge) >= 3 and all(leaf.document["repo"] and leaf.document["patterns"] for leaf in knowledge)
    assert sum(not leaf.grounded for leaf in skills) >= 2 and sum(leaf.grounded for leaf in skills) >= 1


def test_knowledge_rows_carry_context_and_all_qa_pairs(taxonomy_dir):
    rows = taxonomy_rows(taxonomy_dir, ["knowledge"])
    assert {r["leaf_kind"] for r in rows} == {"knowledge"}
    assert all(r["context"] and len(r["questions_and_answers"]) >= 1 for r in rows)
    first = rows[0]
    assert first["question"] == first["questions_and_answers"][0]["question"]
    assert not first["question"].endswith("\n")


def test_skill_rows_have_question_and_answer(taxonomy_dir):
    rows = taxonomy_rows(taxonomy_dir, ["compositional_skills"])
    grounded = [r for r in rows if "grounded" in r["leaf"]]
    assert grounded and all(r["context"] for r in grounded)
    assert all(r["question"] and r["answer"] for r in rows)


def _leaf(tmp_path: Path, rel: str, text: str) -> Path:
    d = tmp_path / rel
    d.mkdir(parents=True)
    (d / "qna.yaml").write_text(text)
    return d / "qna.yaml"


@pytest.mark.parametrize(
    "rel, text, words",
    [
        ("compositional_skills/a", "version: 3\ntask_description: x\n", "has no `seed_examples`"),
        ("compositional_skills/b", "version: 9\nseed_examples: [{question: q, answer: a}]\n", "version 9"),
        ("compositional_skills/c", "version: 3\nseed_examples: [\n  - question: q\n", "not valid YAML"),
        ("knowledge/d", "version: 3\nseed_examples:\n  - questions_and_answers: [{question: q, answer: a}]\n", "no `context`"),
        ("compositional_skills/e", "version: 3\nseed_examples:\n  - question: q\n", "needs a `question` and an `answer`"),
        ("elsewhere/f", "version: 3\nseed_examples: [{question: q, answer: a}]\n", "outside"),
    ],
)
def test_malformed_leaf_names_the_file(tmp_path, rel, text, words):
    file = _leaf(tmp_path, rel, text)
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(tmp_path)
    assert str(file) in str(info.value) and words in str(info.value)


def test_empty_taxonomy_dir(tmp_path):
    with pytest.raises(TaxonomyError, match="has no qna.yaml"):
        load_taxonomy(tmp_path)


def test_knowledge_chunks_come_from_the_mapped_documents(taxonomy_dir, example_document_map):
    notices: list[str] = []
    rows = taxonomy_rows(taxonomy_dir, ["knowledge"], unit="chunk", chunk_words=250,
                         document_map=example_document_map, notices=notices)
    assert notices == []
    leaves = {leaf.path: leaf for leaf in load_taxonomy(taxonomy_dir, ["knowledge"])}
    by_leaf: dict[str, list] = {}
    for r in rows:
        by_leaf.setdefault(r["leaf"], []).append(r)
    assert set(by_leaf) == set(leaves)
    for path, chunks in by_leaf.items():
        assert len(chunks) >= 3, path  # every document is long enough for several chunks
        assert all(r["source"].endswith(".md") and r["questions_and_answers"] for r in chunks)
        assert all(len(r["context"].split()) <= 400 for r in chunks)
        # each seed context is a passage of the leaf's own document
        document = " ".join(" ".join(r["context"].split()) for r in chunks)
        for example in leaves[path].seed_examples:
            assert " ".join(example["context"].split())[:80] in document, path


def test_the_example_has_a_knowledge_leaf_in_another_language(taxonomy_dir, example_document_map):
    rows = taxonomy_rows(taxonomy_dir, ["knowledge"], unit="chunk", document_map=example_document_map)
    english = {"the", "of", "and", "is", "in", "to", "was", "a"}
    share = {}
    for r in rows:
        words = r["context"].lower().split()
        share.setdefault(r["leaf"], []).append(sum(w in english for w in words) / len(words))
    assert min(sum(v) / len(v) for v in share.values()) < 0.03  # English prose is ~20% these words


def test_unreachable_documents_fall_back_to_seed_contexts_once(taxonomy_dir):
    notices: list[str] = []
    rows = taxonomy_rows(taxonomy_dir, ["knowledge"], unit="chunk", notices=notices)
    assert len(notices) == len(load_taxonomy(taxonomy_dir, ["knowledge"]))
    assert all("using its seed contexts" in n for n in notices)
    assert all(r["source"] == "seed_example" for r in rows)


def test_a_repo_url_matches_its_map_entry_whatever_its_spelling(tmp_path):
    from synthloom.data.sources.documents import document_folder

    for written in ("https://github.com/Org/Docs.git", "https://github.com/org/docs/", "https://github.com/org/docs"):
        assert document_folder({"repo": written}, {"https://github.com/org/docs.git": tmp_path}) == tmp_path


def test_chunking_keeps_paragraphs_and_overlaps():
    from synthloom.data.sources.documents import chunk_text, plain_text

    text = "\n\n".join(f"p{i} " + "w " * 40 for i in range(10))
    chunks = chunk_text(text, 100)
    assert len(chunks) >= 4
    assert all(len(c.split()) <= 130 for c in chunks)
    assert chunks[1].split("\n\n")[0] == chunks[0].split("\n\n")[-1]  # one paragraph of overlap
    assert plain_text('a [family](family_(biology) "wikilink") b') == "a family b"


def test_knowledge_leaf_without_document_is_named(tmp_path):
    leaf = tmp_path / "knowledge" / "x"
    leaf.mkdir(parents=True)
    (leaf / "qna.yaml").write_text(
        "version: 3\ndomain: d\nseed_examples:\n  - context: c\n    questions_and_answers: [{question: q, answer: a}]\n"
    )
    with pytest.raises(TaxonomyError, match="qna.yaml: knowledge leaf has no `document`"):
        taxonomy_rows(tmp_path, unit="chunk")


def test_version_2_knowledge_leaf_with_flat_examples(tmp_path):
    _leaf(tmp_path, "knowledge/history/x", """\
version: 2
domain: history
task_description: Facts about a city
document:
  repo: https://example.invalid/docs
  commit: abc
  patterns: [x.md]
seed_examples:
  - question: When was the bridge built?
    answer: In 1890.
  - context: The bridge crosses the river.
    question: What does the bridge cross?
    answer: The river.
""")
    rows = taxonomy_rows(tmp_path)
    assert [r["question"] for r in rows] == ["When was the bridge built?", "What does the bridge cross?"]
    assert rows[1]["context"] == "The bridge crosses the river." and rows[0]["leaf_kind"] == "knowledge"
