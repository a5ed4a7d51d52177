"""The checks framework: checks declared as data, run safely, and naming the likely mistake.

Every exercise is followed by a check cell ``check_<name>(student_function)``. A check module
``nnlesson/course/checks/<slug>.py`` *declares* its checks at module level as :class:`Check`
objects (reference, cases, named mistakes, properties, output names, the student's function
name, the library code the student must not call, hint levels), lists them in ``CHECKS`` and
derives each ``check_<name>`` from its declaration::

    import numpy as np

    from nnlesson.course.checks._core import Case, Check, Mistake


    def _scale(x, factor=2.0):
        '''The reference: y = factor * x (in a real check, the library's function).'''
        return factor * x


    _rng = np.random.default_rng(0)

    SCALE = Check(
        name="check_scale",
        function="scale",
        reference=_scale,
        cases=[
            Case("a vector", (_rng.normal(size=4),)),
            Case("a matrix with factor 3", (_rng.normal(size=(2, 3)),), {"factor": 3.0}),
            Case("zeros", (np.zeros(3),)),
        ],
        mistakes=[
            Mistake("added instead of multiplied",
                    "The result is x + factor: scaling multiplies, y = factor * x.",
                    lambda x, factor=2.0: x + factor, hint=2),
        ],
        output_names=("y",),
        forbidden=("nnlesson.scaling.*",),
        hints=("the idea", "the formula"),
        doc="y = factor * x",
    )
    CHECKS = (SCALE,)

    check_scale = SCALE.check_function()   # check_scale(student_fn) -> CheckResult

In the notebook the cell ``check_scale(scale)`` ends with the call, so Jupyter shows the
returned :class:`CheckResult` as a coloured box (green: passed, red: failed, amber: not
implemented yet). The grader reads the same result from the cell's output (mimetype
:data:`MIME_TYPE`), so a check cell must *return* its result, not print it.

What a check does, in order:

1. **stale definition**: in a Jupyter kernel, if the last run of the cell that defines the
   student's function failed (a ``SyntaxError``, an exception before the ``def``), the check
   says so instead of testing the older definition (:mod:`._stale`);
2. calls ``reference`` on a deep copy of each case's inputs: the expected outputs;
3. calls the student's function on another deep copy of each case, under a time limit
   (:data:`TIME_LIMIT` seconds per case: "did not finish in 5 s: an endless loop?") and the
   library guard (a call of anything matching ``forbidden`` fails the check: "calls
   nnlesson.optim.adam_update: write `adam_update` yourself"); see :mod:`._guard`. A
   generator is consumed up to one item more than the reference's output has. A
   ``NotImplementedError`` gives the amber "not implemented yet"; any other exception gives
   one paragraph naming the exception and the student's own line (never a traceback), with
   advice for the common ones (``^`` for a power, ``math.sqrt`` of an array); changing an
   input in place or returning ``None`` is reported as such. numpy's floating-point warnings
   are not shown (a NaN is traced to its line in step 5);
4. compares each output with the expected one (arrays, numbers, tuples, lists and dicts of
   those; type, shape, dtype, NaN/inf and values, ``rtol``/``atol`` as in ``numpy.isclose``);
5. on a difference, names the mistake: first the check's own :class:`Mistake` list (if the
   student's outputs match one on *every* case, its explanation is the message, ending with
   a pointer to its hint level, and its name goes into ``CheckResult.mistake``); then the
   generic diagnoses of :mod:`._patterns` (outputs in the wrong order, an ignored argument,
   arguments exchanged, an off-by-one step counter, statistics over the wrong axis, a
   constant factor or a sign, an output equal to an input, a transpose, one wrong operator,
   NaN traced to its operation and line), each claimed only when it reproduces the student's
   outputs on every case. Otherwise the message names the first failing case, where the
   outputs differ, and the expected and received values;
6. when every case matches, checks each :class:`Property` (behaviour values do not show).

**Stateful objects.** A case with ``steps`` drives an object through a sequence: the check
builds ``student_class(*case.args, **case.kwargs)`` (and the reference class alike), calls
each :class:`Step` in order on the *same* object (``forward``, ``backward``, ``eval``,
``train``, ``forward`` again ...), and compares every step's return value (unless the
reference returns None or itself) and, after every step, every attribute named in
``Check.state`` (running statistics, masks, step counters). Declare such a check with
``takes="class"``; mistakes are then wrong classes::

    Check(name="check_batchnorm", function="BatchNorm", reference=ReferenceBatchNorm,
          takes="class", state=("running_mean", "running_var", "training"),
          cases=[Case("train, eval, train: one layer throughout", (3,), {"momentum": 0.2},
                      steps=(Step("forward", (x1,)), Step("backward", (dout1,)),
                             Step("eval"), Step("forward", (x2,)),
                             Step("train"), Step("forward", (x1,))))], ...)

A message then reads "wrong result on case 'train, eval, train: one layer throughout': entry
'running_mean after step 4': ...".

A check never raises because of the student's code. It does raise if the *reference* fails:
that is a bug in the check, and it should be loud.

:func:`run_check` is the older, imperative form (``run_check(name, student_fn, cases,
reference, mistakes, ...)``); it goes through the same machinery, so time limit, stale
definitions and generic diagnoses apply to every check.
"""
from __future__ import annotations

import collections.abc
import contextlib
import copy
import html
import inspect
import io
import itertools
import numbers
import re
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from nnlesson._validate import check_number
from nnlesson.course.checks import _stale
from nnlesson.course.checks._guard import TimeUp, is_student_file, student_call, time_limit

__all__ = [
    "MIME_TYPE",
    "TIME_LIMIT",
    "CheckResult",
    "Case",
    "Step",
    "Mistake",
    "Property",
    "Check",
    "run_check",
    "compare_outputs",
]

#: Custom mimetype under which a displayed :class:`CheckResult` stores its JSON summary.
MIME_TYPE = "application/vnd.nnlesson.check+json"

#: Seconds the student's code may run for one case before the check stops it.
TIME_LIMIT = 5.0

PASS, FAIL, TODO = "pass", "fail", "todo"
_SYMBOL = {PASS: "✔", FAIL: "✘", TODO: "✎"}
# (border, background) per status: green, red, amber.
_COLOURS = {
    PASS: ("#1b7e3c", "#e9f6ec"),
    FAIL: ("#c0392b", "#fdecea"),
    TODO: ("#b36b00", "#fff4e0"),
}

# In a Jupyter kernel, start recording which cells define what (see _stale).
_stale.install()


@dataclass(repr=False)
class CheckResult:
    """The outcome of one check.

    Attributes:
        name:    the check's name, e.g. ``"check_adam_update"`` (use the function's name).
        passed:  True when every case and property matched.
        message: one plain-text paragraph for the student.
        details: extra short lines (expected/received values, the failing case).
        mistake: name of the diagnosed :class:`Mistake` or :class:`Property`, else None.
        status:  ``"pass"``, ``"fail"`` or ``"todo"`` (not implemented yet); derived from
                 ``passed`` when left empty.
        cases:   number of cases the check ran.

    ``bool(result)`` is ``result.passed``. ``str`` and ``repr`` give the same stable text
    (no addresses, no timings), so notebook outputs can be compared between runs.
    """

    name: str
    passed: bool
    message: str
    details: list = field(default_factory=list)
    mistake: str | None = None
    status: str = ""
    cases: int = 0

    def __post_init__(self):
        if not self.status:
            self.status = PASS if self.passed else FAIL
        if self.status not in _SYMBOL:
            raise ValueError(f"status must be one of 'pass', 'fail', 'todo'; got {self.status!r}")
        if (self.status == PASS) != bool(self.passed):
            raise ValueError(f"status {self.status!r} contradicts passed={self.passed!r}")
        self.message = " ".join(str(self.message).split())  # one paragraph
        self.details = [" ".join(str(line).split()) for line in self.details]

    def __bool__(self):
        return bool(self.passed)

    def __str__(self):
        lines = [f"{_SYMBOL[self.status]} {self.name}: {self.message}"]
        lines += [f"    {line}" for line in self.details]
        return "\n".join(lines)

    __repr__ = __str__

    def to_dict(self):
        """The JSON summary the grader reads (also stored under :data:`MIME_TYPE`)."""
        return {
            "name": self.name,
            "status": self.status,
            "passed": bool(self.passed),
            "message": self.message,
            "details": list(self.details),
            "mistake": self.mistake,
            "cases": int(self.cases),
        }

    def _repr_html_(self):
        border, background = _COLOURS[self.status]
        items = "".join(f"<li>{html.escape(line)}</li>" for line in self.details)
        details = f'<ul style="margin:4px 0 0 0;padding-left:20px">{items}</ul>' if items else ""
        return (
            f'<div style="border-left:6px solid {border};background:{background};color:#1a1a1a;'
            f'padding:6px 10px;margin:4px 0;font-family:sans-serif;line-height:1.4">'
            f"<b>{_SYMBOL[self.status]} {html.escape(self.name)}</b>: "
            f"{html.escape(self.message)}{details}</div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": str(self), "text/html": self._repr_html_(), MIME_TYPE: self.to_dict()}


@dataclass(frozen=True)
class Step:
    """One call in a sequence case: ``getattr(obj, method)(*args, **kwargs)``.

    ``label`` names the step in messages (default: ``forward(…, train=False)``).
    """

    method: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    label: str = ""

    def __post_init__(self):
        if not isinstance(self.method, str) or not self.method.isidentifier():
            raise TypeError(f"method must be a method name, got {self.method!r}")
        if not isinstance(self.args, (tuple, list)):
            raise TypeError("args must be a tuple of positional arguments, "
                            f"got {type(self.args).__name__}")
        if not isinstance(self.kwargs, dict):
            raise TypeError("kwargs must be a dict of keyword arguments, "
                            f"got {type(self.kwargs).__name__}")
        object.__setattr__(self, "args", tuple(self.args))

    @property
    def text(self):
        if self.label:
            return self.label
        shown = ["…"] * bool(self.args) + [
            f"{k}={v!r}" for k, v in self.kwargs.items()
            if isinstance(v, (bool, int, float, str, type(None)))]
        return f"{self.method}({', '.join(shown)})"


@dataclass(frozen=True)
class Case:
    """One input for the check: ``fn(*args, **kwargs)``; ``label`` names it in messages.

    With ``steps``, the case is a sequence on one object: ``obj = fn(*args, **kwargs)`` (the
    student's class), then each :class:`Step` is called on ``obj`` in order.
    """

    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    steps: tuple = ()

    def __post_init__(self):
        if not isinstance(self.label, str) or not self.label:
            raise TypeError(f"label must be a non-empty string, got {self.label!r}")
        if not isinstance(self.args, (tuple, list)):
            raise TypeError("args must be a tuple of positional arguments, "
                            f"got {type(self.args).__name__}")
        if not isinstance(self.kwargs, dict):
            raise TypeError("kwargs must be a dict of keyword arguments, "
                            f"got {type(self.kwargs).__name__}")
        if not isinstance(self.steps, (tuple, list)) or \
                not all(isinstance(s, Step) for s in self.steps):
            raise TypeError(f"steps must be a tuple of Step, got {self.steps!r}")
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "steps", tuple(self.steps))


@dataclass(frozen=True)
class Mistake:
    """A plausible wrong implementation: ``wrong_fn`` takes the same arguments as the reference
    (for a check that takes a class: a wrong class).

    ``explanation`` is what the student reads when their outputs match ``wrong_fn`` on every
    case, e.g. "No bias correction: m_hat = m / (1 - beta1^t) was skipped, so the first steps
    are too small." ``hint`` is the level of the exercise's hints that helps with this mistake
    (1 = the first ``<details>`` block); the message then ends with "Hint 2 above gives the
    formula."
    """

    name: str
    explanation: str
    wrong_fn: Callable
    hint: int | None = None

    def __post_init__(self):
        _check_text("name", self.name)
        _check_text("explanation", self.explanation)
        if not callable(self.wrong_fn):
            raise TypeError(f"wrong_fn must be callable, got {type(self.wrong_fn).__name__}")
        if self.hint is not None and (not isinstance(self.hint, int) or self.hint < 1):
            raise ValueError(f"hint must be None or a hint level >= 1, got {self.hint!r}")


@dataclass(frozen=True)
class Property:
    """A behaviour that values alone do not show.

    ``holds(student_fn) -> bool`` calls the student's function as it needs to (on its own
    copies of inputs) and returns True when the property holds; when it returns False the
    check fails with ``explanation`` and reports ``name`` as the mistake.
    """

    name: str
    explanation: str
    holds: Callable

    def __post_init__(self):
        _check_text("name", self.name)
        _check_text("explanation", self.explanation)
        if not callable(self.holds):
            raise TypeError(f"holds must be callable, got {type(self.holds).__name__}")


def _check_text(name, value):
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{name} must be a non-empty string, got {value!r}")


# --------------------------------------------------------------------------------------------
# running the student's code


_TODO_MESSAGE = ("not implemented yet: replace the `raise NotImplementedError` line with your "
                 "code, then run this cell again.")


_NO_OUTPUT = object()  # a mistake that raised on a case


class _Stop(Exception):
    """Raised inside the runner to end the check early with ``status`` and ``message``."""

    def __init__(self, status, message, mistake=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.mistake = mistake


class _ReturnedNone(_Stop):
    """The student's function returned None where the reference returns a value."""


class _Raised(_Stop):
    """The student's function raised an exception on one case (the other cases still run, so
    that a declared mistake can be recognised in what they returned)."""


_RAISED = object()  # the output of a case on which the student's function raised


def _first_line(text, limit=160):
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    text = lines[0] if lines else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe_exception(exc):
    """``ZeroDivisionError: division by zero (line 3: `return g / v`)``.

    The line is the last frame of the traceback that is the student's code (not numpy, not
    the standard library, not nnlesson).
    """
    text = type(exc).__name__
    detail = _first_line(exc)
    if detail:
        text += f": {detail}"
    student = [f for f in traceback.extract_tb(exc.__traceback__) if is_student_file(f.filename)]
    if student:
        frame = student[-1]
        line = (frame.line or "").strip()
        text += f" (line {frame.lineno}: `{line}`)" if line else f" (line {frame.lineno})"
    name, advice = _exception_advice(exc)
    if advice:
        text += f"; {advice}"
    return text


def _exception_advice(exc):
    """``(name, advice)`` for one of a beginner's common exceptions, else ``(None, None)``."""
    detail = _first_line(exc)
    for name, pattern, advice in _EXCEPTION_ADVICE:
        if re.search(pattern, detail):
            return name, advice
    return None, None


# What a beginner's most common exceptions usually mean.
_EXCEPTION_ADVICE = [  # (the mistake's name, what the message matches, the advice)
    ("^ for a power", r"unsupported operand type\(s\) for \^|ufunc 'bitwise_xor' not supported",
     "in Python `^` is bitwise XOR, not a power: write `**` (beta1 ** t)"),
    ("a math function on an array",
     r"only (0-dimensional|length-1|size-1|integer scalar) arrays can be converted",
     "a function for single numbers (math.sqrt, math.exp, float()) got an array: use numpy's "
     "np.sqrt, np.exp, np.log, which work element by element"),
    ("an array in if or max()",
     r"truth value of an array with more than one element is ambiguous",
     "`if`, `and`, `or` or `max()` got an array: use np.where, np.maximum or `&` and `|` "
     "element by element"),
    ("shapes that do not broadcast", r"operands could not be broadcast together",
     "two arrays with shapes that do not fit were combined element by element: check the "
     "shapes (a missing `axis=`, `keepdims=True` or `.T`?)"),
    ("matrix shapes that do not fit", r"matmul: Input operand|shapes .* not aligned",
     "the shapes of a matrix product do not fit: check which factor needs `.T` and their "
     "order"),
]


def _parameter_names(fn, n_positional):
    """Names for the first ``n_positional`` arguments of ``fn`` (``argument 3`` if unknown)."""
    names = []
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
    return [names[i] if i < len(names) else f"argument {i + 1}" for i in range(n_positional)]


def _same(a, b):
    """True if ``b`` still equals the copy ``a`` (arrays, numbers, strings and containers)."""
    if isinstance(a, np.ndarray):
        if not isinstance(b, np.ndarray) or a.shape != b.shape or a.dtype != b.dtype:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, numbers.Number):
        return a == b or (a != a and b != b)  # NaN stays NaN
    if isinstance(a, (str, bytes)) or a is None:
        return a == b
    return True  # other objects (layers, generators) may legitimately change




# --------------------------------------------------------------------------------------------
# comparing outputs


def _is_number(x):
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, np.ndarray):
        return x.ndim == 0 and x.dtype.kind in "iuf"
    return isinstance(x, (numbers.Integral, numbers.Real))


def _kind(x):
    """A short description of what the student returned."""
    if x is None:
        return "None"
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}" if x.ndim else f"a 0-d array ({_num(x)})"
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of {len(x)} item{'s' if len(x) != 1 else ''}"
    if _is_number(x):
        return f"the number {_num(x)}"
    return f"a value of type {type(x).__name__}"


def _num(x, digits=4):
    x = float(x)
    if np.isnan(x):
        return "NaN"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}g}"


def _num_pair(e, g):
    """Format two numbers with just enough digits to tell them apart."""
    for digits in (4, 6, 8, 12, 17):
        a, b = _num(e, digits), _num(g, digits)
        if a != b:
            break
    return a, b


def _short(x, limit=160):
    """A short rounded rendering of an output for the details lines."""
    if isinstance(x, np.ndarray) and x.ndim > 0:
        if x.size <= 8 and x.dtype.kind in "biuf":
            text = np.array2string(x, precision=4, separator=", ", max_line_width=10**6)
            text = " ".join(text.split())
        else:
            flat = ", ".join(_num(v) for v in x.ravel()[:4]) if x.dtype.kind in "iuf" else "..."
            text = f"array of shape {x.shape} starting [{flat}, ...]"
    elif _is_number(x):
        text = _num(x)
    elif isinstance(x, tuple):
        text = "(" + ", ".join(_short(v, limit) for v in x) + ("," if len(x) == 1 else "") + ")"
    elif isinstance(x, list):
        text = "[" + ", ".join(_short(v, limit) for v in x) + "]"
    elif isinstance(x, dict):
        text = "{" + ", ".join(f"{k!r}: {_short(v, limit)}" for k, v in x.items()) + "}"
    else:
        text = repr(x)
        if re.search(r" at 0x[0-9a-fA-F]+", text):  # default repr: keep outputs stable
            text = f"a {type(x).__name__} object"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _diff_arrays(exp, got, where, rtol, atol):
    exp = np.asarray(exp)
    got = np.asarray(got)
    scalar = exp.ndim == 0
    if exp.dtype.kind == "b" or got.dtype.kind == "b":
        wrong = exp != got
    else:
        exp_f = exp.astype(np.float64)
        got_f = got.astype(np.float64)
        not_finite = ~np.isfinite(got_f) & np.isfinite(exp_f)
        if not_finite.any():
            idx = tuple(np.argwhere(not_finite)[0])
            at = "" if scalar else f"element {[int(i) for i in idx]} "
            return (f"{where}{at}is {_num(got_f[idx])} where {_num(exp_f[idx])} was expected; "
                    "look for a division by zero, a logarithm of 0 or of a negative number, "
                    "an exp that overflows, or a square root of a negative number")
        wrong = ~np.isclose(got_f, exp_f, rtol=rtol, atol=atol, equal_nan=True)
    if not np.any(wrong):
        return None
    idx = tuple(np.argwhere(wrong)[0])
    e, g = _num_pair(exp[idx], got[idx])
    if scalar:
        return f"{where}expected {e}, got {g}"
    count = int(np.count_nonzero(wrong))
    return (f"{where}element {[int(i) for i in idx]} is {g} but should be {e} "
            f"({count} of {exp.size} elements differ)")


def _diff(exp, got, where, rtol, atol, names=None):
    # ``where`` is "" at the top, else e.g. "output 2 of 3 (`m`): ".
    if isinstance(exp, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"{where}expected {len(exp)} outputs (a tuple), got {_kind(got)}"
        if len(got) != len(exp):
            return f"{where}expected {len(exp)} outputs, got {len(got)}"
        for i, (e, g) in enumerate(zip(exp, got)):
            label = f" (`{names[i]}`)" if names and i < len(names) else ""
            found = _diff(e, g, f"{where}output {i + 1} of {len(exp)}{label}: ", rtol, atol)
            if found:
                return found
        return None
    if isinstance(exp, dict):
        if not isinstance(got, dict):
            return f"{where}expected a dict, got {_kind(got)}"
        missing = [k for k in exp if k not in got]
        if missing:
            return f"{where}the key {missing[0]!r} is missing"
        extra = [k for k in got if k not in exp]
        if extra:
            return f"{where}unexpected key {extra[0]!r}"
        for k in exp:
            found = _diff(exp[k], got[k], f"{where}entry {k!r}: ", rtol, atol)
            if found:
                return found
        return None
    if isinstance(exp, np.ndarray) and exp.ndim > 0:
        if not isinstance(got, np.ndarray):
            return f"{where}expected a numpy array of shape {exp.shape}, got {_kind(got)}"
        if got.shape != exp.shape:
            return f"{where}expected shape {exp.shape}, got shape {got.shape}"
        if got.dtype.kind != exp.dtype.kind or (
            exp.dtype.kind == "f" and got.dtype.itemsize != exp.dtype.itemsize
        ):
            return f"{where}expected dtype {exp.dtype}, got dtype {got.dtype}"
        return _diff_arrays(exp, got, where, rtol, atol)
    if isinstance(exp, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            return f"{where}expected True or False, got {_kind(got)}"
        return None if bool(exp) == bool(got) else f"{where}expected {bool(exp)}, got {bool(got)}"
    if _is_number(exp):
        if isinstance(got, np.ndarray) and got.ndim > 0:
            return f"{where}expected a single number, got {_kind(got)}"
        if not _is_number(got):
            return f"{where}expected a number, got {_kind(got)}"
        if isinstance(exp, numbers.Integral) and not isinstance(got, numbers.Integral):
            return (f"{where}expected a whole number (int), got {_num(got)} "
                    f"of type {type(got).__name__}")
        return _diff_arrays(exp, got, where, rtol, atol)
    if exp is None:
        return None if got is None else f"{where}expected None, got {_kind(got)}"
    try:
        equal = bool(exp == got)
    except Exception:
        equal = False
    return None if equal else f"{where}expected {_short(exp)}, got {_short(got)}"


def compare_outputs(expected, received, *, rtol=1e-7, atol=1e-10, output_names=None):
    """Describe the first difference between two outputs, or return None if they match.

    Outputs may be numpy arrays, numbers, booleans, None, and tuples, lists or dicts of
    those. Arrays must agree in type, shape and dtype kind (and float precision); values
    must satisfy ``numpy.isclose(received, expected, rtol, atol)`` with NaN equal to NaN.
    ``output_names`` names the items of a tuple output in the message (``("w", "m", "v")``).
    """
    return _diff(expected, received, "", rtol, atol, output_names)


# --------------------------------------------------------------------------------------------
# the check

_HINT_TITLES = {1: "the idea", 2: "the formula", 3: "a partial line"}


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def _is_iterator(x):
    return isinstance(x, collections.abc.Iterator) and not isinstance(x, (str, bytes))


def _limit_items(out, expected, label=None):
    """A generator or iterator returned where the reference returns a list or tuple: take at
    most one item more than expected (a generator that never stops is not consumed forever).
    With ``label`` (the student's run), one item too many stops the check with a message."""
    if isinstance(expected, (list, tuple)) and _is_iterator(out):
        items = list(itertools.islice(out, len(expected) + 1))
        if label is not None and len(items) > len(expected):
            raise _Stop(FAIL, f"your generator yields more than the {len(expected)} items "
                              f"expected on case '{label}' (it was stopped at item "
                              f"{len(expected) + 1}): does it stop at the end?",
                        "generator does not stop")
        return tuple(items) if isinstance(expected, tuple) else items
    return out


@dataclass(frozen=True, eq=False)
class Check:
    """One exercise check, declared as data. See the module docstring for an example.

    Attributes:
        name: the check function's name, ``"check_<function>"``.
        function: the name of the student's function or class in the exercise.
        reference: the library's implementation, called as ``reference(*args, **kwargs)``
            (for ``takes="class"``: the reference class).
        cases: list of :class:`Case`, or a function returning it (built on first use).
        mistakes: :class:`Mistake` list, tried in order on a failure (before the generic
            diagnoses).
        properties: :class:`Property` list, checked once every case matches.
        output_names: names of the items of a tuple output, used in messages.
        forbidden: shell-style patterns of ``module.qualname`` the student's code must not
            call (the library's implementation of the very thing the exercise asks for), e.g.
            ``("nnlesson.optim.*adam*",)``.
        hints: titles of the exercise's hint levels, in order (``("the idea", "the formula",
            "a partial line")``); a mistake's ``hint`` points into them.
        state: attributes compared after every step of a sequence case.
        takes: ``"function"`` or ``"class"`` (the student hands in a class).
        rtol, atol: tolerances of the default comparison (``numpy.isclose`` semantics).
        compare: optional ``compare(expected, received) -> str | None`` replacing
            :func:`compare_outputs`; it must have no side effects (the diagnoses call it).
        time_limit: seconds the student's code may take per case.
        diagnose: try the generic diagnoses of :mod:`._patterns` on a failure.
        doc: the contract, for the docstring of the derived check function.
    """

    name: str
    function: str
    reference: Callable
    cases: Any
    mistakes: tuple = ()
    properties: tuple = ()
    output_names: tuple | None = None
    forbidden: tuple = ()
    hints: tuple = ()
    state: tuple = ()
    takes: str = "function"
    rtol: float = 1e-7
    atol: float = 1e-10
    compare: Callable | None = None
    time_limit: float | None = TIME_LIMIT
    diagnose: bool = True
    doc: str = ""

    def __post_init__(self):
        _check_text("name", self.name)
        if not isinstance(self.function, str):
            raise TypeError(f"function must be a name, got {self.function!r}")
        if not callable(self.reference):
            raise TypeError(f"reference must be callable, got {type(self.reference).__name__}")
        if not callable(self.cases):
            _validate_cases(self.cases)
            object.__setattr__(self, "cases", tuple(self.cases))
        if not isinstance(self.mistakes, (list, tuple)) or \
                not all(isinstance(m, Mistake) for m in self.mistakes):
            raise TypeError("mistakes must be a list of Mistake")
        if not isinstance(self.properties, (list, tuple)) or \
                not all(isinstance(p, Property) for p in self.properties):
            raise TypeError("properties must be a list of Property")
        object.__setattr__(self, "mistakes", tuple(self.mistakes))
        object.__setattr__(self, "properties", tuple(self.properties))
        for label, value in (("forbidden", self.forbidden), ("hints", self.hints),
                             ("state", self.state)):
            if isinstance(value, str) or not all(isinstance(v, str) and v for v in value):
                raise TypeError(f"{label} must be a tuple of non-empty strings, got {value!r}")
            object.__setattr__(self, label, tuple(value))
        if self.output_names is not None:
            object.__setattr__(self, "output_names", tuple(self.output_names))
        if self.takes not in ("function", "class"):
            raise ValueError(f"takes must be 'function' or 'class', got {self.takes!r}")
        object.__setattr__(self, "rtol", check_number("rtol", self.rtol, low=0))
        object.__setattr__(self, "atol", check_number("atol", self.atol, low=0))
        if self.compare is not None and not callable(self.compare):
            raise TypeError(f"compare must be None or callable, got {type(self.compare).__name__}")
        if self.time_limit is not None:
            object.__setattr__(self, "time_limit",
                               check_number("time_limit", self.time_limit, low=0, low_open=True))
        for mistake in self.mistakes:
            if mistake.hint is not None and self.hints and mistake.hint > len(self.hints):
                raise ValueError(f"mistake {mistake.name!r} points to hint {mistake.hint}, but "
                                 f"the check has {len(self.hints)} hint levels")

    # ---------------------------------------------------------------- declared data

    def get_cases(self):
        """The cases (built and validated on first use when declared as a function)."""
        cached = self.__dict__.get("_cases")
        if cached is None:
            cached = self.cases() if callable(self.cases) else self.cases
            _validate_cases(cached)
            cached = tuple(cached)
            object.__setattr__(self, "_cases", cached)
        return cached

    def expected(self):
        """The reference's outputs on every case (computed once)."""
        return _Runner(self, self.get_cases()).expected

    # ---------------------------------------------------------------- running

    def run(self, student):
        """Check the student's function (or class); never raises because of it."""
        return _Runner(self, self.get_cases()).run(student)

    def check_function(self):
        """The check function ``check_<name>(student_fn) -> CheckResult`` for this declaration.

        Call it at module level (``check_adam_update = ADAM.check_function()``): the function is
        reported as defined in the calling module, and keeps its declaration in ``.check``.
        """
        module = sys._getframe(1).f_globals.get("__name__", __name__)
        declaration = self

        def check(student):
            return declaration.run(student)

        check.__name__ = check.__qualname__ = self.name
        check.__module__ = module
        parameter = "student_class" if self.takes == "class" else "student_fn"
        check.__signature__ = inspect.Signature(
            [inspect.Parameter(parameter, inspect.Parameter.POSITIONAL_OR_KEYWORD)])
        what = "class" if self.takes == "class" else "function"
        contract = f"``{self.function}``" + (f": {self.doc}" if self.doc else "")
        check.__doc__ = (f"Check the student's {what} {contract}.\n\n"
                         f"Returns a CheckResult; declared as ``{module}.{self.name}.check``.")
        check.check = self
        return check


def _validate_cases(cases):
    if not isinstance(cases, (list, tuple)) or not cases or \
            not all(isinstance(c, Case) for c in cases):
        raise TypeError(f"cases must be a non-empty list of Case, got {cases!r}")


def run_check(name, student_fn, cases, reference, mistakes=(), *, rtol=1e-7, atol=1e-10,
              compare=None, properties=(), output_names=None, forbidden=(),
              time_limit=TIME_LIMIT, hints=()):
    """Run ``student_fn`` on every case, compare with ``reference``, diagnose; never raises
    because of the student's code. The imperative form of :class:`Check`.

    Args:
        name: the check's name as the student calls it, e.g. ``"check_adam_update"``.
        student_fn: the student's function.
        cases: non-empty list of :class:`Case`; inputs are deep-copied for every call.
        reference: the library's implementation, called as ``reference(*args, **kwargs)``.
        mistakes: list of :class:`Mistake`, tried in order when the outputs differ.
        rtol, atol: tolerances of the default comparison (``numpy.isclose`` semantics).
        compare: optional ``compare(expected, received) -> str | None`` replacing
            :func:`compare_outputs` (None means "equal", a string describes the difference).
            The generic diagnoses run only with the default comparison here (a custom one may
            keep state); declare a :class:`Check` to use them with a pure custom comparison.
        properties: list of :class:`Property`, checked once every case matches.
        output_names: names of the items of a tuple output, used in messages.
        forbidden: ``module.qualname`` patterns the student's code must not call.
        time_limit: seconds per case (None: no limit).
        hints: titles of the exercise's hint levels.

    Returns:
        A :class:`CheckResult` (``status`` ``"pass"``, ``"fail"`` or ``"todo"``).
    """
    _check_text("name", name)
    _validate_cases(cases)
    check = Check(name=name, function="", reference=reference, cases=list(cases),
                  mistakes=tuple(mistakes) if isinstance(mistakes, (list, tuple)) else mistakes,
                  properties=tuple(properties) if isinstance(properties, (list, tuple))
                  else properties,
                  output_names=output_names, forbidden=tuple(forbidden), hints=tuple(hints),
                  rtol=rtol, atol=atol, compare=compare, time_limit=time_limit,
                  diagnose=compare is None)
    return check.run(student_fn)


class _Runner:
    """One run of a :class:`Check` (or of :func:`run_check`) against one student answer."""

    def __init__(self, check, cases):
        self.check = check
        self.cases = list(cases)
        self.what = "class" if check.takes == "class" else "function"
        if check.compare is None:
            rtol, atol, names = check.rtol, check.atol, check.output_names

            def compare(e, g):
                return compare_outputs(e, g, rtol=rtol, atol=atol, output_names=names)
            self.compare = compare
        else:
            self.compare = check.compare
        cached = check.__dict__.get("_expected")
        if cached is not None:
            self.expected, self.records = cached
        else:
            self.records = {}
            self.expected = [self.reference_output(case) for case in self.cases]
            object.__setattr__(check, "_expected", (self.expected, self.records))

    # ---------------------------------------------------------------- calling

    def reference_output(self, case):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if case.steps:
                out, recorded = _sequence(self.check.reference, case, self.check.state, None)
                self.records[id(case.steps)] = recorded
                return out
            args, kwargs = copy.deepcopy((case.args, case.kwargs))
            out = self.check.reference(*args, **kwargs)
            return list(out) if _is_iterator(out) else out

    def trusted_output(self, fn, case):
        """A mistake's (or a re-run reference's) output, quietly; raises on error."""
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if case.steps:
                return _sequence(fn, case, self.check.state,
                                 self.records.get(id(case.steps), ()))[0]
            args, kwargs = copy.deepcopy((case.args, case.kwargs))
            out = fn(*args, **kwargs)
            return list(out) if _is_iterator(out) else out

    def quiet_student_output(self, fn, case, errors="ignore", limit=2.0):
        """The student's code (or a variant of it) run again for a diagnosis: no printing, no
        warnings, under a time limit (``limit``, at most the check's); raises on any error."""
        limit = min(self.check.time_limit or limit, limit)
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), \
                warnings.catch_warnings(), np.errstate(all=errors, under="ignore"):
            warnings.simplefilter("ignore")
            with time_limit(limit):
                if case.steps:
                    return _sequence(fn, case, self.check.state,
                                     self.records.get(id(case.steps), ()))[0]
                args, kwargs = copy.deepcopy((case.args, case.kwargs))
                index = next((i for i, c in enumerate(self.cases) if c is case), None)
                out = fn(*args, **kwargs)
                expected = self.expected[index] if index is not None else None
                return _limit_items(out, expected)

    def student_output(self, fn, case, expected):
        """The student's output on one case; raises :class:`_Stop` on any problem."""
        guard = None
        try:
            # numpy's floating-point warnings are not shown: the check traces a NaN or inf to
            # its operation and line itself.
            with warnings.catch_warnings(), \
                    student_call(self.check.time_limit, self.check.forbidden) as guard:
                warnings.simplefilter("ignore", RuntimeWarning)
                out = self._student_call(fn, case, expected)
        except TimeUp:
            if guard is not None and guard.found:
                raise self._shortcut(guard.found) from None
            raise _Stop(FAIL, f"your {self.what} did not finish in "
                              f"{self.check.time_limit:g} s on case '{case.label}': an endless "
                              "loop? Look for a `while` loop whose condition never becomes "
                              "false, or a generator that never stops.", "did not finish") \
                from None
        except _Stop:
            if guard is not None and guard.found:
                raise self._shortcut(guard.found) from None
            raise
        if guard.found:
            raise self._shortcut(guard.found)
        return out

    def _shortcut(self, found):
        own = f"`{self.check.function}`" if self.check.function else "it"
        return _Stop(FAIL, f"your {self.what} calls {found[0]}, the library's own implementation of "
                           f"this exercise: write {own} yourself (numpy and your own helper "
                           "functions are fine).", "calls the library")

    def _student_call(self, fn, case, expected):
        if case.steps:
            try:
                out, _ = _sequence(fn, case, self.check.state,
                                   self.records.get(id(case.steps), ()), student=True)
            except NotImplementedError:
                raise _Stop(TODO, _TODO_MESSAGE) from None
            return out
        args, kwargs = copy.deepcopy((case.args, case.kwargs))
        before = copy.deepcopy((args, kwargs))
        try:
            out = _limit_items(fn(*args, **kwargs), expected, case.label)
        except NotImplementedError:
            raise _Stop(TODO, _TODO_MESSAGE) from None
        except _Stop:
            raise
        except Exception as exc:
            raise _Raised(FAIL, f"your {self.what} raised {_describe_exception(exc)} on case "
                                f"'{case.label}'.", _exception_advice(exc)[0]) from None
        _check_unchanged(fn, case, before, (args, kwargs))
        if out is None and expected is not None:
            raise _ReturnedNone(FAIL, f"your {self.what} returned None on case '{case.label}'. "
                                      "Did you forget `return`?")
        return out

    # ---------------------------------------------------------------- the verdict

    def result(self, status, message, details=(), mistake=None):
        return CheckResult(self.check.name, status == PASS, message, list(details), mistake,
                           status, len(self.cases))

    def run(self, student):
        check = self.check
        if not callable(student):
            return self.result(FAIL, f"expected your {self.what}, got {_kind(student)}. Pass the "
                                     f"{self.what} itself, without calling it: "
                                     f"{check.name}(my_{self.what}).")
        stale = _stale.stale_definition(student)
        if stale:
            return self.result(FAIL, stale, mistake="stale definition")
        received, returned_none, raised = [], None, None
        for case, exp in zip(self.cases, self.expected):
            try:
                received.append(self.student_output(student, case, exp))
            except _ReturnedNone as stop:  # a wrong rule can return None: named mistakes first
                returned_none = returned_none or stop
                received.append(None)
            except _Raised as stop:  # the other cases may still show which mistake it is
                raised = raised or stop
                received.append(_RAISED)
            except _Stop as stop:
                stop = returned_none or stop
                return self.result(stop.status, stop.message, mistake=stop.mistake)
        if raised is not None:
            return self.after_a_raise(raised, returned_none, received)
        if returned_none is not None and all(out is None for out in received):
            return self.result(FAIL, returned_none.message)
        if any(exp is None for exp in self.expected):
            returned_none = None  # None is one of the answers: compared like any other

        diffs = []
        for case, exp, got in zip(self.cases, self.expected, received):
            try:
                diffs.append(self.compare(exp, got))
            except Exception as exc:  # an output so odd that comparing it fails
                return self.result(FAIL, f"your output on case '{case.label}' could not be "
                                         f"compared with the expected one ({type(exc).__name__}: "
                                         f"{_first_line(exc)}); expected {_short(exp)}, got "
                                         f"{_kind(got)}.")
        if any(diffs):
            verdict = self.diagnose(student, received, diffs)
            if returned_none is not None and verdict.mistake is None:
                return self.result(FAIL, returned_none.message)
            return verdict

        for prop in check.properties:
            try:
                with time_limit(check.time_limit):
                    holds = prop.holds(student)
            except NotImplementedError:
                return self.result(TODO, _TODO_MESSAGE)
            except TimeUp:
                return self.result(FAIL, f"your {self.what} did not finish in "
                                         f"{check.time_limit:g} s while checking that "
                                         f"{prop.name}: an endless loop?", mistake="did not finish")
            except Exception as exc:
                return self.result(FAIL, f"your {self.what} raised {_describe_exception(exc)} "
                                         f"while checking that {prop.name}.")
            if not holds:
                return self.result(FAIL, prop.explanation, mistake=prop.name)

        message = f"passed {_plural(len(self.cases), 'case')}"
        if check.properties:
            message += f" and {_plural(len(check.properties), 'property check')}"
        return self.result(PASS, message)

    def after_a_raise(self, raised, returned_none, received):
        """The verdict when the student's function raised on some cases: the exception, and,
        if the cases that ran are wrong in the way of one declared mistake (and only then), that
        mistake too: a student whose rule divides by a zero norm may also have the wrong rule."""
        stop = returned_none or raised
        ran = [i for i, got in enumerate(received) if got is not _RAISED and got is not None]
        wrong = []
        for i in ran:
            try:
                wrong.append(self.compare(self.expected[i], received[i]) is not None)
            except Exception:
                wrong.append(True)
        if returned_none is None and any(wrong):
            for index in range(len(self.check.mistakes)):
                if self.matches(index, received, skip=_RAISED):
                    mistake = self.check.mistakes[index]
                    return self.result(FAIL, f"{stop.message} On the other cases your "
                                             f"{self.what} returns what this mistake gives: "
                                             f"{self.with_hint(mistake)}", mistake=mistake.name)
        return self.result(stop.status, stop.message, mistake=stop.mistake)

    def diagnose(self, student, received, diffs):
        check = self.check
        failing = [i for i, d in enumerate(diffs) if d]
        first = failing[0]
        where = [f"on case '{self.cases[first].label}': {diffs[first]}"]
        received_numbers = [_numbers(got) for got in received]
        for index in self.candidates(received_numbers):
            if self.matches(index, received, received_numbers):
                mistake = check.mistakes[index]
                return self.result(FAIL, self.with_hint(mistake), where, mistake.name)

        # The generic diagnoses are loaded on the first failure only (keeps imports light).
        from nnlesson.course.checks._patterns import Evidence, diagnose, trace_nonfinite

        rtol, atol = check.rtol, check.atol
        evidence = Evidence(
            cases=self.cases, expected=self.expected, received=received,
            reference=check.reference, student=student, compare=self.compare,
            component_diff=lambda e, g: compare_outputs(e, g, rtol=rtol, atol=atol),
            call=self.trusted_output, call_student=self.quiet_student_output,
            output_names=check.output_names, describe_exception=_describe_exception)
        found = diagnose(evidence) if check.diagnose else None
        if found is None:
            try:
                found = trace_nonfinite(evidence)
            except Exception:
                found = None
        if found is not None:
            return self.result(FAIL, found.message, where, found.name)

        details = [f"expected: {_short(self.expected[first])}",
                   f"received: {_short(received[first])}"]
        if len(failing) > 1:
            others = ", ".join(f"'{self.cases[i].label}'" for i in failing[1:])
            details.append(f"also wrong on: {others}")
        right = self.right_outputs(received)
        if right:
            details.append(f"right on every case: {', '.join(right)}")
        return self.result(FAIL, f"wrong result on case '{self.cases[first].label}': "
                                 f"{diffs[first]}.", details)

    def with_hint(self, mistake):
        if mistake.hint is None:
            return mistake.explanation
        titles = self.check.hints or ()
        title = titles[mistake.hint - 1] if mistake.hint <= len(titles) else \
            _HINT_TITLES.get(mistake.hint, "more help")
        return f"{mistake.explanation} Hint {mistake.hint} above gives {title}."

    def right_outputs(self, received):
        """Names of the tuple outputs that are right on every case (for the details)."""
        names = self.check.output_names
        if not names or not all(isinstance(e, tuple) and isinstance(g, (tuple, list))
                                and len(e) == len(g) == len(names)
                                for e, g in zip(self.expected, received)):
            return []
        right = [n for i, n in enumerate(names)
                 if all(compare_outputs(e[i], g[i], rtol=self.check.rtol, atol=self.check.atol)
                        is None for e, g in zip(self.expected, received))]
        return [f"`{n}`" for n in right] if len(right) < len(names) else []

    def _mistake_entry(self, index, case_index):
        cache = self.check.__dict__.get("_mistake_outputs")
        if cache is None:
            cache = {}
            object.__setattr__(self.check, "_mistake_outputs", cache)
        key = (index, case_index)
        if key not in cache:
            try:
                out = self.trusted_output(self.check.mistakes[index].wrong_fn,
                                          self.cases[case_index])
            except Exception:  # a mistake that cannot even run does not explain anything
                out = _NO_OUTPUT
            cache[key] = (out, None if out is _NO_OUTPUT else _numbers(out))
        return cache[key]

    def mistake_output(self, index, case_index):
        """A declared mistake's output on one case, computed once per check (mistakes are
        deterministic); ``_NO_OUTPUT`` if the mistake raises."""
        return self._mistake_entry(index, case_index)[0]

    def candidates(self, received_numbers):
        """Indices of the mistakes that may match, in declared order: with the default
        comparison, those whose numbers on the first case are roughly the student's (one
        vectorised test against all mistakes at once); otherwise all of them."""
        everything = range(len(self.check.mistakes))
        quick = received_numbers[0] if received_numbers else None
        if self.check.compare is not None or quick is None:
            return everything
        table = self.check.__dict__.get("_first_case_table")
        if table is None:
            by_length, other = {}, []
            for index in everything:
                numbers_out = self._mistake_entry(index, 0)[1]
                if numbers_out is None:
                    other.append(index)
                else:
                    by_length.setdefault(len(numbers_out), []).append(index)
            table = ({n: (np.array(rows), np.array([self._mistake_entry(i, 0)[1] for i in rows]))
                      for n, rows in by_length.items()}, other)
            object.__setattr__(self.check, "_first_case_table", table)
        by_length, other = table
        found = list(other)
        if len(quick) in by_length:
            rows, matrix = by_length[len(quick)]
            rtol, atol = self.check.rtol, self.check.atol
            with np.errstate(invalid="ignore", over="ignore"):
                close = (matrix == quick) | (np.abs(matrix - quick) <= 2 * atol + 2 * rtol
                                             * np.maximum(np.abs(matrix), np.abs(quick)))
            close |= np.isnan(matrix) & np.isnan(quick)
            found += list(rows[close.all(axis=1)])
        return sorted(int(i) for i in found)

    def matches(self, index, received, received_numbers=None, skip=None):
        """True if mistake ``index`` reproduces the student's outputs on every case.

        ``received_numbers`` (the outputs' numbers as flat vectors) allow a quick rejection
        before the check's own comparison, which decides. Cases whose output is ``skip`` (the
        student's function raised there) are left out.
        """
        for case_index, got in enumerate(received):
            if skip is not None and got is skip:
                continue
            out, numbers_out = self._mistake_entry(index, case_index)
            if out is _NO_OUTPUT:
                return False
            quick = received_numbers[case_index] if received_numbers else None
            if quick is not None and numbers_out is not None and \
                    not _roughly_equal(numbers_out, quick, self.check.rtol, self.check.atol):
                return False
            try:
                if self.compare(out, got) is not None:
                    return False
            except Exception:
                return False
        return True


def _numbers(out):
    """All the numbers of an output as one flat float vector (None if it holds anything else):
    a quick way to see that two outputs differ."""
    if isinstance(out, (tuple, list)):
        parts = [_numbers(o) for o in out]
        if any(p is None for p in parts):
            return None
        return np.concatenate(parts) if parts else np.zeros(0)
    if isinstance(out, dict):
        return _numbers([out[k] for k in sorted(out, key=str)])  # the order compare uses
    if isinstance(out, np.ndarray) and out.dtype.kind in "biuf":
        return out.astype(np.float64).ravel()
    if isinstance(out, numbers.Real):
        return np.array([float(out)])
    return None


def _roughly_equal(a, b, rtol, atol):
    """False when ``a`` and ``b`` certainly differ under ``numpy.isclose(b, a, rtol, atol)``
    (a looser test than the comparison's: it never rejects what the comparison accepts)."""
    if a.shape != b.shape:
        return True  # sizes differ: let the comparison say how
    with np.errstate(invalid="ignore", over="ignore"):
        close = (a == b) | (np.abs(a - b) <= 2 * atol + 2 * rtol * np.maximum(np.abs(a), np.abs(b)))
    close |= np.isnan(a) & np.isnan(b)
    return bool(close.all())


def _check_unchanged(fn, case, before, after):
    """Raise :class:`_Stop` if the call changed one of its inputs in place."""
    names = _parameter_names(fn, len(before[0]))
    changed = [(name, old) for name, old, new in zip(names, before[0], after[0])
               if not _same(old, new)]
    changed += [(name, before[1][name]) for name in after[1]
                if not _same(before[1][name], after[1][name])]
    if changed:
        name, old = changed[0]
        raise _Stop(FAIL, f"your function changed its input `{name}` in place (case "
                          f"'{case.label}'); the code that called it still needs the old values. "
                          f"{_new_value_advice(name, old)}", "an input changed in place")


def _new_value_advice(name, value):
    """How to return a new value instead of changing ``value`` (the input called ``name``)."""
    if isinstance(value, np.ndarray):
        return (f"Return a new array: compute `{name} - ...` rather than `{name} -= ...`, or "
                f"work on `{name}.copy()` (if you change it while you work, put every value "
                "back before returning).")
    if isinstance(value, dict):
        return (f"Build a new dict, e.g. `new = dict({name})` and change `new`, or "
                f"`{{**{name}, key: value}}`.")
    if isinstance(value, (list, tuple)) and any(isinstance(v, np.ndarray) for v in value):
        return (f"Build a new list, e.g. `[w - ... for w in {name}]`, instead of changing its "
                f"arrays with `-=` or `[...] =`.")
    if isinstance(value, list):
        return f"Build a new list (e.g. `list({name})` or a list comprehension) and change that."
    return (f"Work on a copy (`copy.deepcopy({name})`), or put every value back before "
            "returning.")


def _sequence(make, case, state, record, student=False):
    """Drive one object through ``case.steps``.

    Returns ``(output, recorded)``: ``output`` maps ``"step 2 backward(…)"`` to what that
    step returned (for the steps in ``record``; the reference's run, ``record=None``, records
    every step that returns something other than None or the object itself) and
    ``"running_mean after step 2"`` to a copy of each ``state`` attribute after each step.
    For the student (``student=True``) problems raise :class:`_Stop`.
    """
    args, kwargs = copy.deepcopy((case.args, case.kwargs))
    where = f"case '{case.label}'"
    try:
        obj = make(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as exc:
        if not student:
            raise
        raise _Stop(FAIL, f"creating your object raised {_describe_exception(exc)} on "
                          f"{where}.") from None
    out, recorded = {}, []
    for number, step in enumerate(case.steps, start=1):
        at = f"step {number} ({step.text}) of {where}"
        method = getattr(obj, step.method, None)
        if method is None or not callable(method):
            if not student:
                raise AttributeError(f"the reference has no method {step.method!r}")
            raise _Stop(FAIL, f"your object has no method `{step.method}` ({at}).")
        s_args, s_kwargs = copy.deepcopy((step.args, step.kwargs))
        before = copy.deepcopy((s_args, s_kwargs))
        try:
            returned = method(*s_args, **s_kwargs)
        except NotImplementedError:
            raise
        except Exception as exc:
            if not student:
                raise
            raise _Stop(FAIL, f"your `{step.method}` raised {_describe_exception(exc)} at "
                              f"{at}.") from None
        if student:
            _check_unchanged(method, case, before, (s_args, s_kwargs))
        keep = (returned is not None and returned is not obj) if record is None \
            else number in record
        if keep:
            if returned is None and student:
                raise _Stop(FAIL, f"your `{step.method}` returned None at {at}. Did you "
                                  "forget `return`?")
            recorded.append(number)
            out[f"step {number} {step.text}"] = returned
        for name in state:
            if not hasattr(obj, name):
                if not student:
                    raise AttributeError(f"the reference keeps no attribute {name!r}")
                raise _Stop(FAIL, f"your object has no attribute `{name}` after {at}: keep it "
                                  f"as `self.{name}`.")
            out[f"{name} after step {number}"] = copy.deepcopy(getattr(obj, name))
    return out, tuple(recorded)
