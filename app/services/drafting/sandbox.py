"""The sandbox tenants' draft templates render in, bounded in work and in memory.

Jinja2's sandbox keeps a template away from Python, but not from the machine: a string
multiplied a hundred times, five times over, a filter given a width of a billion, loops
nested four deep or a macro calling itself twice per call each hold a process for
seconds or fill its memory. Here every value a template builds is measured before it is
built (or, when its size cannot be known beforehand, right after, by a bounded walk),
every loop pass, call, filter and printed value is counted against the render's
:class:`~app.services.work.WorkBudget`, and no single value may exceed
:data:`~app.domain.draft_templates.MAX_TEXT` characters. The render itself streams, so
its output is cut off as it grows, not after it has been built.

A budget is attached to one render through a context variable (a render runs in one
worker thread, and never hands work to another one), so the hooks below find it without
the template being able to see or change it.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from jinja2 import StrictUndefined, nodes, pass_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.tests import TESTS
from jinja2.utils import _PassArg

from app.domain.draft_templates import ALLOWED_FILTERS, MAX_TEXT
from app.services.work import WorkBudget

MAX_CALL_DEPTH = 10  # macros, `caller()` and recursive loops nested at most this deep
MAX_NUMBER_BITS = 128  # a product of integers beyond this is refused
# What one loop pass or call costs, in the budget's units (a unit is about one character
# copied): running a pass costs the interpreter far more than copying a character.
PASS_UNITS = 20
CALL_UNITS = 100  # a call sets up a frame, a context and a buffer for its output


class TemplateTooLarge(Exception):
    """A template tried to build a value past a bound; ``detail`` says which and how big."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass
class _Render:
    budget: WorkBudget
    depth: int = 0


_ACTIVE: ContextVar[_Render | None] = ContextVar("template_render", default=None)


class bounded_render:  # lower case: used as a `with` statement, like contextlib's helpers
    """Attach ``budget`` to the renders run inside the ``with`` block."""

    def __init__(self, budget: WorkBudget) -> None:
        self._state = _Render(budget)
        self._token: Any = None

    def __enter__(self) -> WorkBudget:
        self._token = _ACTIVE.set(self._state)
        return self._state.budget

    def __exit__(self, *exc_info: object) -> None:
        _ACTIVE.reset(self._token)


def _active() -> _Render:
    state = _ACTIVE.get()
    if state is None:
        # Every entry point into template code is a bounded render; reaching this means a
        # template ran some other way, and it must not run unbounded.
        raise RuntimeError("template code ran outside a bounded render")
    return state


def _spend(units: int) -> None:
    _active().budget.spend(units)


# --- measuring values ------------------------------------------------------------------


def size_of(value: Any, cap: int = MAX_TEXT + 1) -> int:
    """The characters ``str(value)`` would take, about, counting every element of nested
    lists and dicts, but stopping at ``cap``: a list may hold the same big list a hundred
    times over, and its size must be known without walking all of it."""
    if isinstance(value, str):
        return len(value)
    total = 0
    pending = [value]
    while pending and total < cap:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item) + 2  # quotes
        elif isinstance(item, list | tuple):
            total += 2 + 2 * len(item)  # brackets, separators; counted before walking
            if total < cap:
                pending.extend(item)
        elif isinstance(item, Mapping):
            total += 2 + 4 * len(item)
            if total < cap:
                pending.extend(item.keys())
                pending.extend(item.values())
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        else:
            total += 1
    return min(total, cap)


def _check_projected(size: int, doing: str) -> None:
    if size > MAX_TEXT:
        raise TemplateTooLarge(f"{doing} would build {size:,} characters; at most {MAX_TEXT:,}")


def _within_bound(value: Any, doing: str) -> int:
    size = size_of(value)
    if size > MAX_TEXT:
        raise TemplateTooLarge(f"{doing} was given more than {MAX_TEXT:,} characters")
    return size


def charged(value: Any, doing: str) -> Any:
    """Count a value a template built against the budget, refusing one past the bound.

    An iterator's size is not known until it is walked, so it is counted item by item as
    it is."""
    if isinstance(value, Iterator):
        return _counted(value, doing)
    size = size_of(value)
    if size > MAX_TEXT:
        raise TemplateTooLarge(f"{doing} builds more than {MAX_TEXT:,} characters")
    _spend(size)
    return value


def _counted(items: Iterator[Any], doing: str) -> Iterator[Any]:
    for produced, item in enumerate(items, start=1):
        if produced > MAX_TEXT:
            raise TemplateTooLarge(f"{doing} produces more than {MAX_TEXT:,} items")
        _spend(1 + size_of(item))
        yield item


# printf-style conversions: %[(key)][flags][width][.precision][length]type
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?([a-zA-Z%])")


def _check_printf(template: str, arguments: Any, doing: str) -> None:
    """Refuse a printf-style format whose widths and precisions would build too much."""
    projected = len(template) + size_of(arguments)
    for width, precision, _ in _PRINTF.findall(template):
        if "*" in (width, precision):
            raise SecurityError(f"{doing}: a width or precision taken from the arguments (*)")
        projected += int(width or 0) + int(precision or 0)
    _check_projected(projected, doing)


# --- filters ---------------------------------------------------------------------------

# Which filters are allowed, and why the others are not: app/domain/draft_templates.py.


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _before_center(value: Any, width: int = 80) -> None:
    _check_projected(max(size_of(value), int(width)), "`center`")


def _before_format(value: Any, *args: Any, **kwargs: Any) -> None:
    _check_printf(str(value), kwargs or args, "`format`")


def _before_indent(value: Any, width: int | str = 4, *args: Any, **kwargs: Any) -> None:
    text = str(value)
    prefix = len(width) if isinstance(width, str) else int(width)
    _check_projected(len(text) + _lines(text) * max(prefix, 0), "`indent`")


def _before_wordwrap(
    value: Any, width: int = 79, break_long_words: bool = True, wrapstring: str | None = None,
    *args: Any, **kwargs: Any
) -> None:  # fmt: skip
    text = str(value)
    per_line = max(int(width), 1)
    lines = text.count(" ") + _lines(text) + len(text) // per_line
    _check_projected(len(text) + lines * len(wrapstring or "\n"), "`wordwrap`")
    # Splitting a long word copies what is left of it once per line.
    _spend(len(text) * (1 + len(text) // per_line))


def _before_join(value: Any, d: str = "", *args: Any, **kwargs: Any) -> None:
    items = value if isinstance(value, list | tuple | str) else ()
    separators = max(len(items) - 1, 0) * len(str(d))
    _check_projected(size_of(items) + separators, "`join`")


def _before_replace(value: Any, old: str, new: str, count: int | None = None) -> None:
    text, old, new = str(value), str(old), str(new)
    found = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        found = min(found, count)
    _check_projected(len(text) + found * max(len(new) - len(old), 0), "`replace`")


def _before_batch(value: Any, linecount: int, fill_with: Any = None) -> None:
    if fill_with is not None:
        _check_projected(int(linecount), "`batch` with a filler")


def _before_slice(value: Any, slices: int, fill_with: Any = None) -> None:
    _check_projected(int(slices), "`slice`")


MAX_ROUND_DIGITS = 20


def _before_round(value: Any, precision: int = 0, method: str = "common") -> None:
    # Rounding computes 10 ** precision: a precision of a billion would never finish.
    if not -MAX_ROUND_DIGITS <= int(precision) <= MAX_ROUND_DIGITS:
        raise TemplateTooLarge(f"`round` to {precision} digits; at most {MAX_ROUND_DIGITS}")


def _before_sum(value: Any, attribute: Any = None, start: Any = 0) -> None:
    if isinstance(start, bool) or not isinstance(start, int | float):
        raise SecurityError("`sum` adds numbers only")


_BEFORE: dict[str, Callable[..., None]] = {
    "center": _before_center,
    "format": _before_format,
    "indent": _before_indent,
    "wordwrap": _before_wordwrap,
    "join": _before_join,
    "replace": _before_replace,
    "batch": _before_batch,
    "slice": _before_slice,
    "sum": _before_sum,
    "round": _before_round,
}


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with its arguments checked before it runs and its result counted after.

    The wrapper takes the context, which also keeps Jinja2 from running the filter
    while it compiles a template (when no budget is attached yet)."""
    pass_arg = _PassArg.from_obj(func)
    before = _BEFORE.get(name)
    doing = f"`{name}`"

    @pass_context
    def bounded(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, Iterator) and name in {"join", "sum"}:
            value = list(value)  # counted as it is walked; measured whole below
        # A filter reads its input at least once; one too large to print (a block of text
        # set in a loop, say) is too large to filter.
        _spend(_within_bound(value, doing))
        if before is not None:
            before(value, *args, **kwargs)
        if pass_arg is _PassArg.context:
            result = func(context, value, *args, **kwargs)
        elif pass_arg is _PassArg.eval_context:
            result = func(context.eval_ctx, value, *args, **kwargs)
        elif pass_arg is _PassArg.environment:
            result = func(context.environment, value, *args, **kwargs)
        else:
            result = func(value, *args, **kwargs)
        return charged(result, doing)

    return bounded


# --- loops and text joins in compiled templates ------------------------------------------


# Loops count their passes through calls the code generator adds to them; templates
# cannot write an environment attribute themselves, so only these calls take the direct path.
_COUNTERS = frozenset({"loop_pass", "loop_test"})


def _counter(name: str, *units: int) -> nodes.Call:
    arguments: list[nodes.Expr] = [nodes.Const(value) for value in units]
    return nodes.Call(nodes.EnvironmentAttribute(name), arguments, [], None, None)


def _literal_text(body: list[nodes.Node]) -> int:
    """Characters of template text one pass of a loop body copies, not counting nested
    loops' bodies (those count their own passes)."""
    total = 0
    pending: list[nodes.Node] = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, nodes.TemplateData):
            total += len(node.data)
        elif isinstance(node, nodes.For):
            pending.extend(node.else_)
        else:
            pending.extend(node.iter_child_nodes())
    return total


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles loops that count their passes and `~` joins that measure their parts."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        if not getattr(node, "bounded", False):
            node.bounded = True  # type: ignore[attr-defined]
            units = PASS_UNITS + _literal_text(node.body)
            node.body.insert(0, nodes.ExprStmt(_counter("loop_pass", units), lineno=node.lineno))
            if node.test is not None:
                node.test = nodes.And(_counter("loop_test"), node.test, lineno=node.lineno)
        super().visit_For(node, frame)

    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        counter = node.node
        if isinstance(counter, nodes.EnvironmentAttribute) and counter.name in _COUNTERS:
            units = ", ".join(repr(argument.value) for argument in node.args)  # type: ignore[attr-defined]
            self.write(f"environment.{counter.name}({units})")
            return
        super().visit_Call(node, frame, forward_caller=forward_caller)

    # List, tuple and dict literals are measured as they are built: `[l, l, l, l]` costs
    # nothing to make but holds four times what `l` does, and nested a few times over
    # would outgrow any bound when printed or joined.
    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self.write("environment.built(")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self.write("environment.built(")
        super().visit_Dict(node, frame)
        self.write(")")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":  # an assignment target, e.g. `{% for a, b in pairs %}`
            super().visit_Tuple(node, frame)
            return
        self.write("environment.built(")
        super().visit_Tuple(node, frame)
        self.write(")")

    def visit_Compare(self, node: nodes.Compare, frame: Frame) -> None:
        self.write("environment.compare(")
        self.visit(node.expr, frame)
        for operand in node.ops:
            self.write(f", {operand.op!r}, ")
            self.visit(operand.expr, frame)
        self.write(")")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.join_text((")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")


# --- the environment -------------------------------------------------------------------


class DraftEnvironment(ImmutableSandboxedEnvironment):
    """A Jinja2 sandbox that sees nothing but the keys of the data it is given, and counts
    what it builds against the render's budget."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("the power operator is not allowed in templates")
        doing = f"`{operator}`"
        if operator == "*":
            _check_product(left, right)
        elif operator == "+" and not _numbers(left, right):
            _check_projected(size_of(left) + size_of(right), doing)
        elif operator == "%" and isinstance(left, str):
            _check_printf(left, right, "`%`")
        return charged(super().call_binop(context, operator, left, right), doing)

    def join_text(self, parts: Iterable[Any]) -> str:
        """The `~` operator: measured before it is joined."""
        parts = tuple(parts)
        _check_projected(sum(size_of(part) for part in parts), "`~`")
        return charged("".join(map(str, parts)), "`~`")  # type: ignore[no-any-return]

    def compare(self, left: Any, *operations: Any) -> Any:
        """`==`, `<`, `in` and the rest, counted: comparing two texts reads them, and
        looking for one text in another may read the haystack once per needle character.
        Operands are evaluated before comparing (a chain does not stop at the first
        false), which no template can tell apart but by an error in a later operand."""
        result: Any = True
        for index in range(0, len(operations), 2):
            operator_name, right = operations[index], operations[index + 1]
            _spend(comparison_cost(operator_name, left, right))
            result = _COMPARISONS[operator_name](left, right)
            if not result:
                return result
            left = right
        return result

    def built(self, value: Any) -> Any:
        return charged(value, "a list or dict")

    def loop_pass(self, units: int) -> None:
        _spend(units)

    def loop_test(self) -> bool:
        # Looking at an item runs the `if` clause in a generator of its own: twice a pass.
        _spend(2 * PASS_UNITS)
        return True

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        state = _active()
        if state.depth >= MAX_CALL_DEPTH:
            raise TemplateTooLarge(f"calls nested more than {MAX_CALL_DEPTH} deep")
        state.budget.spend(CALL_UNITS)
        state.depth += 1
        try:
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            state.depth -= 1
        return charged(result, "a call")

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping):
            if attribute in obj:
                return obj[attribute]
            return self.undefined(obj=obj, name=attribute)
        if isinstance(obj, LoopContext) and not attribute.startswith("_"):
            return super().getattr(obj, attribute)
        # No Python attributes or methods of strings, lists or anything else.
        return self.unsafe_undefined(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Mapping) and isinstance(argument, str):
            return self.getattr(obj, argument)
        if isinstance(obj, list | tuple | str) and isinstance(argument, int | slice):
            try:
                item = obj[argument]
            except IndexError:
                return self.undefined(obj=obj, name=str(argument))
            # A slice is a copy; an item is a reference to what is already counted.
            return charged(item, "a slice") if isinstance(argument, slice) else item
        return self.undefined(obj=obj, name=str(argument))


_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gteq": operator.ge,
    "lt": operator.lt,
    "lteq": operator.le,
    "in": lambda item, container: item in container,
    "notin": lambda item, container: item not in container,
}


def comparison_cost(operator_name: str, left: Any, right: Any) -> int:
    """Units for one comparison: for `in`, the container times the needle's length (the
    bound of a naive substring search); otherwise both operands (measuring them reads
    them, and comparing reads the shorter)."""
    if operator_name in {"in", "notin"}:
        needle = len(left) if isinstance(left, str) else 1
        return 1 + size_of(right) * max(needle, 1)
    return 1 + size_of(left) + size_of(right)


# Tests that compare their value with an argument; the others look at the value's type.
_COMPARING_TESTS = frozenset(
    {"==", "eq", "equalto", "!=", "ne", ">", "gt", "greaterthan", "ge", ">=", "<", "lt"}
    | {"lessthan", "<=", "le"}
)


def _bounded_test(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A Jinja2 test (`is in`, `is eq`...), counted like the comparison it makes."""
    pass_arg = _PassArg.from_obj(func)

    @pass_context
    def bounded(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        if name == "in" and args:
            _spend(comparison_cost("in", value, args[0]))
        elif name in _COMPARING_TESTS and args:
            _spend(comparison_cost("eq", value, args[0]))
        else:
            _spend(1)
        if pass_arg is _PassArg.context:
            return func(context, value, *args, **kwargs)
        if pass_arg is _PassArg.environment:
            return func(context.environment, value, *args, **kwargs)
        if pass_arg is _PassArg.eval_context:
            return func(context.eval_ctx, value, *args, **kwargs)
        return func(value, *args, **kwargs)

    return bounded


def _numbers(left: Any, right: Any) -> bool:
    return isinstance(left, int | float) and isinstance(right, int | float)


def _check_product(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_NUMBER_BITS:
            raise TemplateTooLarge(f"`*` multiplies numbers past {MAX_NUMBER_BITS} bits")
        return
    sequences = (str, list, tuple)
    if isinstance(left, sequences) and isinstance(right, int):
        _check_projected(size_of(left) * right, "`*`")
    elif isinstance(right, sequences) and isinstance(left, int):
        _check_projected(size_of(right) * left, "`*`")


def make_environment(
    finalize: Callable[[Any], Any], extra_filters: Mapping[str, Any]
) -> DraftEnvironment:
    """The sandbox with no globals (no `range`, `dict`, `cycler`, `lipsum`, `namespace`:
    templates see their data only), the allowed filters bounded, and ``finalize`` run on
    every printed value before it is measured."""

    def measured(value: Any) -> Any:
        value = finalize(value)
        if _ACTIVE.get() is not None:
            charged(value, "printing a value")
        return value

    env = DraftEnvironment(
        undefined=StrictUndefined,
        autoescape=False,  # plain text, not HTML
        # Block tags keep the newline after them, so a template reads as it renders;
        # the caller's tidying then folds the blank lines an `{% if %}` on its own line leaves.
        trim_blocks=False,
        lstrip_blocks=True,
        finalize=measured,
    )
    env.globals.clear()
    env.filters.clear()
    for name in sorted(ALLOWED_FILTERS):
        env.filters[name] = _bounded_filter(name, FILTERS[name])
    for name, func in extra_filters.items():
        env.filters[name] = _bounded_filter(name, func)
    env.tests = {
        name: _bounded_test(name, cast(Callable[..., Any], func)) for name, func in TESTS.items()
    }
    return env
