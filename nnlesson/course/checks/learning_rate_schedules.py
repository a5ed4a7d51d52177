"""Checks for lesson 07, learning-rate schedules: step decay, warm restarts, one-cycle.

Each exercise is a function of the step ``t`` (counting from 0, the library's convention) and
the schedule's settings, returning one learning rate. The reference is the matching class of
:mod:`nnlesson.schedules` (checked against ``torch.optim.lr_scheduler`` in the test suite).
"""
from __future__ import annotations

import math

from nnlesson.course.checks._core import Case, Mistake, run_check
from nnlesson.schedules import CosineWarmRestarts, OneCycle, StepDecay

__all__ = ["check_step_decay", "check_cosine_warm_restarts", "check_one_cycle"]


# --------------------------------------------------------------------------- step decay


def _step_decay(t, lr0, step_size, gamma):
    return StepDecay(lr0, step_size=step_size, gamma=gamma)(t)


def check_step_decay(student_fn):
    """Check ``step_decay(t, lr0, step_size, gamma) = lr0 * gamma ** floor(t / step_size)``."""
    cases = [
        Case("first step, t = 0", (0, 0.1, 30, 0.1)),
        Case("last step before the first drop, t = 29", (29, 0.1, 30, 0.1)),
        Case("the first drop, t = 30", (30, 0.1, 30, 0.1)),
        Case("t = 59", (59, 0.1, 30, 0.1)),
        Case("the second drop, t = 60", (60, 0.1, 30, 0.1)),
        Case("t = 95", (95, 0.1, 30, 0.1)),
        Case("step_size 3, gamma 0.5, t = 7", (7, 0.5, 3, 0.5)),
        Case("step_size 3, gamma 0.5, t = 1", (1, 0.5, 3, 0.5)),
        Case("step_size 1: a drop at every step, t = 4", (4, 1.0, 1, 0.9)),
    ]
    mistakes = [
        Mistake(
            "counter starts at 1",
            "Each drop comes one step early: you used floor((t + 1) / step_size). The step "
            "counter t starts at 0 (the first update is t = 0), so the rate first drops at "
            "t = step_size.",
            lambda t, lr0, step_size, gamma: lr0 * gamma ** ((t + 1) // step_size)),
        Mistake(
            "no floor",
            "Your rate decays smoothly: you used gamma ** (t / step_size) without rounding down, "
            "which is exponential decay. Step decay keeps the rate constant for step_size steps, "
            "then multiplies it by gamma: use the integer division t // step_size.",
            lambda t, lr0, step_size, gamma: lr0 * gamma ** (t / step_size)),
        Mistake(
            "ceil instead of floor",
            "The first drop happens right after t = 0: you rounded t / step_size up (ceil). "
            "Round down (t // step_size) so the first step_size steps use lr0.",
            lambda t, lr0, step_size, gamma: lr0 * gamma ** math.ceil(t / step_size)),
        Mistake(
            "gamma applied at every step",
            "The rate is multiplied by gamma at every step (lr0 * gamma ** t). Step decay "
            "multiplies it once every step_size steps: the exponent is t // step_size.",
            lambda t, lr0, step_size, gamma: lr0 * gamma ** t),
    ]
    return run_check("check_step_decay", student_fn, cases, _step_decay, mistakes)


# --------------------------------------------------------------------------- warm restarts


def _warm_restarts(t, lr0, T_0, T_mult=1, eta_min=0.0):
    return CosineWarmRestarts(lr0, T_0=T_0, T_mult=T_mult, eta_min=eta_min)(t)


def _cos(lr0, eta_min, T_cur, T_i):
    return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2


def _no_restart(t, lr0, T_0, T_mult=1, eta_min=0.0):
    return _cos(lr0, eta_min, t, T_0)


def _t_mult_ignored(t, lr0, T_0, T_mult=1, eta_min=0.0):
    return _cos(lr0, eta_min, t % T_0, T_0)


def _cycle(t, T_0, T_mult):
    T_cur, T_i = t, T_0
    while T_cur >= T_i:
        T_cur -= T_i
        T_i *= T_mult
    return T_cur, T_i


def _eta_min_ignored(t, lr0, T_0, T_mult=1, eta_min=0.0):
    return _cos(lr0, 0.0, *_cycle(t, T_0, T_mult))


def _full_period(t, lr0, T_0, T_mult=1, eta_min=0.0):
    T_cur, T_i = _cycle(t, T_0, T_mult)
    return eta_min + (lr0 - eta_min) * (1 + math.cos(2 * math.pi * T_cur / T_i)) / 2


def check_cosine_warm_restarts(student_fn):
    """Check ``cosine_warm_restarts(t, lr0, T_0, T_mult=1, eta_min=0.0)`` (SGDR)."""
    cases = [
        Case("first step, t = 0", (0, 0.1, 10)),
        Case("middle of the first cycle, t = 5", (5, 0.1, 10)),
        Case("last step of the first cycle, t = 9", (9, 0.1, 10)),
        Case("the first restart, t = 10", (10, 0.1, 10)),
        Case("T_mult = 1, third cycle, t = 27", (27, 0.1, 10)),
        Case("T_mult = 2, second cycle (10 <= t < 30), t = 20", (20, 0.1, 10, 2)),
        Case("T_mult = 2, the second restart, t = 30", (30, 0.1, 10, 2)),
        Case("T_mult = 2, third cycle (30 <= t < 70), t = 45", (45, 0.1, 10, 2)),
        Case("T_mult = 3 with eta_min = 0.01, t = 17", (17, 0.1, 4, 3, 0.01)),
        Case("eta_min = 0.02, middle of a cycle, t = 3", (3, 0.5, 8, 1, 0.02)),
    ]
    mistakes = [
        Mistake(
            "no restart",
            "Your rate never jumps back to lr0: after T_0 steps it climbs back slowly along "
            "the same cosine. A warm restart resets T_cur to 0 at the end of each cycle, so "
            "lr(T_0) = lr0 again; T_cur counts the steps since the last restart.",
            _no_restart),
        Mistake(
            "T_mult ignored",
            "Every cycle has length T_0: you used T_cur = t % T_0. With T_mult > 1 cycle i "
            "lasts T_0 * T_mult ** i steps (10, 20, 40, ... for T_0 = 10, T_mult = 2), so the "
            "restarts happen at t = 10, 30, 70, ...",
            _t_mult_ignored),
        Mistake(
            "eta_min ignored",
            "Your rate goes down to 0 instead of eta_min: the formula is "
            "eta_min + (lr0 - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2.",
            _eta_min_ignored),
        Mistake(
            "full cosine period",
            "Your rate comes back up within each cycle: you used cos(2 pi T_cur / T_i). Each "
            "cycle is half a cosine wave, from lr0 down to eta_min: cos(pi * T_cur / T_i).",
            _full_period),
    ]
    return run_check("check_cosine_warm_restarts", student_fn, cases, _warm_restarts, mistakes)


# --------------------------------------------------------------------------- one-cycle


def _one_cycle(t, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    return OneCycle(max_lr, total_steps, pct_start=pct_start, div_factor=div_factor,
                    final_div_factor=final_div_factor)(t)


def _one_cycle_variant(t, max_lr, total_steps, pct_start, div_factor, final_div_factor, *,
                       shift=1.0, anneal="cos", swap=False, end_at_start=False):
    """One-cycle with one thing changed, for the mistakes below."""
    if swap:
        div_factor, final_div_factor = final_div_factor, div_factor
    initial = max_lr / div_factor
    final = initial if end_at_start else initial / final_div_factor
    e1 = pct_start * total_steps - shift
    e2 = total_steps - 1

    def go(a, b, p):
        if anneal == "cos":
            return b + (a - b) / 2 * (math.cos(math.pi * p) + 1)
        return a + (b - a) * p

    if t <= e1:
        return go(initial, max_lr, t / e1)
    return go(max_lr, final, (t - e1) / (e2 - e1))


def check_one_cycle(student_fn):
    """Check ``one_cycle(t, max_lr, total_steps, pct_start=0.3, div_factor=25.0,
    final_div_factor=1e4)`` against PyTorch's two-phase cosine one-cycle."""
    cases = [
        Case("first step, t = 0: max_lr / div_factor", (0, 0.1, 100)),
        Case("warm-up, t = 10", (10, 0.1, 100)),
        Case("the peak, t = pct_start * total_steps - 1 = 29", (29, 0.1, 100)),
        Case("just after the peak, t = 30", (30, 0.1, 100)),
        Case("annealing, t = 60", (60, 0.1, 100)),
        Case("the last step, t = total_steps - 1 = 99", (99, 0.1, 100)),
        Case("pct_start = 0.25, div_factor = 10, t = 12", (12, 1.0, 200, 0.25, 10.0)),
        Case("final_div_factor = 100, t = 150", (150, 1.0, 200, 0.25, 10.0, 100.0)),
        Case("1000 steps, t = 700", (700, 0.3, 1000)),
    ]

    def variant(**how):
        def wrong(t, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
            return _one_cycle_variant(t, max_lr, total_steps, pct_start, div_factor,
                                      final_div_factor, **how)
        return wrong

    mistakes = [
        Mistake(
            "peak one step late",
            "Your peak comes one step late: you set the end of the warm-up to "
            "pct_start * total_steps. Steps count from 0, so the warm-up's last step is "
            "e1 = pct_start * total_steps - 1 (PyTorch's convention), and the cool-down ends at "
            "e2 = total_steps - 1.",
            variant(shift=0.0)),
        Mistake(
            "ends at the starting rate",
            "Your rate ends where it started, at max_lr / div_factor. One-cycle ends far "
            "below the start: min_lr = (max_lr / div_factor) / final_div_factor.",
            variant(end_at_start=True)),
        Mistake(
            "linear instead of cosine",
            "Your rate changes along straight lines. This one-cycle anneals along half a "
            "cosine in both phases: anneal(a, b, p) = b + (a - b) / 2 * (cos(pi p) + 1).",
            variant(anneal="linear")),
        Mistake(
            "div factors swapped",
            "Your start and end rates are swapped round: the rate starts at "
            "max_lr / div_factor (div_factor = 25) and ends at that divided by "
            "final_div_factor (1e4).",
            variant(swap=True)),
    ]
    return run_check("check_one_cycle", student_fn, cases, _one_cycle, mistakes)
