"""The one Jinja2 environment every recipe template runs in, and which other columns a
template refers to.

Shared by recipe validation (missing references, cycles) and the engine (planning).

Templates come from recipes and render values from seed rows and model answers, so both may
be hostile. The environment is Jinja2's ImmutableSandboxedEnvironment (no `__class__`,
`__globals__` or other internals, no mutation of lists and dicts) with these additions:
- nothing is folded at compile time: the code generator evaluates no constant, so
  `{{ 'A' * 10**10 }}` costs nothing to compile;
- every operation that can make much more than it is given runs under the limits of
  `template_limits.py` (value size, integer size), checked before the value is made;
- every loop iteration, call and filter is a step of the render's budget (steps and seconds);
- a render's text, and the text of each block, macro and `caller()`, is collected piece by
  piece and stops at MAX_OUTPUT_CHARS;
- any failure inside a render (1 / 0, a refused operation, a recursion too deep) is a
  jinja2.TemplateError, so callers turn it into a rejected cell with the reason."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Template, TemplateExpression
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum

from synthloom.config import template_limits as L
from synthloom.config.template_limits import TemplateLimitError

__all__ = ["TemplateLimitError", "template_env", "template_variables", "expression_variables"]


_STEP = "sl_step"


class _BudgetCodeGenerator(CodeGenerator):
    """Jinja2's code generator, with no compile-time evaluation and a step in every loop."""

    def _output_child_to_const(self, node: nodes.Expr, frame: Frame, finalize: Any) -> str:
        if isinstance(node, nodes.TemplateData):
            return super()._output_child_to_const(node, frame, finalize)
        raise nodes.Impossible()

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        tick = nodes.EnvironmentAttribute(_STEP, lineno=node.lineno)
        node.body = [nodes.ExprStmt(tick, lineno=node.lineno), *node.body]
        if node.test is not None:  # skipped items are steps too
            node.test = nodes.And(tick, node.test, lineno=node.lineno)
        super().visit_For(node, frame)

    def visit_EnvironmentAttribute(self, node: nodes.EnvironmentAttribute, frame: Frame) -> None:
        # Templates cannot write this node; only visit_For adds it, as a call of the step.
        self.write(f"environment.{node.name}()" if node.name == _STEP else f"environment.{node.name}")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.sl_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self.write("environment.sl_literal(")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self.write("environment.sl_literal(")
        super().visit_Dict(node, frame)
        self.write(")")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":
            return super().visit_Tuple(node, frame)
        self.write("environment.sl_literal(")
        super().visit_Tuple(node, frame)
        self.write(")")


class _BudgetTemplate(Template):
    def render(self, *args: Any, **kwargs: Any) -> str:
        ctx = self.new_context(dict(*args, **kwargs))
        pieces: list[str] = []
        total = 0
        try:
            with L.budget():
                for piece in self.root_render_func(ctx):
                    total += len(piece)
                    if total > L.MAX_OUTPUT_CHARS:
                        raise TemplateLimitError(f"the rendered text is over {L.MAX_OUTPUT_CHARS:,} characters")
                    pieces.append(piece)
        except jinja2.TemplateError:
            self.environment.handle_exception()
        except Exception as exc:
            raise jinja2.TemplateRuntimeError(_describe(exc)) from None
        return "".join(pieces)


class _BudgetExpression(TemplateExpression):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            with L.budget():
                return super().__call__(*args, **kwargs)
        except jinja2.TemplateError:
            raise
        except Exception as exc:
            raise jinja2.TemplateRuntimeError(_describe(exc)) from None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, RecursionError):
        return "recursion too deep"
    text = str(exc)
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:  # noqa: A002 - Jinja's names
    L._too_big("lipsum", n * max * 12 if n > 0 and max > 0 else 0)
    return generate_lorem_ipsum(n, html, min, max)


class SynthloomSandbox(ImmutableSandboxedEnvironment):
    code_generator_class = _BudgetCodeGenerator
    template_class = _BudgetTemplate
    # Intercepted operators are never folded at compile time either (jinja2.nodes.BinExpr.as_const).
    intercepted_binops = frozenset({"*", "**", "+", "%", "-", "/", "//"})

    def __init__(self) -> None:
        super().__init__(
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            optimized=False,
            finalize=self._finalize,
        )
        self.filters = {name: L.wrap_filter(name, f) for name, f in self.filters.items()}
        self.tests = {name: L.wrap_filter(name, f) for name, f in self.tests.items()}
        self.globals["lipsum"] = _lipsum
        self.sl_step = L.step
        self.sl_concat = L.concat
        self.sl_literal = L.literal
        self.concat = L.join_text  # compiled templates join every block's pieces with this

    @staticmethod
    def _finalize(value: Any) -> Any:
        return L.check_size(value, "a printed value", L.MAX_OUTPUT_CHARS)

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        return L.binop(operator, left, right)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        L.step()
        args = L.check_method(obj, args, kwargs)
        return L.check_size(super().call(context, obj, *args, **kwargs), "the result of a call")

    def compile_expression(self, source: str, undefined_to_none: bool = True) -> TemplateExpression:
        expr = super().compile_expression(source, undefined_to_none)
        return _BudgetExpression(expr._template, undefined_to_none)


# Prompts render untrusted content (seed rows, model output): always the sandbox, and
# StrictUndefined so a typo in a column name fails loudly instead of rendering "".
_ENV = SynthloomSandbox()


def template_env() -> SynthloomSandbox:
    return _ENV


@lru_cache(maxsize=1024)
def template_variables(source: str) -> frozenset[str]:
    """Top-level names a template reads; raises jinja2.TemplateSyntaxError if malformed, and
    TemplateLimitError (a ValueError too) for a constant operation that can never fit."""
    tree = _ENV.parse(source)
    try:
        L.check_constants(tree)
    except TemplateLimitError as exc:
        raise TemplateTooBig(f"template {exc.message}") from None
    return frozenset(meta.find_undeclared_variables(tree))


class TemplateTooBig(ValueError):
    """Found while validating: a constant operation in a template cannot fit the limits."""


@lru_cache(maxsize=1024)
def expression_variables(source: str) -> frozenset[str]:
    return template_variables("{{ " + source + " }}")
