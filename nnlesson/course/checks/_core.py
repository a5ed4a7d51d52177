"""The checks framework: run a student's function safely, compare it, name the likely mistake.

Every exercise is followed by a check cell ``check_<name>(student_function)``. A check module
``nnlesson/course/checks/<slug>.py`` builds a few seeded cases (edge cases included), lists the
plausible wrong implementations and hands everything to :func:`run_check`::

    import numpy as np

    from nnlesson.course.checks._core import Case, Mistake, run_check


    def scale(x, factor=2.0):
        '''The library's implementation: y = factor * x.'''
        return factor * x


    def check_scale(student_scale):
        '''Check ``scale(x, factor=2.0) -> factor * x`` on three cases.'''
        rng = np.random.default_rng(0)
        cases = [
            Case("a vector", (rng.normal(size=4),)),
            Case("a matrix with factor 3", (rng.normal(size=(2, 3)),), {"factor": 3.0}),
            Case("zeros", (np.zeros(3),)),
        ]
        mistakes = [
            Mistake("factor ignored",
                    "The result is always 2 x: multiply by the `factor` argument, not by 2.",
                    lambda x, factor=2.0: 2.0 * x),
            Mistake("added instead of multiplied",
                    "The result is x + factor: scaling multiplies, y = factor * x.",
                    lambda x, factor=2.0: x + factor),
        ]
        return run_check("check_scale", student_scale, cases, scale, mistakes)

In the notebook the cell ``check_scale(scale)`` ends with the call, so Jupyter shows the
returned :class:`CheckResult` as a coloured box (green: passed, red: failed, amber: not
implemented yet). The grader reads the same result from the cell's output (mimetype
:data:`MIME_TYPE`), so a check cell must *return* its result, not print it.

What :func:`run_check` does, in order:

1. calls ``reference`` on a deep copy of each case's inputs: the expected outputs;
2. calls the student's function on another deep copy of each case. A
   ``NotImplementedError`` gives the amber "not implemented yet" result; any other exception
   gives one paragraph naming the exception and the student's own line (never a traceback);
   changing an input in place or returning ``None`` is reported as such;
3. compares each output with the expected one (arrays, numbers, tuples, lists and dicts of
   those; type, shape, dtype, NaN/inf and values, ``rtol``/``atol`` as in ``numpy.isclose``);
4. on a difference, runs every :class:`Mistake` on the same cases: if the student's outputs
   match one mistake on *every* case, its explanation is the message and its name goes into
   ``CheckResult.mistake`` (tests assert that name). Otherwise the message names the first
   failing case, where the outputs differ, and the expected and received values;
5. when every case matches, checks each :class:`Property` (for behaviour that values alone do
   not show, e.g. "backward reuses the mask drawn in forward").

A check never raises because of the student's code. It does raise if the *reference* fails:
that is a bug in the check, and it should be loud. Student code that never returns is the
grader's problem (its time limit), not the check's.
"""
from __future__ import annotations

import copy
import html
import inspect
import numbers
import os
import re
import sysconfig
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from nnlesson._validate import check_number

__all__ = [
    "MIME_TYPE",
    "CheckResult",
    "Case",
    "Mistake",
    "Property",
    "run_check",
    "compare_outputs",
]

#: Custom mimetype under which a displayed :class:`CheckResult` stores its JSON summary.
MIME_TYPE = "application/vnd.nnlesson.check+json"

PASS, FAIL, TODO = "pass", "fail", "todo"
_SYMBOL = {PASS: "✔", FAIL: "✘", TODO: "✎"}
# (border, background) per status: green, red, amber.
_COLOURS = {
    PASS: ("#1b7e3c", "#e9f6ec"),
    FAIL: ("#c0392b", "#fdecea"),
    TODO: ("#b36b00", "#fff4e0"),
}


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
class Case:
    """One input for the check: ``fn(*args, **kwargs)``; ``label`` names it in messages."""

    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.label, str) or not self.label:
            raise TypeError(f"label must be a non-empty string, got {self.label!r}")
        if not isinstance(self.args, (tuple, list)):
            raise TypeError("args must be a tuple of positional arguments, "
                            f"got {type(self.args).__name__}")
        if not isinstance(self.kwargs, dict):
            raise TypeError("kwargs must be a dict of keyword arguments, "
                            f"got {type(self.kwargs).__name__}")
        object.__setattr__(self, "args", tuple(self.args))


@dataclass(frozen=True)
class Mistake:
    """A plausible wrong implementation: ``wrong_fn`` takes the same arguments as the reference.

    ``explanation`` is what the student reads when their outputs match ``wrong_fn`` on every
    case, e.g. "No bias correction: m_hat = m / (1 - beta1^t) was skipped, so the first steps
    are too small."
    """

    name: str
    explanation: str
    wrong_fn: Callable

    def __post_init__(self):
        _check_text("name", self.name)
        _check_text("explanation", self.explanation)
        if not callable(self.wrong_fn):
            raise TypeError(f"wrong_fn must be callable, got {type(self.wrong_fn).__name__}")


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


class _Stop(Exception):
    """Raised inside the runner to end the check early with ``status`` and ``message``."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


# the nnlesson package folder (this file is nnlesson/course/checks/_core.py)
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
_LIBRARY_DIRS = tuple(
    sorted(
        {os.path.realpath(p) for key in ("stdlib", "platstdlib", "purelib", "platlib")
         if (p := sysconfig.get_paths().get(key))}
        | {_PACKAGE_DIR}
    )
)


def _is_student_file(filename):
    if filename.startswith("<"):
        return not filename.startswith(("<frozen", "<__array_function__"))
    path = os.path.realpath(filename)
    return not any(path == d or path.startswith(d + os.sep) for d in _LIBRARY_DIRS)


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
    student = [f for f in traceback.extract_tb(exc.__traceback__) if _is_student_file(f.filename)]
    if student:
        frame = student[-1]
        line = (frame.line or "").strip()
        text += f" (line {frame.lineno}: `{line}`)" if line else f" (line {frame.lineno})"
    return text


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


def _call_student(fn, case, expect_none):
    """Call ``fn`` on a copy of the case; raise :class:`_Stop` on any problem."""
    args, kwargs = copy.deepcopy((case.args, case.kwargs))
    before = copy.deepcopy((args, kwargs))
    try:
        out = fn(*args, **kwargs)
    except NotImplementedError:
        raise _Stop(TODO, _TODO_MESSAGE) from None
    except Exception as exc:
        raise _Stop(FAIL, f"your function raised {_describe_exception(exc)} on case "
                          f"'{case.label}'.") from None
    names = _parameter_names(fn, len(args))
    for name, old, new in zip(names, before[0], args):
        if not _same(old, new):
            raise _Stop(FAIL, f"your function changed its input `{name}` in place (case "
                              f"'{case.label}'); return a new array instead, e.g. compute "
                              f"`{name} - ...` rather than `{name} -= ...`.")
    for name in kwargs:
        if not _same(before[1][name], kwargs[name]):
            raise _Stop(FAIL, f"your function changed its input `{name}` in place (case "
                              f"'{case.label}'); return a new array instead.")
    if out is None and not expect_none:
        raise _Stop(FAIL, f"your function returned None on case '{case.label}'. "
                          "Did you forget `return`?")
    return out


def _quiet_call(fn, case):
    """Call a reference or a mistake on a copy of the case without numpy warnings."""
    args, kwargs = copy.deepcopy((case.args, case.kwargs))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


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
                    "look for a division by zero, or a square root or logarithm of a negative "
                    "number")
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


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def run_check(name, student_fn, cases, reference, mistakes=(), *, rtol=1e-7, atol=1e-10,
              compare=None, properties=(), output_names=None):
    """Run ``student_fn`` on every case, compare with ``reference``, diagnose; never raises
    because of the student's code.

    Args:
        name: the check's name as the student calls it, e.g. ``"check_adam_update"``.
        student_fn: the student's function.
        cases: non-empty list of :class:`Case`; inputs are deep-copied for every call.
        reference: the library's implementation, called as ``reference(*args, **kwargs)``.
        mistakes: list of :class:`Mistake`, tried in order when the outputs differ.
        rtol, atol: tolerances of the default comparison (``numpy.isclose`` semantics).
        compare: optional ``compare(expected, received) -> str | None`` replacing
            :func:`compare_outputs` (None means "equal", a string describes the difference).
        properties: list of :class:`Property`, checked once every case matches.
        output_names: names of the items of a tuple output, used in messages.

    Returns:
        A :class:`CheckResult` (``status`` ``"pass"``, ``"fail"`` or ``"todo"``).
    """
    _check_text("name", name)
    if not isinstance(cases, (list, tuple)) or not cases or \
            not all(isinstance(c, Case) for c in cases):
        raise TypeError(f"cases must be a non-empty list of Case, got {cases!r}")
    if not callable(reference):
        raise TypeError(f"reference must be callable, got {type(reference).__name__}")
    mistakes, properties = list(mistakes), list(properties)
    if not all(isinstance(m, Mistake) for m in mistakes):
        raise TypeError("mistakes must be a list of Mistake")
    if not all(isinstance(p, Property) for p in properties):
        raise TypeError("properties must be a list of Property")
    rtol = check_number("rtol", rtol, low=0)
    atol = check_number("atol", atol, low=0)
    if compare is None:
        def compare(e, g):
            return compare_outputs(e, g, rtol=rtol, atol=atol, output_names=output_names)
    elif not callable(compare):
        raise TypeError(f"compare must be None or callable, got {type(compare).__name__}")

    def result(status, message, details=(), mistake=None):
        return CheckResult(name, status == PASS, message, list(details), mistake, status,
                           len(cases))

    if not callable(student_fn):
        return result(FAIL, f"expected your function, got {_kind(student_fn)}. Pass the function "
                            f"itself, without calling it: {name}(my_function).")

    expected = [_quiet_call(reference, case) for case in cases]
    try:
        received = [_call_student(student_fn, case, expect_none=exp is None)
                    for case, exp in zip(cases, expected)]
    except _Stop as stop:
        return result(stop.status, stop.message)

    diffs = []
    for case, exp, got in zip(cases, expected, received):
        try:
            diffs.append(compare(exp, got))
        except Exception as exc:  # an output so odd that comparing it fails
            return result(FAIL, f"your output on case '{case.label}' could not be compared with "
                                f"the expected one ({type(exc).__name__}: {_first_line(exc)}); "
                                f"expected {_short(exp)}, got {_kind(got)}.")
    failing = [i for i, d in enumerate(diffs) if d]
    if failing:
        first = failing[0]
        for mistake in mistakes:
            if _matches(mistake.wrong_fn, cases, received, compare):
                return result(FAIL, mistake.explanation,
                              [f"on case '{cases[first].label}': {diffs[first]}"], mistake.name)
        details = [f"expected: {_short(expected[first])}", f"received: {_short(received[first])}"]
        if len(failing) > 1:
            others = ", ".join(f"'{cases[i].label}'" for i in failing[1:])
            details.append(f"also wrong on: {others}")
        return result(FAIL, f"wrong result on case '{cases[first].label}': {diffs[first]}.",
                      details)

    for prop in properties:
        try:
            holds = prop.holds(student_fn)
        except NotImplementedError:
            return result(TODO, _TODO_MESSAGE)
        except Exception as exc:
            return result(FAIL, f"your function raised {_describe_exception(exc)} while checking "
                                f"that {prop.name}.")
        if not holds:
            return result(FAIL, prop.explanation, mistake=prop.name)

    message = f"passed {_plural(len(cases), 'case')}"
    if properties:
        message += f" and {_plural(len(properties), 'property check')}"
    return result(PASS, message)


def _matches(wrong_fn, cases, received, compare):
    """True if ``wrong_fn`` reproduces the student's outputs on every case."""
    for case, got in zip(cases, received):
        try:
            out = _quiet_call(wrong_fn, case)
            if compare(out, got) is not None:
                return False
        except Exception:  # a mistake that cannot even run does not explain anything
            return False
    return True
