"""Generic diagnoses, tried on every failure of every check after its own named mistakes.

Each diagnosis proposes an explanation and claims it only when the explanation reproduces the
student's outputs on *every* case (with the check's own comparison), so it never names a
mistake the student did not make. In order:

1. **arguments** (the reference re-run with one argument changed): an argument ignored (the
   reference with that argument at its default), two arguments exchanged, an integer argument
   off by one (a step counter), ``1 - a`` where ``a`` belongs, statistics over the other axis
   of a 2-D input or over the whole array (the reference on the transposed or flattened input);
2. **outputs in the wrong order** (a permutation of the expected tuple);
3. **output by output**, when every wrong output has an explanation: the output equals an
   input (nothing was updated), is the transpose of the right one, or differs from it by a
   constant factor (of the value, or of its change from the input of the same name, "the
   step"), named when it is a known constant: -1 (a sign), 2, 1/2, an argument ``a`` or
   ``1/a``, ``1 - a``, ``1/(1 - a)``, ``1 - b^t``, the length of an input (a sum for a mean),
   ``n/(n - 1)`` (variance with or without Bessel's correction);
4. **one operator** (the student's source, when Python can read it): the one change of an
   arithmetic operator (``*`` for ``**``, ``+`` for ``-``, ``*`` for ``/``) that makes the
   student's own function right on every case, e.g. "``beta1 * t`` should be
   ``beta1 ** t``";
5. **NaN or inf traced**: the student's function re-run on the first case whose output has a
   NaN or inf where a finite value was expected, under ``numpy.errstate(all="raise")``: the
   first floating-point error names the operation (overflow in ``exp``, ``log(0)``, a division
   by zero, ``0/0``, a square root of a negative number) and the student's line.

Diagnoses 1-4 need a comparison without side effects: they run for checks that use the default
comparison (or declare their own ``compare`` as pure).
"""
from __future__ import annotations

import ast
import inspect
import itertools
import math
import numbers
import textwrap
import time
import types
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

__all__ = ["Diagnosis", "Evidence", "diagnose", "trace_nonfinite"]


@dataclass(frozen=True)
class Diagnosis:
    """A generic explanation: ``name`` goes into ``CheckResult.mistake``."""

    name: str
    message: str


@dataclass
class Evidence:
    """What a failed check knows, handed to the diagnoses.

    ``call(fn, case)`` runs a trusted function (the reference) quietly on a copy of a case;
    ``call_student(fn, case)`` runs the student's code (or a variant of it) quietly, under
    the time limit; both raise on error. ``component_diff(expected, received)`` compares one
    output (the check's tolerances); ``compare`` compares a whole output.
    """

    cases: list
    expected: list
    received: list
    reference: Callable
    student: Any
    compare: Callable
    component_diff: Callable
    call: Callable
    call_student: Callable
    output_names: tuple | None = None
    describe_exception: Callable | None = None

    def reproduces(self, outputs):
        """True if ``outputs`` (one per case; None = could not be computed) equal the
        student's outputs on every case."""
        for out, got in zip(outputs, self.received):
            if out is _FAILED:
                return False
            try:
                if self.compare(out, got) is not None:
                    return False
            except Exception:
                return False
        return True


_FAILED = object()


def _quiet(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Exception:
        return _FAILED


# --------------------------------------------------------------------------------------------
# arguments


def _signature(reference):
    try:
        return inspect.signature(reference)
    except (TypeError, ValueError):
        return None


def _bind(reference, case):
    sig = _signature(reference)
    if sig is None:
        return None
    try:
        return sig.bind(*case.args, **case.kwargs)
    except TypeError:
        return None


def _with(reference, case, changes):
    """The case with some of the reference's arguments changed (None if they cannot be)."""
    bound = _bind(reference, case)
    if bound is None:
        return None
    for name, value in changes.items():
        bound.arguments[name] = value
    return replace(case, args=tuple(bound.args), kwargs=dict(bound.kwargs))


def _values(reference, case):
    """``{name: value}`` of every named argument of the reference, defaults included."""
    bound = _bind(reference, case)
    if bound is None:
        return {}
    values = dict(bound.arguments)
    for name, param in bound.signature.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            values.pop(name, None)
        elif name not in values and param.default is not param.empty:
            values[name] = param.default
    return values


def _defaults(reference):
    sig = _signature(reference)
    if sig is None:
        return {}
    return {name: p.default for name, p in sig.parameters.items()
            if p.default is not p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def _is_real(x):
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _is_int(x):
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))


def _equal_values(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and bool(np.array_equal(a, b)))
    try:
        return bool(a == b)
    except Exception:
        return False


def _rerun(ev, changes_per_case):
    """Reference outputs with per-case argument changes (a dict, or None for "as it was")."""
    outputs = []
    for case, exp, changes in zip(ev.cases, ev.expected, changes_per_case):
        if not changes:
            outputs.append(exp)
            continue
        changed = _with(ev.reference, case, changes)
        outputs.append(_FAILED if changed is None else _quiet(ev.call, ev.reference, changed))
    return outputs


def _fmt(value):
    if _is_real(value):
        return f"{float(value):g}" if not _is_int(value) else str(int(value))
    return repr(value)


def _ignored_argument(ev):
    """One, two or three arguments ignored: the reference with them at their defaults."""
    defaults = _defaults(ev.reference)
    values = [_values(ev.reference, case) for case in ev.cases]
    varied = [name for name, default in defaults.items()
              if not isinstance(default, np.ndarray) and default is not None
              and any(name in v and not _equal_values(v[name], default) for v in values)]
    for size in (1, 2, 3):
        if size > 1 and len(varied) > 6:
            break
        for names in itertools.combinations(varied, size):
            changes = []
            for v in values:
                away = {n: defaults[n] for n in names
                        if n in v and not _equal_values(v[n], defaults[n])}
                changes.append(away or None)
            if not all(any(n in (c or {}) for c in changes) for n in names):
                continue
            if ev.reproduces(_rerun(ev, changes)):
                return _ignored(names, defaults)
    return None


def _ignored(names, defaults):
    if len(names) == 1:
        name = names[0]
        return Diagnosis(
            f"ignores {name}",
            f"Your results are what the right function gives with `{name}` = "
            f"{_fmt(defaults[name])} (its default), whatever `{name}` is passed: your function "
            f"ignores the argument `{name}`. Use the argument instead of a fixed value.")
    listed = ", ".join(f"`{n}`" for n in names[:-1]) + f" and `{names[-1]}`"
    values = ", ".join(f"{n} = {_fmt(defaults[n])}" for n in names)
    return Diagnosis(
        "ignores " + ", ".join(names[:-1]) + f" and {names[-1]}",
        f"Your results are what the right function gives with {values} (their defaults), "
        f"whatever is passed: your function ignores the arguments {listed}. Use the arguments "
        "instead of fixed values.")


def _same_kind(a, b):
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and a.dtype.kind == b.dtype.kind and a.dtype.kind in "fc"
    if _is_int(a) and _is_int(b):
        return True
    return _is_real(a) and _is_real(b) and not _is_int(a) and not _is_int(b)


def _exchanged_arguments(ev):
    values = [_values(ev.reference, case) for case in ev.cases]
    names = [n for n in (values[0] if values else {}) if all(n in v for v in values)]
    for a, b in itertools.combinations(names, 2):
        if not all(_same_kind(v[a], v[b]) for v in values):
            continue
        changes = [None if _equal_values(v[a], v[b]) else {a: v[b], b: v[a]} for v in values]
        if not any(changes):
            continue
        if ev.reproduces(_rerun(ev, changes)):
            return Diagnosis(
                f"{a} and {b} exchanged",
                f"Your results are what the right function gives with `{a}` and `{b}` "
                f"exchanged: you use `{b}` where `{a}` belongs and `{a}` where `{b}` belongs.")
    return None


def _off_by_one(ev):
    values = [_values(ev.reference, case) for case in ev.cases]
    names = [n for n in (values[0] if values else {}) if all(_is_int(v.get(n)) for v in values)]
    for name in names:
        for delta in (1, -1):
            changes = [{name: int(v[name]) + delta} for v in values]
            if ev.reproduces(_rerun(ev, changes)):
                sign = "+" if delta > 0 else "-"
                return Diagnosis(
                    f"{name} off by one ({name} {sign} 1 used)",
                    f"Your results are what the right function gives for `{name}` {sign} 1 "
                    f"instead of `{name}`: your `{name}` is off by one. Check where it starts "
                    f"counting (0 or 1) and whether you change it before using it.")
    return None


def _complement(ev):
    values = [_values(ev.reference, case) for case in ev.cases]
    names = [n for n in (values[0] if values else {})
             if all(_is_real(v.get(n)) and not _is_int(v.get(n)) and 0 < v[n] < 1
                    for v in values)]
    for name in names:
        changes = [None if v[name] == 0.5 else {name: 1 - v[name]} for v in values]
        if not any(changes):
            continue
        if ev.reproduces(_rerun(ev, changes)):
            return Diagnosis(
                f"1 - {name} where {name} belongs",
                f"Your results are what the right function gives with `{name}` replaced by "
                f"1 - {name}: you use 1 - `{name}` where `{name}` belongs and `{name}` where "
                f"1 - `{name}` belongs (in an average, `{name}` weights the old value).")
    return None


def _reshape_like(candidate, expected, transposed):
    """Undo a transpose (``transposed``) or a reshape of the reference's input on its output,
    item by item: a 2-D output of the transposed shape is transposed back (a square one too)."""
    if isinstance(expected, (tuple, list)) and isinstance(candidate, (tuple, list)) \
            and len(candidate) == len(expected):
        return type(candidate)(_reshape_like(c, e, transposed) for c, e in zip(candidate, expected))
    if isinstance(expected, np.ndarray) and isinstance(candidate, np.ndarray) \
            and candidate.size == expected.size:
        if transposed and expected.ndim == 2 and candidate.shape == expected.shape[::-1]:
            return candidate.T
        if candidate.shape != expected.shape:
            return candidate.reshape(expected.shape)
    return candidate


def _other_axis(ev):
    values = [_values(ev.reference, case) for case in ev.cases]
    names = [n for n in (values[0] if values else {})
             if any(isinstance(v.get(n), np.ndarray) and v[n].ndim == 2 for v in values)]
    if not names:
        return None

    def attempt(transform, chosen, transposed=False):
        outputs = []
        for case, exp, v in zip(ev.cases, ev.expected, values):
            changes = {n: transform(v[n]) for n in chosen
                       if isinstance(v.get(n), np.ndarray) and v[n].ndim == 2}
            if not changes:
                outputs.append(exp)
                continue
            changed = _with(ev.reference, case, changes)
            out = _FAILED if changed is None else _quiet(ev.call, ev.reference, changed)
            outputs.append(out if out is _FAILED else _reshape_like(out, exp, transposed))
        return ev.reproduces(outputs)

    groups = [[n] for n in names] + ([names] if len(names) > 1 else [])
    for chosen in groups:
        what = " and ".join(f"`{n}`" for n in chosen)
        if attempt(lambda a: np.ascontiguousarray(a.T), chosen, transposed=True):
            return Diagnosis(
                "statistics over the other axis",
                f"Your results are what the right function gives on the transposed {what}: "
                "your sums, means or other statistics run along the other axis (across each "
                "row instead of down each column, or the reverse). Check the `axis=` of each "
                "reduction.")
        for shape in ((-1, 1), (1, -1)):
            if attempt(lambda a, s=shape: a.reshape(s), chosen):
                return Diagnosis(
                    "statistics over the whole array",
                    f"Your results are what the right function gives if {what} were one long "
                    "column: your statistics are computed over the whole array instead of one "
                    "per column (or per row). Give each reduction its `axis=`.")
    return None


# --------------------------------------------------------------------------------------------
# outputs


def _items(x):
    """``[(key, value)]`` for a tuple/list/dict output, else ``[(None, x)]``."""
    if isinstance(x, (tuple, list)):
        return list(enumerate(x))
    if isinstance(x, dict):
        return list(x.items())
    return [(None, x)]


def _label(ev, key, count):
    if key is None:
        return f"`{ev.output_names[0]}`" if ev.output_names else "your result"
    if isinstance(key, int):
        if ev.output_names and key < len(ev.output_names):
            return f"`{ev.output_names[key]}`"
        return f"output {key + 1} of {count}"
    return f"`{key}`"


def _plain_name(ev, key):
    if key is None:
        return ev.output_names[0] if ev.output_names else None
    if isinstance(key, int):
        return ev.output_names[key] if ev.output_names and key < len(ev.output_names) else None
    return key if isinstance(key, str) and key.isidentifier() else None


def _wrong_order(ev):
    first = ev.expected[0]
    if not isinstance(first, (tuple, list)) or len(first) < 2 or len(first) > 6:
        return None
    n = len(first)
    if not all(isinstance(e, (tuple, list)) and len(e) == n for e in ev.expected):
        return None
    if not all(isinstance(g, (tuple, list)) and len(g) == n for g in ev.received):
        return None
    for perm in itertools.permutations(range(n)):
        if perm == tuple(range(n)):
            continue
        outputs = [type(e)(e[p] for p in perm) for e in ev.expected]
        if ev.reproduces(outputs):
            names = [_label(ev, i, n).strip("`") for i in range(n)]
            got = ", ".join(names[p] for p in perm)
            want = ", ".join(names)
            return Diagnosis(
                "outputs in the wrong order",
                f"Your outputs are right but in the wrong order: you return ({got}); return "
                f"({want}).")
    return None


def _floats(x):
    if isinstance(x, (list, tuple)) and x and all(isinstance(i, np.ndarray) for i in x):
        parts = [_floats(i) for i in x]  # a list of arrays (one gradient per layer)
        return None if any(p is None for p in parts) else np.concatenate(parts)
    if isinstance(x, np.ndarray) and x.dtype.kind in "iuf":
        return x.astype(np.float64).ravel()
    if _is_real(x) or (isinstance(x, np.ndarray) and x.ndim == 0):
        return np.array([float(x)])
    return None


def _constants(values):
    """``[(name, value, note)]``: the known constants a factor is compared with, for one case."""
    out = [("2", 2.0, ""), ("1/2", 0.5, ""), ("3", 3.0, ""), ("1/3", 1 / 3, ""),
           ("10", 10.0, ""), ("1/10", 0.1, "")]
    reals = {k: float(v) for k, v in values.items() if _is_real(v) and not _is_int(v)}
    ints = {k: int(v) for k, v in values.items() if _is_int(v) and int(v) >= 1}
    for k, a in reals.items():
        if a != 0:
            out += [(k, a, ""), (f"1/{k}", 1 / a, "")]
        if 0 < a < 1:
            out += [(f"1 - {k}", 1 - a, ""), (f"1/(1 - {k})", 1 / (1 - a), "")]
            for n_name, n in ints.items():
                corr = 1 - a ** n
                if corr > 0:
                    note = (f" (1 - {k}^{n_name} is a bias correction: applied where it does "
                            "not belong, twice, or not at all?)")
                    out += [(f"1 - {k}^{n_name}", corr, note),
                            (f"1/(1 - {k}^{n_name})", 1 / corr, note)]
    for k, a in values.items():
        if isinstance(a, np.ndarray) and a.ndim >= 1 and len(a) >= 1:
            n = len(a)
            mean_note = " (a sum where a mean belongs, or a mean where a sum belongs)"
            out += [(f"len({k})", float(n), mean_note), (f"1/len({k})", 1 / n, mean_note)]
            if n > 1:
                bessel = f" (divided by n - 1 where n belongs, or the reverse; n = len({k}))"
                out += [("n/(n - 1)", n / (n - 1), bessel), ("(n - 1)/n", (n - 1) / n, bessel),
                        ("sqrt(n/(n - 1))", math.sqrt(n / (n - 1)), bessel),
                        ("sqrt((n - 1)/n)", math.sqrt((n - 1) / n), bessel)]
            if a.ndim >= 2 and a.size != n:
                out += [(f"{k}.size", float(a.size), mean_note),
                        (f"1/{k}.size", 1 / a.size, mean_note)]
    return out


def _factor(pairs, values):
    """The factor ``received = c * expected`` on every case, named if it is a known constant.

    ``pairs`` is ``[(expected_array, received_array)]`` per case. Returns ``(name, note)``
    (name None for an unnamed constant, with its value in ``note``) or None.
    """
    factors, spread = [], False
    for (e, g), v in zip(pairs, values):
        e, g = _floats(e), _floats(g)
        if e is None or g is None or e.shape != g.shape:
            return None
        if not (np.all(np.isfinite(e)) and np.all(np.isfinite(g))):
            return None
        scale = np.max(np.abs(e)) if e.size else 0.0
        big = np.abs(e) > 1e-12 * max(scale, 1e-300)
        if np.any(np.abs(g[~big]) > 1e-9 * max(scale, 1e-300)):
            return None
        if not np.any(big):
            factors.append(None)
            continue
        ratio = g[big] / e[big]
        if not np.allclose(ratio, ratio[0], rtol=1e-6, atol=0):
            return None
        factors.append(float(ratio[0]))
        spread = spread or len(np.unique(np.round(e[big], 12))) > 1
    informative = [(f, v) for f, v in zip(factors, values) if f is not None]
    if not informative or all(abs(f - 1) < 1e-6 for f, _ in informative):
        return None
    if all(abs(f + 1) < 1e-6 for f, _ in informative) and (spread or len(informative) > 1):
        return ("-1", "")
    fits = None
    for f, v in informative:
        names = {}
        for name, c, note in _constants(v):
            for sign, label in ((1, name), (-1, f"-{name}")):
                if abs(f - sign * c) <= 1e-6 * abs(c):
                    names.setdefault(label, note)
        fits = names if fits is None else {k: n for k, n in fits.items() if k in names}
        if not fits:
            break
    distinct = len({round(f, 9) for f, _ in informative}) > 1
    if fits and (spread or distinct or len(informative) > 1):
        name = next(iter(fits))
        return (" or ".join(fits) if len(fits) > 1 else name, fits[name])
    if spread and not distinct:
        return (None, _short_number(informative[0][0]))
    return None


def _short_number(x):
    """As few significant digits as show ``x`` to about 1e-7 (1.00001 stays 1.00001)."""
    for digits in (4, 6, 8, 10, 17):
        text = f"{x:.{digits}g}"
        if abs(float(text) - x) <= 1e-7 * abs(x):
            return text
    return text


def _explain_output(ev, key, count, values):
    """One wrong output explained on every case, as a sentence; None if it cannot be."""
    label = _label(ev, key, count)
    name = _plain_name(ev, key)
    exp = [dict(_items(e)).get(key) if key is not None else e for e in ev.expected]
    got = [dict(_items(g)).get(key) if key is not None else g for g in ev.received]

    # equals an input (the one of the same name first)
    candidates = list(values[0]) if values else []
    if name in candidates:
        candidates.remove(name)
        candidates.insert(0, name)
    for arg in candidates:
        if all(arg in v and isinstance(v[arg], (np.ndarray, numbers.Number))
               and ev.component_diff(v[arg], g) is None for v, g in zip(values, got)):
            if arg == name:
                return (f"{label} never updated",
                        f"{label} comes back unchanged, equal to the input `{arg}` on every case: "
                        "it is never updated (return the new value, not the argument).")
            return (f"{label} equals the input `{arg}`",
                    f"{label} equals the input `{arg}` on every case.")

    # another output's right value (an output returned twice, or in another's place)
    for other_key, _ in _items(ev.expected[0]):
        if other_key == key or other_key is None:
            continue
        others = [dict(_items(e)).get(other_key) for e in ev.expected]
        if all(o is not None and ev.component_diff(o, g) is None for o, g in zip(others, got)):
            other = _label(ev, other_key, count)
            return (f"{label} is the right {other}",
                    f"{label} is the right value of {other} on every case: you return {other} "
                    f"in the place of {label}.")

    # transposed
    if all(isinstance(e, np.ndarray) and isinstance(g, np.ndarray) and e.ndim == 2
           and g.shape == e.shape[::-1] and ev.component_diff(e.T, g) is None
           for e, g in zip(exp, got)):
        return (f"{label} transposed",
                f"{label} is the transpose of the right result on every case: the rows and "
                "columns are exchanged (a `.T` missing or too many, or the factors of a "
                "product in the wrong order).")

    # a constant factor of the change from the input of the same name ("the step")
    if name and values and all(name in v for v in values):
        before = [v[name] for v in values]
        if all(isinstance(b, np.ndarray) and isinstance(e, np.ndarray) and isinstance(g, np.ndarray)
               and b.shape == e.shape == g.shape for b, e, g in zip(before, exp, got)):
            found = _factor([(e - b, g - b) for b, e, g in zip(before, exp, got)], values)
            if found is not None:
                factor, note = found
                if factor == "-1":
                    return (f"{label} changes with the wrong sign",
                            f"{label} changes by the right amount in the wrong direction on "
                            f"every case: a sign is flipped in the update of `{name}` (`+` "
                            "where `-` belongs, or the reverse).")
                if factor is None:
                    return (f"{label} changes by a wrong constant factor",
                            f"{label} changes in the right direction but by {note} times the "
                            "right amount on every case: a constant factor is wrong in the "
                            f"update of `{name}`.")
                return (f"{label} changes by a factor {factor}",
                        f"{label} changes by {factor} times the right amount on every case: "
                        f"{_which_factor(factor)} in the update of `{name}`{note}.")

    # a constant factor of the value itself
    found = _factor(list(zip(exp, got)), values)
    if found is not None:
        factor, note = found
        if factor == "-1":
            return (f"{label} with the wrong sign",
                    f"{label} has the wrong sign on every case: it is exactly minus the right "
                    "result.")
        if factor is None:
            return (f"{label} off by a constant factor",
                    f"{label} is {note} times the right result on every case: a constant "
                    "factor is wrong.")
        return (f"{label} off by a factor {factor}",
                f"{label} is {factor} times the right result on every case: "
                f"{_which_factor(factor)}{note}.")
    return None


def _which_factor(factor):
    """What a factor says: ``1/lr`` -> "a factor lr is missing (...)", ``2`` -> "an extra
    factor 2 (...)"; a minus sign adds "and the sign is flipped"."""
    bare = factor.lstrip("-")
    sign = " and the sign is flipped" if factor.startswith("-") else ""
    if bare.startswith("1/"):
        inner = bare[2:]
        if inner.startswith("(") and inner.endswith(")"):
            inner = inner[1:-1]
        return f"a factor {inner} is missing, or there is one division by {inner} too many{sign}"
    return f"a factor {bare} is extra (or applied twice){sign}"


def _output_by_output(ev):
    first = ev.expected[0]
    items = _items(first)
    if not all(len(_items(e)) == len(items) for e in ev.expected):
        return None
    for e, g in zip(ev.expected, ev.received):
        same_kind = type(g) is type(e) or (isinstance(g, (tuple, list))
                                           and isinstance(e, (tuple, list)))
        if not same_kind or [k for k, _ in _items(g)] != [k for k, _ in _items(e)]:
            return None
    keys = [k for k, _ in items]
    count = len(keys)
    values = [_values(ev.reference, case) for case in ev.cases]
    right, wrong = [], []
    for key in keys:
        try:
            ok = all(ev.component_diff(dict(_items(e))[key] if key is not None else e,
                                       dict(_items(g))[key] if key is not None else g) is None
                     for e, g in zip(ev.expected, ev.received))
        except (KeyError, TypeError, IndexError):
            return None
        (right if ok else wrong).append(key)
    if not wrong:
        return None
    explained = []
    for key in wrong:
        found = _explain_output(ev, key, count, values)
        if found is None:
            return None
        explained.append(found)
    names = list(dict.fromkeys(name.replace("`", "") for name, _ in explained))
    message = " ".join(text for _, text in explained)
    if right:
        shown = ", ".join(_label(ev, k, count) for k in right)
        message += f" ({shown} {'is' if len(right) == 1 else 'are'} right.)"
    return Diagnosis(" + ".join(names), message)


# --------------------------------------------------------------------------------------------
# one operator in the student's source


_SWAPS = {
    ast.Mult: ((ast.Pow, "a product where a power is meant"),
               (ast.Div, "a multiplication where a division belongs")),
    ast.Pow: ((ast.Mult, "a power where a product is meant"),),
    ast.Div: ((ast.Mult, "a division where a multiplication belongs"),),
    ast.Add: ((ast.Sub, "`+` where `-` belongs"),),
    ast.Sub: ((ast.Add, "`-` where `+` belongs"),),
}
_SYMBOLS = {ast.Mult: "*", ast.Pow: "**", ast.Div: "/", ast.Add: "+", ast.Sub: "-"}


def _student_source(fn):
    if not isinstance(fn, types.FunctionType) or fn.__code__.co_freevars:
        return None
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    tree.body[0].decorator_list = []
    return source, tree


def _variant(fn, tree):
    code = compile(ast.fix_missing_locations(tree), fn.__code__.co_filename, "exec")
    namespace = {}
    exec(code, fn.__globals__, namespace)  # the student's own globals: their helpers
    new = namespace[tree.body[0].name]
    new.__defaults__, new.__kwdefaults__ = fn.__defaults__, fn.__kwdefaults__
    return new


def _shown(node, op=None):
    """``beta1 * t`` as Python would print it (with ``op`` in place of the node's own), long
    operands shortened to ``…``."""
    def short(part):
        return part if len(ast.unparse(part)) <= 24 else ast.Name("…")
    return ast.unparse(ast.BinOp(short(node.left), op or node.op, short(node.right)))


class _Regrouped(ast.Pow):
    """Marks the edit (a * b) * c -> a * (b ** c)."""


def _apply(node, op):
    if op is _Regrouped:
        node.left, node.right = node.left.left, ast.BinOp(node.left.right, ast.Pow(), node.right)
        node.op = ast.Mult()
    else:
        node.op = op()


def _one_operator(ev, budget=1500, seconds=1.5):
    """One operator swap (or the same swap at two places) that makes the student right.

    At most ``budget`` calls and ``seconds`` in all; a variant gets 0.2 s per case (turning
    ``i + 1`` into ``i - 1`` can make a loop endless)."""
    deadline = time.monotonic() + seconds
    found = _student_source(ev.student)
    if found is None:
        return None
    source, tree = found
    nodes = [n for n in ast.walk(tree.body[0]) if isinstance(n, ast.BinOp) and type(n.op) in _SWAPS]
    edits = [(i, op, phrase) for i, n in enumerate(nodes) for op, phrase in _SWAPS[type(n.op)]]
    # `a * b * 2` meant as `a * b ** 2`: the power binds tighter than the product, so the fix
    # regroups (a * b) * 2 as a * (b ** 2).
    edits += [(i, _Regrouped, "a product where a power is meant") for i, n in enumerate(nodes)
              if isinstance(n.op, ast.Mult) and isinstance(n.left, ast.BinOp)
              and isinstance(n.left.op, ast.Mult)]
    attempts = [(e,) for e in edits] + [
        (e, f) for e, f in itertools.combinations(edits, 2)
        if e[0] != f[0] and type(nodes[e[0]].op) is type(nodes[f[0]].op) and e[1] is f[1]]
    runs, fixes = 0, []
    for attempt in attempts:
        if len(attempt) == 2 and fixes:
            break  # a single change explains it: no need for pairs
        runs += len(ev.cases)
        if runs > budget or time.monotonic() > deadline:
            return None  # not every candidate was tried: no claim
        old = [(nodes[i].left, nodes[i].op, nodes[i].right) for i, _, _ in attempt]
        for i, op, _ in attempt:
            _apply(nodes[i], op)
        try:
            variant = _variant(ev.student, tree)
            ok = all(ev.compare(exp, ev.call_student(variant, case, limit=0.2)) is None
                     for case, exp in zip(ev.cases, ev.expected))
        except BaseException as exc:  # noqa: BLE001 - any failure means "not this fix"
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            ok = False
        finally:
            for (i, _, _), (left, op, right) in zip(attempt, old):
                nodes[i].left, nodes[i].op, nodes[i].right = left, op, right
        if ok:
            fixes.append(attempt)
    if len(fixes) != 1:
        return None
    attempt = fixes[0]
    phrase = attempt[0][2]
    changes = []
    for i, op, _ in attempt:
        node = nodes[i]
        line = source.splitlines()[node.lineno - 1].strip()
        if op is _Regrouped:  # show the inner product `b * c` and `b ** c`
            inner = ast.BinOp(node.left.right, ast.Mult(), node.right)
            was, now = _shown(inner), _shown(inner, ast.Pow())
        else:
            was, now = _shown(node), _shown(node, op())
        changes.append(f"in `{line}`, `{was}` should be `{now}`")
    where = "; ".join(changes)
    what = "that one change" if len(attempt) == 1 else "these two changes"
    return Diagnosis(phrase, f"{where[0].upper()}{where[1:]} ({phrase}): with {what} your "
                             "function gives the right result on every case.")


# --------------------------------------------------------------------------------------------
# NaN and inf


def _first_nonfinite(expected, received):
    """True if ``received`` has a NaN/inf where ``expected`` is finite (any nesting)."""
    if isinstance(expected, (tuple, list)) and isinstance(received, (tuple, list)):
        return any(_first_nonfinite(e, r) for e, r in zip(expected, received))
    if isinstance(expected, dict) and isinstance(received, dict):
        return any(_first_nonfinite(expected[k], received[k]) for k in expected if k in received)
    e, r = _floats(expected), _floats(received)
    if e is None or r is None or e.shape != r.shape:
        return False
    return bool(np.any(~np.isfinite(r) & np.isfinite(e)))


_FLOAT_ERRORS = [
    ("overflow encountered in exp", "inf from exp overflow",
     "exp overflows to inf at {where}: exp(x) is inf for x above about 709."),
    ("divide by zero encountered in log", "-inf from log(0)",
     "log(0) = -inf at {where}: a value that reaches the logarithm is exactly 0."),
    ("invalid value encountered in log", "NaN from the log of a negative number",
     "the logarithm of a negative number gives NaN at {where}."),
    ("invalid value encountered in sqrt", "NaN from the square root of a negative number",
     "the square root of a negative number gives NaN at {where}: what goes into the root is "
     "negative for some element."),
    ("divide by zero encountered", "inf from a division by zero",
     "a division by zero gives inf at {where}: a divisor is exactly 0 for some element."),
    ("invalid value encountered in divide", "NaN from 0/0",
     "0/0 gives NaN at {where}: a divisor is 0 exactly where the numerator is 0 too."),
    ("invalid value encountered in scalar divide", "NaN from 0/0",
     "0/0 gives NaN at {where}: a divisor is 0 exactly where the numerator is 0 too."),
    ("overflow encountered", "inf from an overflow",
     "a number overflows to inf at {where}: it grows beyond the largest float (about "
     "1.8e308)."),
    ("invalid value encountered", "NaN from an invalid operation",
     "an operation gives NaN at {where} (inf - inf, 0 * inf or inf / inf, usually after an "
     "earlier overflow)."),
]


def trace_nonfinite(ev):
    """Re-run the student's function on the first case with a NaN/inf where a finite value
    was expected, with floating-point errors raised; name the first error and the line."""
    for case, exp, got in zip(ev.cases, ev.expected, ev.received):
        if not _first_nonfinite(exp, got):
            continue
        with np.errstate(all="raise", under="ignore"):
            try:
                ev.call_student(ev.student, case, errors="raise")
            except FloatingPointError as exc:
                text = str(exc)
                described = ev.describe_exception(exc) if ev.describe_exception else ""
                _, found, line = described.rpartition(" (line ")
                where = f"line {line[:-1]}" if found else "a line of your function"
                for needle, name, template in _FLOAT_ERRORS:
                    if needle in text:
                        return Diagnosis(name, f"On case '{case.label}': "
                                               + template.format(where=where))
                return None
            except BaseException as exc:  # noqa: BLE001
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                return None
        return None
    return None


# --------------------------------------------------------------------------------------------


def diagnose(ev, repair=True):
    """The first generic diagnosis that reproduces the student's outputs on every case."""
    for pattern in (_ignored_argument, _exchanged_arguments, _off_by_one, _complement,
                    _other_axis, _wrong_order, _output_by_output):
        try:
            found = pattern(ev)
        except Exception:  # a diagnosis that cannot run explains nothing
            found = None
        if found is not None:
            return found
    if repair:
        try:
            return _one_operator(ev)
        except Exception:
            return None
    return None
