"""Red team, issue 12 (engineer B): a taxonomy, recipe, mix or curation file written by an attacker
can't make synthloom read outside the folders the user named, exhaust memory or disk with a small
file, or write over (or delete) the user's own files. Each test is one attack; each asserts a
one-sentence refusal, a non-zero exit and that nothing outside was read or written."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from synthloom.config.errors import RecipeError
from synthloom.config.loader import parse_recipe
from synthloom.data.sources.taxonomy import TaxonomyError, taxonomy_rows

from .conftest import run_cli

REPO = "https://github.com/org/docs"
SECRET = "TOPSECRET"
ONE_GB = 1 << 30


# ---------------------------------------------------------------- helpers

def assert_refused(result: subprocess.CompletedProcess, *says: str, code: int = 2) -> str:
    err = result.stderr.strip()
    assert result.returncode == code, (result.returncode, result.stdout[-2000:], err[-2000:])
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    for text in says:
        assert text in err, err
    assert SECRET not in result.stdout + result.stderr
    return err


def snapshot(folder: Path) -> dict[str, str]:
    """Every path under `folder` with a hash of its bytes (links as their target)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_symlink():
            out[rel] = "link:" + str(p.readlink())
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def dump(data: dict, path: Path) -> Path:
    class NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data):
            return True

    path.write_text(yaml.dump(data, Dumper=NoAliases, sort_keys=False))
    return path


def run_limited(*args: str, cwd: Path, limit: int = ONE_GB, timeout: float = 300) -> subprocess.CompletedProcess:
    """The CLI in a child whose address space is capped: a small file that expands in memory fails there."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.run([sys.executable, "-m", "synthloom.cli.app", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=cap, env={**os.environ, "COLUMNS": "200"})


QNA = """version: 3
domain: test
created_by: redteam
document_outline: A test leaf.
seed_examples:
  - context: The seed context of the leaf.
    questions_and_answers:
      - {question: "What is this?", answer: A seed.}
"""


def knowledge_leaf(tmp_path: Path, repo: str, patterns: list[str], extra: str = "") -> Path:
    """A taxonomy with one knowledge leaf, a document folder `docs/` mapped to REPO, and a secret
    outside it; returns the qna.yaml."""
    leaf = tmp_path / "tax" / "knowledge" / "test" / "leaf"
    leaf.mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "inside.md").write_text("Inside paragraph about the leaf.\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.md").write_text(f"{SECRET} paragraph from outside the mapped folder.\n")
    document = yaml.safe_dump({"document": {"repo": repo, "patterns": patterns}})
    (leaf / "qna.yaml").write_text(QNA + document + extra)
    return leaf / "qna.yaml"


def leaf_recipe(tmp_path: Path, **seed: object) -> Path:
    return dump({
        "name": "leak",
        "target_rows": 1,
        "output_dir": str(tmp_path / "runs"),
        "columns": [
            {"name": "seed", "kind": "seed", "taxonomy": "tax", "unit": "chunk", "order": "ordered",
             "document_map": {REPO: "docs"}, **seed},
            {"name": "context", "kind": "expression", "template": "{{ seed.context }}"},
        ],
    }, tmp_path / "recipe.yaml")


def assert_leaf_refused(tmp_path: Path, qna: Path, says: str, **seed: object) -> None:
    """Refused by the library (no rows at all) and by the CLI (one sentence naming the qna.yaml)."""
    with pytest.raises(TaxonomyError) as caught:
        taxonomy_rows(tmp_path / "tax", unit="chunk", document_map={REPO: tmp_path / "docs"}, notices=[], **seed)
    assert str(qna) in str(caught.value) and says in str(caught.value) and "\n" not in str(caught.value)
    result = run_cli("preview", str(leaf_recipe(tmp_path, **seed)), "-n", "1", cwd=tmp_path)
    assert_refused(result, "qna.yaml", says)
    assert not (tmp_path / "runs").exists()


# ---------------------------------------------------------------- taxonomy documents

def test_file_url_repo_is_not_read_without_opt_in(tmp_path):
    qna = knowledge_leaf(tmp_path, f"file://{tmp_path / 'outside'}", ["*.md"])
    assert_leaf_refused(tmp_path, qna, "allow_local_repos")


def test_local_path_repo_is_not_read_without_opt_in(tmp_path):
    qna = knowledge_leaf(tmp_path, str(tmp_path / "outside"), ["*.md"])
    assert_leaf_refused(tmp_path, qna, "allow_local_repos")


def test_local_repo_with_opt_in_is_read_and_still_confined(tmp_path):
    """The opt-in works, and the folder it names is then the only one read."""
    knowledge_leaf(tmp_path, str(tmp_path / "docs"), ["*.md"])
    rows = taxonomy_rows(tmp_path / "tax", unit="chunk", allow_local_repos=True)
    assert [r["context"] for r in rows] == ["Inside paragraph about the leaf."]
    (tmp_path / "docs" / "up.md").symlink_to(tmp_path / "outside" / "secret.md")
    with pytest.raises(TaxonomyError, match="outside the document folder"):
        taxonomy_rows(tmp_path / "tax", unit="chunk", allow_local_repos=True)


def test_dotdot_pattern_is_refused(tmp_path):
    qna = knowledge_leaf(tmp_path, REPO, ["../outside/secret.md"])
    assert_leaf_refused(tmp_path, qna, "points outside the document folder")


def test_absolute_pattern_is_refused(tmp_path):
    qna = knowledge_leaf(tmp_path, REPO, [str(tmp_path / "outside" / "secret.md")])
    assert_leaf_refused(tmp_path, qna, "points outside the document folder")


def test_symlinked_file_leaving_the_document_folder_is_refused(tmp_path):
    qna = knowledge_leaf(tmp_path, REPO, ["*.md"])
    (tmp_path / "docs" / "link.md").symlink_to(tmp_path / "outside" / "secret.md")
    assert_leaf_refused(tmp_path, qna, "resolves to a path outside the document folder")


def test_symlinked_dir_leaving_the_document_folder_is_refused(tmp_path):
    qna = knowledge_leaf(tmp_path, REPO, ["sub/*.md"])
    (tmp_path / "docs" / "sub").symlink_to(tmp_path / "outside", target_is_directory=True)
    assert_leaf_refused(tmp_path, qna, "resolves to a path outside the document folder")


def test_symlinked_qna_yaml_leaving_the_taxonomy_is_refused(tmp_path):
    qna = knowledge_leaf(tmp_path, REPO, ["*.md"])
    (tmp_path / "outside" / "qna.yaml").write_text(QNA.replace("The seed context", SECRET))
    qna.unlink()
    qna.symlink_to(tmp_path / "outside" / "qna.yaml")
    assert_leaf_refused(tmp_path, qna, "outside the taxonomy")


def test_qna_yaml_in_another_encoding_is_one_sentence(tmp_path):
    qna = knowledge_leaf(tmp_path, REPO, ["*.md"])
    qna.write_bytes(QNA.replace("The seed context", "Le contexte première").encode("latin-1"))
    assert_leaf_refused(tmp_path, qna, "not UTF-8")


def test_huge_qna_yaml_is_refused_unread(tmp_path):
    qna = knowledge_leaf(tmp_path, REPO, ["*.md"])
    with qna.open("a") as f:
        f.write(("# " + "x" * 98 + "\n") * 11_000)  # 1.1 MB of comments
    assert_leaf_refused(tmp_path, qna, "over synthloom's limit")


def test_huge_document_is_refused_unread(tmp_path):
    qna = knowledge_leaf(tmp_path, REPO, ["*.md"])
    with (tmp_path / "docs" / "huge.md").open("wb") as f:
        f.truncate(17 * 1024 * 1024)  # sparse: costs no disk
    assert_leaf_refused(tmp_path, qna, "over synthloom's limit")


def test_billion_laughs_in_qna_yaml_is_refused(tmp_path):
    qna = knowledge_leaf(tmp_path, REPO, ["*.md"], extra=LAUGHS.replace("columns: [*i]\n", "laughs: [*i]\n"))
    assert_leaf_refused(tmp_path, qna, "expands to more than")


# ---------------------------------------------------------------- bounded input

LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{b}: &{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi")]
) + "\ncolumns: [*i]\n"


def test_billion_laughs_recipe_is_refused_in_small_memory(tmp_path):
    """The aliases sit where a recipe accepts any value (a category sampler's values), so nothing
    refuses the file before it is expanded: validate once took 3.5 GB for it."""
    laughs = ['      - &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'] + [
        f"      - &{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi")]
    recipe = tmp_path / "laughs.yaml"
    recipe.write_text("name: laughs\ntarget_rows: 1\ncolumns:\n  - name: x\n    kind: sampler\n    type: category\n"
                      "    values:\n" + "\n".join(laughs) + "\n")
    assert recipe.stat().st_size < 1000  # 9^9 = 387 million strings once expanded
    result = run_limited("validate", str(recipe), cwd=tmp_path)
    assert_refused(result, "laughs.yaml:", "expands to more than", "aliases (*a")


def test_billion_laughs_gates_file_is_refused_in_small_memory(tmp_path):
    gates = tmp_path / "gates.yaml"
    gates.write_text(LAUGHS.replace("columns: [*i]", "gates: [*i]"))
    script = ("import sys\nfrom synthloom.config.errors import SynthloomError\n"
              "from synthloom.evaluate.gates import load_gates\n"
              "try:\n    load_gates(sys.argv[1])\nexcept SynthloomError as exc:\n"
              "    print(exc, file=sys.stderr)\n    sys.exit(2)\n")

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ONE_GB, ONE_GB))

    result = subprocess.run([sys.executable, "-c", script, str(gates)], capture_output=True, text=True, timeout=300,
                            preexec_fn=cap)
    assert_refused(result, "gates.yaml:", "expands to more than", "aliases (*a")


def test_alias_that_contains_itself_is_refused(tmp_path):
    recipe = tmp_path / "loop.yaml"
    recipe.write_text("name: loop\ntarget_rows: 1\ncolumns:\n"
                      "  - &c {name: a, kind: sampler, type: category, values: [*c]}\n")
    assert_refused(run_cli("validate", str(recipe), cwd=tmp_path), "loop.yaml:4", "contains itself")


def test_alias_chain_nesting_past_the_depth_cap_is_refused(tmp_path):
    """Each line nests the previous one: 200 short lines make a 200-deep value."""
    lines = ["    - &a0 [x]"] + [f"    - &a{i} [*a{i - 1}]" for i in range(1, 200)]
    recipe = tmp_path / "chain.yaml"
    recipe.write_text("name: chain\ntarget_rows: 1\ncolumns:\n  - name: a\n    kind: sampler\n    type: category\n"
                      "    values:\n" + "\n".join(lines).replace("    - ", "      - ") + "\n")
    assert_refused(run_cli("validate", str(recipe), cwd=tmp_path), "chain.yaml:", "more than 64 deep")


def test_aliases_that_stay_small_are_accepted():
    recipe = parse_recipe(BASE.replace('prompt: "hi"}', 'prompt: &hi "hi"}', 1).replace('user_prompt: "ask"', "user_prompt: *hi"))
    assert next(c for c in recipe.columns if c.name == "d").user_prompt == "hi"


def test_deeply_nested_recipe_is_refused(tmp_path):
    recipe = tmp_path / "deep.yaml"
    recipe.write_text("name: deep\ntarget_rows: 1\ncolumns: " + "[" * 5000 + "]" * 5000 + "\n")
    assert_refused(run_cli("validate", str(recipe), cwd=tmp_path), "deep.yaml:3", "more than 64 deep")


def test_deeply_nested_override_is_refused(tmp_path):
    with pytest.raises(RecipeError, match="more than 64 deep"):
        parse_recipe(BASE, overrides=["description=" + "[" * 5000 + "]" * 5000])


def test_huge_recipe_file_is_refused_unread(tmp_path):
    recipe = tmp_path / "huge.yaml"
    with recipe.open("w") as f:
        f.write("name: huge\ntarget_rows: 1\ncolumns: [{name: x, kind: sampler, type: uuid}]\n")
        f.write(("# " + "x" * 1000 + "\n") * 17_000)  # 17 MB
    assert_refused(run_limited("validate", str(recipe), cwd=tmp_path), "huge.yaml", "over synthloom's limit")


BASE = """
name: bounds
target_rows: 1
models:
  m: {provider: openai, model: x, endpoints: [{url: "http://127.0.0.1:9/v1"}]}
  local: {provider: llamacpp}
columns:
  - {name: seed, kind: seed, rows: [{a: 1}]}
  - {name: i, kind: sampler, type: int, low: 0, high: 3}
  - {name: p, kind: sampler, type: persona}
  - {name: q, kind: llm_text, model: m, prompt: "hi"}
  - {name: s, kind: llm_structured, model: m, prompt: "hi", schema: {type: object}}
  - {name: j, kind: judge, model: m, prompt: "{{ q }}"}
  - {name: d, kind: llm_dialogue, model: m, user_prompt: "ask"}
  - {name: v, kind: validator, type: python, target: q, code: "def validate(value, row):\\n    return True\\n"}
curation:
  steps:
    - {kind: near_dedup}
    - {kind: semantic_dedup}
    - {kind: quality}
    - {kind: decontaminate, benchmarks: [{path: b.jsonl}]}
"""

HUGE = 10**13
UNBOUNDED_INTS = [
    ("target_rows", HUGE), ("max_batches", HUGE), ("concurrent_batches", HUGE), ("batch_size", HUGE),
    ("seed", 2**64), ("budget.max_tokens", 10**18),
    ("models.m.endpoints.0.max_concurrency", HUGE), ("models.m.max_retries", HUGE),
    ("models.local.workers", HUGE), ("models.local.n_ctx", HUGE), ("models.local.threads_per_worker", HUGE),
    ("columns.seed.sample_size", HUGE), ("columns.seed.chunk_words", HUGE),
    ("columns.i.high", 2**64), ("columns.i.low", -(2**64)), ("columns.p.age_range", [0, HUGE]),
    ("columns.q.max_tokens", HUGE), ("columns.q.n", HUGE), ("columns.s.max_tokens", HUGE),
    ("columns.j.max_tokens", HUGE), ("columns.j.max_score", HUGE), ("columns.j.min_score", -HUGE),
    ("columns.d.max_tokens", HUGE), ("columns.d.turns", HUGE), ("columns.v.memory_mb", HUGE),
    ("curation.steps.0.ngram", HUGE), ("curation.steps.0.num_perm", HUGE), ("curation.steps.1.clusters", HUGE),
    ("curation.steps.1.probes", HUGE), ("curation.steps.2.min_words", HUGE), ("curation.steps.2.max_words", HUGE),
    ("curation.steps.2.repetition_ngram", HUGE), ("curation.steps.3.ngram", HUGE),
    ("curation.steps.3.ratio_ngram", HUGE),
]


def test_base_recipe_of_the_bounds_attacks_is_valid():
    parse_recipe(BASE)  # so each refusal below is the bound's


@pytest.mark.parametrize("path,value", UNBOUNDED_INTS, ids=[p for p, _ in UNBOUNDED_INTS])
def test_unbounded_int_setting_is_refused(path, value):
    with pytest.raises(RecipeError) as caught:
        parse_recipe(BASE, overrides=[f"{path}={json.dumps(value)}"])
    message = str(caught.value)
    assert "\n" not in message and path.split(".")[-1] in message, message


def test_unbounded_bands_and_mix_counts_are_refused(tmp_path):
    with pytest.raises(RecipeError, match="bands"):
        parse_recipe(BASE, overrides=[f"curation.steps.0.bands={HUGE}", f"curation.steps.0.rows={HUGE}"])
    (tmp_path / "real.jsonl").write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n")
    for extra, field in [({"seed": 2**64}, "seed"), ({"phases": [{"name": "p", "take": {"real": HUGE}}]}, "take")]:
        mix = dump({"name": "m", "sources": {"real": {"path": "real.jsonl"}},
                    "phases": [{"name": "p", "take": {"real": "all"}}], **extra}, tmp_path / "mix.yaml")
        assert_refused(run_cli("mix", str(mix), cwd=tmp_path), field)
        assert not (tmp_path / "mixes").exists()


def test_unbounded_int_is_refused_by_the_cli(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(BASE)
    assert_refused(run_cli("validate", str(recipe), "--set", f"target_rows={10**12}", cwd=tmp_path), "target_rows")


def test_billion_row_target_allocates_nothing_up_front(tmp_path, scripted_server):
    """target_rows 1e9 at the default max_batches (250 million batches) once made a list of every
    batch before the first ran; under a 1 GB address space it now runs its batch and stops at its budget."""
    server = scripted_server()
    recipe = dump({
        "name": "billion", "target_rows": 1_000_000_000, "batch_size": 16, "concurrent_batches": 1,
        "output_dir": str(tmp_path / "runs"), "budget": {"max_tokens": 1},
        "models": {"m": {"provider": "openai", "model": "x", "endpoints": [{"url": server.url}]}},
        "columns": [{"name": "q", "kind": "llm_text", "model": "m", "prompt": "Say one word.", "max_tokens": 8}],
    }, tmp_path / "billion.yaml")
    result = run_limited("generate", str(recipe), cwd=tmp_path)
    assert result.returncode == 3, result.stderr[-3000:]  # stopped cleanly by the budget, not by memory
    manifest = json.loads((tmp_path / "runs" / "billion" / "manifest.json").read_text())
    assert manifest["status"] == "budget_reached" and manifest["target"] == 1_000_000_000


# ---------------------------------------------------------------- where synthloom writes

def sampler_recipe(folder: Path, name: str, output_dir: str) -> Path:
    return dump({"name": name, "target_rows": 2, "batch_size": 2, "output_dir": output_dir,
                 "columns": [{"name": "x", "kind": "sampler", "type": "int", "low": 1, "high": 9}]},
                folder / "recipe.yaml")


@pytest.mark.parametrize("name", [".", "..", "..."])
def test_run_named_only_dots_is_refused(tmp_path, name):
    project = tmp_path / "project"
    project.mkdir()
    recipe = sampler_recipe(project, name, ".")
    (project / "curation").mkdir()
    (project / "curation" / "kept.jsonl").write_text("my own curated data\n")
    before = snapshot(tmp_path)
    for extra in ([], ["--overwrite"]):
        assert_refused(run_cli("generate", str(recipe), *extra, cwd=project), "cannot name a folder")
    assert snapshot(tmp_path) == before


def test_output_dir_into_a_non_empty_user_folder_is_refused(tmp_path):
    project = tmp_path / "project"
    (project / "mine").mkdir(parents=True)
    (project / "mine" / "recipe.yaml").write_text("my own file\n")
    (project / "mine" / "curation").mkdir()
    recipe = sampler_recipe(project, "mine", ".")
    before = snapshot(tmp_path)
    for extra in ([], ["--overwrite"], ["--resume"]):
        assert_refused(run_cli("generate", str(recipe), *extra, cwd=project), "did not write", "mine")
    assert snapshot(tmp_path) == before


def test_overwrite_leaves_user_files_in_the_run_folder_alone(tmp_path):
    recipe = sampler_recipe(tmp_path, "r", "runs")
    assert run_cli("generate", str(recipe), cwd=tmp_path).returncode == 0
    run = tmp_path / "runs" / "r"
    assert (run / ".synthloom-run").is_file()
    mine = {run / "notes.txt": "my notes\n", run / "shards" / "mine.txt": "mine\n",
            run / "rejected" / "keep.parquet": "not a shard\n", run / "curation" / "keep.txt": "keep\n"}
    for path, text in mine.items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    (run / "curation" / "kept.jsonl").write_text("{}\n")  # what `curate` writes: the run's own
    result = run_cli("generate", str(recipe), "--overwrite", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for path, text in mine.items():
        assert path.read_text() == text
    assert not (run / "curation" / "kept.jsonl").exists()
    assert sorted(p.name for p in (run / "shards").glob("part-*.parquet")) == ["part-00000.parquet"]


def mix_file(folder: Path, name: str, phase: str, output_dir: str) -> Path:
    (folder / "real.jsonl").write_text(
        json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}) + "\n")
    return dump({"name": name, "output_dir": output_dir, "sources": {"real": {"path": "real.jsonl"}},
                 "phases": [{"name": phase, "take": {"real": "all"}}]}, folder / "mix.yaml")


@pytest.mark.parametrize("name,phase", [(".", "."), (".", "p1"), ("m", ".."), ("..", "p1")])
def test_mix_or_phase_named_only_dots_is_refused(tmp_path, name, phase):
    project = tmp_path / "project"
    project.mkdir()
    (project / "README.md").write_text("my own readme\n")
    mix = mix_file(project, name, phase, ".")
    before = snapshot(tmp_path)
    assert_refused(run_cli("mix", str(mix), cwd=project), "cannot name a folder")
    assert snapshot(tmp_path) == before


def test_mix_into_a_non_empty_user_folder_is_refused(tmp_path):
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "docs" / "README.md").write_text("my own readme\n")
    mix = mix_file(project, "docs", "p1", ".")
    before = snapshot(tmp_path)
    assert_refused(run_cli("mix", str(mix), cwd=project), "did not write", "docs")
    assert snapshot(tmp_path) == before
    ok = mix_file(project, "lab", "p1", "mixes")
    assert run_cli("mix", str(ok), cwd=project).returncode == 0
    assert run_cli("mix", str(ok), cwd=project).returncode == 0  # its own folder: made again


def test_curate_output_into_a_non_empty_user_folder_is_refused(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"text": "one text here"}) + "\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("steps:\n  - kind: exact_dedup\n")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "kept.jsonl").write_text("my own file\n")
    before = snapshot(tmp_path)
    assert_refused(run_cli("curate", str(data), "-c", str(cfg), "-o", str(tmp_path / "home"), cwd=tmp_path),
                   "did not write")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("args", [("preview", "lab_knowledge", "-n", "100000000"), ("demo", "--rows", "100000000")])
def test_row_counts_on_the_command_line_are_bounded(tmp_path, args):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2 and "less than or equal to 10000" in result.stderr
    assert not any(tmp_path.iterdir())  # refused before anything was made
