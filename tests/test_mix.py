"""`synthloom mix`: phases from runs and real data, with replay, dedup and cards."""

from __future__ import annotations

import json

import pytest
import yaml

from synthloom.config.errors import RecipeError, SynthloomError
from synthloom.config.loader import load_mix
from synthloom.curate.mix import record_text, run_mix

from .conftest import run_cli
from .test_builtin_recipes import run_builtin


@pytest.fixture
def two_runs(tmp_path, taxonomy_dir, scripted_server):
    server = scripted_server(enum_choice="max")
    knowledge, _, _ = run_builtin("lab_knowledge", tmp_path, server, [f"columns.seed.taxonomy={taxonomy_dir}", "target_rows=4"])
    skills, _, _ = run_builtin("lab_freeform_skills", tmp_path, server, [f"columns.seed.taxonomy={taxonomy_dir}", "target_rows=1"])
    return knowledge.run_dir, skills.run_dir


def _write_mix(tmp_path, knowledge, skills, real, **extra):
    mix = {
        "name": "lab",
        "seed": 5,
        "output_dir": str(tmp_path / "mixes"),
        "sources": {"knowledge": {"run": str(knowledge)}, "skills": {"run": str(skills)}, "real": {"path": str(real)}},
        "phases": [
            {"name": "phase1", "take": {"knowledge": "all"}},
            {"name": "phase2", "take": {"skills": 0.5, "real": 2}, "replay": {"phase1": 0.25}},
        ],
        "formats": ["jsonl", "hf"],
        **extra,
    }
    path = tmp_path / "mix.yaml"
    path.write_text(yaml.safe_dump(mix))
    return path


def _real(tmp_path, knowledge_record):
    real = tmp_path / "real.jsonl"
    rows = [
        knowledge_record,  # a copy of a synthetic record: dedup drops it from `real`
        {"messages": [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"}]},
        {"messages": [{"role": "user", "content": "Name a primary colour."}, {"role": "assistant", "content": "Red"}]},
    ]
    real.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return real


def test_phases_with_counts_fractions_replay_and_dedup(tmp_path, two_runs, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    from synthloom.data.release.export import run_records

    knowledge, skills = two_runs
    k_records = run_records(knowledge)
    n_skills = len(run_records(skills))
    path = _write_mix(tmp_path, knowledge, skills, _real(tmp_path, k_records[0]), dedup={"method": "exact"})
    result = run_mix(load_mix(path))
    assert result.duplicates == {"knowledge": 0, "skills": 0, "real": 1}
    p1, p2 = result.phases
    assert len(k_records) == 12  # 4 rows from each of the example's 3 knowledge leaves
    assert p1.composition == {"knowledge": 12} and p1.rows == 12
    assert p2.composition == {"skills": round(0.5 * n_skills), "real": 2, "replay:phase1": 3}
    phase1 = [json.loads(line) for line in (result.out_dir / "phase1/train.jsonl").read_text().splitlines()]
    phase2 = [json.loads(line) for line in (result.out_dir / "phase2/train.jsonl").read_text().splitlines()]
    assert sorted(map(record_text, phase1)) == sorted(map(record_text, k_records))
    replayed = [r for r in phase2 if r in phase1]
    assert len(replayed) == 3
    import datasets

    assert datasets.load_from_disk(str(result.out_dir / "phase2/hf")).num_rows == p2.rows
    card = (result.out_dir / "phase2/README.md").read_text()
    assert "| `replay:phase1` | 3 |" in card and "| `real` | file" in card and "| 2 | 1 |" in card
    # same seed, same data
    again = run_mix(load_mix(path))
    assert (again.out_dir / "phase2/train.jsonl").read_text() == (result.out_dir / "phase2/train.jsonl").read_text()


def test_mix_cli_and_errors(tmp_path, two_runs):
    knowledge, skills = two_runs
    real = _real(tmp_path, {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]})
    path = _write_mix(tmp_path, knowledge, skills, real, formats=["jsonl"])
    ok = run_cli("mix", str(path))
    assert ok.returncode == 0, ok.stderr
    assert "phase2" in ok.stdout
    bad = yaml.safe_load(path.read_text())
    bad["phases"][1]["replay"] = {"phase9": 0.5}
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(RecipeError, match="replays 'phase9', which is not an earlier phase"):
        load_mix(path)
    bad["phases"][1] = {"name": "phase2", "take": {"real": 50}}
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(SynthloomError, match="asks for 50 rows but only 3 are available"):
        run_mix(load_mix(path))
    result = run_cli("mix", str(path))
    assert result.returncode == 2 and "only 3 are available" in result.stderr
    (tmp_path / "wrong.jsonl").write_text('{"text": "hello"}\n')
    bad["sources"]["real"] = {"path": str(tmp_path / "wrong.jsonl")}
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(SynthloomError, match="records need `messages`"):
        run_mix(load_mix(path))


def test_minhash_dedup_drops_near_copies_of_earlier_sources_and_of_its_own():
    from types import SimpleNamespace

    from synthloom.config.mix import Dedup
    from synthloom.curate.mix import _dedup

    def sft(text):
        return {"messages": [{"role": "user", "content": "Explain this."}, {"role": "assistant", "content": text}]}

    base = ("The black-capped chickadee is a small nonmigratory songbird that lives in deciduous and mixed "
            "forests across the northern half of North America and visits feeders in winter")
    loaded = {"synthetic": [sft(base), sft("A completely different answer about tides, the moon and the sea.")],
              "real": [sft(base.replace("small", "tiny")),  # near copy of a synthetic record
                       sft("Volcanoes form where magma reaches the surface through cracks in the crust."),
                       sft("Volcanoes form where magma reaches the surface through cracks in the crust!")]}
    dropped = _dedup(SimpleNamespace(dedup=Dedup(method="minhash", threshold=0.7)), loaded)
    assert dropped == {"synthetic": 0, "real": 2}
    assert [r["messages"][1]["content"][:9] for r in loaded["real"]] == ["Volcanoes"]


def _generations(tmp_path, sizes: dict[str, int]) -> dict[str, dict]:
    sources = {}
    for name, n in sizes.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"messages": [{"role": "user", "content": f"{name} question {i}"},
                                                         {"role": "assistant", "content": f"answer {i}"}]}) + "\n"
                                for i in range(n)))
        sources[name] = {"path": str(path)} if name == "real" else \
            {"path": str(path), "kind": "synthetic", "generation": int(name.removeprefix("gen"))}
    return sources


def _accumulate(tmp_path, sources, **plan):
    path = tmp_path / "acc.yaml"
    path.write_text(yaml.safe_dump({"name": "acc", "output_dir": str(tmp_path / "mixes"), "sources": sources,
                                    "accumulate": plan}))
    return path


def test_accumulate_keeps_every_generation_at_the_real_share_asked_for(tmp_path):
    sources = _generations(tmp_path, {"real": 100, "gen1": 80, "gen2": 80, "gen3": 40})
    result = run_mix(load_mix(_accumulate(tmp_path, sources, real_share=0.25)))
    (phase,) = result.phases
    # the real side is the scarce one past a quarter: all 200 synthetic rows, 67 real
    assert phase.composition == {"real": 67, "gen1": 80, "gen2": 80, "gen3": 40} and phase.real == 67
    records = [json.loads(line) for line in (phase.files[0]).read_text().splitlines()]
    assert len(records) == 267 and sum("real question" in r["messages"][0]["content"] for r in records) == 67
    card = (tmp_path / "mixes" / "acc" / "accumulated" / "README.md").read_text()
    assert "Real data: 67 of 267 rows (25.1%)" in card and "accumulate" in card
    assert "| `real` | file" in card and "| real | 0 |" in card and "| synthetic | 3 |" in card
    summary = json.loads((tmp_path / "mixes" / "acc" / "mix.json").read_text())
    assert summary["phases"][0]["real_share"] == round(67 / 267, 6)

    sized = run_mix(load_mix(_accumulate(tmp_path, sources, real_share=0.5, rows=120, name="half")))
    assert sized.phases[0].composition == {"real": 60, "gen1": 24, "gen2": 24, "gen3": 12}  # every generation in proportion
    everything = run_mix(load_mix(_accumulate(tmp_path, sources, name="all")))
    assert everything.phases[0].rows == 300 and everything.phases[0].real == 100


def test_accumulate_refuses_what_it_cannot_keep(tmp_path):
    sources = _generations(tmp_path, {"real": 10, "gen1": 10})
    done = run_cli("mix", str(_accumulate(tmp_path, sources, real_share=0.5, rows=50)))
    assert done.returncode != 0 and "need 25 real and 25 synthetic rows; the sources have 10 and 10" in done.stderr
    assert "Traceback" not in done.stderr
    bad = dict(sources, real={**sources["real"], "generation": 2})
    with pytest.raises(RecipeError, match="a real source is generation 0"):
        load_mix(_accumulate(tmp_path, bad, real_share=0.5))
    only_synthetic = {"gen1": sources["gen1"]}
    with pytest.raises(RecipeError, match="needs at least one real and one synthetic source"):
        load_mix(_accumulate(tmp_path, only_synthetic, real_share=0.5))
