"""Every code block of README.md is checked, in document order, in one folder: YAML blocks are
validated with synthloom's own loaders (and saved where a block names a file), Python blocks run
as written, the tour's `console` blocks run command by command with bash, checking each command's
exit code and the output the README shows, a listing's files must exist, and `make` lines must name
Makefile targets. How a block is checked is in its info string (tests/readme_blocks.py); the one
`text diagram` is a drawing and is only shown."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT
from .readme_blocks import (
    Block,
    Command,
    code_blocks,
    console_commands,
    normalise,
    output_matches,
    parse_info,
    problems,
)

README = ROOT / "README.md"
BIN = Path(sys.executable).parent  # the venv's bin: `synthloom` and `python` are ours
README_PORT = 8000


class TourFailure(AssertionError):
    pass


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tour:
    """One folder a reader works in, following the blocks in order."""

    def __init__(self, folder: Path, port: int, scratch: Path):
        self.folder, self.port, self.scratch = folder, port, scratch
        self.cwd = folder
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNTHLOOM_", "OPENAI_"))}
        self.env = {**env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "NO_COLOR": "1",
                    "COLUMNS": "1000", "TERM": "dumb"}
        self.services: list[tuple[subprocess.Popen, Path]] = []
        self.took: list[tuple[str, float]] = []  # seconds per block or command
        folder.mkdir(parents=True, exist_ok=True)
        scratch.mkdir(parents=True, exist_ok=True)

    def localise(self, text: str) -> str:
        """The only edit the test makes to a block: port 8000 becomes a free port, so a busy 8000
        on the machine running the tests cannot fail them."""
        return re.sub(rf"(?<![\d.,]){README_PORT}(?![\d,]|\.\d)", str(self.port), text)

    def run(self, block: Block) -> None:
        kind = block.kind
        if kind.startswith("yaml "):
            self.yaml_block(block)
        elif kind == "python":
            self.python_block(block)
        elif kind == "console":
            for command in console_commands(block):
                self.command(block, command)
        elif kind == "text":
            self.listing(block)
        elif kind == "sh make":
            self.make_targets(block)
        elif kind == "text diagram":
            pass  # a drawing of the pipeline: nothing to run
        else:
            raise TourFailure(f"{block.where()}: no check for kind '{kind}'")

    # ---- YAML: validated as what it says it is, saved where it names a file ----
    def yaml_block(self, block: Block) -> None:
        from synthloom.config.errors import SynthloomError
        from synthloom.config.loader import load_curation, load_mix, load_recipe, parse_recipe
        from synthloom.evaluate.gates import load_gates
        from synthloom.recipes import builtin_recipe_path

        text = self.localise(block.text)
        role = block.role
        try:
            if role == "filters":
                fragment = yaml.safe_load(text)
                if not isinstance(fragment, dict) or set(fragment) != {"filters"}:
                    raise TourFailure(f"{block.where()}: a filters block holds `filters:` and nothing else")
                base = builtin_recipe_path(block.options["base"])
                recipe = yaml.safe_load(base.read_text(encoding="utf-8"))
                recipe["filters"] = fragment["filters"]
                parse_recipe(yaml.safe_dump(recipe, sort_keys=False), source=f"{base.name} with README's filters",
                             base_dir=base.parent)
                return
            name = block.options.get("file")
            path = (self.cwd / name) if name else (self.scratch / f"line{block.line}.yaml")
            path.write_text(text, encoding="utf-8")
            load = {"recipe": load_recipe, "curation": load_curation, "mix": load_mix, "gates": load_gates}[role]
            load(path)
        except SynthloomError as exc:
            # the file's line N is README line block.line + N (the fence is the line before line 1)
            at = re.search(r"\.yaml:(\d+):", str(exc))
            line = f" (README.md:{block.line + int(at.group(1))})" if at else ""
            raise TourFailure(f"{block.where()}: not a valid {role} file{line}: {exc}") from None

    # ---- Python: saved as written and run with the venv's python in the tour folder ----
    def python_block(self, block: Block) -> None:
        name = block.options.get("file") or f"readme_line_{block.line}.py"
        (self.folder / name).write_text(self.localise(block.text), encoding="utf-8")
        done = self._run(["python", name], cwd=self.folder)
        if done.returncode != 0:
            raise TourFailure(f"{block.where()}: `python {name}` exited {done.returncode}\n"
                              f"--- output (tail) ---\n{tail(done.stdout)}")

    # ---- console: `$ ` commands in order, each with its expected output ----
    def command(self, block: Block, cmd: Command) -> None:
        command = self.localise(cmd.command)
        where = f"README.md:{cmd.line}: `$ {cmd.command}`"
        if cmd.background:
            self.start_service(where, command.rstrip().rstrip("&").rstrip(), Command(cmd.line, command, "").port)
            return
        state = self.scratch / "shell"
        state.mkdir(exist_ok=True)
        # bash runs the line as a reader's shell would; the folder it ends in and what it
        # exports carry over to the next command
        script = (f"{command}\n__readme_rc=$?\npwd > {state / 'cwd'}\nenv -0 > {state / 'env'}\n"
                  "exit $__readme_rc\n")
        started = time.monotonic()
        done = self._run(["bash", "-c", script], cwd=self.cwd)
        seconds = time.monotonic() - started
        self.took.append((where, seconds))
        if (state / "cwd").exists():
            self.cwd = Path((state / "cwd").read_text().strip())
            pairs = (item.split("=", 1) for item in (state / "env").read_text().split("\0") if "=" in item)
            self.env = dict(pairs)
            (state / "cwd").unlink()
        expected = self.localise(cmd.expected)
        shown = f"\n--- output (tail) ---\n{tail(done.stdout)}"
        wants_error = normalise(expected).startswith("error:")
        if wants_error and done.returncode == 0:
            raise TourFailure(f"{where} exited 0; the README shows it failing{shown}")
        if not wants_error and done.returncode != 0:
            raise TourFailure(f"{where} exited {done.returncode} after {seconds:.0f} s{shown}")
        if expected.strip() and not output_matches(expected, done.stdout):
            raise TourFailure(f"{where}: the output is not what the README shows\n--- README ---\n"
                              f"{expected.strip()}{shown}")

    def start_service(self, where: str, command: str, port: int | None) -> None:
        if port is None:
            raise TourFailure(f"{where}: a background command must name the `--port` it serves")
        log = self.scratch / f"service-{len(self.services)}.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(["bash", "-c", command], cwd=self.cwd, env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.services.append((proc, log))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise TourFailure(f"{where} exited {proc.returncode} at start\n--- output ---\n"
                                  f"{tail(log.read_text())}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise TourFailure(f"{where}: nothing listens on port {port} after 60 s\n--- output ---\n{tail(log.read_text())}")

    # ---- a listing of a folder's files ----
    def listing(self, block: Block) -> None:
        folder = self.cwd / self.localise(block.options["files-in"])
        for i, line in enumerate(block.text.splitlines()):
            if not line.strip():
                continue
            name = line.split()[0]
            path = folder / name
            if not (path.is_dir() if name.endswith("/") else path.exists()):
                present = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir()) if folder.is_dir() else []
                raise TourFailure(f"README.md:{block.line + 1 + i}: {folder.relative_to(self.folder)}/{name} does "
                                  f"not exist (the folder holds: {', '.join(present) or 'nothing'})")

    # ---- `make TARGET` lines name real targets (not run) ----
    def make_targets(self, block: Block) -> None:
        for i, line in enumerate(block.text.splitlines()):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if words[0] != "make" or len(words) != 2:
                raise TourFailure(f"README.md:{block.line + 1 + i}: expected `make TARGET`, got {line.strip()!r}")
            dry = subprocess.run(["make", "-n", "-C", str(ROOT), words[1]], capture_output=True, text=True, timeout=60)
            if dry.returncode != 0:
                raise TourFailure(f"README.md:{block.line + 1 + i}: `make {words[1]}` is not a target of the "
                                  f"Makefile: {dry.stderr.strip()}")

    def _run(self, argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
        return subprocess.run(argv, cwd=cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=480)

    def close(self) -> None:
        for proc, _ in self.services:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def run_tour(markdown: str, folder: Path) -> Tour:
    """Run every block in order, then stop the services the tour started."""
    tour = Tour(folder / "tour", free_port(), folder / "scratch")
    try:
        for block in code_blocks(markdown):
            started = time.monotonic()
            tour.run(block)
            if block.kind != "console":  # a console block's commands are timed one by one
                tour.took.append((block.where(), time.monotonic() - started))
    finally:
        tour.close()
    return tour


# ---- the README itself ----

def test_every_code_block_says_how_it_is_checked():
    blocks = code_blocks(README.read_text(encoding="utf-8"))
    assert problems(blocks) == []
    for block in blocks:
        if block.kind == "console":
            assert console_commands(block), f"{block.where()}: a console block without a `$ ` command"


@pytest.mark.slow
@pytest.mark.embedded
@pytest.mark.timeout(900)
def test_the_readme_runs_as_written(tmp_path):
    """The README's blocks in order, as one reader in one empty folder: the scripted server the
    tour starts, the recipe it writes, every command it shows, the Python examples."""
    tour = run_tour(README.read_text(encoding="utf-8"), tmp_path)
    slowest = sorted(tour.took, key=lambda t: -t[1])[:4]
    print("slowest:", "; ".join(f"{what} {seconds:.0f} s" for what, seconds in slowest))


# ---- the harness itself, on small inline markdown ----

SAMPLE = """\
# title

```yaml recipe file=r.yaml
name: x
```

    an indented block

~~~console
$ echo hi
hi
$ false
error: ...
~~~

- a list

  ```python
  print(1)
  ```

```yaml gate
x
```
"""


def test_blocks_are_found_fenced_or_indented_with_their_lines():
    blocks = code_blocks(SAMPLE)
    assert [(b.line, b.fenced, b.kind) for b in blocks] == [
        (3, True, "yaml recipe"), (7, False, ""), (9, True, "console"), (18, True, "python"), (22, True, "yaml gate")]
    assert blocks[0].options == {"file": "r.yaml"} and blocks[3].text == "print(1)\n"
    found = problems(blocks)
    assert len(found) == 2
    assert found[0].startswith("README.md:7: an indented code block")
    assert found[1].startswith("README.md:22 (yaml gate): unknown kind 'yaml gate'")


def test_the_info_string_parser():
    assert parse_info("yaml recipe file=recipe.yaml") == ("yaml", "recipe", {"file": "recipe.yaml"})
    assert parse_info("text files-in=runs/support-qa") == ("text", "", {"files-in": "runs/support-qa"})
    assert parse_info("python") == ("python", "", {})
    assert parse_info("") == ("", "", {})
    missing = problems([Block(1, "", True, "yaml filters", "yaml", "filters", {})])
    assert missing == ["README.md:1 (yaml filters): 'yaml filters' needs base=..."]
    extra = problems([Block(1, "", True, "console x=1", "console", "", {"x": "1"})])
    assert extra == ["README.md:1 (console x=1): 'console' takes no option x"]


def test_console_commands_and_their_expected_output():
    block = code_blocks(SAMPLE)[2]
    assert console_commands(block) == [Command(10, "echo hi", "hi"), Command(12, "false", "error: ...")]
    server = Command(1, "python -m synthloom.testing.openai_server --port 8000 --latency 0.05 &", "")
    assert server.background and server.port == 8000
    assert not Command(1, "a && b", "").background
    with pytest.raises(ValueError, match="output before the first"):
        console_commands(Block(5, "stray\n$ ls\n", True, "console", "console"))


@pytest.mark.parametrize(("expected", "actual", "matches"), [
    ("hi", "hi\n", True),
    ("a   b\nc", "a b c", True),                      # whitespace is normalised
    ("error: x.yaml:3: bad ...", "error: x.yaml:3: bad kind 'y'; use one of a, b\n", True),
    ("... ok (6 columns, ...)", "recipe.yaml: ok (6 columns, target 2 rows)", True),
    ("start ... end", "start end", True),              # `...` matches nothing too
    ("error: x.yaml:3: bad ...", "error: x.yaml:4: bad kind", False),
    ("hi", "hi there", False),                         # the whole output, not a part of it
    ("a.b", "axb", False),                             # the rest is literal
])
def test_expected_output_matching(expected, actual, matches):
    assert output_matches(expected, actual) is matches


def test_the_port_is_the_only_edit(tmp_path):
    tour = Tour(tmp_path / "t", 43210, tmp_path / "s")
    text = 'url: "http://127.0.0.1:8000/v1"\n--port 8000 &\n1,000,000 rows; 18000; 8000.5'
    assert tour.localise(text) == 'url: "http://127.0.0.1:43210/v1"\n--port 43210 &\n1,000,000 rows; 18000; 8000.5'


def test_a_wrong_block_fails_the_tour_naming_its_line(tmp_path):
    wrong_recipe = "intro\n\n```yaml recipe file=r.yaml\nname: x\ntarget_rows: 1\ncolumns:\n" \
                   "  - {name: a, kind: sampler, typ: category, values: [p]}\n```\n"
    with pytest.raises(TourFailure, match=r"README.md:3 \(yaml recipe file=r.yaml\): not a valid recipe file "
                                          r"\(README.md:7\): .*r.yaml:4: columns\[0\] \(a\) needs a `type` field"):
        run_tour(wrong_recipe, tmp_path / "a")
    wrong_output = "```console\n$ echo hello\nhallo\n```\n"
    with pytest.raises(TourFailure, match=r"README.md:2: `\$ echo hello`: the output is not what the README shows"):
        run_tour(wrong_output, tmp_path / "b")
    failing = "```console\n$ ls missing-file\n```\n"
    with pytest.raises(TourFailure, match=r"(?s)README.md:2: `\$ ls missing-file` exited 2 .*No such file"):
        run_tour(failing, tmp_path / "c")
    error_expected = "```console\n$ true\nerror: ...\n```\n"
    with pytest.raises(TourFailure, match="exited 0; the README shows it failing"):
        run_tour(error_expected, tmp_path / "d")


def test_state_carries_between_commands_and_services_stop(tmp_path):
    markdown = ("```console\n$ python -m synthloom.testing.openai_server --port 8000 &\n$ export GREETING=hi\n"
                "$ mkdir sub && cd sub\n$ echo $GREETING from $(basename $PWD)\nhi from sub\n"
                "$ python -c 'import socket; socket.create_connection((\"127.0.0.1\", 8000)).close()'\n"
                "$ touch here.txt\n```\n"
                "```text files-in=.\nhere.txt    made in sub/, where the shell still is\n```\n")
    tour = run_tour(markdown, tmp_path)
    assert (tmp_path / "tour" / "sub" / "here.txt").is_file()
    [(server, _)] = tour.services
    assert server.poll() is not None  # stopped at the end
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", tour.port), timeout=0.5).close()
    listing = "```text files-in=.\nnothing/  not there\n```\n"
    with pytest.raises(TourFailure, match=r"README.md:2: ./nothing/ does not exist"):
        run_tour(listing, tmp_path / "x")


def test_make_lines_name_real_targets(tmp_path):
    run_tour("```sh make\nmake test    # a comment\n             # more comment\n```\n", tmp_path / "a")
    with pytest.raises(TourFailure, match="`make nonesuch` is not a target"):
        run_tour("```sh make\nmake nonesuch\n```\n", tmp_path / "b")
