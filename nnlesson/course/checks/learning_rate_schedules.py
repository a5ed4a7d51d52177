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

import inspect
import math

from nnlesson.course.checks._core import Case, Check, Mistake
from nnlesson.course.checks._families import distinct, two_at_once
from nnlesson.schedules import CosineWarmRestarts, OneCycle, StepDecay

__all__ = ["STEP_DECAY", "WARM_RESTARTS", "ONE_CYCLE", "PLAN", "CHECKS", "check_step_decay",
           "check_cosine_warm_restarts", "check_one_cycle", "check_scaled_plan"]

#: The library's schedules in any form (the classes, their methods, any helper of the module).
FORBIDDEN = ("nnlesson.schedules.*",)

# The titles of the hint levels in the exercise notebook ("Hint 2 · the formula").
HINTS = ("the idea", "the formula", "a partial line")


def _with_pairs(table, make, cases, reference):
    """The mistakes of ``table`` (rows: name, part, hint, explanation, short form, switches),
    then every two of them from different parts of the formula together, keeping a pair only
    if the cases tell it apart from the right answer and from every mistake before it, and if
    it runs on every case."""
    singles = [Mistake(row[0], row[3], make(**row[5]), hint=row[2]) for row in table]
    return distinct(singles, two_at_once(table, make, short=4, switches=5), cases, reference,
                    usable=lambda outputs: not any(v != v for v in outputs))


def _fixed(right, where, **values):
    """Mistakes that use the exercise's example value of an argument whatever is passed (one
    per argument in ``values``): ``right`` (a variant with no mistake switched on, so that it
    does not call the library) with that argument fixed."""
    mistakes = []
    for name, value in values.items():
        def wrong(*args, _name=name, _value=value, **kwargs):
            bound = inspect.signature(right).bind(*args, **kwargs)
            bound.arguments[_name] = _value
            return right(*bound.args, **bound.kwargs)
        mistakes.append(Mistake(
            f"{name} fixed at the example's {value:g}",
            f"Your function uses {name} = {value:g}, {where}, whatever {name} is passed: use the "
            f"argument {name}.", wrong, hint=1))
    return tuple(mistakes)


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
        elif how == "nearest":
            k = round(t / step_size)
        elif how == "remainder":
            k = t % step_size
        elif how == "step_size 30":
            k = t // 30
        elif how == "milestones 30 60":
            k = min(t // 30, 2)
        elif how == "one drop too few":
            k = max(t // step_size - 1, 0)
        elif how == "each drop late":
            k = (t - 1) // step_size if t > 0 else 0
        elif how == "each drop late from -1":  # Python's floor: (0 - 1) // step_size = -1
            k = (t - 1) // step_size
        else:
            k = t // step_size
        if how == "product":
            return lr0 * gamma * k
        if how == "divided":
            return lr0 / gamma ** k
        if how == "product after the first drop":
            return lr0 * gamma * k if k else lr0
        if how == "subtracted":
            return lr0 - gamma * k
        if how == "lr0 missing":
            return gamma ** k
        if how == "gamma 0.1":
            return lr0 * 0.1 ** k
        if how == "added":
            return lr0 + gamma ** k
        if how == "precedence":
            return lr0 * gamma ** t // step_size
        if how == "linear":
            return lr0 - lr0 * (1 - gamma) * k
        if how == "linear gamma":
            return lr0 * (1 - gamma * k)
        if how == "only at multiples":
            return lr0 * gamma if t > 0 and t % step_size == 0 else lr0
        if how == "two drops":
            return lr0 * gamma ** min(k, 2)
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
        Case("t = 95, gamma 0.5", (95, 0.1, 30, 0.5)),
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
        Mistake("a product where a power is meant, from the first drop on",
                "Your rate is lr0 until the first drop, then lr0 * gamma * k, gamma times the "
                "number of drops k: at the second drop it goes UP (0.02 instead of 0.001 in the "
                "example). Each drop multiplies the rate by gamma again: after k drops it is "
                "lr0 * gamma ** k, which is also lr0 for k = 0, with no special case.",
                _step_variant("product after the first drop"), hint=2),
        Mistake("divided by gamma",
                "Your rate grows at each drop: you divide by gamma ** k. gamma is the factor the "
                "rate is MULTIPLIED by (0.1 turns 0.1 into 0.01): lr0 * gamma ** k.",
                _step_variant("divided"), hint=2),
        Mistake("subtracted instead of multiplied",
                "You subtract gamma for each drop. Step decay multiplies the rate by gamma at "
                "each drop, so it shrinks by a factor, never below 0.",
                _step_variant("subtracted"), hint=2),
        Mistake("lr0 left out",
                "Your rate does not depend on lr0: it starts at 1. Multiply by lr0, the rate of "
                "the first step_size steps.", _step_variant("lr0 missing"), hint=2),
        Mistake("rounded to the nearest drop",
                "Your rate drops half a period early: t / step_size is rounded to the nearest "
                "whole number (at t = 29 of 30 it already counts one drop). Count only the "
                "blocks that are complete: round down.", _step_variant("nearest"), hint=3),
        Mistake("remainder instead of quotient",
                "Your exponent is the remainder t % step_size (the position inside the current "
                "block), so the rate falls within every block and jumps back up. The number of "
                "drops is the quotient, t // step_size.", _step_variant("remainder"), hint=3),
        Mistake("one drop too few",
                "Your first drop comes a whole period late: at t = step_size the rate is still "
                "lr0 (a loop that starts at 2 step_size, or a count less 1). After k whole blocks "
                "of step_size updates the rate has dropped k times.",
                _step_variant("one drop too few"), hint=1),
        Mistake("each drop one step late",
                "Each of your drops comes one step late: you count (t - 1) // step_size, or drop "
                "when t > step_size. The rate of update t = step_size is already lr0 * gamma.",
                _step_variant("each drop late"), hint=3),
        Mistake("each drop one step late, and lr0 / gamma at t = 0",
                "Your exponent is (t - 1) // step_size: each drop comes one step late, and at "
                "t = 0 Python's floor division gives (0 - 1) // step_size = -1, so the first rate "
                "is lr0 / gamma. Count the whole blocks before t: t // step_size.",
                _step_variant("each drop late from -1"), hint=3),
        Mistake("a linear drop",
                "Your rate falls by the same amount, lr0 (1 - gamma), at every drop, so it goes "
                "below 0 after a few drops. Step decay MULTIPLIES the rate by gamma at each drop: "
                "lr0, lr0 gamma, lr0 gamma^2, ...", _step_variant("linear"), hint=2),
        Mistake("gamma times the drops subtracted",
                "Your rate is lr0 (1 - gamma k): it falls by lr0 gamma at each drop. Step decay "
                "MULTIPLIES the rate by gamma at each drop: lr0 gamma^k.",
                _step_variant("linear gamma"), hint=2),
        Mistake("lr0 added instead of multiplied",
                "You add lr0 and gamma ** k: the rate is lr0 TIMES gamma ** k (lr0 for the first "
                "block, where gamma ** 0 = 1).", _step_variant("added"), hint=2),
        Mistake("// applied to the rate",
                "Your rate is floor-divided, so it comes out 0: a // applies to the whole rate "
                "(lr0 * gamma ** t // step_size computes gamma ** t first, then floor-divides the "
                "product). The integer division belongs in the exponent only: gamma ** (t // "
                "step_size), with parentheses.", _step_variant("precedence"), hint=3),
        Mistake("the example's milestones written in",
                "Your rate drops at t = 30 and t = 60, the tutorial's milestones, whatever "
                "step_size is, and never a third time. Use the argument: the rate drops at every "
                "multiple of step_size, gamma ** (t // step_size).",
                _step_variant("milestones 30 60"), hint=1),
        Mistake("step_size fixed at the example's 30",
                "Your function uses a step size of 30 whatever step_size is: the tutorial's "
                "example. Use the argument step_size.", _step_variant("step_size 30"), hint=1),
        Mistake("dropped only at the multiples of step_size",
                "Your rate is lower only AT t = step_size, 2 step_size, ... and back at lr0 in "
                "between: you test t % step_size == 0. A drop lasts: from t = step_size on the "
                "rate stays lr0 * gamma until the next drop, so gamma is raised to the number of "
                "whole blocks, t // step_size.", _step_variant("only at multiples"), hint=1),
        Mistake("at most two drops",
                "Your rate stops falling after two drops: the example's milestones (30 and 60) "
                "are written in. Step decay drops again every step_size steps, however many: "
                "gamma is raised to t // step_size.", _step_variant("two drops"), hint=1),
        Mistake("gamma fixed at the example's 0.1",
                "Your function multiplies by 0.1 at each drop whatever gamma is: the tutorial's "
                "example. Use the argument gamma.", _step_variant("gamma 0.1"), hint=1),
        Mistake("step_size and gamma fixed at the example's 30 and 0.1",
                "Your function uses the tutorial's example, a step size of 30 and gamma = 0.1, "
                "whatever step_size and gamma are passed. Use the arguments: lr0 * gamma ** "
                "(t // step_size).",
                lambda t, lr0, step_size, gamma: _step_variant("right")(t, lr0, 30, 0.1), hint=1),
        Mistake("the tutorial's example written in",
                "Your function is the tutorial's example, lr0 = 0.1, a step size of 30 and "
                "gamma = 0.1, whatever is passed. Use the arguments: lr0 * gamma ** (t // "
                "step_size).",
                lambda t, lr0, step_size, gamma: _step_variant("right")(t, 0.1, 30, 0.1), hint=1),
    ) + _fixed(_step_variant("right"), "the tutorial's example", lr0=0.1),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``step_decay(t, lr0, step_size, gamma) = lr0 * gamma ** floor(t / step_size)``",
)


# --------------------------------------------------------------------------- warm restarts


def _warm_restarts(t, lr0, T_0, T_mult=1, eta_min=0.0):
    return CosineWarmRestarts(lr0, T_0=T_0, T_mult=T_mult, eta_min=eta_min)(t)


def _restart_variant(loop="right", shape="right", level="right", half=True):
    """SGDR with its cycle loop, its cosine or its levels changed, for the mistakes below."""
    def wrong(t, lr0, T_0, T_mult=1, eta_min=0.0):
        T_cur, T_i = t, T_0 * T_mult if loop == "first grown" else T_0
        if loop == "no restart":
            pass
        elif loop == "first restart only":
            if T_cur >= T_i:
                T_cur -= T_i
                T_i *= T_mult
        elif loop == "T_mult ignored":
            T_cur = t % T_0
        else:
            while {"restart late": lambda: T_cur > T_i,
                   "restart early": lambda: T_cur >= T_i - 1,
                   "compare T_0": lambda: T_cur >= T_0}.get(loop, lambda: T_cur >= T_i)():
                if loop == "grown first":  # the next cycle's length taken off T_cur
                    T_i *= T_mult
                    T_cur -= T_i
                    continue
                T_cur -= T_0 if loop == "subtract T_0" else T_i
                T_i = {"added": T_i + T_mult, "grows once": T_0 * T_mult}.get(loop, T_i * T_mult)
        if loop == "restart early":  # the last step of a cycle counted as the next one's first
            T_cur = max(T_cur, 0)
        period = {"T_0 in the cosine": T_0, "T_i - 1": T_i - 1}.get(shape, T_i)
        angle = (2 if shape == "full period" else 1) * math.pi * T_cur / period
        if shape == "one step ahead":
            angle = math.pi * (T_cur + 1) / period
        if shape == "integer division":  # pi * (T_cur // T_i): 0 inside every cycle
            angle = math.pi * (T_cur // period)
        if shape == "degrees":
            angle = 180 * T_cur / period
        bump = (1 - math.cos(angle)) if shape == "upwards" else (1 + math.cos(angle))
        if shape == "sin":
            bump = 1 + math.sin(angle)
        low = 0.0 if level == "eta_min ignored" else eta_min
        if shape == "// 2":
            return low + (lr0 - low) * (1 + math.cos(angle)) // 2
        if shape == "1 + cos / 2":
            return low + (lr0 - low) * (1 + math.cos(angle) / 2)
        if shape == "no +1":
            return low + (lr0 - low) * math.cos(angle) / 2
        if shape == "cos alone":
            return low + (lr0 - low) * math.cos(angle)
        if shape == "linear":
            return low + (lr0 - low) * (1 - T_cur / period)
        if level == "eta_min on top":
            return eta_min + lr0 * bump / (2 if half else 1)
        return low + (lr0 - low) * bump / (2 if half else 1)
    return wrong


# name, part of the rule, hint level, explanation, short form, switches
_RESTART_TABLE = [
    ("no restart", "loop", 1,
     "Your rate never jumps back to lr0: after T_0 steps it climbs back slowly along the same "
     "cosine. A warm restart resets T_cur to 0 at the end of each cycle, so lr(T_0) = lr0 "
     "again; T_cur counts the steps since the last restart.",
     "the rate never restarts", {"loop": "no restart"}),
    ("T_mult ignored", "loop", 1,
     "Every cycle has length T_0. With T_mult > 1 cycle i lasts T_0 * T_mult ** i steps (10, "
     "20, 40, ... for T_0 = 10, T_mult = 2), so the restarts happen at t = 10, 30, 70, ...",
     "every cycle has length T_0 (T_mult ignored)", {"loop": "T_mult ignored"}),
    ("only the first restart", "loop", 3,
     "Your rate restarts once and then runs on: you take the first cycle off T_cur once (an if) "
     "where it takes a loop (while T_cur >= T_i) to skip every finished cycle.",
     "only the first cycle is taken off", {"loop": "first restart only"}),
    ("restart one step late", "loop", 3,
     "Your restarts come one step late: the cycle ends when T_cur REACHES T_i (at t = T_0 the "
     "rate is lr0 again), so move on while T_cur >= T_i.",
     "each restart comes one step late", {"loop": "restart late"}),
    ("restart one step early", "loop", 3,
     "Your restarts come one step early: the rate is back at lr0 on the last step of each "
     "cycle. Cycle i covers T_i updates, T_cur = 0, 1, ..., T_i - 1; it ends when T_cur "
     "REACHES T_i: move on while T_cur >= T_i.",
     "each restart comes one step early", {"loop": "restart early"}),
    ("cycles grow by adding T_mult", "loop", 2,
     "Your cycles grow by T_mult steps each time; they grow by a FACTOR T_mult: T_0, T_0 * "
     "T_mult, T_0 * T_mult^2, ...", "the cycles grow by adding T_mult", {"loop": "added"}),
    ("T_0 taken off instead of the cycle's length", "loop", 3,
     "Each time round your loop you take T_0 off T_cur, whatever the length of the cycle that "
     "ended: with T_mult > 1 the later cycles are cut short. Take off the finished cycle's "
     "length T_i, then make T_i T_mult times longer.",
     "T_0 is taken off T_cur instead of T_i", {"loop": "subtract T_0"}),
    ("loop compares T_cur with T_0", "loop", 3,
     "Your loop moves on while T_cur >= T_0, the FIRST cycle's length: a longer cycle is ended "
     "early. The current cycle ends when T_cur reaches its own length: while T_cur >= T_i.",
     "the loop compares T_cur with T_0 instead of T_i", {"loop": "compare T_0"}),
    ("the first cycle already grown", "loop", 2,
     "Your first cycle lasts T_0 * T_mult steps: the length grows one cycle too early. The first "
     "cycle has length T_0; each later one is T_mult times the one before (10, 20, 40, ... for "
     "T_0 = 10, T_mult = 2).",
     "the first cycle lasts T_0 * T_mult instead of T_0", {"loop": "first grown"}),
    ("cycles grow only once", "loop", 3,
     "Your second cycle has the right length, T_0 * T_mult, but so do all later ones: you set "
     "T_i = T_0 * T_mult where the length must grow again at every restart, T_i = T_i * T_mult "
     "(10, 20, 40, 80, ... for T_0 = 10, T_mult = 2).",
     "every cycle after the first has length T_0 * T_mult", {"loop": "grows once"}),
    ("cycle grown before it is subtracted", "loop", 3,
     "You lengthen the cycle before taking the finished one off T_cur, so you subtract the next "
     "cycle's length. Take T_i off first, then multiply T_i by T_mult.",
     "the next cycle's length is taken off T_cur", {"loop": "grown first"}),
    ("full cosine period", "shape", 2,
     "Your rate comes back up within each cycle: a whole cosine period. Each cycle is half a "
     "cosine wave, from lr0 down to eta_min: the angle goes from 0 to pi.",
     "each cycle is a whole cosine period", {"shape": "full period"}),
    ("cosine upside down", "shape", 2,
     "Your rate starts each cycle at eta_min and climbs to lr0: (1 - cos) instead of (1 + cos). "
     "A cycle starts at lr0 (cos 0 = 1) and falls.",
     "the cosine climbs instead of falling", {"shape": "upwards"}),
    ("T_0 in place of the current cycle's length", "shape", 2,
     "Your cycles restart at the right steps, but the cosine divides T_cur by T_0, the FIRST "
     "cycle's length: in a longer cycle the rate reaches eta_min early and climbs again. "
     "Divide by the current cycle's length T_i.",
     "the cosine divides by T_0 instead of T_i", {"shape": "T_0 in the cosine"}),
    ("cosine ends at the cycle's last step", "shape", 3,
     "Your cosine divides T_cur by T_i - 1, so it reaches eta_min at the last step of each "
     "cycle. In SGDR (and PyTorch) the angle is pi T_cur / T_i: eta_min would come at T_cur = "
     "T_i, the step of the restart itself, which restarts instead.",
     "the cosine divides by T_i - 1", {"shape": "T_i - 1"}),
    ("degrees instead of radians", "shape", 3,
     "Your cosine is cos(180 T_cur / T_i): math.cos and np.cos take radians, so half a turn is "
     "pi, not 180. Use math.pi * T_cur / T_i.", "the angle is in degrees",
     {"shape": "degrees"}),
    ("the angle one step ahead", "shape", 3,
     "Your angle is pi (T_cur + 1) / T_i: each cycle starts one step into its cosine, below lr0. "
     "T_cur counts from 0 at the restart, and the angle is pi T_cur / T_i, so the first step of "
     "a cycle is at lr0.",
     "the angle uses T_cur + 1 instead of T_cur", {"shape": "one step ahead"}),
    ("(1 + cos) / 2 misplaced", "shape", 3,
     "Your rate is lr0 (1 + cos / 2): only the cosine is halved, so the rate runs from 1.5 "
     "lr0 down to 0.5 lr0. The parentheses go around the sum: (1 + cos(pi T_cur / T_i)) / 2 "
     "runs from 1 to 0.",
     "only the cosine is halved: 1 + cos / 2 instead of (1 + cos) / 2",
     {"shape": "1 + cos / 2"}),
    ("sin instead of cos", "shape", 2,
     "Your rate uses the sine: (1 + sin) / 2 starts each cycle halfway down and rises first. The "
     "cosine starts at 1 (cos 0 = 1), so the cycle starts at lr0 and falls: (1 + cos(pi T_cur / "
     "T_i)) / 2.",
     "the cycle uses sin instead of cos", {"shape": "sin"}),
    ("// 2 instead of / 2", "shape", 3,
     "Your rate is (lr0 - eta_min) * (1 + cos) // 2 + eta_min: // is a floor division, which "
     "rounds the whole product down to a whole number (0 for rates below 1). Halve with / 2.",
     "(1 + cos) is floor-divided by 2 (// instead of /)", {"shape": "// 2"}),
    ("the + 1 missing in the cosine", "shape", 2,
     "Your rate is (lr0 - eta_min) cos(...) / 2 + eta_min, without the + 1: it starts at half "
     "the height and goes below eta_min. (1 + cos) / 2 runs from 1 at the start of a cycle "
     "down to 0.",
     "the cosine lacks its + 1", {"shape": "no +1"}),
    ("the cosine alone, without (1 + ...) / 2", "shape", 2,
     "Your rate is eta_min + (lr0 - eta_min) cos(pi T_cur / T_i): the cosine runs from 1 down "
     "to -1, so halfway through a cycle the rate is already eta_min and then it goes below. "
     "Shift and halve it: (1 + cos(pi T_cur / T_i)) / 2 runs from 1 to 0 over the cycle.",
     "the cosine is used alone, without (1 + cos) / 2", {"shape": "cos alone"}),
    ("linear instead of cosine", "shape", 2,
     "Your rate falls along a straight line within each cycle. SGDR anneals along half a "
     "cosine, flat at the start and the end of a cycle and steepest in the middle: "
     "eta_min + (lr0 - eta_min) (1 + cos(pi T_cur / T_i)) / 2.",
     "each cycle falls along a straight line instead of half a cosine", {"shape": "linear"}),
    ("integer division in the angle", "shape", 3,
     "Your rate stays at lr0: the angle is 0 throughout each cycle. T_cur // T_i is an integer "
     "division, 0 for every T_cur < T_i; the angle is pi * T_cur / T_i with a true division, "
     "so that it runs from 0 to pi over the cycle.",
     "the angle uses // (always 0) instead of /", {"shape": "integer division"}),
    ("eta_min ignored", "level", 2,
     "Your rate goes down to 0 instead of eta_min: the cosine runs from lr0 down to eta_min.",
     "eta_min is ignored", {"level": "eta_min ignored"}),
    ("eta_min added on top", "level", 2,
     "Your rate is eta_min + lr0 (1 + cos) / 2: it starts at lr0 + eta_min. The cosine spans "
     "the gap between the two, (lr0 - eta_min), so that it starts at lr0 and ends at eta_min.",
     "eta_min is added on top of lr0's cosine", {"level": "eta_min on top"}),
    ("the half missing", "half", 2,
     "Your rate starts each cycle at twice the right height: (1 + cos) goes from 2 to 0, so it "
     "is halved to run from 1 to 0.", "(1 + cos) is not halved", {"half": False}),
]

_RESTART_CASES = [
    Case("first step, t = 0 (T_0 = 10, T_mult = 1)", (0, 0.1, 10)),
    Case("middle of the first cycle, t = 5 (T_mult = 1)", (5, 0.1, 10)),
    Case("last step of the first cycle, t = 9 (T_mult = 1)", (9, 0.1, 10)),
    Case("the first restart, t = 10 (T_mult = 1)", (10, 0.1, 10)),
    Case("T_mult = 1, third cycle, t = 27", (27, 0.1, 10)),
    Case("T_mult = 2, second cycle (10 <= t < 30), t = 20", (20, 0.1, 10, 2)),
    Case("T_mult = 2, the second restart, t = 30", (30, 0.1, 10, 2)),
    Case("T_mult = 2, third cycle (30 <= t < 70), t = 45", (45, 0.1, 10, 2)),
    Case("T_mult = 3 with eta_min = 0.01, t = 17", (17, 0.1, 4, 3, 0.01)),
    Case("eta_min = 0.02, middle of a cycle, t = 3", (3, 0.5, 8, 1, 0.02)),
    Case("T_mult = 3, the second restart, t = 16", (16, 0.2, 4, 3)),
]


WARM_RESTARTS = Check(
    name="check_cosine_warm_restarts",
    function="cosine_warm_restarts",
    reference=_warm_restarts,
    cases=_RESTART_CASES,
    mistakes=_with_pairs(_RESTART_TABLE, _restart_variant, _RESTART_CASES, _warm_restarts)
    + _fixed(_restart_variant(), "the example's value", lr0=0.1, T_0=10, T_mult=2),
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
                   e2_shift=1, rounded=False, cool="right", e1_of_last=False, floor=""):
    """One-cycle with one thing changed, for the mistakes below."""
    def wrong(t, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
        d, f = (final_div_factor, div_factor) if swap else (div_factor, final_div_factor)
        initial = 0.0 if start == "zero" else max_lr / d
        final = max_lr / d / f if start == "zero, final right" else initial / f
        initial = 0.0 if start == "zero, final right" else initial
        final = {"right": final, "at start": initial, "from max": max_lr / f,
                 "zero": 0.0, "div twice": initial / d}[end]
        e1 = (int(pct_start * total_steps) if rounded else pct_start * total_steps) - shift
        if e1_of_last:
            e1 = pct_start * (total_steps - 1)
        e2 = total_steps - e2_shift

        def go(a, b, p, phase):
            if anneal in ("linear", "three linear") or (anneal == "linear warm-up" and phase == 1):
                return a + (b - a) * p
            if anneal == "backwards" or (anneal, phase) in (("warm-up backwards", 1),
                                                            ("cool-down backwards", 2)):
                return a + (b - a) / 2 * (math.cos(math.pi * p) + 1)
            if anneal == "no +1":
                return b + (a - b) / 2 * math.cos(math.pi * p)
            if anneal == "no /2":
                return b + (a - b) * (math.cos(math.pi * p) + 1)
            if anneal == "1 + cos / 2":
                return b + (a - b) * (1 + math.cos(math.pi * p) / 2)
            if anneal == "quarter":
                return b + (a - b) * math.cos(math.pi * p / 2)
            if anneal == "end as span" or (anneal, phase) == ("end as span in the warm-up", 1):
                return a + b * (1 - math.cos(math.pi * p)) / 2  # b where b - a belongs
            return b + (a - b) / 2 * (math.cos(math.pi * p) + 1)

        if anneal in ("three", "three linear"):  # PyTorch's three_phase=True
            e_mid = 2 * pct_start * total_steps - 2
            if t <= e1:
                return go(initial, max_lr, t / e1, 1)
            if t <= e_mid:
                return go(max_lr, initial, (t - e1) / (e_mid - e1), 2)
            return go(initial, final, (t - e_mid) / (e2 - e_mid), 3)
        if (t < e1 + 1) if cool == "boundary" else (t <= e1):
            length = e1 + 1 if cool == "warm-up over pct" else e1
            return go(initial, max_lr, t // length if floor == "warm-up" else t / length, 1)
        if floor == "cool-down":
            return go(max_lr, final, (t - e1) // (e2 - e1), 2)
        p = {"right": (t - e1) / (e2 - e1), "over e2": (t - e1) / e2, "from 0": t / e2,
             "warm-up over pct": (t - e1) / (e2 - e1),
             "from e1 + 1": max(t - e1 - 1, 0) / (e2 - e1 - 1),
             "boundary": (t - e1) / (e2 - e1)}[cool]
        return go(max_lr, final, p, 2)
    return wrong


# name, part of the schedule, hint level, explanation, short form, switches
_CYCLE_TABLE = [
    ("peak one step late", "warm-up end", 2,
     "Your peak comes one step late: the warm-up ends at step pct_start * total_steps - 1 "
     "(steps count from 0, PyTorch's convention), and the cool-down at total_steps - 1.",
     "the warm-up ends at pct_start * total_steps instead of one step earlier", {"shift": 0.0}),
    ("warm-up end rounded", "warm-up rounding", 3,
     "You rounded pct_start * total_steps to a whole step before subtracting 1. The end of the "
     "warm-up, pct_start * total_steps - 1, may lie between two steps (15.5 for 55 steps): keep "
     "it as it is.",
     "the end of the warm-up is rounded to a whole step", {"rounded": True}),
    ("warm-up end at pct_start of the last step", "warm-up end", 3,
     "Your warm-up ends at pct_start * (total_steps - 1): PyTorch's convention is pct_start * "
     "total_steps - 1 (30 % of the updates, then one back because steps count from 0).",
     "the warm-up ends at pct_start * (total_steps - 1)", {"e1_of_last": True}),
    ("warm-up fraction over pct_start * total_steps", "warm-up fraction", 3,
     "Your warm-up ends at the right step, but its fraction is t / (pct_start * total_steps), "
     "so the rate is still below max_lr at the end of the warm-up. The warm-up lasts e1 = "
     "pct_start * total_steps - 1 steps: p = t / e1.",
     "the warm-up's fraction is t / (pct_start * total_steps)", {"cool": "warm-up over pct"}),
    ("ends at 0", "final rate", 1,
     "Your rate ends at 0. One-cycle ends at a small rate that is not 0: the starting rate "
     "divided by final_div_factor, (max_lr / div_factor) / final_div_factor (4e-7 for max_lr = "
     "0.1).",
     "the rate ends at 0", {"end": "zero"}),
    ("ends at the starting rate", "final rate", 1,
     "Your rate ends where it started, at max_lr / div_factor. One-cycle ends far below the "
     "start: (max_lr / div_factor) / final_div_factor.",
     "the rate ends at the starting rate", {"end": "at start"}),
    ("final rate from max_lr", "final rate", 2,
     "Your last rate is max_lr / final_div_factor; it is the STARTING rate divided by "
     "final_div_factor: (max_lr / div_factor) / final_div_factor.",
     "the final rate is max_lr / final_div_factor", {"end": "from max"}),
    ("final rate divided by div_factor", "final rate", 2,
     "Your last rate is the starting rate divided by div_factor again, (max_lr / div_factor) / "
     "div_factor. The final rate uses the OTHER factor: (max_lr / div_factor) / "
     "final_div_factor (4e-7 for max_lr = 0.1 with the defaults).",
     "the final rate is divided by div_factor instead of final_div_factor", {"end": "div twice"}),
    ("linear instead of cosine", "shape", 2,
     "Your rate changes along straight lines. This one-cycle anneals along half a cosine in "
     "both phases.", "both phases are straight lines", {"anneal": "linear"}),
    ("linear warm-up", "shape", 2,
     "Your warm-up climbs along a straight line. In this one-cycle both phases follow half a "
     "cosine: anneal(a, b, p) = b + (a - b) / 2 (cos(pi p) + 1) for the warm-up too.",
     "the warm-up is a straight line", {"anneal": "linear warm-up"}),
    ("each phase runs backwards", "shape", 2,
     "Each of your phases starts at its END rate: at t = 0 you give max_lr, at the peak the "
     "starting rate. Half a cosine from a to b is b + (a - b) / 2 (cos(pi p) + 1): at p = 0 the "
     "cosine is 1 and this gives a.",
     "each phase runs from its end rate to its start rate", {"anneal": "backwards"}),
    ("the warm-up runs backwards", "shape", 2,
     "Your warm-up starts at max_lr and falls to the starting rate: its two rates are "
     "exchanged. The warm-up climbs from max_lr / div_factor to max_lr: anneal(initial, max_lr, "
     "p), which gives its first argument at p = 0.",
     "the warm-up runs from max_lr down to the starting rate", {"anneal": "warm-up backwards"}),
    ("the cool-down runs backwards", "shape", 2,
     "Your cool-down climbs from the final rate back to max_lr: its two rates are exchanged. "
     "It falls from max_lr at the peak to the final rate at the last step: anneal(max_lr, final, "
     "p), which gives its first argument at p = 0.",
     "the cool-down runs from the final rate up to max_lr", {"anneal": "cool-down backwards"}),
    ("the cosine not halved", "shape", 2,
     "Your half cosine is b + (a - b) (cos(pi p) + 1), without the / 2: cos + 1 runs from 2 to "
     "0, so the phase starts at 2a - b instead of a. anneal(a, b, p) = b + (a - b) / 2 "
     "(cos(pi p) + 1).",
     "(cos + 1) is not halved", {"anneal": "no /2"}),
    ("(cos + 1) / 2 misplaced", "shape", 3,
     "Your half cosine is b + (a - b) (1 + cos(pi p) / 2): only the cosine is halved, so the "
     "phase runs from 1.5 a - 0.5 b to 0.5 (a + b). The parentheses go around the sum: "
     "anneal(a, b, p) = b + (a - b) (cos(pi p) + 1) / 2.",
     "only the cosine is halved: 1 + cos / 2 instead of (cos + 1) / 2",
     {"anneal": "1 + cos / 2"}),
    ("the warm-up climbs by max_lr", "shape", 2,
     "Your warm-up adds max_lr (1 - cos) / 2 to the starting rate, so it overshoots: at the peak "
     "the rate is max_lr + max_lr / div_factor. Half a cosine from a to b moves by b - a: a + "
     "(b - a) (1 - cos(pi p)) / 2.",
     "the warm-up adds max_lr instead of max_lr - initial", {"anneal": "end as span in the warm-up"}),
    ("a quarter cosine", "shape", 2,
     "Your phases follow cos(pi p / 2), a quarter of a cosine wave: they start flat and end "
     "steep. Half a cosine, (cos(pi p) + 1) / 2, is flat at both ends: anneal(a, b, p) = b + "
     "(a - b) / 2 (cos(pi p) + 1).",
     "each phase is a quarter cosine, cos(pi p / 2)", {"anneal": "quarter"}),
    ("three phases", "shape", 1,
     "Your rate goes back down to the starting rate after the peak, then on to the final rate: "
     "three phases (PyTorch's three_phase=True, the shape of Smith's first paper). The default "
     "one-cycle has two: up to max_lr, then one half cosine all the way down to the final rate.",
     "the schedule has three phases", {"anneal": "three"}),
    ("three linear phases", "shape", 1,
     "Your rate climbs along a straight line, falls back to the starting rate, then on to the "
     "final rate: the three linear phases of Smith's first paper (and of older libraries). "
     "PyTorch's default one-cycle has two phases, each half a cosine: up to max_lr, then all "
     "the way down to the final rate.",
     "the schedule has three linear phases", {"anneal": "three linear"}),
    ("the + 1 missing in the cosine", "shape", 2,
     "Your half cosine is (a - b) / 2 cos(pi p) + b, without the + 1: it starts halfway between "
     "the two rates. anneal(a, b, p) = b + (a - b) / 2 (cos(pi p) + 1) starts at a (cos 0 + 1 = "
     "2) and ends at b (cos pi + 1 = 0).",
     "the cosine lacks its + 1", {"anneal": "no +1"}),
    ("div factors swapped", "factors", 2,
     "Your start and end rates are swapped round: the rate starts at max_lr / div_factor "
     "(div_factor = 25) and ends at that divided by final_div_factor (1e4).",
     "div_factor and final_div_factor are swapped", {"swap": True}),
    ("warm-up from 0", "start", 1,
     "Your warm-up starts at 0 (and so your final rate, a fraction of the start, is 0 too); it "
     "starts at max_lr / div_factor, a 25th of the peak by default.",
     "the warm-up starts at 0", {"start": "zero"}),
    ("warm-up from 0 (final rate right)", "start", 1,
     "Your warm-up starts at 0; it starts at max_lr / div_factor, a 25th of the peak by "
     "default (your final rate is right).",
     "the warm-up starts at 0", {"start": "zero, final right"}),
    ("cool-down one step too long", "cool-down", 3,
     "Your cool-down ends at step total_steps, one past the last update: it reaches the final "
     "rate only at t = total_steps - 1 (the last step, counting from 0).",
     "the cool-down ends at total_steps instead of total_steps - 1", {"e2_shift": 0}),
    ("warm-up tested against pct_start * total_steps", "cool-down", 3,
     "Your warm-up lasts while t < pct_start * total_steps, one step too long when that is not a "
     "whole number: for 55 steps, t = 16 < 16.5 is still in your warm-up, past its end at e1 = "
     "15.5. The phases change at e1 = pct_start * total_steps - 1: the warm-up is t <= e1.",
     "the warm-up is tested with t < pct_start * total_steps instead of t <= e1",
     {"cool": "boundary"}),
    ("// in the warm-up's fraction", "warm-up floor", 3,
     "Your warm-up's fraction is t // e1, a floor division: it is 0 until the peak, so the rate "
     "stays at the start and jumps. The fraction is t / e1, a true division.",
     "the warm-up's fraction uses // instead of /", {"floor": "warm-up"}),
    ("// in the cool-down's fraction", "cool-down floor", 3,
     "Your cool-down's fraction is (t - e1) // (e2 - e1), a floor division: it is 0 until the "
     "last step, so the rate stays at max_lr. The fraction is (t - e1) / (e2 - e1), a true "
     "division.",
     "the cool-down's fraction uses // instead of /", {"floor": "cool-down"}),
    ("cool-down starts a step after the peak", "cool-down", 3,
     "Your rate stays at max_lr for a second step: your cool-down's fraction is (t - e1 - 1) / "
     "(e2 - e1 - 1), so it starts one step after the peak. The peak, t = e1, is the cool-down's "
     "first point: p = (t - e1) / (e2 - e1).",
     "the cool-down starts one step after the peak", {"cool": "from e1 + 1"}),
    ("cool-down fraction over e2", "cool-down", 2,
     "Your cool-down's fraction is (t - e1) / e2: it never reaches 1, so the rate never gets "
     "down to the final rate. The cool-down lasts e2 - e1 steps: p = (t - e1) / (e2 - e1).",
     "the cool-down's fraction is (t - e1) / e2", {"cool": "over e2"}),
    ("cool-down fraction from step 0", "cool-down", 2,
     "Your cool-down's fraction is t / e2, counted from the first step: at the peak it is "
     "already a third of the way down. The cool-down starts at the peak: p = (t - e1) / (e2 - "
     "e1), 0 at the peak and 1 at the last step.",
     "the cool-down's fraction is t / e2", {"cool": "from 0"}),
]


_CYCLE_CASES = [
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
    Case("55 steps: t = 16 is already in the cool-down", (16, 0.1, 55)),
    Case("55 steps, final_div_factor = 10, the last step t = 54",
         (54, 0.1, 55, 0.3, 25.0, 10.0)),
]


ONE_CYCLE = Check(
    name="check_one_cycle",
    function="one_cycle",
    reference=_one_cycle,
    cases=_CYCLE_CASES,
    mistakes=_with_pairs(_CYCLE_TABLE, _cycle_variant, _CYCLE_CASES, _one_cycle)
    + _fixed(_cycle_variant(), "the example's value", max_lr=0.1,
                                     total_steps=100),
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
                  old_batch=False, minus_warmup=False, int_k=False, plus_warmup=False,
                  last_index=False, old_batch_warmup=False, exchanged=False, old_batch_total=False,
                  warmup_off=0):
    def wrong(n_train, batch_size, epochs, base_lr, base_batch_size, warmup_epochs):
        plan = _plain(n_train, batch_size, epochs, base_lr, base_batch_size, warmup_epochs)
        if last_index:
            plan = plan[:3] + (plan[3] + (1 if last_index == "+1" else -1),)
        if warmup_off:
            plan = plan[:2] + (plan[2] + warmup_off, plan[3])
        if old_batch_total:
            plan = plan[:3] + (epochs * math.ceil(n_train / base_batch_size),)
        if old_batch_warmup:
            plan = plan[:2] + (warmup_epochs * math.ceil(n_train / base_batch_size), plan[3])
        return (plan[0], plan[1], plan[3], plan[2]) if exchanged else plan

    def _plain(n_train, batch_size, epochs, base_lr, base_batch_size, warmup_epochs):
        batch = base_batch_size if old_batch else batch_size
        steps = {"ceil": math.ceil(n_train / batch), "floor": n_train // batch,
                 "float": n_train / batch, "plus one": n_train // batch + 1,
                 "nearest": round(n_train / batch), "ceil of total": n_train / batch,
                 "floor of total": n_train / batch}[per_epoch]
        k = batch_size // base_batch_size if int_k else batch_size / base_batch_size
        peak_lr = {"linear": lambda: base_lr * k, "none": lambda: base_lr,
                   "sqrt": lambda: base_lr * math.sqrt(k), "inverse": lambda: base_lr / k,
                   "times batch": lambda: base_lr * batch_size}[peak]()
        if peak_lr == 0:  # k rounded down to 0: no start factor to speak of
            return peak_lr, 1.0, warmup_epochs * steps, epochs * steps
        start_factor = {"base": base_lr / peak_lr, "inverse": peak_lr / base_lr,
                        "one-cycle": 1 / 25, "one": 1.0, "zero": 0.0, "torch": 1 / 3,
                        "1 / k": 1 / k}[start]
        warm = warmup_epochs * steps if warmup == "steps" else warmup_epochs
        full = epochs * steps if total == "steps" else epochs
        if per_epoch == "ceil of total":  # the examples of all epochs, rounded up once
            warm, full = math.ceil(warm), math.ceil(full)
        if per_epoch == "floor of total":  # ... or rounded down once
            warm, full = math.floor(warm), math.floor(full)
        if minus_warmup:
            full -= warm
        if plus_warmup:
            full += warm
        return peak_lr, start_factor, warm, full
    return wrong


# name, part of the plan, hint level, explanation, short form, switches
_PLAN_TABLE = [
    ("updates per epoch rounded down", "per epoch", 2,
     "You counted n_train // batch_size updates per epoch, dropping the last, smaller batch. "
     "nnlesson's fit (and PyTorch's DataLoader by default) keeps it: an epoch has "
     "ceil(n_train / batch_size) updates (lesson 03).",
     "the updates per epoch are rounded down", {"per_epoch": "floor"}),
    ("updates per epoch rounded to the nearest", "per epoch", 3,
     "You rounded n_train / batch_size to the nearest whole number: when the last batch is less "
     "than half full it is dropped. fit keeps it however small: round up, math.ceil.",
     "the updates per epoch are rounded to the nearest", {"per_epoch": "nearest"}),
    ("one update too many per epoch", "per epoch", 3,
     "Your updates per epoch are n_train // batch_size + 1: right when the last batch is "
     "smaller, one too many when batch_size divides n_train (1024 images in batches of 256 are "
     "4 updates, not 5). Round n_train / batch_size up: math.ceil.",
     "an epoch has one update too many when the batch divides the data",
     {"per_epoch": "plus one"}),
    ("updates per epoch not a whole number", "per epoch", 3,
     "Your updates per epoch are n_train / batch_size, a fraction: an epoch has a whole number "
     "of updates, the last batch included, ceil(n_train / batch_size).",
     "the updates per epoch are a fraction", {"per_epoch": "float"}),
    ("rounded up once over all epochs", "per epoch", 3,
     "You rounded up the updates of all epochs together, ceil(epochs * n_train / batch_size). "
     "Every epoch ends with its own smaller batch, so each epoch has ceil(n_train / batch_size) "
     "updates: round per epoch, then multiply.",
     "the updates are rounded up once over all epochs, not per epoch",
     {"per_epoch": "ceil of total"}),
    ("rounded down once over all epochs", "per epoch", 3,
     "You rounded down the updates of all epochs together, epochs * n_train // batch_size. "
     "Every epoch ends with its own smaller batch, so each epoch has ceil(n_train / batch_size) "
     "updates: round up per epoch, then multiply.",
     "the updates are rounded down once over all epochs", {"per_epoch": "floor of total"}),
    ("updates counted at the old batch size", "per epoch", 2,
     "You counted the updates per epoch with the base batch size. The new plan trains with "
     "batch_size, so an epoch has ceil(n_train / batch_size) updates.",
     "the updates are counted at the base batch size", {"old_batch": True}),
    ("lengths in epochs, not updates", "lengths", 1,
     "Your warm-up and total lengths are in epochs. The schedule is stepped once per UPDATE "
     "(fit calls it before every update), so both must be counted in updates: epochs times "
     "updates per epoch.",
     "the lengths are in epochs, not updates", {"warmup": "epochs", "total": "epochs"}),
    ("warm-up in epochs", "lengths", 1,
     "Your total length is in updates but the warm-up is still in epochs: it would last a "
     "handful of updates. Multiply it by the updates per epoch too.",
     "the warm-up is in epochs", {"warmup": "epochs"}),
    ("total length in epochs", "lengths", 1,
     "Your warm-up is in updates but the total length is still in epochs: the cosine would end "
     "long before training does. Count it in updates.",
     "the total length is in epochs", {"total": "epochs"}),
    ("warm-up taken off the total", "lengths", 1,
     "Your total_steps leaves out the warm-up: that is the cosine's T_max (what comes AFTER the "
     "warm-up). total_steps is the length of all of training, warm-up included; the cell below "
     "takes the warm-up off for the cosine.",
     "the warm-up is taken off the total", {"minus_warmup": True}),
    ("total_steps one short", "last step", 2,
     "Your total_steps is one less than the number of updates: epochs * updates per epoch - 1 "
     "is the index of the LAST update (counting from 0), not how many there are. total_steps is "
     "the count: epochs * ceil(n_train / batch_size).",
     "total_steps is the last update's index, one less than the count", {"last_index": True}),
    ("total_steps one too many", "last step", 2,
     "Your total_steps is one more than the number of updates. An epoch has ceil(n_train / "
     "batch_size) updates, and training has epochs times that, counted from 1: no extra one for "
     "the last step.",
     "total_steps is one more than the count", {"last_index": "+1"}),
    ("warm-up one update too many", "warm-up count", 2,
     "Your warmup_steps is one more than warmup_epochs times the updates per epoch. The warm-up "
     "lasts exactly that many updates: warmup_epochs * ceil(n_train / batch_size).",
     "warmup_steps is one too many", {"warmup_off": 1}),
    ("warm-up one update short", "warm-up count", 2,
     "Your warmup_steps is one less than warmup_epochs times the updates per epoch: a count, "
     "not the index of the warm-up's last update. warmup_epochs * ceil(n_train / batch_size).",
     "warmup_steps is one short", {"warmup_off": -1}),
    ("total counted at the old batch size", "warm-up batch", 2,
     "Your total_steps is counted in updates of the BASE batch size, the warm-up in updates of "
     "the new one. Both lengths are in the updates of this plan: epochs * ceil(n_train / "
     "batch_size).",
     "the total is counted at the base batch size", {"old_batch_total": True}),
    ("warm-up counted at the old batch size", "warm-up batch", 2,
     "Your warm-up is counted in updates of the BASE batch size, the total in updates of the new "
     "one. Both lengths are in the updates of this plan: warmup_epochs * ceil(n_train / "
     "batch_size).",
     "the warm-up is counted at the base batch size", {"old_batch_warmup": True}),
    ("warm-up and total exchanged", "order", 1,
     "Your warmup_steps and total_steps are exchanged: the warm-up comes out longer than the "
     "whole training. Return (peak_lr, start_factor, warmup_steps, total_steps) in this order, "
     "with epochs and warmup_epochs each in its place.",
     "warmup_steps and total_steps are exchanged", {"exchanged": True}),
    ("warm-up added to the total", "lengths", 1,
     "Your total_steps adds the warm-up to the epochs of training: the warm-up is part of the "
     "training, not extra. total_steps = epochs * updates per epoch, warm-up included.",
     "the warm-up is added on top of the total", {"plus_warmup": True}),
    ("peak rate times the batch size", "peak", 2,
     "Your peak rate is base_lr * batch_size: the factor is the RATIO of the batch sizes, "
     "k = batch_size / base_batch_size (8 for 16 -> 128), not the batch size itself.",
     "the rate is multiplied by batch_size instead of k", {"peak": "times batch"}),
    ("k rounded down with //", "peak", 3,
     "You computed k = batch_size // base_batch_size, an integer division: for a batch that is "
     "not a whole multiple of the base (or smaller: 64 from 128) k is rounded down, to 0. k is "
     "the ratio batch_size / base_batch_size, a float.", "k is an integer division",
     {"int_k": True}),
    ("peak rate not scaled", "peak", 1,
     "Your peak rate is the base rate. With a batch k times larger, an epoch has k times fewer "
     "updates, each with a gradient k times less noisy: the linear scaling rule multiplies the "
     "rate by k = batch_size / base_batch_size.",
     "the peak rate is not scaled", {"peak": "none", "start": "one"}),
    ("square-root scaling", "peak", 2,
     "You scaled the rate by sqrt(batch_size / base_batch_size), a rule some use for Adam. "
     "Goyal et al.'s rule for SGD is linear: multiply by batch_size / base_batch_size.",
     "the rate is scaled by the square root of k", {"peak": "sqrt"}),
    ("peak rate scaled the wrong way", "peak", 2,
     "Your peak rate goes DOWN when the batch grows. Fewer, less noisy updates need larger "
     "steps: multiply by batch_size / base_batch_size.",
     "the rate is divided by k", {"peak": "inverse"}),
    ("start factor upside down", "start", 2,
     "Your start factor is the peak over the base rate. start_factor is the share of the peak "
     "the warm-up starts at, so base_lr / peak_lr (at most 1).",
     "the start factor is peak_lr / base_lr", {"start": "inverse"}),
    ("one-cycle's start", "start", 1,
     "Your warm-up starts at a 25th of the peak (one-cycle's div_factor). Goyal et al.'s "
     "warm-up starts from the rate that worked at the base batch size: start_factor = base_lr "
     "/ peak_lr.", "the warm-up starts at a 25th of the peak", {"start": "one-cycle"}),
    ("warm-up from 0", "start", 1,
     "Your warm-up starts at 0 (start_factor 0): the first update would not move the weights at "
     "all, and LinearWarmup refuses it. Goyal et al.'s warm-up starts from the rate that worked "
     "at the base batch size: start_factor = base_lr / peak_lr.",
     "the warm-up starts at 0", {"start": "zero"}),
    ("PyTorch's default start factor", "start", 1,
     "Your warm-up starts at a third of the peak: LinearWarmup's (and PyTorch's LinearLR's) "
     "default start_factor. Goyal et al.'s warm-up starts from the rate that worked at the base "
     "batch size: start_factor = base_lr / peak_lr = 1 / k.",
     "the warm-up starts at a third of the peak", {"start": "torch"}),
    ("no warm-up ramp", "start", 1,
     "Your start factor is 1: the warm-up would start at the peak, which is no warm-up at all. "
     "It starts at the base rate: base_lr / peak_lr.",
     "the start factor is 1 (no ramp)", {"start": "one"}),
]

_PLAN_CASES = [
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
    Case("a batch one and a half times the base: 9000 images, 64 -> 96, 8 epochs, 2 of warm-up",
         (9000, 96, 8, 0.04, 64, 2)),
    Case("a small rate: 600 images, 48 -> 80, 3 epochs, 1 of warm-up (peak 0.00035)",
         (600, 80, 3, 0.00021, 48, 1)),
]


PLAN = Check(
    name="check_scaled_plan",
    function="scaled_plan",
    reference=_plan,
    cases=_PLAN_CASES,
    mistakes=_with_pairs(_PLAN_TABLE, _plan_variant, _PLAN_CASES, _plan) + (
        Mistake("a float, not an int",
                "Your plan is right, but the lengths are floats (np.ceil returns floats): "
                "numbers of updates are whole numbers. Use math.ceil, which returns an int, "
                "or wrap them in int().",
                lambda *args: tuple(float(x) for x in _plan(*args)), hint=3),
        # start_factor = 1 / k is right only with the linear rule: with another peak it no
        # longer starts the warm-up at base_lr
        Mistake("square-root scaling, start factor 1 / k",
                "Your peak rate is base_lr * sqrt(k), the square-root rule, and your warm-up "
                "starts at 1 / k of it, below base_lr. Goyal et al. scale the rate linearly, "
                "peak_lr = k * base_lr, and start the warm-up at the base rate: start_factor = "
                "base_lr / peak_lr = 1 / k.",
                _plan_variant(peak="sqrt", start="1 / k"), hint=2),
        Mistake("rate not scaled, start factor 1 / k",
                "Your peak rate is base_lr itself, not scaled, and your warm-up starts at 1 / k "
                "of it. The linear scaling rule multiplies the rate by k, peak_lr = k * "
                "base_lr, and the warm-up starts at the base rate: start_factor = base_lr / "
                "peak_lr = 1 / k.",
                _plan_variant(peak="none", start="1 / k"), hint=2),
    ),
    output_names=("peak_lr", "start_factor", "warmup_steps", "total_steps"),
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
