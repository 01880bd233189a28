"""A clone of the repository alone is enough: nothing a user runs or reads points outside it,
and the example taxonomy ships inside the package."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from synthloom.recipes import copy_recipe, example_document_map, example_taxonomy

from .conftest import ROOT, run_cli

# ../shared exists only on the team's machines; users clone the repository alone.
OUTSIDE = re.compile(r"\.\./shared|shared/fixtures|\bshared/DESIGN\.md")


def test_no_user_facing_file_names_the_teams_shared_folder():
    files = [ROOT / "README.md", ROOT / "Makefile", *(ROOT / "docs").rglob("*"), *(ROOT / "src").rglob("*"),
             *(ROOT / "examples").rglob("*")]
    named = []
    for path in files:
        built = any(part == "__pycache__" or part.endswith(".egg-info") for part in path.parts)
        if path.is_file() and not built:
            text = path.read_text(encoding="utf-8", errors="replace")
            named += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert named == []


def test_the_architecture_map_names_every_package():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(p.name for p in (ROOT / "src/synthloom").iterdir() if (p / "__init__.py").is_file())
    assert [p for p in packages if f"**{p}/**" not in text] == []
    # every module it names in backticks exists
    modules = {m.name for m in (ROOT / "src/synthloom").rglob("*.py")}
    named = set(re.findall(r"`([a-z_]+\.py)`", text))
    assert named and named <= modules, sorted(named - modules)
    # and every module is named, or lives in a folder it names (one class per kind, e.g. `columns/`)
    folders = set(re.findall(r"`([a-z_]+)/`", text))
    unnamed = [p for p in (ROOT / "src/synthloom").rglob("*.py")
               if p.name != "__init__.py" and p.name not in named and p.parent.name not in folders]
    assert unnamed == []


@pytest.mark.slow
def test_the_wheel_carries_the_example_taxonomy_and_its_documents(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("synthloom-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    package = Path(sys.modules["synthloom"].__file__).parent
    shipped = [p.relative_to(package.parent).as_posix() for p in example_taxonomy().parent.rglob("*")
               if p.is_file() and p.suffix != ".pyc" and ("taxonomy" in p.parts or "knowledge_docs" in p.parts)]
    assert any(n.endswith("qna.yaml") for n in shipped) and any(n.endswith(".md") for n in shipped)
    assert sorted(set(shipped) - names) == []
    # the review app's page, style and scripts are served from the package
    static = [p.relative_to(package.parent).as_posix() for p in (package / "review" / "static").iterdir()]
    assert len(static) >= 5 and sorted(set(static) - names) == []


def test_recipes_init_copies_the_example_the_recipe_reads(tmp_path):
    from synthloom.config import load_recipe
    from synthloom.data.sources.taxonomy import taxonomy_rows

    target, folders = copy_recipe("lab_knowledge", tmp_path / "mine")
    assert sorted(f.name for f in folders) == ["knowledge_docs", "taxonomy"]
    recipe = load_recipe(target)
    seed = next(c for c in recipe.columns if c.name == "seed")
    notices: list[str] = []
    rows = taxonomy_rows(recipe.resolve_path(seed.taxonomy), seed.taxonomy_kinds, unit="chunk",
                         document_map={k: recipe.resolve_path(v) for k, v in seed.document_map.items()}, notices=notices)
    assert rows and notices == [] and all(r["source"].endswith(".md") for r in rows)
    # a second recipe into the same folder leaves the user's (maybe edited) taxonomy alone
    (tmp_path / "mine/taxonomy/README.md").write_text("mine")
    _, again = copy_recipe("lab_freeform_skills", tmp_path / "mine")
    assert again == [] and (tmp_path / "mine/taxonomy/README.md").read_text() == "mine"


def test_the_example_document_map_points_into_the_package():
    [(repo, folder)] = example_document_map().items()
    assert repo.startswith("https://") and folder.is_dir() and any(folder.rglob("*.md"))


def test_recipes_init_from_the_command_line(tmp_path):
    made = run_cli("recipes", "init", "lab_grounded_skills", str(tmp_path / "r"))
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "r/taxonomy").is_dir() and "taxonomy/" in made.stdout
    checked = run_cli("validate", str(tmp_path / "r/lab_grounded_skills.yaml"), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
