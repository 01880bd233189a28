"""Size and step budgets for Jinja2 templates written by a possibly hostile recipe or fed by
hostile values (seed rows, model answers).

The sandbox (`templates.py`) routes every operation that can make a value much bigger than
its inputs through the checks here *before* the value is made: `*`, `**`, `+`, `%`, `~`,
list / tuple / dict literals, every filter, every call (functions, methods, macros). A value
may hold at most MAX_VALUE_CHARS characters (counting nested items, each shared item as
often as it appears, which is what printing it would cost), an integer at most MAX_INT_BITS
bits, and one render may take at most MAX_STEPS steps (loop iterations, calls and filters
together) and MAX_SECONDS of wall time, both checked at every step. A render's text may hold at
most MAX_OUTPUT_CHARS characters.

Nothing is folded at compile time (the sandbox's code generator evaluates no constants), so
compiling a template never computes any of its values; `check_constants` evaluates a
template's constant operations under these same limits so `synthloom validate` can name
one that can never fit."""

from __future__ import annotations

import contextvars
import re
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.utils import Namespace

MAX_VALUE_CHARS = 1_000_000
MAX_OUTPUT_CHARS = 1_000_000
MAX_INT_BITS = 10_000
MAX_STEPS = 1_000_000
MAX_SECONDS = 5.0
MAX_WIDTH = 10_000  # a field width or padding in `%`, .format, center, indent, ...


class TemplateLimitError(jinja2.TemplateRuntimeError):
    """A template went past one of the limits above; the message says which."""


class _Budget:
    __slots__ = ("steps", "deadline")

    def __init__(self) -> None:
        self.steps = MAX_STEPS
        self.deadline = time.monotonic() + MAX_SECONDS


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("synthloom_template_budget", default=None)


@contextmanager
def budget() -> Iterator[None]:
    """One render's step and time budget (a render inside another shares the outer one)."""
    if _BUDGET.get() is not None:
        yield
        return
    token = _BUDGET.set(_Budget())
    try:
        yield
    finally:
        _BUDGET.reset(token)


def step() -> bool:
    b = _BUDGET.get()
    if b is None:
        return True
    b.steps -= 1
    if b.steps < 0:
        raise TemplateLimitError(f"the template took more than {MAX_STEPS:,} steps (loop iterations and calls)")
    if time.monotonic() > b.deadline:
        raise TemplateLimitError(f"the template ran for more than {MAX_SECONDS:g} s")
    return True


def size(value: Any, cap: int = MAX_VALUE_CHARS) -> int:
    """About how many characters printing `value` takes; stops counting past `cap`."""
    total, stack = 0, [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (str, bytes)):
            total += len(v)
        elif isinstance(v, bool) or v is None:
            total += 4
        elif isinstance(v, int):
            total += v.bit_length() // 3 + 1
        elif isinstance(v, (list, tuple, set, frozenset)):
            total += 2 + len(v)
            stack.extend(v)
        elif isinstance(v, dict):
            total += 2 + len(v)
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, Namespace):
            stack.append(v._Namespace__attrs)  # type: ignore[attr-defined]
        else:
            total += 8
        if total > cap:
            return total
    return total


def check_size(value: Any, what: str, cap: int = MAX_VALUE_CHARS) -> Any:
    n = size(value, cap)
    if n > cap:
        raise TemplateLimitError(f"{what} would be over {cap:,} characters")
    return value


def _too_big(what: str, n: int, cap: int = MAX_VALUE_CHARS) -> None:
    if n > cap:
        raise TemplateLimitError(f"{what} would make about {n:,} characters, over the limit of {cap:,}")


def _int_bits(what: str, bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise TemplateLimitError(f"{what} would make a number of about {bits:,} bits, over the limit of {MAX_INT_BITS:,}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_SEQ = (str, bytes, list, tuple)
_PRINTF = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def check_printf(fmt: str, args: Any) -> None:
    for width, precision in _PRINTF.findall(fmt):
        for n in (width, precision):
            if n == "*" or (n and int(n) > MAX_WIDTH):
                raise TemplateLimitError(f"a `%` format width or precision over {MAX_WIDTH:,} is refused")
    _too_big("`%` formatting", len(fmt) + size(args))


def check_format_string(fmt: str, args: Any = (), kwargs: Any = None) -> None:
    """str.format: no nested fields in a spec, no width or precision over MAX_WIDTH."""
    try:
        parts = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        raise TemplateLimitError(f"bad format string: {exc}") from None
    for _, _, spec, _ in parts:
        if spec and "{" in spec:
            raise TemplateLimitError("a nested field in a format spec is refused")
        if spec and any(int(n) > MAX_WIDTH for n in re.findall(r"\d+", spec)):
            raise TemplateLimitError(f"a format width or precision over {MAX_WIDTH:,} is refused")
    _too_big(".format", len(fmt) + size(args) + size(kwargs or {}))


def binop(op: str, a: Any, b: Any) -> Any:
    """`a op b` for the operators the sandbox intercepts, refused before it gets too big."""
    step()
    what = f"`{op}`"
    if op == "*":
        if _is_int(a) and _is_int(b):
            _int_bits(what, a.bit_length() + b.bit_length())
        elif isinstance(a, _SEQ) and _is_int(b):
            _too_big(what, size(a) * max(b, 0))
        elif isinstance(b, _SEQ) and _is_int(a):
            _too_big(what, size(b) * max(a, 0))
        return a * b
    if op == "**":
        if _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1:
            _int_bits(what, (abs(a).bit_length() - 1) * b)
        return a**b
    if op == "+":
        if isinstance(a, _SEQ) and isinstance(b, _SEQ):
            _too_big(what, size(a) + size(b))
        return a + b
    if op == "%":
        if isinstance(a, (str, bytes)):
            check_printf(a if isinstance(a, str) else a.decode("latin-1"), b)
        return a % b
    if op == "-":
        return a - b
    if op == "/":
        return a / b
    if op == "//":
        return a // b
    raise TemplateLimitError(f"operator {op} is not supported")


def concat(parts: tuple[Any, ...]) -> str:
    """`a ~ b ~ ...`."""
    step()
    _too_big("`~`", sum(size(p) for p in parts))
    return "".join(str(p) for p in parts)


def join_text(pieces: Any) -> str:
    """The text of a block (`{% set x %}...{% endset %}`, a macro, `caller()`, `{% filter %}`),
    which Jinja2 collects in a list of pieces: refused before joining past MAX_OUTPUT_CHARS."""
    out, total = [], 0
    for piece in pieces:
        total += len(piece)
        if total > MAX_OUTPUT_CHARS:
            raise TemplateLimitError(f"a block's text would be over {MAX_OUTPUT_CHARS:,} characters")
        out.append(piece)
    return "".join(out)


def literal(value: Any) -> Any:
    """A list, tuple or dict literal: its items may be big already."""
    return check_size(value, "a list or dict")


# Filters that can make much more than they are given, checked before they run. `args` are
# the filter's arguments after the value.
def _filter_estimate(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    def arg(i: int, key: str, default: Any) -> Any:
        return args[i] if len(args) > i else kwargs.get(key, default)

    n = size(value)
    text = value if isinstance(value, str) else ""
    if name == "center":
        width = arg(0, "width", 80)
        return max(n, width if _is_int(width) else 0)
    if name == "indent":
        width = arg(0, "width", 4)
        pad = len(width) if isinstance(width, str) else width if _is_int(width) else 0
        return n + (text.count("\n") + 1) * pad
    if name == "replace":
        old, new = str(arg(0, "old", "")), str(arg(1, "new", ""))
        hits = text.count(old) if old else len(text) + 1
        count = arg(2, "count", None)
        if _is_int(count) and count >= 0:
            hits = min(hits, count)
        return n + hits * max(len(new) - len(old), 0)
    if name == "join":
        sep = str(arg(0, "d", ""))
        return n + len(value) * len(sep) if hasattr(value, "__len__") else n
    if name in ("batch", "slice"):
        count, fill = arg(0, "linecount" if name == "batch" else "slices", 1), arg(1, "fill_with", None)
        count = count if _is_int(count) else 0
        return n + count * (1 + size(fill))
    if name == "wordwrap":
        wrap = arg(3, "wrapstring", None)
        width = arg(0, "width", 79)
        lines = len(text) // max(width if _is_int(width) else 1, 1) + text.count(" ") + 1
        return n + lines * len(str(wrap or "\n"))
    if name == "format":
        check_printf(text, (args, kwargs))
        return n + size(args) + size(kwargs)
    if name == "sum":
        start = arg(1, "start", 0)
        if isinstance(start, _SEQ) and hasattr(value, "__len__") and len(value) > 1_000:
            raise TemplateLimitError("the sum filter joins at most 1,000 lists or strings")
        return n + size(start)
    if name in ("striptags", "urlize") and len(text) > 100_000:
        raise TemplateLimitError(f"the {name} filter reads at most 100,000 characters")
    # Any other filter makes about as much as it is given: a string given to the template is
    # already in memory (its result is checked), but printing a list may cost far more.
    return 0 if isinstance(value, (str, bytes)) else n


def wrap_filter(name: str, func: Any) -> Any:
    from jinja2.utils import _PassArg

    skip = 1 if _PassArg.from_obj(func) is not None else 0

    def checked(*args: Any, **kwargs: Any) -> Any:
        step()
        value, rest = (args[skip] if len(args) > skip else None), args[skip + 1 :]
        if isinstance(value, Iterator):  # map(...), select(...): count what they give first
            value = list(value)
            args = (*args[:skip], value, *rest)
        _too_big(f"the {name} filter", _filter_estimate(name, value, rest, kwargs))
        return check_size(func(*args, **kwargs), f"the result of the {name} filter")

    checked.__dict__.update(getattr(func, "__dict__", {}))  # keeps jinja_pass_arg
    checked.__name__ = getattr(func, "__name__", name)
    return checked


# str / bytes methods that can make much more than they are given.
def check_method(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Refuses a str / bytes method call that would make too much; returns the arguments to
    call it with (an iterator given to .join is read into a list first, to be counted)."""
    obj = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format
    owner = getattr(obj, "__self__", None)
    if not isinstance(owner, (str, bytes)):
        return args
    name = getattr(obj, "__name__", "")
    n = len(owner)
    if name in ("center", "ljust", "rjust", "zfill"):
        width = args[0] if args else kwargs.get("width", 0)
        if _is_int(width):
            _too_big(f".{name}", max(n, width))
    elif name == "expandtabs":
        tab = args[0] if args else kwargs.get("tabsize", 8)
        if _is_int(tab):
            _too_big(".expandtabs", n + owner.count("\t" if isinstance(owner, str) else b"\t") * max(tab, 0))
    elif name == "replace" and len(args) >= 2:
        old, new = args[0], args[1]
        hits = owner.count(old) if old else n + 1
        _too_big(".replace", n + hits * max(len(new) - len(old), 0))
    elif name == "join" and args:
        items = args[0]
        if isinstance(items, Iterator):
            items = list(items)
            args = (items, *args[1:])
        _too_big(".join", size(items) + (len(items) if hasattr(items, "__len__") else 0) * n)
    elif name in ("format", "format_map") and isinstance(owner, str):
        check_format_string(owner, args, kwargs)
    elif name in ("translate", "maketrans"):
        raise TemplateLimitError(f".{name} is not allowed in templates")
    return args


_BINOPS = {"Mul": "*", "Pow": "**", "Add": "+", "Mod": "%", "Sub": "-", "Div": "/", "FloorDiv": "//"}


class _NotConstant(Exception):
    pass


def _const(node: nodes.Node) -> Any:
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return [_const(n) for n in node.items]
    if isinstance(node, nodes.Neg):
        return -_const(node.node)
    if isinstance(node, nodes.Concat):
        return concat(tuple(_const(n) for n in node.nodes))
    op = _BINOPS.get(type(node).__name__)
    if op is not None:
        return binop(op, _const(node.left), _const(node.right))  # type: ignore[attr-defined]
    raise _NotConstant


def check_constants(tree: nodes.Node) -> None:
    """Evaluate the template's constant operations (`'A' * 10**10`) under the limits;
    raises TemplateLimitError naming the line of the first that cannot fit."""
    for node in tree.find_all((nodes.BinExpr, nodes.Concat)):
        try:
            with budget():
                _const(node)
        except _NotConstant:
            continue
        except TemplateLimitError as exc:
            raise TemplateLimitError(f"on its line {node.lineno}: {exc}") from None
        except Exception:  # 1 / 0 and the like fail at render, with their own message
            continue
