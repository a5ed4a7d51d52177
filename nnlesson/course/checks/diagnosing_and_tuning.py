"""Checks for lesson 14, diagnosing and tuning a training run.

Exercise 1 writes the three pieces of the learning-rate range test, declared as data
(:data:`RANGE_TEST_LRS`, :data:`SMOOTH_LOSSES`, :data:`RANGE_TEST_STOP`; their references are
:mod:`nnlesson.tuning`'s, whose schedule and losses are checked against ``torch_lr_finder`` in
the test suite). The cases vary every argument, the named mistakes are the wrong answers
students write, and the library's tuning module is forbidden while the student's code runs.

Exercises 2 and 3 are decisions, checked as answers rather than against a reference function:

* :func:`check_max_lr`: a ``max_lr`` for one-cycle read from a measured range-test curve,
  judged against where that curve falls and where it is lowest;
* :func:`check_diagnoses`: the student's names for four patients with hidden faults; a wrong
  name gets the evidence against it (:func:`nnlesson.diagnosis.explain`), never the answer.

Both accept the answer itself or a function that returns it; a function runs under the
framework's time limit and library guard (it may not call the library's diagnosis or range
test reading).
"""
from __future__ import annotations

import math

import numpy as np

from nnlesson import diagnosis as D
from nnlesson import tuning as T
from nnlesson.course import patients as P
from nnlesson.course.checks import _stale
from nnlesson.course.checks._core import TIME_LIMIT, Case, Check, CheckResult, Mistake
from nnlesson.course.checks._guard import TimeUp, student_call

__all__ = ["RANGE_TEST_LRS", "SMOOTH_LOSSES", "RANGE_TEST_STOP", "CHECKS",
           "check_range_test_lrs", "check_smooth_losses", "check_range_test_stop",
           "check_max_lr", "check_diagnoses", "MYSTERY_PATIENTS", "mystery_runs"]

# The library's range test in any form: the three pieces, the whole test, log_grid (the same
# schedule under another name) and whatever else nnlesson.tuning holds.
FORBIDDEN = ("nnlesson.tuning.*",)

HINTS = ("the idea", "the formula", "a partial line")


# --------------------------------------------------------------------------- the schedule


def _rates(kind="right"):
    """A schedule of ``num_iter`` rates from ``start_lr`` to ``end_lr``, right or wrong."""
    def rates(start_lr, end_lr, num_iter):
        a, b, n = start_lr, end_lr, num_iter
        k = np.arange(n, dtype=np.float64)
        if kind == "linear":
            return np.linspace(a, b, n)
        if kind == "over n":
            return a * (b / a) ** (k / n)
        if kind == "n + 1":
            return a * (b / a) ** (np.arange(n + 1) / n)
        if kind == "from 1":
            return a * (b / a) ** ((k + 1) / n)
        if kind == "logspace":
            return np.logspace(a, b, n)
        if kind == "reversed":
            return b * (a / b) ** (k / (n - 1))
        if kind == "ln and 10":
            return 10.0 ** np.linspace(np.log(a), np.log(b), n)
        if kind == "log10 and exp":
            return np.exp(np.linspace(np.log10(a), np.log10(b), n))
        if kind == "difference":
            return a * (b - a) ** (k / (n - 1))
        if kind == "from 1 over n - 1":
            return a * (b / a) ** ((k + 1) / (n - 1))
        return a * (b / a) ** (k / (n - 1))
    return rates


RANGE_TEST_LRS = Check(
    name="check_range_test_lrs",
    function="range_test_lrs",
    reference=T.range_test_lrs,
    cases=[
        Case("1e-4 to 10 in 6 steps", (1e-4, 10.0, 6)),
        Case("0.01 to 100 in 5 steps: one factor of 10 per step", (0.01, 100.0, 5)),
        Case("two steps: just the two ends", (0.001, 1.0, 2)),
        Case("1e-5 to 1 in 50 steps", (1e-5, 1.0, 50)),
        Case("3e-4 to 0.6 in 7 steps", (3e-4, 0.6, 7)),
    ],
    mistakes=(
        Mistake("linear instead of exponential",
                "Your rates are evenly spaced (a linear schedule): almost all of them land in "
                "the last factor of 10, so the small rates are hardly tested. The range test "
                "multiplies the rate by the same factor at every step.",
                _rates("linear"), hint=1),
        Mistake("ends one step short",
                "Your last rate is below end_lr: you divided k by num_iter. With k = 0 .. "
                "num_iter - 1 the exponent must reach 1 at the last step: k / (num_iter - 1).",
                _rates("over n"), hint=2),
        Mistake("one rate too many",
                "You returned num_iter + 1 rates (k = 0 .. num_iter): there are num_iter "
                "updates, one rate each, the first start_lr and the last end_lr.",
                _rates("n + 1"), hint=2),
        Mistake("first rate above start_lr",
                "Your first rate is already above start_lr: k runs from 1 to num_iter. Count "
                "k from 0, so that the first update uses start_lr and the last end_lr.",
                _rates("from 1"), hint=2),
        Mistake("np.logspace of the rates",
                "np.logspace(start, stop, n) takes exponents of 10, not the values: you got "
                "10 ** start_lr to 10 ** end_lr. Give it np.log10(start_lr) and "
                "np.log10(end_lr), or use np.geomspace(start_lr, end_lr, num_iter), or write "
                "the formula.", _rates("logspace"), hint=3),
        Mistake("from end_lr down to start_lr",
                "Your rates fall from end_lr to start_lr. The range test starts small and "
                "grows the rate, so that the loss can fall before the rate is too large.",
                _rates("reversed"), hint=1),
        Mistake("ln with 10 **",
                "You spaced the natural logarithms (np.log) evenly but raised 10 to them: "
                "10 ** ln(x) is not x. Use the same base on both sides (np.log10 with 10 **, "
                "or np.log with np.exp).", _rates("ln and 10"), hint=3),
        Mistake("log10 with exp",
                "You spaced the base-10 logarithms (np.log10) evenly but took np.exp of them: "
                "e ** log10(x) is not x. Use the same base on both sides (np.log10 with 10 **, "
                "or np.log with np.exp).", _rates("log10 and exp"), hint=3),
        Mistake("end_lr - start_lr instead of end_lr / start_lr",
                "Your growth uses the difference end_lr - start_lr; the rate grows by a factor "
                "each step, so the base of the power is the ratio end_lr / start_lr.",
                _rates("difference"), hint=2),
        Mistake("rates shifted by one step",
                "Your rates start one step above start_lr and end one step above end_lr: k runs "
                "from 1. Count k from 0 to num_iter - 1.", _rates("from 1 over n - 1"), hint=2),
    ),
    forbidden=FORBIDDEN,
    hints=HINTS,
    rtol=1e-9,
    doc="``range_test_lrs(start_lr, end_lr, num_iter)``: ``lr_k = start_lr * (end_lr / "
        "start_lr) ** (k / (num_iter - 1))`` for ``k = 0 .. num_iter - 1``, a numpy array",
)


# --------------------------------------------------------------------------- the smoothing


def _smooth(kind="right"):
    """An exponential moving average of the losses, right or wrong."""
    def smooth(losses, beta=0.98):
        losses = np.asarray(losses, dtype=np.float64)
        out = np.empty(len(losses))
        avg = 0.0
        for k, loss in enumerate(losses):
            if kind in ("from first", "from first corrected") and k == 0:
                avg = loss
            elif kind in ("swapped", "swapped, uncorrected"):
                avg = (1 - beta) * avg + beta * loss
            else:
                avg = beta * avg + (1 - beta) * loss
            with np.errstate(all="ignore"):
                power = {"k + 2": k + 2, "k": k, "k, first kept": k}.get(kind, k + 1)
                corrected = avg / (np.float64(1.0) - np.float64(beta) ** power)
                if kind == "(1 - beta) ** (k + 1)":
                    corrected = avg / (1 - np.float64(beta)) ** (k + 1)
                elif kind == "(1 - beta) ** k":
                    corrected = avg / (1 - np.float64(beta)) ** k
                elif kind == "one correction":
                    corrected = avg / (1 - np.float64(beta) ** len(losses))
                elif kind == "no parentheses":
                    corrected = avg / 1 - np.float64(beta) ** (k + 1)
            if kind in ("none", "from first", "swapped, uncorrected"):
                out[k] = avg
            elif kind == "k, first kept" and k == 0:
                out[k] = loss  # the division by 1 - beta ** 0 = 0 avoided by hand
            elif kind == "fed back":
                out[k] = avg = corrected
            else:
                out[k] = corrected
        return out
    return smooth


_NOISY = 2.0 + 0.5 * np.random.default_rng(140).standard_normal(12)
# a range test's raw losses: a slow fall, a steeper one, then the blow-up
_RANGE = np.r_[np.linspace(2.4, 2.2, 25), np.linspace(2.2, 0.9, 25), 0.9 * 1.3 ** np.arange(10)]

SMOOTH_LOSSES = Check(
    name="check_smooth_losses",
    function="smooth_losses",
    reference=T.smooth_losses,
    cases=[
        Case("three losses, beta 0.5", (np.array([1.0, 2.0, 3.0]), 0.5)),
        Case("a constant loss, beta at its default 0.98", (np.full(8, 2.3),)),
        Case("noisy losses, beta 0.9", (_NOISY, 0.9)),
        Case("beta 0: no smoothing at all", (_NOISY[:5], 0.0)),
        Case("a single loss, beta 0.7", (np.array([4.0]), 0.7)),
        Case("a range test's 60 losses as a Python list, beta 0.8",
             (list(np.round(_RANGE, 6)), 0.8)),
    ],
    mistakes=(
        Mistake("no bias correction",
                "Your first values are far too small: the average starts at 0, so after one "
                "loss it is only (1 - beta) times that loss. Divide the average after k + 1 "
                "losses by (1 - beta ** (k + 1)), as Adam corrects its moments: then a "
                "constant loss stays constant.", _smooth("none"), hint=2),
        Mistake("beta on the new loss",
                "You weighted the new loss by beta and the past by (1 - beta): the average "
                "follows the noise. The past keeps the weight beta: avg = beta * avg + "
                "(1 - beta) * loss.", _smooth("swapped"), hint=2),
        Mistake("no bias correction + beta on the new loss",
                "Two things: you weighted the new loss by beta and the past by (1 - beta), so "
                "the average follows the noise (avg = beta * avg + (1 - beta) * loss keeps the "
                "weight beta for the past), and you return the average without dividing it by "
                "1 - beta ** (k + 1), which makes up for its start at 0.",
                _smooth("swapped, uncorrected"), hint=2),
        Mistake("correction exponent off by one",
                "Your correction uses beta ** (k + 2): the first smoothed value must equal the "
                "first loss, so after k + 1 losses (k counted from 0) divide by "
                "1 - beta ** (k + 1).", _smooth("k + 2"), hint=3),
        Mistake("correction with beta ** k",
                "Your correction divides by 1 - beta ** k with k counted from 0: at the first "
                "loss that is 1 - 1 = 0, a division by zero. After k + 1 losses the average "
                "holds a weight 1 - beta ** (k + 1).", _smooth("k"), hint=3),
        Mistake("correction with beta ** k",
                "Your correction divides by 1 - beta ** k with k counted from 0, and you kept "
                "the first loss as it is to avoid dividing by 1 - 1 = 0: every later value is "
                "divided by too small a number. After k + 1 losses the average holds the weight "
                "1 - beta ** (k + 1), which also makes the first value the first loss.",
                _smooth("k, first kept"), hint=3),
        Mistake("average started at the first loss",
                "You started the average at the first loss instead of at 0 (that is pandas' "
                "ewm(adjust=False)): its early values lean on the first loss far more than on "
                "the next ones. Start at 0 and divide by 1 - beta ** (k + 1) instead.",
                _smooth("from first"), hint=1),
        Mistake("started at the first loss and corrected",
                "You started the average at the first loss AND divided by 1 - beta ** (k + 1): "
                "the correction is for an average that starts at 0. Start at 0.",
                _smooth("from first corrected"), hint=1),
        Mistake("corrected average fed back",
                "You stored the corrected value back into the running average, so the next "
                "step averages an already corrected value and the correction is applied again "
                "and again. Keep the plain average avg for the recursion; only the value you "
                "return is avg / (1 - beta ** (k + 1)).", _smooth("fed back"), hint=3),
        Mistake("(1 - beta) ** (k + 1)",
                "You divide by (1 - beta) ** (k + 1): the power belongs to beta alone. The "
                "correction is 1 - beta ** (k + 1), the weight the average has collected.",
                _smooth("(1 - beta) ** (k + 1)"), hint=2),
        Mistake("(1 - beta) ** k",
                "You divide by (1 - beta) ** k: the power belongs to beta alone, and after k + 1 "
                "losses (k counted from 0) the average has collected the weight "
                "1 - beta ** (k + 1).", _smooth("(1 - beta) ** k"), hint=2),
        Mistake("one correction for the whole curve",
                "You divide every value by the same 1 - beta ** len(losses). The correction "
                "depends on how many losses the average has seen so far: after k + 1 of them "
                "divide by 1 - beta ** (k + 1).", _smooth("one correction"), hint=1),
        Mistake("correction without parentheses",
                "You wrote avg / 1 - beta ** (k + 1): Python divides first, then subtracts. Put "
                "the divisor in parentheses: avg / (1 - beta ** (k + 1)).",
                _smooth("no parentheses"), hint=3),
    ),
    forbidden=FORBIDDEN,
    hints=HINTS,
    rtol=1e-9,
    doc="``smooth_losses(losses, beta=0.98)``: ``avg_k = beta avg_{k-1} + (1 - beta) loss_k`` "
        "from ``avg_{-1} = 0``; returns ``avg_k / (1 - beta ** (k + 1))`` for every k",
)


# --------------------------------------------------------------------------- the stop rule


def _stop(kind="right"):
    """The range test's stop rule, right or wrong."""
    def stop(smoothed, diverge_factor=4.0):
        factor = {"hard-coded 4": 4.0, "any rise": 1.0}.get(kind, diverge_factor)
        if kind == "global min":
            values = [float(v) for v in smoothed]
            lowest = min((v for v in values if math.isfinite(v)), default=math.inf)
            for k, value in enumerate(values):
                if not math.isfinite(value) or value > factor * lowest:
                    return k
            return None
        best, previous = math.inf, None
        for k, value in enumerate(smoothed):
            value = float(value)
            if kind == "nan only" and value != value:
                return k
            if kind not in ("nan missed", "nan only") and not math.isfinite(value):
                return {"k + 1": k + 1, "value": value}.get(kind, k)
            best = min(best, value) if kind != "nan missed" or value == value else best
            reference = {"first": float(smoothed[0]), "previous": previous}.get(kind, best)
            previous = value
            if reference is None:
                continue
            above = (value >= factor * reference if kind == ">=" else
                     value > factor + reference if kind == "added" else
                     value > factor * reference)
            if above:
                return {"k + 1": k + 1, "value": value}.get(kind, k)
        return {"-1": -1, "len": len(smoothed)}.get(kind)
    return stop


RANGE_TEST_STOP = Check(
    name="check_range_test_stop",
    function="range_test_stop",
    reference=T.range_test_stop,
    cases=[
        Case("falls, then climbs past 4 x the best", ([3.0, 2.0, 1.0, 3.9, 4.1, 9.0],)),
        Case("never diverges", ([3.0, 2.0, 1.0, 3.9],)),
        Case("diverge_factor 2", ([1.0, 1.5, 2.5, 3.0],), {"diverge_factor": 2.0}),
        Case("diverge_factor 10: 4 x the best is not enough", ([2.0, 1.0, 5.0, 9.0, 11.0],),
             {"diverge_factor": 10.0}),
        Case("the first loss is the highest", ([9.0, 1.0, 2.0, 4.5],)),
        Case("exactly 4 x the best is not diverged yet", ([2.0, 1.0, 4.0, 4.5],)),
        Case("a NaN: the run blew up", ([2.0, 1.0, 1.5, math.nan, 2.0],)),
        Case("the first loss already overflowed to inf", ([math.inf, 2.0, 1.0, 1.5],)),
        Case("a smoothed curve as a numpy array, diverge_factor 3",
             (T.smooth_losses(_RANGE, 0.8),), {"diverge_factor": 3.0}),
    ],
    mistakes=(
        Mistake("compared with the first loss",
                "You compare with the first smoothed loss. The loss falls a long way before it "
                "diverges, so compare with the best (lowest) value so far: stop at the first k "
                "with smoothed[k] > diverge_factor * min(smoothed[0 .. k]).", _stop("first"),
                hint=1),
        Mistake("diverge_factor ignored",
                "Your rule always uses 4: use the diverge_factor argument (the cases with 2, 3 "
                "and 10 show it).", _stop("hard-coded 4"), hint=2),
        Mistake("stops at any rise",
                "You stop as soon as the loss is above its best: the smoothed loss wiggles up "
                "and down long before it diverges. Stop only when it is more than "
                "diverge_factor times the best.", _stop("any rise"), hint=2),
        Mistake("index off by one",
                "You return the index after the one that diverged: return k, the index of the "
                "first value above diverge_factor * best (it is kept as the last point of the "
                "curve).", _stop("k + 1"), hint=3),
        Mistake("diverge_factor added, not multiplied",
                "You stop when the loss is diverge_factor ABOVE the best (best + diverge_factor). "
                "It is a factor: stop when the loss is more than diverge_factor TIMES the best, "
                "whatever the size of the loss.", _stop("added"), hint=2),
        Mistake(">= instead of >",
                "You stop when the loss equals diverge_factor times the best; the rule is "
                "strictly more: smoothed[k] > diverge_factor * best.", _stop(">="), hint=2),
        Mistake("compared with the previous value",
                "You compare each value with the one before it. A loss that climbs slowly "
                "never jumps 4-fold in one step; compare with the best value so far.",
                _stop("previous"), hint=1),
        Mistake("NaN not caught",
                "A NaN (or inf) smoothed loss means the run blew up: stop there and return its "
                "index. Comparisons with NaN are always False, so `value > factor * best` "
                "never catches it: test math.isfinite(value) (or np.isfinite) first.",
                _stop("nan missed"), hint=3),
        Mistake("inf not caught",
                "You stop at a NaN but not at an infinite loss: an overflowed loss (inf) also "
                "means the run blew up, and compared with a best that is itself inf it never "
                "looks 'more than diverge_factor times the best'. Test math.isfinite(value) "
                "(False for NaN and for inf), not only math.isnan.", _stop("nan only"), hint=3),
        Mistake("returned the loss, not its index",
                "You returned the smoothed loss where the test stops; return its index k "
                "(an int).", _stop("value"), hint=3),
        Mistake("-1 when it never diverges",
                "When the loss never diverges, return None (the test ran to the end), not -1: "
                "-1 is a valid index in Python (the last point).", _stop("-1"), hint=3),
        Mistake("len(smoothed) when it never diverges",
                "When the loss never diverges, return None (the test ran to the end), not "
                "len(smoothed): a number says the test stopped there.", _stop("len"), hint=3),
        Mistake("the lowest value of the whole curve",
                "You compare with the lowest value of the whole curve, including values that "
                "come later. The test runs forward and cannot know the future: compare each "
                "value with the lowest value so far, min(smoothed[0 .. k]).",
                _stop("global min"), hint=1),
    ),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``range_test_stop(smoothed, diverge_factor=4.0)``: the first k with ``smoothed[k] > "
        "diverge_factor * min(smoothed[0..k])`` or a NaN/inf ``smoothed[k]``; None if none",
)

CHECKS = (RANGE_TEST_LRS, SMOOTH_LOSSES, RANGE_TEST_STOP)

check_range_test_lrs = RANGE_TEST_LRS.check_function()
check_smooth_losses = SMOOTH_LOSSES.check_function()
check_range_test_stop = RANGE_TEST_STOP.check_function()


# --------------------------------------------------------------------------- answers


class _NotAnswered(Exception):
    pass


def _answer(name, given, forbidden):
    """The student's answer: ``given`` itself, or what the function ``given()`` returns, run
    under the framework's time limit and library guard. Raises :class:`_NotAnswered` for a
    stub; returns a CheckResult for a function that fails."""
    if not callable(given):
        return given
    stale = _stale.stale_definition(given)
    if stale:
        return CheckResult(name, False, stale, mistake="stale definition", cases=1)
    try:
        with student_call(TIME_LIMIT, forbidden) as guard:
            value = given()
    except NotImplementedError:
        raise _NotAnswered from None
    except TimeUp:
        return CheckResult(name, False, f"your function did not finish in {TIME_LIMIT:g} s: an "
                                        "endless loop?", mistake="did not finish", cases=1)
    except Exception as exc:
        return CheckResult(name, False, f"your function raised {type(exc).__name__}: {exc}",
                           cases=1)
    if guard.found:
        return CheckResult(name, False, f"your function calls {guard.found[0]}: decide from "
                                        "the evidence yourself (numpy is fine).",
                           mistake="calls the library", cases=1)
    return value


# --------------------------------------------------------------------------- max_lr


def check_max_lr(max_lr, lrs, smoothed):
    """Check a ``max_lr`` for one-cycle (a number, or a function returning one) read from the
    range-test curve ``(lrs, smoothed)``.

    Accepted: between a thirtieth and a third of the rate of the lowest smoothed loss, and
    not below a third of the rate where the curve falls fastest (there it has barely started
    to fall).
    """
    name = "check_max_lr"
    todo = CheckResult(name, False, "not answered yet: set max_lr to a number read from the "
                                    "curve, then run this cell again.", status="todo", cases=1)
    try:
        max_lr = _answer(name, max_lr, ("nnlesson.tuning.suggest_lrs", "nnlesson.tuning.lr_range_test"))
    except _NotAnswered:
        return todo
    if isinstance(max_lr, CheckResult):
        return max_lr
    if max_lr is None or max_lr is NotImplemented:
        return todo
    try:
        value = float(max_lr)
    except (TypeError, ValueError):
        return CheckResult(name, False, f"max_lr must be a number, got {max_lr!r}", cases=1)
    rates, losses = np.asarray(lrs, dtype=float), np.asarray(smoothed, dtype=float)
    if value < 0 and math.isfinite(value) and rates.min() / 10 <= 10.0 ** value <= rates.max():
        return CheckResult(name, False, f"max_lr must be a positive number, got {value!r}: it "
                                        f"looks like the base-10 logarithm of a rate (the plot's "
                                        f"axis is logarithmic). max_lr is the rate itself, "
                                        f"10 ** {value:.3g} = {10.0 ** value:.3g}.",
                           mistake="log10 of the rate", cases=1)
    if not (value > 0 and math.isfinite(value)):
        return CheckResult(name, False, f"max_lr must be a positive number, got {value!r}",
                           cases=1)
    lr_min, _, steepest = T.suggest_lrs(lrs, smoothed)
    details = [f"lowest smoothed loss at {lr_min:.3g}; steepest fall at {steepest:.3g}"]
    lowest = int(np.nanargmin(losses))
    if value == round(value) and value < len(rates) and (value > rates.max() or
                                                         int(value) == lowest):
        return CheckResult(name, False, f"{value:g} is a position in the curve, not a rate: "
                                        f"np.argmin gives the index of the lowest smoothed loss "
                                        f"({lowest}), and the rate there is lrs[{lowest}] = "
                                        f"{rates[lowest]:.3g}. max_lr is a rate, a factor of 3 "
                                        f"to 10 below that one.", details,
                           mistake="an index, not a rate", cases=1)
    if np.isclose(value, losses, rtol=1e-9, atol=0.0).any() and \
            not np.isclose(value, rates, rtol=1e-9, atol=0.0).any():
        return CheckResult(name, False, f"{value:.3g} is a smoothed LOSS of the curve (its "
                                        f"y-axis), not a learning rate: max_lr is read on the "
                                        f"x-axis, a factor of 3 to 10 below the rate where the "
                                        f"smoothed loss is lowest.", details,
                           mistake="a loss, not a rate", cases=1)
    if value >= lr_min / 2:
        return CheckResult(name, False, f"{value:.3g} is at the bottom of the curve (lowest at "
                                        f"{lr_min:.3g}) or past it: there the loss is about to "
                                        f"shoot up, and one-cycle runs close to its peak for "
                                        f"a good part of training (it climbs for the first "
                                        f"30 % by default, then falls slowly). Go a factor of "
                                        f"3 to 10 below the "
                                        f"lowest point.", details, mistake="at the minimum",
                           cases=1)
    if value < lr_min / 30 or value < steepest / 3:
        return CheckResult(name, False, f"{value:.3g} is where the curve has barely started "
                                        f"to fall: training at it is slow. Go up to where "
                                        f"the loss still falls well, a factor of 3 to 10 below "
                                        f"the lowest point {lr_min:.3g}.", details,
                           mistake="too low", cases=1)
    if value > lr_min / 3 * (1 + 1e-9):
        return CheckResult(name, False, f"{value:.3g} is close to the lowest point "
                                        f"{lr_min:.3g}: too little margin; a factor of 3 to 10 "
                                        f"below it.", details,
                           mistake="too close to the minimum", cases=1)
    return CheckResult(name, True, f"{value:.3g} is {lr_min / value:.3g} times below the "
                                   f"lowest point, where the loss still falls well.", details,
                       cases=1)


# --------------------------------------------------------------------------- diagnoses


#: The four patients of the diagnosis exercise: name -> (fault, random seed).
MYSTERY_PATIENTS = {"A": ("unshuffled", 3), "B": ("dead_relu_init", 3),
                    "C": ("dropout_at_test", 3), "D": ("gradients_not_zeroed", 3)}


def mystery_runs():
    """The records of the four patients (name -> :class:`nnlesson.diagnosis.RunRecord`)."""
    return {name: P.patient(fault, seed=seed) for name, (fault, seed) in MYSTERY_PATIENTS.items()}


def check_diagnoses(answers):
    """Check ``answers`` (a dict ``{"A": fault, ...}`` of :data:`nnlesson.diagnosis.FAULTS`
    names, or a function returning one): each wrong name gets the evidence against it."""
    name = "check_diagnoses"
    n = len(MYSTERY_PATIENTS)
    todo = CheckResult(name, False, "not answered yet: fill in the dictionary with one fault "
                                    "name per patient, then run this cell again.",
                       status="todo", cases=n)
    try:
        answers = _answer(name, answers, ("nnlesson.diagnosis.diagnose",
                                          "nnlesson.diagnosis.explain",
                                          "nnlesson.diagnosis.find_evidence"))
    except _NotAnswered:
        return todo
    if isinstance(answers, CheckResult):
        return answers
    if answers is None or answers == {}:
        return todo
    if not isinstance(answers, dict):
        return CheckResult(name, False, f"expected a dict such as {{'A': 'healthy', ...}}, got "
                                        f"{type(answers).__name__}", cases=n)
    runs = mystery_runs()
    wrong, details, kinds = [], [], []
    for patient, (fault, _) in MYSTERY_PATIENTS.items():
        answer = answers.get(patient)
        if patient not in answers:
            wrong.append(patient)
            kinds.append("patient missing")
            details.append(f"patient {patient}: no diagnosis (the dict has no key "
                           f"{patient!r})")
            continue
        if answer not in D.FAULTS:
            wrong.append(patient)
            kinds.append("not a fault name")
            close = [f for f in D.FAULTS if isinstance(answer, str)
                     and f == answer.strip().lower().replace(" ", "_").replace("-", "_")]
            spelled = f" (spelled exactly: {close[0]!r})" if close else ""
            details.append(f"patient {patient}: {answer!r} is not one of "
                           f"{', '.join(D.FAULTS)}{spelled}")
            continue
        if answer != fault:
            wrong.append(patient)
            kinds.append("wrong diagnosis")
            details.append(f"patient {patient}: {D.explain(runs[patient], answer)[1]}")
    if not wrong:
        return CheckResult(name, True, f"all {n} diagnoses are right", cases=n)
    kinds = list(dict.fromkeys(kinds))  # each kind once, in the patients' order
    if kinds == ["wrong diagnosis"]:
        message = (f"{len(wrong)} of {n} diagnoses are not right ({', '.join(wrong)}); the "
                   f"evidence against each is below.")
    else:
        message = (f"{len(wrong)} of {n} answers are not right ({', '.join(wrong)}): every "
                   f"patient, A to D, needs one name from nl.diagnosis.FAULTS, spelled exactly; "
                   f"each is explained below.")
    return CheckResult(name, False, message, details, mistake=" + ".join(kinds), cases=n)

