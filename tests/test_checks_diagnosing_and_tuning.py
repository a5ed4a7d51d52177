"""Lesson 14's exercise checks. The declared checks (range test pieces) are covered by
tests/test_checks_meta.py (every named mistake named, cases that tell them apart, every
argument varied, the library forbidden); here are the wrong answers whose form matters, and the
two answer checks (max_lr, diagnoses)."""
import math

import numpy as np
import pytest

import nnlesson as nl
from nnlesson import tuning as T
from nnlesson.course.checks import _guard
from nnlesson.course.checks import diagnosing_and_tuning as C


def stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("check, good", [(C.check_range_test_lrs, T.range_test_lrs),
                                         (C.check_smooth_losses, T.smooth_losses),
                                         (C.check_range_test_stop, T.range_test_stop)])
def test_a_stub_is_to_do_and_the_library_itself_is_refused(check, good):
    assert check(stub).status == "todo"
    result = check(good)
    assert not result.passed and result.mistake == "calls the library"


def test_honest_answers_in_other_forms_pass():
    assert C.check_range_test_lrs(lambda a, b, n: np.geomspace(a, b, n)).passed
    assert C.check_range_test_lrs(
        lambda a, b, n: 10 ** np.linspace(np.log10(a), np.log10(b), n)).passed

    def smooth_by_hand(losses, beta=0.98):
        out, avg = [], 0.0
        for k, loss in enumerate(losses):
            avg = beta * avg + (1 - beta) * loss
            out.append(avg / (1 - beta ** (k + 1)))
        return np.array(out)

    assert C.check_smooth_losses(smooth_by_hand).passed

    def stop_with_numpy(smoothed, diverge_factor=4.0):
        s = np.asarray(smoothed, dtype=float)
        bad = ~np.isfinite(s) | (s > diverge_factor * np.minimum.accumulate(np.nan_to_num(s, nan=np.inf)))
        return int(np.argmax(bad)) if bad.any() else None

    assert C.check_range_test_stop(stop_with_numpy).passed


def test_the_stop_rules_that_return_none_on_a_case_are_named_not_told_to_return():
    """Comparing with the first loss, or ignoring diverge_factor, returns None on a case where
    the rule stops: the named mistake comes first, not "did you forget return?"."""
    def against_first(smoothed, diverge_factor=4.0):
        for k, value in enumerate(smoothed):
            if not math.isfinite(value) or value > diverge_factor * smoothed[0]:
                return k
        return None

    def always_four(smoothed, diverge_factor=4.0):
        best = math.inf
        for k, value in enumerate(smoothed):
            if not math.isfinite(value):
                return k
            best = min(best, value)
            if value > 4 * best:
                return k
        return None

    for wrong, name in ((against_first, "compared with the first loss"),
                        (always_four, "diverge_factor ignored")):
        result = C.check_range_test_stop(wrong)
        assert result.mistake == name and "return`?" not in result.message

    def forgot_return(smoothed, diverge_factor=4.0):  # a real missing return: still said so
        best = math.inf
        for k, value in enumerate(smoothed):
            best = min(best, value)
            if value > diverge_factor * best:
                k
    result = C.check_range_test_stop(forgot_return)
    assert "Did you forget `return`?" in result.message


def test_forms_that_matter():
    # a loop that divides by zero at the first loss (numpy's inf, then NaN): named as such
    def divide_by_zero(losses, beta=0.98):
        out, avg = [], 0.0
        for k, loss in enumerate(losses):
            avg = beta * avg + (1 - beta) * loss
            out.append(avg / (1 - beta ** k))
        return np.array(out)

    result = C.check_smooth_losses(divide_by_zero)
    assert result.mistake == "correction with beta ** k" and "1 - 1 = 0" in result.message
    # the same with Python floats raises: the exception and the line are named
    result = C.check_smooth_losses(lambda losses, beta=0.98: divide_by_zero(
        [float(v) for v in losses], float(beta)))
    assert "ZeroDivisionError" in result.message and "beta ** k" in result.message
    # a list instead of an array
    result = C.check_range_test_lrs(lambda a, b, n: [a * (b / a) ** (k / (n - 1))
                                                     for k in range(n)])
    assert not result.passed and "expected a numpy array" in result.message
    # log_grid is the schedule under another name: still the library
    result = C.check_range_test_lrs(lambda a, b, n: nl.tuning.log_grid(a, b, n))
    assert result.mistake == "calls the library" and "nnlesson.tuning.log_grid" in result.message
    # smoothing that writes into the caller's array
    def in_place(losses, beta=0.98):
        losses = np.asarray(losses, dtype=float)
        avg = 0.0
        for k in range(len(losses)):
            avg = beta * avg + (1 - beta) * losses[k]
            losses[k] = avg / (1 - beta ** (k + 1))
        return losses
    result = C.check_smooth_losses(in_place)
    assert not result.passed and "in place" in result.message


# --------------------------------------------------------------------------- max_lr


@pytest.fixture(scope="module")
def made_up_curve():
    lrs = T.range_test_lrs(1e-4, 1.0, 41)
    x = np.log10(lrs)
    curve = 2.0 - 1.5 / (1 + np.exp(-3 * (x + 2)))  # falls fastest at 1e-2
    curve[x > -1] += 5 * (x[x > -1] + 1) ** 2        # and climbs after 1e-1
    return lrs, curve


def test_max_lr_is_judged_against_the_curve(made_up_curve):
    lrs, curve = made_up_curve
    lr_min = T.suggest_lrs(lrs, curve)[0]
    for divisor in (3, 10, 20):
        assert C.check_max_lr(lr_min / divisor, lrs, curve).passed, divisor
    assert C.check_max_lr(lambda: lr_min / 10, lrs, curve).passed  # a function's answer
    for value, mistake in ((lr_min, "at the minimum"), (2 * lr_min, "at the minimum"),
                           (lr_min / 2.5, "too close to the minimum"),
                           (lr_min / 1000, "too low")):
        assert C.check_max_lr(value, lrs, curve).mistake == mistake, value
    assert C.check_max_lr(stub, lrs, curve).status == "todo"
    assert "max_lr must be a number" in C.check_max_lr("a tenth", lrs, curve).message
    assert "max_lr must be a positive number" in C.check_max_lr(-0.1, lrs, curve).message


def test_max_lr_from_a_function_is_time_limited_and_guarded(made_up_curve, monkeypatch):
    lrs, curve = made_up_curve

    def endless():
        while True:
            pass

    full = _guard.time_limit
    monkeypatch.setattr(C, "TIME_LIMIT", 0.2)
    result = C.check_max_lr(endless, lrs, curve)
    assert result.mistake == "did not finish" and "endless loop" in result.message
    monkeypatch.setattr(_guard, "time_limit", full)
    result = C.check_max_lr(lambda: nl.tuning.suggest_lrs(lrs, curve)[1], lrs, curve)
    assert result.mistake == "calls the library"


# --------------------------------------------------------------------------- diagnoses


RIGHT = {k: fault for k, (fault, _) in C.MYSTERY_PATIENTS.items()}


def test_diagnoses_right_and_unanswered():
    assert C.check_diagnoses(RIGHT).passed
    assert C.check_diagnoses(lambda: dict(RIGHT)).passed
    assert C.check_diagnoses({}).status == "todo"
    assert C.check_diagnoses(stub).status == "todo"


def test_a_wrong_diagnosis_gets_the_evidence_and_never_the_answer():
    for patient, (fault, _) in C.MYSTERY_PATIENTS.items():
        for answer in nl.diagnosis.FAULTS:
            if answer == fault:
                continue
            result = C.check_diagnoses(dict(RIGHT, **{patient: answer}))
            assert not result.passed and result.mistake == "wrong diagnosis"
            (detail,) = result.details
            assert detail.startswith(f"patient {patient}: not ")
            assert nl.diagnosis.FAULT_LABELS[fault] not in detail, (patient, answer)
            assert "The strongest sign in this run:" in detail


def test_diagnoses_that_are_not_fault_names_or_not_a_dict_or_call_the_library():
    result = C.check_diagnoses(dict(RIGHT, B="bad luck"))
    assert "'bad luck' is not one of healthy" in result.details[0]
    assert "expected a dict" in C.check_diagnoses(["unshuffled"]).message
    runs = C.mystery_runs()
    result = C.check_diagnoses(lambda: {k: nl.diagnosis.diagnose(r).fault for k, r in runs.items()})
    assert result.mistake == "calls the library" and "diagnose" in result.message


# --------------------------------------------------------------------------- families added from held-out answers


def test_a_correction_with_beta_to_the_k_that_keeps_the_first_loss_is_named():
    def first_kept(losses, beta=0.98):
        out, avg = [], 0.0
        for k, loss in enumerate(losses):
            avg = beta * avg + (1 - beta) * loss
            out.append(loss if k == 0 else avg / (1 - beta ** k))
        return np.array(out)

    result = C.check_smooth_losses(first_kept)
    assert result.mistake == "correction with beta ** k", result


def test_a_stop_rule_that_tests_only_for_nan_is_named():
    def isnan_only(smoothed, diverge_factor=4.0):
        lowest = float("inf")
        for k, value in enumerate(smoothed):
            if np.isnan(value):
                return k
            lowest = min(lowest, value)
            if value > diverge_factor * lowest:
                return k
        return None

    result = C.check_range_test_stop(isnan_only)
    assert result.mistake == "inf not caught", result
    assert "isfinite" in result.message


def test_max_lr_answers_that_are_not_a_rate_are_named(made_up_curve):
    lrs, curve = made_up_curve
    lowest = int(np.argmin(curve))
    result = C.check_max_lr(lowest, lrs, curve)  # np.argmin's position, not lrs[position]
    assert result.mistake == "an index, not a rate" and f"lrs[{lowest}]" in result.message
    result = C.check_max_lr(float(curve.min()), lrs, curve)  # the y-axis read
    assert result.mistake == "a loss, not a rate", result
    result = C.check_max_lr(math.log10(lrs[lowest] / 10), lrs, curve)
    assert result.mistake == "log10 of the rate" and "10 **" in result.message


def test_diagnoses_with_a_patient_missing_or_a_name_misspelled_are_named():
    result = C.check_diagnoses({k: v for k, v in RIGHT.items() if k != "C"})
    assert result.mistake == "patient missing" and "(C)" in result.message
    result = C.check_diagnoses(dict(RIGHT, A=RIGHT["A"].upper()))
    assert result.mistake == "not a fault name"
    assert f"spelled exactly: {RIGHT['A']!r}" in result.details[0]
    wrong_name = next(f for f in nl.diagnosis.FAULTS if f != RIGHT["B"])
    result = C.check_diagnoses(dict(RIGHT, A="Bad luck", B=wrong_name))
    assert result.mistake == "not a fault name + wrong diagnosis"


def test_a_swapped_average_without_correction_names_both_mistakes():
    def swapped_plain(losses, beta=0.98):
        out, avg = np.zeros(len(losses)), 0.0
        for k in range(len(losses)):
            avg = beta * losses[k] + (1 - beta) * avg
            out[k] = avg
        return out

    result = C.check_smooth_losses(swapped_plain)
    assert result.mistake == "no bias correction + beta on the new loss", result
