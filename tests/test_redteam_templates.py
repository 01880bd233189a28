"""Red team: hostile Jinja2 templates and values, and hostile model endpoints.

Templates: the real `synthloom validate` / `preview` run in a child process under a 1 GB
address-space limit and a timeout; a template that would need gigabytes or hours ends in one
sentence (validate) or a rejected cell with its reason (preview), quickly.
Secrets: an API key goes only to a host the user allowed, and credentials written in an
endpoint URL never reach a message, the manifest, the saved recipe or a rejected row."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import yaml

from synthloom.config.loader import parse_recipe
from synthloom.config.templates import template_env

ADDRESS_SPACE = 1 << 30  # 1 GB: an attack that allocates gigabytes dies here, it cannot swap the machine
TIMEOUT_S = 120


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "COLUMNS": "200", "OPENBLAS_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "synthloom.cli.app", *args],
        capture_output=True, text=True, timeout=TIMEOUT_S, env=full_env, preexec_fn=_limited,
    )


def _recipe(tmp_path: Path, columns: list[dict], **extra) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump({"name": "attack", "target_rows": 2, "batch_size": 2, **extra, "columns": columns}))
    return path


def _seed(rows: list[dict]) -> dict:
    return {"name": "s", "kind": "seed", "rows": rows}


def _one_sentence(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def _validate_refuses(tmp_path: Path, template: str) -> str:
    path = _recipe(tmp_path, [{"name": "x", "kind": "expression", "template": template}])
    return _one_sentence(_cli("validate", str(path)))


def _preview(tmp_path: Path, columns: list[dict], **extra) -> subprocess.CompletedProcess:
    result = _cli("preview", str(_recipe(tmp_path, columns, **extra)), "-n", "2")
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert "MemoryError" not in result.stdout + result.stderr
    return result


def _render(source: str, **values) -> str:
    return template_env().from_string(source).render(**values)


# ---- size: constant operations are refused at validate, before anything is computed -----------

def test_string_times_ten_to_the_ten_is_refused_at_validate(tmp_path):
    line = _validate_refuses(tmp_path, "{{ 'A' * 10**10 }}")
    assert "recipe.yaml" in line and "10,000,000,000 characters" in line and "1,000,000" in line


def test_power_tower_ten_to_the_ten_to_the_ten_is_refused_at_validate(tmp_path):
    line = _validate_refuses(tmp_path, "{{ 10 ** (10 ** 10) }}")
    assert "`**`" in line and "bits" in line


def test_list_times_ten_to_the_ten_is_refused_at_validate(tmp_path):
    line = _validate_refuses(tmp_path, "{{ [0] * 10**10 }}")
    assert "`*`" in line and "characters" in line


def test_percent_format_with_a_huge_width_is_refused_at_validate(tmp_path):
    line = _validate_refuses(tmp_path, "{{ '%0999999999d' % 1 }}")
    assert "width" in line


@pytest.mark.parametrize("extra", [
    {"filters": [{"name": "big", "expr": "('A' * 10**10) | length > 0"}]},
    {"export": {"format": "sft", "prompt": "{{ 'A' * 10**10 }}", "response": "{{ x }}"}},
])
def test_constant_amplification_in_a_filter_or_export_is_refused_at_validate(tmp_path, extra):
    path = _recipe(tmp_path, [{"name": "x", "kind": "expression", "template": "hi"}], **extra)
    line = _one_sentence(_cli("validate", str(path)))
    assert "10,000,000,000 characters" in line


def test_constant_filter_is_never_folded_while_compiling():
    # Jinja2 folds constant filters while compiling: `center` used to allocate 10 GB at compile.
    template = template_env().from_string("{{ 'a' | center(10**10) }}")
    with pytest.raises(jinja2.TemplateError, match="center filter"):
        template.render()


# ---- size: values from seed rows and model answers are checked while rendering -----------------

def test_seed_value_times_ten_to_the_ten_is_a_rejected_cell_at_preview(tmp_path):
    result = _preview(tmp_path, [_seed([{"text": "AB"}]),
                                 {"name": "x", "kind": "expression", "template": "{{ s.text * 10**10 }}"}])
    assert result.returncode == 0, result.stderr
    assert "2 rejected" in result.stdout and "20,000,000,000 characters" in result.stdout


def test_string_doubling_in_a_loop_is_stopped():
    source = "{% set ns = namespace(s='AB') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}x"
    with pytest.raises(jinja2.TemplateError, match="`~`"):
        _render(source)


def test_list_doubling_by_plus_in_a_loop_is_stopped():
    source = "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}x"
    with pytest.raises(jinja2.TemplateError, match="`\\+`"):
        _render(source)


def test_nested_list_literals_sharing_one_big_value_are_refused():
    source = ("{% set a = [x,x,x,x,x,x,x,x,x,x] %}{% set b = [a,a,a,a,a,a,a,a,a,a] %}"
              "{% set c = [b,b,b,b,b,b,b,b,b,b] %}{{ c }}")
    with pytest.raises(jinja2.TemplateError, match="list or dict"):
        _render(source, x="A" * 10_000)


@pytest.mark.parametrize("source", [
    "{% set s %}{% for i in range(100000) %}{{ x }}{% endfor %}{% endset %}{{ s | length }}",
    "{% macro m() %}{% for i in range(100000) %}{{ x }}{% endfor %}{% endmacro %}{{ m() | length }}",
    "{% filter length %}{% for i in range(100000) %}{{ x }}{% endfor %}{% endfilter %}",
])
def test_a_block_repeating_a_big_value_is_refused_before_it_is_joined(source):
    # 100,000 references to one 200,000-character value: 20 GB once joined.
    with pytest.raises(jinja2.TemplateError, match="block's text"):
        _render(source, x="A" * 200_000)


def test_replace_filter_amplification_from_a_seed_value_is_refused():
    with pytest.raises(jinja2.TemplateError, match="replace filter"):
        _render("{{ x | replace('A', x) }}", x="A" * 100_000)


def test_str_method_padding_is_refused():
    with pytest.raises(jinja2.TemplateError, match=".ljust"):
        _render("{{ 'a'.ljust(10**10) }}")


def test_str_format_with_a_huge_width_is_refused():
    with pytest.raises(jinja2.TemplateError, match="format width"):
        _render("{{ '{:>99999999999}'.format(1) }}")


def test_lipsum_global_asked_for_a_billion_paragraphs_is_refused():
    with pytest.raises(jinja2.TemplateError, match="lipsum"):
        _render("{{ lipsum(10**9) }}")


def test_range_global_over_the_sandbox_cap_is_refused():
    with pytest.raises(jinja2.TemplateError, match="MAX_RANGE"):
        _render("{{ range(10**9) | list | length }}")


def test_fifty_megabyte_rendered_prompt_is_a_rejected_cell_before_any_request(tmp_path, scripted_server):
    server = scripted_server()
    prompt = "{% for i in range(50000) %}{{ s.text }}{% endfor %}"  # 50,000 x 1,000 characters
    models = {"m": {"provider": "openai", "model": "scripted", "endpoints": [{"url": server.url}], "max_retries": 0}}
    result = _preview(tmp_path, [_seed([{"text": "A" * 1000}]),
                                 {"name": "q", "kind": "llm_text", "model": "m", "prompt": prompt}], models=models)
    assert result.returncode == 0, result.stderr
    assert "2 rejected" in result.stdout and "over 1,000,000 characters" in result.stdout
    assert server.model.requests == 0


def test_export_template_amplification_fails_with_one_sentence():
    from synthloom.config.errors import SynthloomError
    from synthloom.config.recipe import ExportSpec
    from synthloom.data.release.training_records import RecordMaker

    maker = RecordMaker(ExportSpec(format="sft", prompt="{{ q * 10**9 }}", response="{{ a }}"))
    with pytest.raises(SynthloomError, match="export template failed"):
        maker.make({"_row_id": "r1", "q": "AB", "a": "x"})


def test_recipe_filter_amplification_is_a_rejected_row(tmp_path):
    result = _preview(tmp_path, [_seed([{"text": "AB"}])],
                      filters=[{"expr": "(s.text * 10**10) | length > 1", "name": "big"}])
    assert result.returncode == 0, result.stderr
    assert "2 rejected" in result.stdout and "filter 'big'" in result.stdout


# ---- time: loops and recursion run on a step budget ----------------------------------------------

def test_nested_range_loops_of_ten_to_the_ten_steps_are_stopped(tmp_path):
    template = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x"
    result = _preview(tmp_path, [{"name": "x", "kind": "expression", "template": template}])
    assert result.returncode == 0, result.stderr
    assert "2 rejected" in result.stdout and "1,000,000 steps" in result.stdout


def test_loop_with_a_filter_that_skips_every_item_is_still_counted():
    template = "{% for i in range(100000) %}{% for j in range(100000) if false %}{% endfor %}{% endfor %}x"
    with pytest.raises(jinja2.TemplateError, match="steps"):
        _render(template)


def test_slow_work_in_each_of_few_loop_iterations_is_stopped_by_the_time_budget():
    # 100,000 steps is within the step budget; sorting 100,000 strings each time is not.
    with pytest.raises(jinja2.TemplateError, match="ran for more than"):
        _render("{% for i in range(100000) %}{% set y = big | sort %}{% endfor %}",
                big=[str(i) for i in range(100_000)])


def test_exponential_recursive_loop_is_stopped():
    with pytest.raises(jinja2.TemplateError):
        _render("{% set ns = namespace(a=1) %}{% for a in [ns] recursive %}{{ loop([ns, ns]) }}{% endfor %}")


def test_namespace_grown_after_it_was_shared_is_refused_when_printed():
    with pytest.raises(jinja2.TemplateError, match="printed value"):
        _render("{% set ns = namespace(a=1) %}{% set l = [ns] * 100000 %}{% set ns.a = x %}{{ l }}", x="A" * 200_000)


def test_exponential_macro_recursion_is_stopped():
    with pytest.raises(jinja2.TemplateError):
        _render("{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}")


def test_a_python_error_in_a_template_is_a_rejected_cell_not_a_crash(tmp_path):
    result = _preview(tmp_path, [{"name": "x", "kind": "expression", "template": "{{ 1 / 0 }}"}])
    assert result.returncode == 0, result.stderr
    assert "2 rejected" in result.stdout and "ZeroDivisionError" in result.stdout


# ---- escapes: the sandbox blocks Python internals ------------------------------------------------

@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ range.__self__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ (1).__class__.__base__.__subclasses__() }}",
])
def test_python_internals_escape_is_blocked(source):
    with pytest.raises(jinja2.TemplateError):
        _render(source)


def test_escape_through_a_seed_value_is_blocked(tmp_path):
    # A value is data: template syntax inside it is never evaluated.
    out = _render("{{ s }}", s="{{ ''.__class__.__mro__ }}")
    assert out == "{{ ''.__class__.__mro__ }}"


def test_sandbox_is_a_sandboxed_environment():
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    assert isinstance(template_env(), ImmutableSandboxedEnvironment)
    with pytest.raises(jinja2.exceptions.SecurityError):
        _render("{% set l = [1] %}{{ l.append(2) }}")


def test_ordinary_templates_still_render():
    out = _render("{{ x | length }} {{ [1, 2] | join(',') }} {{ 'a' ~ 1 }} {{ '%s-%d' % ('a', 3) }} {{ 2 ** 8 }} "
                  "{% for c in 'ab' %}{{ loop.index }}{{ c | upper }}{% endfor %}", x="abc")
    assert out == "3 1,2 a1 a-3 256 1A2B"
    recipe = parse_recipe(yaml.safe_dump({"name": "ok", "target_rows": 1, "columns": [
        {"name": "x", "kind": "expression", "template": "{{ 'ab' * 3 }}"}]}))
    assert recipe.columns[0].name == "x"
    assert json.loads(_render("{{ d | tojson }}", d={"a": [1, 2]})) == {"a": [1, 2]}


# ---- secrets: where an API key may go, and credentials written in a URL -------------------------

KEY = "sk-test-not-a-real-key-4f1c"
NOT_ALLOWED = "[::ffff:127.0.0.1]"  # this machine, but not a name on the loopback allow-list


def _model(url: str, **extra) -> dict:
    return {"m": {"provider": "openai", "model": "scripted", "endpoints": [{"url": url}], "max_retries": 0,
                  "backoff_base_s": 0.0, **extra}}


def _asks(**extra) -> list[dict]:
    return [{"name": "topic", "kind": "sampler", "type": "category", "values": ["birds"]},
            {"name": "q", "kind": "llm_text", "model": "m", "prompt": "Ask about {{ topic }}.", **extra}]


def _no_allow_list() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "SYNTHLOOM_ALLOWED_KEY_HOSTS"}
    return {**env, "SL_TEST_KEY": KEY}


def _run_cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synthloom.cli.app", *args], capture_output=True, text=True,
                          timeout=TIMEOUT_S, env={**env, "COLUMNS": "200"}, preexec_fn=_limited)


def test_api_key_to_a_host_the_user_did_not_allow_is_refused_before_any_request(tmp_path, scripted_server):
    server = scripted_server()
    url = f"http://{NOT_ALLOWED}:{server.port}/v1"
    path = _recipe(tmp_path, _asks(), models=_model(url, api_key_env="SL_TEST_KEY"))
    result = _run_cli(["preview", str(path), "-n", "1"], _no_allow_list())
    line = _one_sentence(result)
    assert "SYNTHLOOM_ALLOWED_KEY_HOSTS=[::ffff:7f00:1]" in line and "SYNTHLOOM_ALLOWED_KEY_HOSTS" in line and KEY not in line
    assert server.model.seen == []


def test_api_key_over_plain_http_to_an_allowed_remote_host_is_refused(tmp_path, scripted_server):
    server = scripted_server()
    url = f"http://{NOT_ALLOWED}:{server.port}/v1"
    path = _recipe(tmp_path, _asks(), models=_model(url, api_key_env="SL_TEST_KEY"))
    env = {**_no_allow_list(), "SYNTHLOOM_ALLOWED_KEY_HOSTS": "api.example.org, [::ffff:127.0.0.1]"}
    line = _one_sentence(_run_cli(["preview", str(path), "-n", "1"], env))
    assert "without encryption" in line and "https://" in line
    assert server.model.seen == []


def test_api_key_goes_only_in_the_authorization_header_of_an_allowed_host(tmp_path, scripted_server):
    server = scripted_server()
    path = _recipe(tmp_path, _asks(), models=_model(server.url, api_key_env="SL_TEST_KEY"))
    result = _run_cli(["preview", str(path), "-n", "2"], _no_allow_list())  # loopback: allowed by default
    assert result.returncode == 0, result.stderr
    assert server.model.seen and all(auth == f"Bearer {KEY}" for _, auth in server.model.seen)
    assert not any(KEY in url for url, _ in server.model.seen)
    assert KEY not in result.stdout + result.stderr


def test_api_key_env_must_be_a_variable_name(tmp_path):
    path = _recipe(tmp_path, _asks(), models=_model("http://127.0.0.1:9/v1", api_key_env="KEY; cat /etc/passwd"))
    line = _one_sentence(_cli("validate", str(path)))
    assert "api_key_env" in line


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in folder.rglob("*") if p.is_file())


def test_password_in_an_endpoint_url_never_reaches_messages_manifest_recipe_or_rejected_rows(tmp_path, scripted_server):
    server = scripted_server(fault_rate=1.0, faults=("500",))
    url = f"http://alice:hunter2secret@127.0.0.1:{server.port}/v1"
    path = _recipe(tmp_path, _asks(), models=_model(url), output_dir=str(tmp_path / "runs"), max_batches=1)
    result = _run_cli(["generate", str(path)], _no_allow_list())
    assert "hunter2secret" not in result.stdout + result.stderr
    assert server.model.seen, "the endpoint was called"
    run = tmp_path / "runs" / "attack"
    assert (run / "recipe.yaml").is_file() and (run / "manifest.json").is_file()
    manifest = (run / "manifest.json").read_text()
    assert "HTTP 500 from http://***@127.0.0.1" in manifest, manifest
    assert "hunter2secret" not in _all_text(run)
    assert "alice" not in (run / "recipe.yaml").read_text()


def test_token_in_an_endpoint_query_never_reaches_output_or_the_saved_run(tmp_path, scripted_server):
    server = scripted_server()
    url = f"http://127.0.0.1:{server.port}/v1?api_key=tok3nsecret&api-version=2024"
    path = _recipe(tmp_path, _asks(), models=_model(url), output_dir=str(tmp_path / "runs"))
    result = _run_cli(["generate", str(path)], _no_allow_list())
    assert result.returncode == 0, result.stderr
    assert "tok3nsecret" not in result.stdout + result.stderr
    assert any("api_key=tok3nsecret" in u and "/v1/chat/completions?" in u for u, _ in server.model.seen)
    run = tmp_path / "runs" / "attack"
    assert "api_key=***&api-version=2024" in (run / "recipe.yaml").read_text()
    assert "tok3nsecret" not in _all_text(run)


def test_redaction_keeps_the_fingerprint_and_resume_works():
    def recipe(url: str):
        return parse_recipe(yaml.safe_dump({"name": "r", "target_rows": 1, "models": _model(url), "columns": _asks()}))

    a = recipe("http://alice:one@127.0.0.1:9/v1?token=x&v=2")
    b = recipe("http://alice:two@127.0.0.1:9/v1?token=y&v=2")
    assert a.fingerprint() == b.fingerprint()  # rotating a password keeps the run resumable
    saved = yaml.safe_dump(a.model_dump(mode="json", by_alias=True, exclude_none=True))
    assert "one" not in saved and "token=***" in saved and "v=2" in saved
    assert parse_recipe(saved).fingerprint() == a.fingerprint()
    plain = recipe("http://127.0.0.1:9/v1")
    assert plain.models["m"].endpoints[0].model_dump(mode="json")["url"] == "http://127.0.0.1:9/v1"


def test_export_messages_of_the_wrong_shape_from_a_row_fail_with_one_sentence():
    from synthloom.config.errors import SynthloomError
    from synthloom.config.recipe import ExportSpec
    from synthloom.data.release.training_records import RecordMaker

    maker = RecordMaker(ExportSpec(format="sft", messages="convo"))
    for convo in ('[{"content": "no role"}]', "not json", [3]):
        with pytest.raises(SynthloomError, match="`messages` did not give"):
            maker.make({"_row_id": "r1", "convo": convo})


@pytest.mark.parametrize("source, match", [
    ("{{ 'a'.translate({97: x}) }}", "translate"),
    ("{{ '{:{w}}'.format(1, w=10**9) }}", "nested field"),
    ("{{ range(2000) | map('string') | map('list') | sum(start=[]) }}", "sum filter"),
    ("{{ ('<a' ~ x) | striptags }}", "striptags"),
    ("{{ (x ~ '\\n' ~ x) | indent(10**9) }}", "indent filter"),
    ("{{ [1] | batch(10**9, x) | list }}", "batch filter"),
    ("{{ range(1000) | join(x) }}", "join filter"),
    ("{{ x | wordwrap(1, wrapstring=x) }}", "wordwrap filter"),
    ("{{ ('\\t' * 1000).expandtabs(10**6) }}", ".expandtabs"),
    ("{{ '1'.zfill(10**10) }}", ".zfill"),
    ("{{ x.join(range(1000) | map('string')) }}", ".join"),
])
def test_amplifying_filter_or_method_is_refused_before_it_runs(source, match):
    with pytest.raises(jinja2.TemplateError, match=match):
        _render(source, x="A" * 200_000)


class _Recorder:
    """A real HTTP server on 127.0.0.1 that answers every POST with one canned response and
    records each request's path and Authorization header."""

    def __init__(self, status: int, body: dict, headers: dict | None = None):
        import http.server
        import threading

        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                seen.append((self.path, self.headers.get("Authorization")))
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_server_echoing_the_key_in_its_error_does_not_put_it_in_the_message(tmp_path):
    server = _Recorder(401, {"error": {"message": f"Incorrect API key provided: {KEY}"}})
    try:
        path = _recipe(tmp_path, _asks(), models=_model(server.url, api_key_env="SL_TEST_KEY"))
        line = _one_sentence(_run_cli(["preview", str(path), "-n", "1"], _no_allow_list()))
    finally:
        server.close()
    assert "HTTP 401" in line and "Incorrect API key provided: ***" in line and KEY not in line


def test_a_redirect_does_not_carry_the_key_to_another_host(tmp_path):
    elsewhere = _Recorder(200, {})
    server = _Recorder(307, {}, headers={"Location": elsewhere.url + "/chat/completions"})
    try:
        path = _recipe(tmp_path, _asks(), models=_model(server.url, api_key_env="SL_TEST_KEY"))
        result = _run_cli(["preview", str(path), "-n", "1"], _no_allow_list())
    finally:
        server.close()
        elsewhere.close()
    assert server.seen and elsewhere.seen == []
    assert KEY not in result.stdout + result.stderr


def test_validate_answers_under_a_400_mb_address_space_limit(tmp_path):
    """It used to spin at full CPU with no output: datasketch pulled scipy, whose OpenBLAS could
    not start its threads under the limit. The issue's own setting: no OPENBLAS_NUM_THREADS."""
    good = _recipe(tmp_path, [{"name": "x", "kind": "expression", "template": "{{ 'ok' }}"}])
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"name": "attack", "target_rows": 2, "columns": [
        {"name": "x", "kind": "expression", "template": "{{ 'A' * 10**10 }}"}]}))

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (400 << 20, 400 << 20))

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    for path, code in ((good, 0), (bad, 2)):
        result = subprocess.run([sys.executable, "-m", "synthloom.cli.app", "validate", str(path)], capture_output=True,
                                text=True, timeout=60, env={**env, "COLUMNS": "200"}, preexec_fn=limited)
        assert result.returncode == code, result.stderr
        assert "Traceback" not in result.stderr and (result.stdout + result.stderr).strip()
