"""Checks for lesson 14, diagnosing and tuning a training run.

* ``range_test_lrs``, ``smooth_losses``, ``range_test_stop``: the three pieces of the range
  test, against :mod:`nnlesson.tuning` (the schedule is checked against ``torch_lr_finder``
  in the test suite).
* ``check_diagnoses``: the student's names for four patients with hidden faults; a wrong name
  gets the evidence against it and for the right one (:func:`nnlesson.diagnosis.explain`).
* ``check_max_lr``: a ``max_lr`` for one-cycle read from a range-test curve, judged against
  where that curve falls and where it is lowest.
"""
from __future__ import annotations

import math

import numpy as np

from nnlesson import diagnosis as D
from nnlesson import tuning as T
from nnlesson.course.checks._core import Case, CheckResult, Mistake, run_check

__all__ = ["check_range_test_lrs", "check_smooth_losses", "check_range_test_stop",
           "check_diagnoses", "check_max_lr", "MYSTERY_PATIENTS", "mystery_runs"]


# --------------------------------------------------------------------------- the schedule


def check_range_test_lrs(student_fn):
    """Check ``range_test_lrs(start_lr, end_lr, num_iter)``: exponentially spaced rates."""
    cases = [
        Case("1e-4 to 10 in 6 steps", (1e-4, 10.0, 6)),
        Case("0.01 to 100 in 5 steps", (0.01, 100.0, 5)),
        Case("two steps: just the ends", (0.001, 1.0, 2)),
        Case("1e-5 to 1 in 50 steps", (1e-5, 1.0, 50)),
    ]
    mistakes = [
        Mistake("linear instead of exponential",
                "Your rates are evenly spaced (a linear schedule): most of them land in the "
                "last factor of 10, so the small rates are hardly tested. The range test "
                "multiplies the rate by the same factor each step: lr_k = start_lr * "
                "(end_lr / start_lr) ** (k / (num_iter - 1)) (Hint 2).",
                lambda a, b, n: np.linspace(a, b, n)),
        Mistake("ends one step short",
                "Your last rate is below end_lr: you divided k by num_iter instead of "
                "num_iter - 1. With k = 0 .. num_iter - 1 the exponent must reach 1 at the "
                "last step.",
                lambda a, b, n: a * (b / a) ** (np.arange(n) / n)),
        Mistake("one rate too many",
                "You returned num_iter + 1 rates (k = 0 .. num_iter): there are num_iter "
                "updates, one rate each.",
                lambda a, b, n: a * (b / a) ** (np.arange(n + 1) / n)),
    ]
    return run_check("check_range_test_lrs", student_fn, cases, T.range_test_lrs, mistakes,
                     rtol=1e-9)


# --------------------------------------------------------------------------- the smoothing


def _ema(losses, beta, correct=True, swap=False, shift=0):
    out, avg = [], 0.0
    for k, loss in enumerate(losses):
        avg = (1 - beta) * avg + beta * loss if swap else beta * avg + (1 - beta) * loss
        out.append(avg / (1 - beta ** (k + 1 + shift)) if correct else avg)
    return np.array(out)


def check_smooth_losses(student_fn):
    """Check ``smooth_losses(losses, beta)``: a bias-corrected exponential moving average."""
    rng = np.random.default_rng(140)
    noisy = 2.0 + 0.5 * rng.standard_normal(12)
    cases = [
        Case("three losses, beta 0.5", (np.array([1.0, 2.0, 3.0]), 0.5)),
        Case("a constant loss, beta 0.98", (np.full(8, 2.3), 0.98)),
        Case("noisy losses, beta 0.9", (noisy, 0.9)),
        Case("beta 0: no smoothing", (noisy[:5], 0.0)),
        Case("one loss", (np.array([4.0]), 0.7)),
    ]
    mistakes = [
        Mistake("no bias correction",
                "Your first values are far too small: the average starts at 0, so after one "
                "loss it is only (1 - beta) times that loss. Divide avg_k by "
                "(1 - beta ** (k + 1)) (bias correction, as Adam does; Hint 2): then a "
                "constant loss stays constant.",
                lambda losses, beta: _ema(losses, beta, correct=False)),
        Mistake("beta on the new loss",
                "You weighted the new loss by beta and the past by (1 - beta): the average "
                "follows the noise. The past keeps the weight beta: avg = beta * avg + "
                "(1 - beta) * loss.",
                lambda losses, beta: _ema(losses, beta, swap=True)),
        Mistake("correction exponent off by one",
                "Your correction uses beta ** (k + 2) (or k counted from 1 twice): the first "
                "smoothed value must equal the first loss, so after k + 1 losses divide by "
                "1 - beta ** (k + 1).",
                lambda losses, beta: _ema(losses, beta, shift=1)),
    ]
    return run_check("check_smooth_losses", student_fn, cases, T.smooth_losses, mistakes,
                     rtol=1e-9)


# --------------------------------------------------------------------------- the stop rule


def _stop_variant(smoothed, diverge_factor=4.0, *, against_first=False, factor=None,
                  shift=0):
    f = diverge_factor if factor is None else factor
    best = math.inf
    for k, v in enumerate(smoothed):
        best = min(best, v)
        ref = smoothed[0] if against_first else best
        if v > f * ref:
            return k + shift
    return None


def check_range_test_stop(student_fn):
    """Check ``range_test_stop(smoothed, diverge_factor=4.0)``: the first k above factor x best."""
    cases = [
        Case("falls, then climbs past 4 x the best", ([3.0, 2.0, 1.0, 3.9, 4.1, 9.0],)),
        Case("never diverges", ([3.0, 2.0, 1.0, 3.9],)),
        Case("factor 2", ([1.0, 1.5, 2.5, 3.0],), {"diverge_factor": 2.0}),
        Case("factor 10: 4 x the best is not enough", ([2.0, 1.0, 5.0, 9.0, 11.0],),
             {"diverge_factor": 10.0}),
        Case("the first loss is the highest", ([9.0, 1.0, 2.0, 4.5],)),
    ]
    mistakes = [
        Mistake("compared with the first loss",
                "You compare with the first smoothed loss. The loss falls a long way before it "
                "diverges, so the test must compare with the best (lowest) value so far: stop "
                "at the first k with smooth_k > diverge_factor * min(smooth_0 .. smooth_k).",
                lambda s, diverge_factor=4.0: _stop_variant(s, diverge_factor,
                                                            against_first=True)),
        Mistake("factor 4 hard-coded",
                "Your rule always uses 4: use the diverge_factor argument.",
                lambda s, diverge_factor=4.0: _stop_variant(s, diverge_factor, factor=4.0)),
        Mistake("stops at any rise",
                "You stop as soon as the loss is above its best: the smoothed loss wiggles "
                "up and down long before it diverges. Stop only when it is diverge_factor "
                "times the best.",
                lambda s, diverge_factor=4.0: _stop_variant(s, diverge_factor, factor=1.0)),
        Mistake("index off by one",
                "You return the index after the one that diverged: return k, the index of "
                "the first value above diverge_factor * best (it is kept as the last point).",
                lambda s, diverge_factor=4.0: _stop_variant(s, diverge_factor, shift=1)),
    ]
    return run_check("check_range_test_stop", student_fn, cases, T.range_test_stop, mistakes)


# --------------------------------------------------------------------------- diagnoses


#: The four patients of the diagnosis exercise: name -> (fault, random seed).
MYSTERY_PATIENTS = {"A": ("unshuffled", 3), "B": ("dead_relu_init", 3),
                    "C": ("dropout_at_test", 3), "D": ("gradients_not_zeroed", 3)}


def mystery_runs():
    """The records of the four patients (name -> :class:`nnlesson.diagnosis.RunRecord`)."""
    return {name: D.fault_run(fault, seed=seed)
            for name, (fault, seed) in MYSTERY_PATIENTS.items()}


def _answer(given):
    """The student's answer: ``given`` itself, or what the function ``given()`` returns."""
    if callable(given):
        try:
            return given()
        except NotImplementedError:
            return None
    return given


def check_diagnoses(answers):
    """Check ``answers`` (a dict ``{"A": fault, ...}`` of FAULTS names, or a function
    returning one)."""
    name = "check_diagnoses"
    todo = ("not answered yet: fill in the dictionary with one fault name per patient, then "
            "run this cell again.")
    try:
        answers = _answer(answers)
    except Exception as exc:
        return CheckResult(name, False, f"your function raised {type(exc).__name__}: {exc}",
                           cases=4)
    if answers is None or answers == {} or answers is NotImplemented:
        return CheckResult(name, False, todo, status="todo", cases=len(MYSTERY_PATIENTS))
    if not isinstance(answers, dict):
        return CheckResult(name, False, f"expected a dict such as {{'A': 'healthy', ...}}, got "
                                        f"{type(answers).__name__}", cases=4)
    runs = mystery_runs()
    wrong, details = [], []
    for patient, (fault, _) in MYSTERY_PATIENTS.items():
        answer = answers.get(patient)
        if answer not in D.FAULTS:
            wrong.append(patient)
            details.append(f"patient {patient}: {answer!r} is not one of "
                           f"{', '.join(D.FAULTS)}")
            continue
        fits, why = D.explain(runs[patient], answer)
        if answer != fault:
            wrong.append(patient)
            details.append(f"patient {patient}: {why}")
    if not wrong:
        return CheckResult(name, True, "all four diagnoses are right", cases=4)
    return CheckResult(name, False, f"{len(wrong)} of 4 diagnoses are not right "
                                    f"({', '.join(wrong)}); the evidence for each is below.",
                       details, mistake="wrong diagnosis", cases=4)


# --------------------------------------------------------------------------- max_lr


def check_max_lr(max_lr, lrs, smoothed):
    """Check a ``max_lr`` (a number, or a function returning one) for one-cycle read from the
    range-test curve ``(lrs, smoothed)``.

    Accepted: between a thirtieth and a third of the rate of the lowest smoothed loss, and
    where the curve is still falling (at or above the rate where it starts to fall fast).
    """
    name = "check_max_lr"
    try:
        max_lr = _answer(max_lr)
    except Exception as exc:
        return CheckResult(name, False, f"your function raised {type(exc).__name__}: {exc}",
                           cases=1)
    if max_lr is None or max_lr is NotImplemented:
        return CheckResult(name, False, "not answered yet: set max_lr to a number read from "
                                        "the curve.", status="todo", cases=1)
    try:
        value = float(max_lr)
    except (TypeError, ValueError):
        return CheckResult(name, False, f"max_lr must be a number, got {max_lr!r}", cases=1)
    lr_min, suggested, steepest = T.suggest_lrs(lrs, smoothed)
    if not value > 0 or not math.isfinite(value):
        return CheckResult(name, False, f"max_lr must be a positive number, got {value!r}",
                           cases=1)
    details = [f"lowest smoothed loss at {lr_min:.3g}; steepest fall at {steepest:.3g}"]
    if value >= lr_min / 2:
        return CheckResult(name, False, f"{value:.3g} is at the bottom of the curve (lowest at "
                                        f"{lr_min:.3g}) or past it: there the loss is about to "
                                        f"shoot up, and one-cycle spends a third of training "
                                        f"near its peak. Take a factor of about 10 below the "
                                        f"lowest point.", details, mistake="at the minimum",
                           cases=1)
    if value < lr_min / 30 or value < steepest / 3:
        return CheckResult(name, False, f"{value:.3g} is where the curve has barely started "
                                        f"to fall: training at it is slow. Go up to where "
                                        f"the loss still falls well, about a tenth of "
                                        f"{lr_min:.3g}.", details, mistake="too low", cases=1)
    if value > lr_min / 3:
        return CheckResult(name, False, f"{value:.3g} is close to the lowest point "
                                        f"{lr_min:.3g}: too little margin.", details,
                           mistake="too close to the minimum", cases=1)
    return CheckResult(name, True, f"{value:.3g} is {lr_min / value:.3g} times below the "
                                   f"lowest point, where the loss still falls well.", details,
                       cases=1)
