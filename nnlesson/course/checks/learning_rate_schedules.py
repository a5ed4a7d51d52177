"""Checks for lesson 07, learning-rate schedules, declared as data.

Exercises 1-3 are a function of the step ``t`` (counting from 0, the library's convention) and
the schedule's settings, returning one learning rate; the reference is the matching class of
:mod:`nnlesson.schedules` (checked against ``torch.optim.lr_scheduler`` in the test suite), and
the library's schedules are forbidden. Exercise 4 (:data:`PLAN`) is a plan derived from
constraints: the peak rate, the warm-up's start and the lengths, in updates, of a warm-up +
cosine schedule for a larger mini-batch (the linear scaling rule of Goyal et al. 2017); its
reference is arithmetic, in this module.

Each wrong answer is declared once as a :class:`Mistake` whose wrong implementation is a
switch of one variant function (``_step_variant``, ``_restart_variant``, ``_cycle_variant``,
``_plan_variant``). tests/test_checks_meta.py proves for every declared check that each named
mistake is diagnosed as itself, that the cases tell them apart, that every argument with a
default is varied, and that calling the library is caught.
"""
from __future__ import annotations

import math

from nnlesson.course.checks._core import Case, Check, Mistake
from nnlesson.schedules import CosineWarmRestarts, OneCycle, StepDecay

__all__ = ["STEP_DECAY", "WARM_RESTARTS", "ONE_CYCLE", "PLAN", "CHECKS", "check_step_decay",
           "check_cosine_warm_restarts", "check_one_cycle", "check_scaled_plan"]

#: The library's schedules in any form (the classes, their methods, any helper of the module).
FORBIDDEN = ("nnlesson.schedules.*",)

# The titles of the hint levels in the exercise notebook ("Hint 2 · the formula").
HINTS = ("the idea", "the formula", "a partial line")


# --------------------------------------------------------------------------- step decay


def _step_decay(t, lr0, step_size, gamma):
    return StepDecay(lr0, step_size=step_size, gamma=gamma)(t)


def _step_variant(how):
    def wrong(t, lr0, step_size, gamma):
        if how == "counter from 1":
            k = (t + 1) // step_size
        elif how == "no floor":
            k = t / step_size
        elif how == "ceil":
            k = math.ceil(t / step_size)
        elif how == "every step":
            k = t
        elif how == "one drop too many":
            k = t // step_size + 1
        elif how == "drops once":
            k = 1 if t >= step_size else 0
        else:
            k = t // step_size
        if how == "product":
            return lr0 * gamma * k
        if how == "subtracted":
            return lr0 - gamma * k
        if how == "lr0 missing":
            return gamma ** k
        return lr0 * gamma ** k
    return wrong


STEP_DECAY = Check(
    name="check_step_decay",
    function="step_decay",
    reference=_step_decay,
    cases=[
        Case("first step, t = 0", (0, 0.1, 30, 0.1)),
        Case("last step before the first drop, t = 29", (29, 0.1, 30, 0.1)),
        Case("the first drop, t = 30", (30, 0.1, 30, 0.1)),
        Case("t = 59", (59, 0.1, 30, 0.1)),
        Case("the second drop, t = 60", (60, 0.1, 30, 0.1)),
        Case("t = 95", (95, 0.1, 30, 0.1)),
        Case("step_size 3, gamma 0.5, t = 7", (7, 0.5, 3, 0.5)),
        Case("step_size 3, gamma 0.5, t = 1", (1, 0.5, 3, 0.5)),
        Case("step_size 1: a drop at every step, t = 4", (4, 1.0, 1, 0.9)),
    ],
    mistakes=(
        Mistake("counter starts at 1",
                "Each drop comes one step early: you used floor((t + 1) / step_size). The step "
                "counter t starts at 0 (the first update is t = 0), so the rate first drops "
                "at t = step_size.", _step_variant("counter from 1"), hint=1),
        Mistake("no floor",
                "Your rate decays smoothly: the exponent t / step_size is not rounded down, "
                "which is exponential decay. Step decay keeps the rate for step_size steps, "
                "then multiplies it by gamma: the exponent counts whole blocks of step_size "
                "steps.", _step_variant("no floor"), hint=2),
        Mistake("ceil instead of floor",
                "The first drop happens right after t = 0: you rounded t / step_size up. Round "
                "down, so the first step_size steps use lr0.", _step_variant("ceil"), hint=3),
        Mistake("gamma applied at every step",
                "The rate is multiplied by gamma at every step (lr0 * gamma ** t). Step decay "
                "multiplies it once every step_size steps.", _step_variant("every step"),
                hint=1),
        Mistake("one drop too many",
                "Your rate is already lr0 * gamma at t = 0: the exponent is one too large. The "
                "first step_size steps use lr0 itself (gamma to the power 0).",
                _step_variant("one drop too many"), hint=2),
        Mistake("drops only once",
                "Your rate drops at t = step_size and then stays: step decay drops again every "
                "step_size steps (0.1, 0.01, 0.001, ... in the example), so gamma is raised to "
                "the number of whole blocks that have passed.", _step_variant("drops once"),
                hint=1),
        Mistake("a product where a power is meant",
                "You multiply by gamma times the number of drops (lr0 * gamma * k). Each drop "
                "multiplies the rate by gamma again: after k drops it is lr0 * gamma ** k.",
                _step_variant("product"), hint=2),
        Mistake("subtracted instead of multiplied",
                "You subtract gamma for each drop. Step decay multiplies the rate by gamma at "
                "each drop, so it shrinks by a factor, never below 0.",
                _step_variant("subtracted"), hint=2),
        Mistake("lr0 left out",
                "Your rate does not depend on lr0: it starts at 1. Multiply by lr0, the rate of "
                "the first step_size steps.", _step_variant("lr0 missing"), hint=2),
    ),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``step_decay(t, lr0, step_size, gamma) = lr0 * gamma ** floor(t / step_size)``",
)


# --------------------------------------------------------------------------- warm restarts


def _warm_restarts(t, lr0, T_0, T_mult=1, eta_min=0.0):
    return CosineWarmRestarts(lr0, T_0=T_0, T_mult=T_mult, eta_min=eta_min)(t)


def _restart_variant(how):
    """SGDR with one thing changed, for the mistakes below."""
    def wrong(t, lr0, T_0, T_mult=1, eta_min=0.0):
        T_cur, T_i = t, T_0
        if how == "no restart":
            pass
        elif how == "T_mult ignored":
            T_cur = t % T_0
        else:
            while (T_cur > T_i) if how == "restart late" else (T_cur >= T_i):
                if how == "grown first":  # the next cycle's length taken off T_cur
                    T_i *= T_mult
                    T_cur -= T_i
                    continue
                T_cur -= T_i
                T_i = T_i + T_mult if how == "added" else T_i * T_mult
        low = 0.0 if how == "eta_min ignored" else eta_min
        angle = (2 if how == "full period" else 1) * math.pi * T_cur / T_i
        shape = (1 - math.cos(angle)) if how == "upwards" else (1 + math.cos(angle))
        return low + (lr0 - low) * shape / 2
    return wrong


WARM_RESTARTS = Check(
    name="check_cosine_warm_restarts",
    function="cosine_warm_restarts",
    reference=_warm_restarts,
    cases=[
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
        Case("T_mult = 3, the second restart, t = 16", (16, 0.2, 4, 3)),
    ],
    mistakes=(
        Mistake("no restart",
                "Your rate never jumps back to lr0: after T_0 steps it climbs back slowly along "
                "the same cosine. A warm restart resets T_cur to 0 at the end of each cycle, so "
                "lr(T_0) = lr0 again; T_cur counts the steps since the last restart.",
                _restart_variant("no restart"), hint=1),
        Mistake("T_mult ignored",
                "Every cycle has length T_0. With T_mult > 1 cycle i lasts T_0 * T_mult ** i "
                "steps (10, 20, 40, ... for T_0 = 10, T_mult = 2), so the restarts happen at "
                "t = 10, 30, 70, ...", _restart_variant("T_mult ignored"), hint=1),
        Mistake("eta_min ignored",
                "Your rate goes down to 0 instead of eta_min: the cosine runs from lr0 down "
                "to eta_min.", _restart_variant("eta_min ignored"), hint=2),
        Mistake("full cosine period",
                "Your rate comes back up within each cycle: a whole cosine period. Each cycle "
                "is half a cosine wave, from lr0 down to eta_min: the angle goes from 0 to pi.",
                _restart_variant("full period"), hint=2),
        Mistake("cosine upside down",
                "Your rate starts each cycle at eta_min and climbs to lr0: (1 - cos) instead "
                "of (1 + cos). A cycle starts at lr0 (cos 0 = 1) and falls.",
                _restart_variant("upwards"), hint=2),
        Mistake("restart one step late",
                "Your restarts come one step late: the cycle ends when T_cur REACHES T_i "
                "(at t = T_0 the rate is lr0 again), so move on while T_cur >= T_i.",
                _restart_variant("restart late"), hint=3),
        Mistake("cycles grow by adding T_mult",
                "Your cycles grow by T_mult steps each time; they grow by a FACTOR T_mult: "
                "T_0, T_0 * T_mult, T_0 * T_mult^2, ...", _restart_variant("added"), hint=2),
        Mistake("cycle grown before it is subtracted",
                "You lengthen the cycle before taking the finished one off T_cur, so you "
                "subtract the next cycle's length. Take T_i off first, then multiply T_i by "
                "T_mult.", _restart_variant("grown first"), hint=3),
    ),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``cosine_warm_restarts(t, lr0, T_0, T_mult=1, eta_min=0.0)`` (SGDR): "
        "``eta_min + (lr0 - eta_min) (1 + cos(pi T_cur / T_i)) / 2``",
)


# --------------------------------------------------------------------------- one-cycle


def _one_cycle(t, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    return OneCycle(max_lr, total_steps, pct_start=pct_start, div_factor=div_factor,
                    final_div_factor=final_div_factor)(t)


def _cycle_variant(shift=1.0, anneal="cos", swap=False, end="right", start="right",
                   e2_shift=1, rounded=False):
    """One-cycle with one thing changed, for the mistakes below."""
    def wrong(t, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
        d, f = (final_div_factor, div_factor) if swap else (div_factor, final_div_factor)
        initial = 0.0 if start == "zero" else max_lr / d
        final = {"right": max_lr / d / f, "at start": initial, "from max": max_lr / f}[end]
        e1 = (int(pct_start * total_steps) if rounded else pct_start * total_steps) - shift
        e2 = total_steps - e2_shift

        def go(a, b, p):
            if anneal == "cos":
                return b + (a - b) / 2 * (math.cos(math.pi * p) + 1)
            return a + (b - a) * p

        if t <= e1:
            return go(initial, max_lr, t / e1)
        return go(max_lr, final, (t - e1) / (e2 - e1))
    return wrong


ONE_CYCLE = Check(
    name="check_one_cycle",
    function="one_cycle",
    reference=_one_cycle,
    cases=[
        Case("first step, t = 0: max_lr / div_factor", (0, 0.1, 100)),
        Case("warm-up, t = 10", (10, 0.1, 100)),
        Case("the peak, t = pct_start * total_steps - 1 = 29", (29, 0.1, 100)),
        Case("just after the peak, t = 30", (30, 0.1, 100)),
        Case("annealing, t = 60", (60, 0.1, 100)),
        Case("the last step, t = total_steps - 1 = 99", (99, 0.1, 100)),
        Case("pct_start = 0.25, div_factor = 10, t = 12", (12, 1.0, 200, 0.25, 10.0)),
        Case("final_div_factor = 100, t = 150", (150, 1.0, 200, 0.25, 10.0, 100.0)),
        Case("1000 steps, t = 700", (700, 0.3, 1000)),
        Case("55 steps: the warm-up ends at 15.5, t = 15", (15, 0.1, 55)),
        Case("55 steps, final_div_factor = 10, the last step t = 54",
             (54, 0.1, 55, 0.3, 25.0, 10.0)),
    ],
    mistakes=(
        Mistake("peak one step late",
                "Your peak comes one step late: the warm-up ends at step pct_start * "
                "total_steps - 1 (steps count from 0, PyTorch's convention), and the cool-down "
                "at total_steps - 1.", _cycle_variant(shift=0.0), hint=2),
        Mistake("ends at the starting rate",
                "Your rate ends where it started, at max_lr / div_factor. One-cycle ends far "
                "below the start: (max_lr / div_factor) / final_div_factor.",
                _cycle_variant(end="at start"), hint=1),
        Mistake("final rate from max_lr",
                "Your last rate is max_lr / final_div_factor; it is the STARTING rate divided "
                "by final_div_factor: (max_lr / div_factor) / final_div_factor.",
                _cycle_variant(end="from max"), hint=2),
        Mistake("linear instead of cosine",
                "Your rate changes along straight lines. This one-cycle anneals along half a "
                "cosine in both phases.", _cycle_variant(anneal="linear"), hint=2),
        Mistake("div factors swapped",
                "Your start and end rates are swapped round: the rate starts at max_lr / "
                "div_factor (div_factor = 25) and ends at that divided by final_div_factor "
                "(1e4).", _cycle_variant(swap=True), hint=2),
        Mistake("warm-up from 0",
                "Your warm-up starts at 0; it starts at max_lr / div_factor (a 25th of the "
                "peak by default).", _cycle_variant(start="zero"), hint=1),
        Mistake("cool-down one step too long",
                "Your cool-down ends at step total_steps, one past the last update: it reaches "
                "the final rate only at t = total_steps - 1 (the last step, counting from 0).",
                _cycle_variant(e2_shift=0), hint=3),
        Mistake("warm-up end rounded",
                "You rounded pct_start * total_steps to a whole step before subtracting 1. The "
                "end of the warm-up, pct_start * total_steps - 1, may lie between two steps "
                "(15.5 for 55 steps): keep it as it is.", _cycle_variant(rounded=True), hint=3),
    ),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``one_cycle(t, max_lr, total_steps, pct_start=0.3, div_factor=25.0, "
        "final_div_factor=1e4)``: PyTorch's two-phase cosine one-cycle",
)


# --------------------------------------------------------------------------- the plan


def _plan(n_train, batch_size, epochs, base_lr, base_batch_size, warmup_epochs):
    """Goyal et al. (2017): the linear scaling rule and a gradual warm-up, in updates."""
    steps_per_epoch = math.ceil(n_train / batch_size)
    peak_lr = base_lr * batch_size / base_batch_size
    return (peak_lr, base_lr / peak_lr, warmup_epochs * steps_per_epoch,
            epochs * steps_per_epoch)


def _plan_variant(per_epoch="ceil", peak="linear", start="base", warmup="steps", total="steps",
                  old_batch=False):
    def wrong(n_train, batch_size, epochs, base_lr, base_batch_size, warmup_epochs):
        batch = base_batch_size if old_batch else batch_size
        steps = {"ceil": math.ceil(n_train / batch), "floor": n_train // batch,
                 "float": n_train / batch}[per_epoch]
        k = batch_size / base_batch_size
        peak_lr = {"linear": base_lr * k, "none": base_lr, "sqrt": base_lr * math.sqrt(k),
                   "inverse": base_lr / k}[peak]
        start_factor = {"base": base_lr / peak_lr, "inverse": peak_lr / base_lr,
                        "one-cycle": 1 / 25, "one": 1.0}[start]
        warm = warmup_epochs * steps if warmup == "steps" else warmup_epochs
        full = epochs * steps if total == "steps" else epochs
        return peak_lr, start_factor, warm, full
    return wrong


PLAN = Check(
    name="check_scaled_plan",
    function="scaled_plan",
    reference=_plan,
    cases=[
        Case("the digits: 1257 images, batch 16 -> 128, 10 epochs, 2 of warm-up",
             (1257, 128, 10, 0.02, 16, 2)),
        Case("a batch that divides the data: 1024 images, 32 -> 256, 5 epochs, 1 of warm-up",
             (1024, 256, 5, 0.1, 32, 1)),
        Case("ImageNet as Goyal et al.: 1281167 images, 256 -> 8192, 90 epochs, 5 of warm-up",
             (1281167, 8192, 90, 0.1, 256, 5)),
        Case("a smaller batch: 50000 images, 128 -> 64, 30 epochs, 3 of warm-up",
             (50000, 64, 30, 0.05, 128, 3)),
        Case("batch 100 from batch 10: 1000 images, 20 epochs, no warm-up",
             (1000, 100, 20, 0.01, 10, 0)),
        Case("the same batch as the base: 6000 images, batch 50, 4 epochs, 1 of warm-up",
             (6000, 50, 4, 0.3, 50, 1)),
    ],
    mistakes=(
        Mistake("updates per epoch rounded down",
                "You counted n_train // batch_size updates per epoch, dropping the last, "
                "smaller batch. nnlesson's fit (and PyTorch's DataLoader by default) keeps it: "
                "an epoch has ceil(n_train / batch_size) updates (lesson 03).",
                _plan_variant(per_epoch="floor"), hint=2),
        Mistake("updates per epoch not a whole number",
                "Your updates per epoch are n_train / batch_size, a fraction: an epoch has a "
                "whole number of updates, the last batch included, ceil(n_train / batch_size).",
                _plan_variant(per_epoch="float"), hint=3),
        Mistake("lengths in epochs, not updates",
                "Your warm-up and total lengths are in epochs. The schedule is stepped once "
                "per UPDATE (fit calls it before every update), so both must be counted in "
                "updates: epochs times updates per epoch.",
                _plan_variant(warmup="epochs", total="epochs"), hint=1),
        Mistake("warm-up in epochs",
                "Your total length is in updates but the warm-up is still in epochs: it would "
                "last a handful of updates. Multiply it by the updates per epoch too.",
                _plan_variant(warmup="epochs"), hint=1),
        Mistake("total length in epochs",
                "Your warm-up is in updates but the total length is still in epochs: the "
                "cosine would end long before training does. Count it in updates.",
                _plan_variant(total="epochs"), hint=1),
        Mistake("updates counted at the old batch size",
                "You counted the updates per epoch with the base batch size. The new plan "
                "trains with batch_size, so an epoch has ceil(n_train / batch_size) updates.",
                _plan_variant(old_batch=True), hint=2),
        Mistake("peak rate not scaled",
                "Your peak rate is the base rate. With a batch k times larger, an epoch has k "
                "times fewer updates, each with a gradient k times less noisy: the linear "
                "scaling rule multiplies the rate by k = batch_size / base_batch_size.",
                _plan_variant(peak="none", start="one"), hint=1),
        Mistake("square-root scaling",
                "You scaled the rate by sqrt(batch_size / base_batch_size), a rule some use "
                "for Adam. Goyal et al.'s rule for SGD is linear: multiply by batch_size / "
                "base_batch_size.", _plan_variant(peak="sqrt"), hint=2),
        Mistake("peak rate scaled the wrong way",
                "Your peak rate goes DOWN when the batch grows. Fewer, less noisy updates "
                "need larger steps: multiply by batch_size / base_batch_size.",
                _plan_variant(peak="inverse"), hint=2),
        Mistake("start factor upside down",
                "Your start factor is the peak over the base rate. start_factor is the share "
                "of the peak the warm-up starts at, so base_lr / peak_lr (at most 1).",
                _plan_variant(start="inverse"), hint=2),
        Mistake("one-cycle's start",
                "Your warm-up starts at a 25th of the peak (one-cycle's div_factor). Goyal et "
                "al.'s warm-up starts from the rate that worked at the base batch size: "
                "start_factor = base_lr / peak_lr.", _plan_variant(start="one-cycle"), hint=1),
        Mistake("a float, not an int",
                "Your plan is right, but the lengths are floats (np.ceil returns floats): "
                "numbers of updates are whole numbers. Use math.ceil, which returns an int, "
                "or wrap them in int().",
                lambda *args: tuple(float(x) for x in _plan(*args)), hint=3),
        Mistake("no warm-up ramp",
                "Your start factor is 1: the warm-up would start at the peak, which is no "
                "warm-up at all. It starts at the base rate: base_lr / peak_lr.",
                _plan_variant(start="one"), hint=1),
    ),
    hints=HINTS,
    doc="``scaled_plan(n_train, batch_size, epochs, base_lr, base_batch_size, warmup_epochs) "
        "-> (peak_lr, start_factor, warmup_steps, total_steps)``: ``k = batch_size / "
        "base_batch_size``, ``peak_lr = k base_lr``, ``start_factor = 1 / k``, lengths in "
        "updates with ``ceil(n_train / batch_size)`` per epoch",
)

CHECKS = (STEP_DECAY, WARM_RESTARTS, ONE_CYCLE, PLAN)

check_step_decay = STEP_DECAY.check_function()
check_cosine_warm_restarts = WARM_RESTARTS.check_function()
check_one_cycle = ONE_CYCLE.check_function()
check_scaled_plan = PLAN.check_function()
