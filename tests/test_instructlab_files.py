"""Compatibility with InstructLab's own files (Apache-2.0), which live only on the team's machines
beside the checkout: conftest.py leaves this module out where they are absent. Every behaviour
checked here is also tested on the bundled example taxonomy (test_taxonomy.py,
test_builtin_recipes.py), so a clone alone runs them all."""

from __future__ import annotations

from synthloom.data.sources.taxonomy import find_leaves, load_taxonomy, taxonomy_rows

from .conftest import INSTRUCTLAB
from .test_builtin_recipes import docs_override, run_builtin

TAXONOMY = INSTRUCTLAB / "taxonomy"
IL_DOCS = INSTRUCTLAB / "knowledge_docs" / "Summit_knowledge"
IL_REPO = "https://github.com/juliadenham/Summit_knowledge"


def test_every_instructlab_leaf_loads():
    files = find_leaves(TAXONOMY)
    leaves = load_taxonomy(TAXONOMY)
    assert len(leaves) == len(files) >= 15
    kinds = {leaf.kind for leaf in leaves}
    assert kinds == {"knowledge", "compositional_skills", "foundational_skills"}
    chickadee = next(leaf for leaf in leaves if leaf.path.endswith("black_capped_chickadee"))
    assert chickadee.version == 3 and chickadee.document["patterns"] == ["chickadee.md"]


def test_knowledge_chunks_on_instructlab_files():
    notices: list[str] = []
    rows = taxonomy_rows(TAXONOMY, ["knowledge"], unit="chunk", chunk_words=250, document_map={IL_REPO: IL_DOCS},
                         notices=notices)
    assert notices == []
    by_leaf = {}
    for r in rows:
        by_leaf.setdefault(r["leaf"], []).append(r)
    assert set(by_leaf) == {"knowledge/arts/music/fandom/swifties", "knowledge/science/animals/birds/black_capped_chickadee"}
    chick = by_leaf["knowledge/science/animals/birds/black_capped_chickadee"]
    assert len(chick) > 10 and all(r["source"] == "chickadee.md" for r in chick)
    assert "wikilink" not in chick[0]["context"] and "Paridae family" in chick[0]["context"]
    assert all(r["questions_and_answers"] for r in chick)  # in-context examples from the seeds
    swift = by_leaf["knowledge/arts/music/fandom/swifties"]  # its repo URL ends in .git
    assert swift and all(r["source"] == "swifties.md" for r in swift)


def test_lab_knowledge_per_leaf_on_instructlab_files(tmp_path, scripted_server):
    server = scripted_server(enum_choice="max")
    summary, store, rows = run_builtin("lab_knowledge", tmp_path, server, [
        f"columns.seed.taxonomy={TAXONOMY}", "target_rows=3", docs_override({IL_REPO: IL_DOCS}),
    ])
    assert summary.status == "complete" and summary.notices == []
    assert summary.partitions == {"knowledge/arts/music/fandom/swifties": 3,
                                  "knowledge/science/animals/birds/black_capped_chickadee": 3}
    for row in rows:
        lineage = store.db.lineage_of(row["_row_id"])
        assert lineage["seed"][0]["leaf"] == row["leaf"] and ".md#" in lineage["seed"][0]["chunk"]


def test_lab_skills_recipes_on_instructlab_files(tmp_path, scripted_server):
    server = scripted_server(enum_choice="max")
    free, _, _ = run_builtin("lab_freeform_skills", tmp_path, server,
                             [f"columns.seed.taxonomy={TAXONOMY}", "target_rows=2"])
    assert free.status == "complete" and len(free.partitions) >= 8
    assert not any("grounded" in leaf for leaf in free.partitions)
    grounded, _, _ = run_builtin("lab_grounded_skills", tmp_path, server,
                                 [f"columns.seed.taxonomy={TAXONOMY}", "target_rows=2"])
    assert grounded.status == "complete" and all("grounded" in leaf for leaf in grounded.partitions)
