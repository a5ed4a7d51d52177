"""Families of declared mistakes: two mistakes of a table at once, kept only where the cases
can tell them apart.

A check module lists its single mistakes as table rows with switches for one wrong variant
(``make(**switches)``); a student often makes two at once. :func:`two_at_once` builds the candidate
pairs (two rows from different parts of the rule, whose switches do not overlap) and
:func:`distinct` keeps those the cases tell apart from the right answer and from every mistake
kept before them: a pair where one mistake hides the other adds nothing.
"""
from __future__ import annotations

import itertools

import numpy as np

from nnlesson.course.checks._core import Mistake

__all__ = ["flat_outputs", "close_outputs", "two_at_once", "distinct"]


def flat_outputs(fn, cases):
    """A variant's outputs on ``cases`` as one flat float vector (NaN where it raises)."""
    parts = []
    with np.errstate(all="ignore"):
        for case in cases:
            try:
                out = fn(*case.args, **case.kwargs)
                out = out if isinstance(out, tuple) else (out,)
                parts.append(np.concatenate([np.ravel(np.asarray(o, dtype=float)) for o in out]))
            except Exception:  # noqa: BLE001 - a variant that cannot run on a case
                parts.append(np.full(1, np.nan))
    return np.concatenate(parts)


def close_outputs(a, b):
    """True if outputs ``a`` and ``b`` are close everywhere: a little looser than the checks'
    comparison (rtol 1e-7, atol 1e-10), so that what it keeps apart, a check tells apart."""
    if a.shape != b.shape:
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        near = np.abs(a - b) <= 2e-10 + 2e-7 * np.maximum(np.abs(a), np.abs(b))
    return bool((near | (a == b) | (np.isnan(a) & np.isnan(b))).all())


def two_at_once(rows, make, *, short, switches):
    """Candidate mistakes: every two ``rows`` from different parts of the rule (``row[1]``)
    whose switches (``row[switches]``) do not overlap, as ``Mistake("a + b", "Two mistakes at
    once. First, ... Second, ...")`` with the short forms ``row[short]``; ``row[0]`` is the
    name, ``row[2]`` the hint level (None: no hint)."""
    found = []
    for a, b in itertools.combinations(rows, 2):
        if a[1] == b[1] or set(a[switches]) & set(b[switches]):
            continue
        hints = [h for h in (a[2], b[2]) if h]
        found.append(Mistake(f"{a[0]} + {b[0]}",
                             f"Two mistakes at once. First, {a[short]}. Second, {b[short]}.",
                             make(**a[switches], **b[switches]),
                             hint=min(hints) if hints else None))
    return found


def distinct(singles, candidates, cases, reference, screen=0, usable=None):
    """``singles`` followed by the ``candidates`` that the cases tell apart from the right
    answer (``reference``) and from every mistake kept before them.

    ``usable(outputs)``, if given, must also hold for a candidate's outputs on every case (e.g.
    no NaN: a variant that cannot run on a case never matches a student's answer). Every
    function is run on one case (``screen``) first; two outputs close there have the same
    non-finite entries and sums within the tolerance's bound, and only those are compared on
    every case (this keeps the check modules quick to import)."""
    functions = [reference] + [m.wrong_fn for m in singles] + [m.wrong_fn for m in candidates]
    full = {}

    def everywhere(i):
        if i not in full:
            full[i] = flat_outputs(functions[i], cases)
        return full[i]

    groups = {}  # (length, non-finite pattern) -> kept rows [(index, sum, sum of sizes)]
    kept = []
    for i, fn in enumerate(functions):
        if i > len(singles) and usable is not None and not usable(everywhere(i)):
            continue
        row = flat_outputs(fn, [cases[screen]])
        finite = np.isfinite(row)
        odd = np.nan_to_num(row[~finite], nan=0.0, posinf=1.0, neginf=-1.0)  # any NaN alike
        key = (len(row), finite.tobytes(), odd.tobytes())
        total, size = float(row[finite].sum()), float(np.abs(row[finite]).sum())
        bound = 2e-10 * len(row)
        group = groups.setdefault(key, [])
        if i > len(singles):  # a candidate: dropped if an earlier function gives its outputs
            if any(abs(total - t) <= bound + 2e-7 * (size + z)
                   and close_outputs(everywhere(j), everywhere(i)) for j, t, z in group):
                continue
            kept.append(candidates[i - 1 - len(singles)])
        group.append((i, total, size))
    return tuple(singles) + tuple(kept)
