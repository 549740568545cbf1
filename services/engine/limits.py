"""Bounds on diagram code: a time and memory budget per evaluation, and size-guarded operators.

RestrictedPython stops a diagram from reaching the system but not from spinning or
allocating: `while True: pass` or `'a' * 10**10` would hold a worker (and its database
transaction) for good. The compiler policy below routes the operators and loops that can
explode through the guards of this module, so every evaluation is bounded:

- every loop iteration, comprehension step, function or lambda call ticks the budget,
  which stops the evaluation past its deadline or when the process grew by too much memory;
- `**`, `*`, `<<`, `+`, `%`, `range`, f-strings, `str.format`, `int.to_bytes` and the string
  methods that pad, repeat or expand check the size of their result *before* building it;
- single C calls that would run for minutes are refused before they start: `int()`,
  `round()`, `as_integer_ratio()` and formatting (f-strings, `str.format`, `%`) of a
  `Decimal` that would write more than MAX_DECIMAL_DIGITS digits (`int(Decimal('1e99999999'))`
  is quadratic: hours), `int()` and `int.from_bytes` of more than MAX_INT_BITS bits, `pow()`
  with a modulo or exponent past MAX_POWMOD_BITS, and `str`, `repr`, `hash` and formatting
  of containers of more than MAX_ITEMS values counted with repeats (a tuple doubled 60 times,
  `a = (a, a)`, holds 2**60 references in 61 objects: hashing or printing it never ends),
  the punycode and idna codecs past MAX_SLOW_CODEC characters (pure Python, quadratic);
  `int` and `str` stay types to `isinstance`; `sum()` of lists or tuples joins them in one
  pass (the builtin copies the total at each item: days for a million one-item lists) and
  %-formatting's widths are found in one pass too;
- what a script leaves in task data, what an expression returns and the arguments of an
  exception it raises are weighed the same way (MAX_DATA_NODES, `check_nodes`: each container
  once, so the weighing is cheap), so the engine's serializer and the error log never meet
  such a structure.

A runaway raises `Runaway`, a BaseException: diagram code cannot catch it with
`except Exception`, and bare `except:` is refused by the compiler.

What no guard catches (`a == b` or `{a}` on two such structures, a C call nobody thought of)
is ended by the backstop, in the processes that enable it (`enable_backstop`: gunicorn's sync
workers, the Celery pool processes, the `flask run-timers` loop; `deliver-messages` runs no
diagram code): during each evaluation of code that calls anything (services.engine.sandbox
decides), the process's soft RLIMIT_CPU is its CPU time so far plus BACKSTOP_CPU_SECONDS, and
its RLIMIT_AS its address space plus the memory budget. An allocation past that fails with
MemoryError (the step's ordinary limit error); a C call past that CPU time gets SIGXCPU,
whose default action ends the process after faulthandler has written its Python traceback
to stderr. Its database transaction dies with it (nothing is saved) and its parent
(gunicorn's master, Celery's pool, tools/run-demo.sh) starts another. Both limits are put
back after the evaluation; nested evaluations keep the outermost one's. Process limits are
per process, so only single-threaded processes enable it, and an evaluation skips it while
other threads run.
"""

from __future__ import annotations

import _string  # type: ignore[import-not-found]  # str.format's field parser
import ast
import codecs
import faulthandler
import operator
import os
import re
import resource
import signal
import string
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from functools import partial
from itertools import chain
from time import monotonic, process_time
from typing import Any

from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import safer_getattr
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

TIME_LIMIT = 1.0
"""Seconds one evaluation (a condition, a script, a timer, a DMN cell) may run."""
MEMORY_LIMIT = 256 * 1024 * 1024
"""Bytes the process may grow by during one evaluation."""
MAX_ITEMS = 1_000_000
"""Largest string, list, tuple or range an operation may build (characters or items)."""
MAX_INT_BITS = 100_000
"""Largest integer an operation may build (about 30,000 decimal digits)."""
MAX_WIDTH = 10_000
"""Largest width or precision in a format specification."""
MAX_DECIMAL_DIGITS = MAX_INT_BITS * 30_103 // 100_000
"""Most digits an integer, or a Decimal written out in full, may have (30,103: MAX_INT_BITS)."""
MAX_POWMOD_BITS = 4096
"""Largest exponent and modulo of a modular power, in bits (each doubling costs eight times)."""
MAX_SLOW_CODEC = 1_000
"""Longest text the punycode and idna codecs may read (pure Python, their time grows with
the square of its length: 8,000 characters take 40 s)."""
MAX_DATA_NODES = 100_000
"""Most values a script may leave in task data, or an expression return, counting containers
and their items each time they are reached (a structure shared with itself counts in full)."""
BACKSTOP_CPU_SECONDS = 5
"""CPU seconds one evaluation may take, in a process with the backstop, before it is ended."""


class Runaway(BaseException):  # noqa: N818 - not an error of the code, a stop
    """Diagram code ran past its budget; a BaseException so that `except Exception` misses it."""


_PAGE = os.sysconf("SC_PAGESIZE") if hasattr(os, "sysconf") else 4096
_statm: tuple[int, int] | None = None  # (pid, descriptor of /proc/<pid>/statm)


def _statm_field(index: int) -> int | None:
    """A field of /proc/self/statm in bytes (3 µs with a kept descriptor); None if not Linux."""
    global _statm
    pid = os.getpid()
    if _statm is None or _statm[0] != pid:  # first use, or a forked worker
        try:
            _statm = (pid, os.open(f"/proc/{pid}/statm", os.O_RDONLY))
        except OSError:
            return None
    return int(os.pread(_statm[1], 64, 0).split()[index]) * _PAGE


def _rss() -> int:
    """The process's resident memory now, in bytes."""
    found = _statm_field(1)
    if found is None:  # not Linux: the peak is the best we have
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return found


class Budget:
    """The time and memory one evaluation may use; `tick` is called by the compiled code."""

    __slots__ = ("deadline", "memory_ceiling", "memory_limit", "next_check", "seconds")

    def __init__(self, seconds: float = TIME_LIMIT, memory: int = MEMORY_LIMIT) -> None:
        self.seconds = seconds
        self.memory_limit = memory
        self.memory_ceiling = 0  # set at the first closer look: most evaluations never get there
        now = monotonic()
        self.deadline = now + seconds
        self.next_check = min(now + 0.001, self.deadline)

    def tick(self) -> bool:
        """One loop step or call: one clock read, and a closer look once a millisecond."""
        now = monotonic()
        if now > self.next_check:
            self._check(now)
        return True

    def _check(self, now: float) -> None:
        # Past the deadline every later tick raises too, so diagram code cannot go on
        # looping after swallowing the stop (`finally: continue`).
        if now > self.deadline:
            raise Runaway(f"it ran longer than {self.seconds:g} s")
        if not self.memory_ceiling:
            self.memory_ceiling = _rss() + self.memory_limit
        elif _rss() > self.memory_ceiling:
            self.deadline = now
            raise Runaway(f"it used more than {self.memory_limit // 2**20} MB of memory")
        self.next_check = min(now + 0.001, self.deadline)


def _check_items(size: int, what: str) -> None:
    if size > MAX_ITEMS:
        raise Runaway(f"{what} would have {size:,} items or characters (limit {MAX_ITEMS:,})")


def _check_bits(bits: int, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise Runaway(f"{what} would be a {bits:,}-bit number (limit {MAX_INT_BITS:,})")


def _check_powmod_bits(bits: int) -> None:
    if bits > MAX_POWMOD_BITS:
        raise Runaway(
            f"a modular power would take a {bits:,}-bit exponent or modulo "
            f"(limit {MAX_POWMOD_BITS:,})"
        )


def _check_decimal(value: Decimal, what: str, *, fraction: bool = False) -> None:
    """Refuse writing out a Decimal in full (as an integer or, with `fraction`, in fixed point)
    when it would take more than MAX_DECIMAL_DIGITS digits: its exponent costs nothing to
    write as 1E+99999999, but int() and fixed point turn it into that many digits."""
    if not value.is_finite():
        return
    adjusted = value.adjusted()  # the power of ten of its first digit
    digits = abs(adjusted) if fraction else adjusted
    if digits > MAX_DECIMAL_DIGITS:
        raise Runaway(f"{what} would have {digits:,} digits (limit {MAX_DECIMAL_DIGITS:,})")


_SEQUENCES = (str, bytes, list, tuple)
_ATOMS = frozenset(
    {str, bytes, int, bool, float, complex, Decimal, type(None)}
    | {date, datetime, time_of_day, timedelta}
)
"""Types whose values hold no other value: nothing to walk."""
_COLLECTIONS = (list, tuple, set, frozenset)


def check_nodes(value: Any, what: str, limit: int = MAX_DATA_NODES) -> None:
    """Refuse a value holding more than `limit` values, each reference counted each time.

    `a = (a, a)` sixty times is 61 tuples but 2**60 references: hashing, printing, comparing
    or serialising it walks them all. Here each container is weighed once (1 + its items'
    weights), so that costs 61 steps and a flat list none per item; a container that holds
    itself weighs without end.
    """
    if type(value) in _ATOMS:
        return
    weights: dict[int, int] = {}  # id() of each container weighed (all alive: `value` holds them)
    opened: set[int] = set()
    stack = [value]
    while stack:
        item = stack[-1]
        key = id(item)
        if key in weights:
            stack.pop()
            continue
        children = _children(item)
        if _ATOMS.issuperset(map(type, children)):
            weight = 1 + len(children)  # no Python step per item
        elif key not in opened:  # first visit: weigh the containers it holds first
            opened.add(key)
            stack.extend(c for c in children if type(c) not in _ATOMS and id(c) not in weights)
            continue
        else:
            inner = [weights.get(id(c)) for c in children if type(c) not in _ATOMS]
            if None in inner:  # one is still open: it holds this one
                raise Runaway(f"{what} holds itself")
            weight = 1 + len(children) - len(inner) + sum(inner)  # type: ignore[arg-type]
        if weight > limit:
            raise Runaway(
                f"{what} would hold more than {limit:,} values (repeated references counted)"
            )
        weights[key] = weight
        stack.pop()


def _children(value: Any) -> tuple[Any, ...] | list[Any] | frozenset[Any] | set[Any]:
    """The values a container holds (a dict: its keys and values); () for anything else."""
    if isinstance(value, _COLLECTIONS):
        return value
    if isinstance(value, dict):
        return (*value.keys(), *value.values())
    return ()


def _check_formatted(value: Any, *, fraction: bool = True) -> None:
    """What formatting `value` (f-string, str.format, %) could not do in bounded time."""
    if type(value) is Decimal:
        _check_decimal(value, "formatting a Decimal", fraction=fraction)
    elif type(value) not in _ATOMS:
        check_nodes(value, "a formatted value", MAX_ITEMS)


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def guarded_pow(base: Any, exponent: Any, modulo: Any = None) -> Any:
    """`base ** exponent` (and pow()), refused when the integer result would be huge."""
    if modulo is not None:
        # Modular: the result is bounded by the modulo, but each squaring is a long division
        # by it (pow(3, 2**99999, 2**99999 - 1) takes hours).
        if _is_int(exponent) and _is_int(modulo):
            _check_powmod_bits(max(abs(exponent).bit_length(), abs(modulo).bit_length()))
        return pow(base, exponent, modulo)
    if _is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1:
        _check_bits((abs(base).bit_length() - 1) * exponent, "a power")
    return base**exponent


def guarded_mul(left: Any, right: Any) -> Any:
    """`left * right`, refused when a repeated sequence or an integer product would be huge."""
    if _is_int(left) and _is_int(right):
        _check_bits(left.bit_length() + right.bit_length(), "a product")
    elif isinstance(left, _SEQUENCES) and _is_int(right):
        _check_items(len(left) * max(right, 0), "a repeated sequence")
    elif _is_int(left) and isinstance(right, _SEQUENCES):
        _check_items(len(right) * max(left, 0), "a repeated sequence")
    return left * right


def guarded_lshift(left: Any, right: Any) -> Any:
    """`left << right`, refused when the integer result would be huge."""
    if _is_int(left) and _is_int(right) and left and right > 0:
        _check_bits(abs(left).bit_length() + right, "a shift")
    return left << right


def guarded_add(left: Any, right: Any) -> Any:
    """`left + right`, refused when a concatenation would be huge (doubling in a loop)."""
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        _check_items(len(left) + len(right), "a concatenation")
    return left + right


def guarded_mod(left: Any, right: Any) -> Any:
    """`left % right`; for %-formatting, refuse huge or `*` widths."""
    if isinstance(left, str | bytes):
        text = left.decode("latin-1") if isinstance(left, bytes) else left
        for width in _percent_widths(text):
            check_format_spec(width)
        # '%d' % Decimal('1e99999999') is int() of it; '%s' % a bomb is str() of it.
        if isinstance(right, tuple):
            for value in right:
                _check_formatted(value, fraction=False)
        elif isinstance(right, dict):
            for value in right.values():
                _check_formatted(value, fraction=False)
        else:
            _check_formatted(right, fraction=False)
    return left % right


_PERCENT_SPEC = re.compile(r"[-#0 +]*([\d*]*(?:\.[\d*]*)?)")
_PARENTHESES = re.compile(r"[()]")


def _percent_widths(text: str) -> Iterator[str]:
    """The width and precision of each %-conversion of `text`, in one pass.

    A mapping key's parentheses nest, as Python reads them (`%(a(b))5s`). A regular
    expression that looked for each key's `)` anew scanned to the end from every `%(`:
    `'%(' * 500000` took twenty minutes.
    """
    at = text.find("%")
    while at >= 0:
        at += 1
        if text.startswith("%", at):  # %% is a percent sign
            at = text.find("%", at + 1)
            continue
        if text.startswith("(", at):
            depth = 1
            for parenthesis in _PARENTHESES.finditer(text, at + 1):
                depth += 1 if parenthesis.group() == "(" else -1
                if not depth:
                    at = parenthesis.end()
                    break
            else:
                return  # an unclosed key: Python refuses the format
        spec = _PERCENT_SPEC.match(text, at)  # matches always: every part is optional
        yield spec.group(1) if spec else ""
        at = text.find("%", spec.end() if spec else at)


def check_format_spec(spec: str) -> None:
    """Refuse a format specification whose width or precision is huge (or given by `*`)."""
    if "*" in spec:
        raise Runaway("widths given by '*' are not supported in diagram code")
    number = ""
    for char in f"{spec} ":
        if char.isdigit():
            number += char
            continue
        if number and int(number) > MAX_WIDTH:
            raise Runaway(f"a format width of {int(number):,} (limit {MAX_WIDTH:,})")
        number = ""


def guarded_range(*args: Any) -> range:
    """range(), refused past MAX_ITEMS elements."""
    result = range(*args)
    try:
        size = len(result)
    except OverflowError:
        size = MAX_ITEMS + 1
    _check_items(size, "a range")
    return result


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": guarded_add,
    "*=": guarded_mul,
    "**=": guarded_pow,
    "<<=": guarded_lshift,
    "%=": guarded_mod,
    "-=": operator.sub,
    "/=": operator.truediv,
    "//=": operator.floordiv,
    ">>=": operator.rshift,
    "&=": operator.and_,
    "|=": operator.or_,
    "^=": operator.xor,
    "@=": operator.matmul,
}


def guarded_inplacevar(op: str, left: Any, right: Any) -> Any:
    """`x op= y` (RestrictedPython's `_inplacevar_`), through the same guards as `x = x op y`."""
    try:
        return _INPLACE[op](left, right)
    except KeyError:
        raise SyntaxError(f"unsupported operator {op}") from None


def guarded_format_value(value: Any, conversion: int, spec: str) -> str:
    """One `{value!conversion:spec}` of an f-string."""
    _check_formatted(value)
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("s"):
        value = str(value)
    elif conversion == ord("a"):
        value = ascii(value)
    check_format_spec(spec)
    return format(value, spec)


def guarded_joined(text: str) -> str:
    """The result of an f-string, refused when huge (an f-string that doubles in a loop)."""
    _check_items(len(text), "a formatted string")
    return text


# -- string methods ---------------------------------------------------------------------------


def _pad(name: str) -> Callable[..., Any]:
    def pad(text: Any, width: Any, *args: Any) -> Any:
        if _is_int(width):
            _check_items(width, f"str.{name}")
        return getattr(text, name)(width, *args)

    return pad


def _expandtabs(text: Any, tabsize: Any = 8) -> Any:
    if _is_int(tabsize):
        _check_items(len(text) * max(tabsize, 1), "str.expandtabs")
    return text.expandtabs(tabsize)


def _replace(text: Any, old: Any, new: Any, count: Any = -1) -> Any:
    if isinstance(old, str | bytes) and isinstance(new, str | bytes) and len(new) > len(old):
        found = text.count(old) if old else len(text) + 1
        if _is_int(count) and count >= 0:
            found = min(found, count)
        _check_items(len(text) + found * (len(new) - len(old)), "str.replace")
    return text.replace(old, new, count)


def _join(text: Any, items: Iterable[Any]) -> Any:
    items = list(items)
    size = sum(len(i) for i in items if isinstance(i, str | bytes))
    _check_items(size + len(text) * max(len(items) - 1, 0), "str.join")
    return text.join(items)


def _translate(text: Any, table: Any, *args: Any) -> Any:
    # A str's table may map one character to a long text: 'a' * 1000 translated with
    # {97: 'b' * 10**6} is a billion characters.
    if isinstance(text, str) and isinstance(table, dict):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        _check_items(len(text) * max(longest, 1), "str.translate")
    return text.translate(table, *args)


_STRING_METHODS: dict[str, Callable[..., Any]] = {
    "ljust": _pad("ljust"),
    "rjust": _pad("rjust"),
    "center": _pad("center"),
    "zfill": _pad("zfill"),
    "expandtabs": _expandtabs,
    "replace": _replace,
    "join": _join,
    "translate": _translate,
}


def _to_bytes(number: Any, length: Any = 1, *args: Any, **kwargs: Any) -> Any:
    # (1).to_bytes(10**10) asks for ten gigabytes of zeros in one call.
    if _is_int(length):
        _check_items(length, "int.to_bytes")
    return number.to_bytes(length, *args, **kwargs)


def _from_bytes(cls: Any, data: Any, *args: Any, **kwargs: Any) -> Any:
    # Built in linear time from up to MAX_ITEMS bytes (8,000,000 bits), then refused: an
    # integer that size makes every later division or modular power quadratic.
    return _bounded_int(cls.from_bytes(data, *args, **kwargs), "int.from_bytes")


def _as_integer_ratio(number: Decimal) -> tuple[int, int]:
    # Both terms in full: Decimal('0.' + '1' * 999999) has a million digits over 10**999999.
    _, digits, exponent = number.as_tuple()
    if isinstance(exponent, int):  # not NaN or infinity (which raise as they should)
        written = len(digits) + abs(exponent)
        if written > MAX_DECIMAL_DIGITS:
            raise Runaway(
                f"Decimal.as_integer_ratio would have {written:,} digits "
                f"(limit {MAX_DECIMAL_DIGITS:,})"
            )
    return number.as_integer_ratio()


def _check_codec(value: Any, encoding: Any) -> None:
    if isinstance(encoding, str) and len(value) > MAX_SLOW_CODEC:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            return  # the call itself says so
        if name in ("punycode", "idna"):
            raise Runaway(
                f"the {name} codec would read {len(value):,} characters (limit {MAX_SLOW_CODEC:,})"
            )


def _transcode(method: str) -> Callable[..., Any]:
    """str.encode, bytes.decode: the slow codecs refused past MAX_SLOW_CODEC characters."""

    def transcode(value: Any, *args: Any, **kwargs: Any) -> Any:
        _check_codec(value, args[0] if args else kwargs.get("encoding"))
        return getattr(value, method)(*args, **kwargs)

    return transcode


def guarded_sum(iterable: Iterable[Any], /, start: Any = 0) -> Any:
    """sum(): of lists or tuples (`sum(parts, [])`), joined in one pass.

    The builtin adds them one by one, copying the total so far each time: a million
    one-item lists take days, in one C call.
    """
    if not isinstance(start, list | tuple):
        return sum(iterable, start)
    kind = list if isinstance(start, list) else tuple
    items = list(iterable)
    for item in items:
        if not isinstance(item, kind):
            start + item  # noqa: B018 - raises the builtin's TypeError
            return sum(items, start)  # pragma: no cover - a type that adds anyway
    _check_items(len(start) + sum(map(len, items)), "sum()")
    return kind(chain(start, chain.from_iterable(items)))


def _bounded_int(value: int, what: str) -> int:
    _check_bits(value.bit_length(), what)
    return value


class _GuardedType(type):
    """A builtin type for diagram code whose calls are guarded, and isinstance() unchanged."""

    wraps: type
    call: Callable[..., Any]

    def __instancecheck__(cls, value: Any) -> bool:
        return isinstance(value, cls.wraps)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, cls.wraps)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.call(*args, **kwargs)


def _int(*args: Any, **kwargs: Any) -> int:
    if args and type(args[0]) is Decimal:
        _check_decimal(args[0], "int() of a Decimal")
    # A text in a power-of-two base is read in linear time whatever its length
    # (int('f' * 999999, 16)); the number is then refused, as every later division would
    # be quadratic in it.
    return _bounded_int(int(*args, **kwargs), "int()")


def _str(*args: Any, **kwargs: Any) -> str:
    if args:
        check_nodes(args[0], "str()", MAX_ITEMS)
        if isinstance(args[0], bytes | bytearray):  # str(data, 'punycode') decodes
            _check_codec(args[0], args[1] if len(args) > 1 else kwargs.get("encoding"))
    return str(*args, **kwargs)


class GuardedInt(metaclass=_GuardedType):
    """int() for diagram code: refused past MAX_INT_BITS; `isinstance(x, int)` still works."""

    wraps = int
    call = staticmethod(_int)


class GuardedStr(metaclass=_GuardedType):
    """str() for diagram code: refused on a structure too large to write; isinstance() works."""

    wraps = str
    call = staticmethod(_str)


_UNWRAPPED: dict[Any, type] = {GuardedInt: int, GuardedStr: str}


def guarded_round(number: Any, ndigits: Any = None) -> Any:
    """round(): round(Decimal) is int() of it."""
    if ndigits is None:
        if type(number) is Decimal:
            _check_decimal(number, "round() of a Decimal")
        return round(number)
    return round(number, ndigits)


def guarded_repr(value: Any) -> str:
    """repr(), refused on a structure too large to write."""
    check_nodes(value, "repr()", MAX_ITEMS)
    return repr(value)


def guarded_hash(value: Any) -> int:
    """hash(), refused on a structure too large to walk."""
    check_nodes(value, "hash()", MAX_ITEMS)
    return hash(value)


def _list_extend(items: list[Any], more: Iterable[Any]) -> None:
    more = list(more)
    _check_items(len(items) + len(more), "list.extend")
    items.extend(more)


class SafeFormatter(string.Formatter):
    """str.format / format_map for diagram code.

    Fields are looked up through the guarded getattr and getitem (so `{0.__globals__}` or
    `{0.__class__}` reach nothing), widths are bounded, and so is the whole result.
    """

    def __init__(self) -> None:
        self.size = 0

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, Any]:
        first, rest = _string.formatter_field_name_split(field_name)
        value = self.get_value(first, args, kwargs)
        for is_attribute, key in rest:
            value = guarded_getattr(value, key) if is_attribute else guarded_getitem(value, key)
        return value, first

    def format_field(self, value: Any, format_spec: str) -> str:
        check_format_spec(format_spec)
        _check_formatted(value)
        text = format(value, format_spec)
        self.size += len(text)
        _check_items(self.size, "a formatted string")
        return text


def _format(template: str, *args: Any, **kwargs: Any) -> str:
    return guarded_joined(SafeFormatter().vformat(template, args, kwargs))


def _format_map(template: str, mapping: Any) -> str:
    return guarded_joined(SafeFormatter().vformat(template, (), mapping))


def guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    """RestrictedPython's safer_getattr, plus size-guarded string methods and a safe format."""
    obj = _UNWRAPPED.get(obj, obj) if isinstance(obj, _GuardedType) else obj  # int.from_bytes
    if isinstance(obj, str) and name in ("format", "format_map"):
        return partial(_format if name == "format" else _format_map, obj)
    if isinstance(obj, str | bytes) and name in _STRING_METHODS:
        return partial(_STRING_METHODS[name], obj)
    if obj in (str, bytes) and name in _STRING_METHODS:
        return _STRING_METHODS[name]  # unbound, as in str.join(sep, items)
    if isinstance(obj, list) and name == "extend":
        return partial(_list_extend, obj)
    if name == "to_bytes" and (obj is int or _is_int(obj)):
        return _to_bytes if obj is int else partial(_to_bytes, obj)
    if name == "from_bytes" and (obj is int or _is_int(obj)):
        return partial(_from_bytes, int)
    if name == "encode" and isinstance(obj, str):
        return partial(_transcode("encode"), obj)
    if name == "decode" and isinstance(obj, bytes | bytearray):
        return partial(_transcode("decode"), obj)
    if name == "as_integer_ratio" and type(obj) is Decimal:
        return partial(_as_integer_ratio, obj)
    return safer_getattr(obj, name, default)


guarded_getitem = default_guarded_getitem


# -- the compiler policy ----------------------------------------------------------------------

_BINOP_GUARDS = {
    ast.Pow: "_pow_",
    ast.Mult: "_mul_",
    ast.LShift: "_lshift_",
    ast.Add: "_add_",
    ast.Mod: "_mod_",
}


def _call(name: str, args: list[ast.expr], where: Any) -> ast.Call:
    node = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    copy_locations(node, where)
    return ast.fix_missing_locations(node)


def _tick_statement(where: Any) -> ast.Expr:
    node = ast.Expr(_call("_tick_", [], where))
    copy_locations(node, where)
    return node


class BoundedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy, with operators routed through the guards and ticking loops."""

    def visit_BinOp(self, node: Any) -> Any:
        node = self.node_contents_visit(node)
        guard = _BINOP_GUARDS.get(type(node.op))
        return _call(guard, [node.left, node.right], node) if guard else node

    def visit_While(self, node: Any) -> Any:
        node = super().visit_While(node)
        node.body.insert(0, _tick_statement(node.body[0]))
        return node

    def visit_For(self, node: Any) -> Any:
        node = super().visit_For(node)
        node.body.insert(0, _tick_statement(node.body[0]))
        return node

    def visit_comprehension(self, node: Any) -> Any:
        node = super().visit_comprehension(node)
        node.ifs.insert(0, _call("_tick_", [], node.iter))
        return node

    def visit_FunctionDef(self, node: Any) -> Any:
        node = super().visit_FunctionDef(node)
        node.body.insert(0, _tick_statement(node.body[0]))
        return node

    def visit_Lambda(self, node: Any) -> Any:
        node = super().visit_Lambda(node)
        body = ast.BoolOp(op=ast.And(), values=[_call("_tick_", [], node.body), node.body])
        copy_locations(body, node.body)
        node.body = body
        return node

    def visit_AugAssign(self, node: Any) -> Any:
        # `n += x` becomes `n = _add_(n, x)` (one call, not `_inplacevar_('+=', n, x)`).
        guard = _BINOP_GUARDS.get(type(node.op))
        if guard is None or not isinstance(node.target, ast.Name):
            return super().visit_AugAssign(node)
        node = self.node_contents_visit(node)
        target = node.target
        value = _call(guard, [ast.Name(target.id, ast.Load()), node.value], node)
        assign = ast.Assign(targets=[target], value=value)
        copy_locations(assign, node)
        return assign

    def visit_ExceptHandler(self, node: Any) -> Any:
        if node.type is None:
            self.error(node, "A bare 'except:' is not allowed; name the exception.")
        return super().visit_ExceptHandler(node)

    def visit_JoinedStr(self, node: Any) -> Any:
        node = self.node_contents_visit(node)
        return _call("_joined_", [node], node)

    def visit_FormattedValue(self, node: Any) -> Any:
        node = self.node_contents_visit(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        args = [node.value, ast.Constant(node.conversion), spec]
        value = ast.FormattedValue(_call("_format_value_", args, node), -1, None)
        copy_locations(value, node)
        return value


GUARDS: dict[str, Any] = {
    "_getattr_": guarded_getattr,
    "_getitem_": guarded_getitem,
    "_pow_": guarded_pow,
    "_mul_": guarded_mul,
    "_lshift_": guarded_lshift,
    "_add_": guarded_add,
    "_mod_": guarded_mod,
    "_inplacevar_": guarded_inplacevar,
    "_format_value_": guarded_format_value,
    "_joined_": guarded_joined,
}
"""The guard functions the policy's rewritten code calls (besides `_tick_`, per evaluation)."""

BUILTINS: dict[str, Any] = {
    "int": GuardedInt,
    "str": GuardedStr,
    "round": guarded_round,
    "repr": guarded_repr,
    "hash": guarded_hash,
    "pow": guarded_pow,
    "range": guarded_range,
    "sum": guarded_sum,
}
"""The builtins diagram code gets in their guarded form."""


# -- the backstop: process limits around each evaluation ---------------------------------------


_FRESH = 0.01
"""Seconds a reading of the process's CPU time and address space serves later evaluations."""


class _Backstop:
    """The process's own limits, how deep in (nested) evaluations it is, and its last readings
    of its CPU time and address space (reading them costs more than the limits' calls)."""

    __slots__ = (
        "address_space",
        "cpu",
        "cpu_cap",
        "depth",
        "lowered",
        "read_at",
        "seconds",
        "space",
        "space_cap",
        "used",
    )

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        self.cpu = resource.getrlimit(resource.RLIMIT_CPU)
        self.address_space = resource.getrlimit(resource.RLIMIT_AS)
        # Never above the limits found (the soft one, which the hard one bounds).
        self.cpu_cap = _finite(self.cpu)
        self.space_cap = _finite(self.address_space)
        self.depth = 0
        self.lowered = False
        self.read_at = -1.0  # monotonic() of the readings below
        self.used = 0.0
        self.space = 0


_backstop: _Backstop | None = None


def enable_backstop(seconds: int = BACKSTOP_CPU_SECONDS) -> bool:
    """Lower this process's CPU and address-space limits during every evaluation that calls.

    For single-threaded worker processes only (a gunicorn sync worker, a Celery pool process,
    the timer loop), whose parent starts another when it is ended: the limits are the whole
    process's. Returns whether it is on; it is not while other threads run.
    """
    global _backstop
    stderr = sys.__stderr__  # Celery's pool replaces sys.stderr with a logger, without an fd
    if threading.active_count() != 1 or _statm_field(0) is None or stderr is None:
        return False
    # SIGXCPU's default action ends the process; faulthandler writes where it was first. A
    # Python handler would never run: the signal comes in the middle of a C call.
    faulthandler.unregister(signal.SIGXCPU)
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    faulthandler.register(signal.SIGXCPU, file=stderr, all_threads=True, chain=True)
    # The default action also dumps core: not a worker-sized file for each runaway.
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    _backstop = _Backstop(seconds)
    return True


def backstop_enabled() -> bool:
    """Whether this process lowers its limits around evaluations."""
    return _backstop is not None


def disable_backstop() -> None:
    """Stop lowering the limits (the limits themselves are back once no evaluation runs)."""
    global _backstop
    _backstop = None


def _finite(limits: tuple[int, int]) -> int:
    """The lower of a soft and hard limit that are not infinite (else a number past any use)."""
    return min((limit for limit in limits if limit != resource.RLIM_INFINITY), default=2**62)


def lower_limits(memory: int) -> _Backstop | None:
    """At the start of an evaluation: CPU time so far + the backstop's seconds, address space
    + `memory`; nested evaluations keep the outer one's. What it returns goes to
    `restore_limits` afterwards.

    Two system calls here and two in restore_limits (1.4 µs each on the shared 2-core machine
    of the README's benchmarks).
    The readings are taken again once they are _FRESH seconds old: one thread uses at most
    the wall time in CPU time, so the CPU time read plus the time since is never below the
    CPU time used; the address space may have grown since, by what the process allocated in
    those 10 ms between two evaluations, which the budget then lacks.
    """
    stop = _backstop
    if stop is None:
        return None
    stop.depth += 1
    if stop.depth == 1 and threading.active_count() == 1:
        stop.lowered = True
        try:
            now = monotonic()
            if now - stop.read_at > _FRESH:
                stop.used, stop.space, stop.read_at = process_time(), _statm_field(0) or 0, now
            cpu = int(stop.used + (now - stop.read_at)) + 1 + stop.seconds
            resource.setrlimit(resource.RLIMIT_CPU, (min(cpu, stop.cpu_cap), stop.cpu[1]))
            if stop.space:  # read (else /proc went away: the time limit still holds)
                space = min(stop.space + memory, stop.space_cap)
                resource.setrlimit(resource.RLIMIT_AS, (space, stop.address_space[1]))
        except BaseException:
            restore_limits(stop)
            raise
    return stop


def restore_limits(stop: _Backstop) -> None:
    """At the end of an evaluation: the process's own limits again, once the outermost ends."""
    stop.depth -= 1
    if stop.depth == 0 and stop.lowered:
        stop.lowered = False
        resource.setrlimit(resource.RLIMIT_AS, stop.address_space)
        resource.setrlimit(resource.RLIMIT_CPU, stop.cpu)
