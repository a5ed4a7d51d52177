"""Learning-rate schedules (lesson 07).

A schedule is a small object that checks its arguments once and is then called like a function,
``lr = schedule(t)`` (the optax habit). Each is a frozen dataclass, so its ``repr`` shows every
setting and cannot drift from the code.

Step convention
---------------
The step counter ``t`` starts at 0 and counts optimizer updates (or epochs, if you call the
schedule once per epoch). ``schedule(t)`` is the learning rate used for update number ``t``: it
equals the learning rate that the matching ``torch.optim.lr_scheduler`` class puts into the
optimizer after ``t`` calls to ``scheduler.step()`` (PyTorch calls ``t`` ``last_epoch``). So
``schedule(0)`` is the rate of the very first update, the one before any ``scheduler.step()``.

Where PyTorch updates the rate recursively (multiplying the previous rate by a factor), the
library uses the closed form; the two agree to rounding (about ``t`` units in the last place).

Using a schedule
----------------
::

    sched = CosineAnnealing(lr0=0.1, T_max=100)
    opt = SGD(params, lr=sched(0))
    driver = ScheduledLR(opt, sched)       # sets opt.lr = sched(t)
    for t in range(100):
        ...                                # forward, backward
        opt.step()
        driver.step()                      # next update uses sched(t + 1)

:class:`ReduceLROnPlateau` is different: it watches a metric, so it keeps state and is driven with
``opt.lr = plateau.step(val_loss)`` once per epoch.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from nnlesson._validate import check_bool, check_choice, check_int, check_number

__all__ = [
    "Schedule",
    "StepDecay",
    "ExponentialDecay",
    "NaturalExpDecay",
    "InverseTimeDecay",
    "CosineAnnealing",
    "CosineWarmRestarts",
    "OneCycle",
    "LinearWarmup",
    "ReduceLROnPlateau",
    "ScheduledLR",
    "schedule_values",
]


def _set(obj, name, value):
    # frozen dataclasses forbid normal assignment; __post_init__ stores the checked value this way
    object.__setattr__(obj, name, value)


def _check_step(t):
    return check_int("t", t, low=0)


def _check_lr0(name, value):
    return check_number(name, value, low=0, low_open=True)


class Schedule:
    """Base class of the step -> learning-rate schedules: ``schedule(t)`` returns a float.

    Subclasses are frozen dataclasses that check their arguments in ``__post_init__`` and
    implement ``_lr(t)`` with the formula from their docstring. ``schedule(t)`` checks ``t``
    and calls ``_lr``; :func:`schedule_values` checks the range of steps once and then calls
    ``_lr`` for each, without checking every step again.
    """

    def __call__(self, t):
        return self._lr(self._check_t(t))

    def _check_t(self, t):
        """``t`` as an int, if it is a step this schedule is defined for (raises otherwise)."""
        return _check_step(t)

    def _lr(self, t):  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class StepDecay(Schedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps.

    Equations::

        lr(t) = lr0 * gamma ** floor(t / step_size)

    With ``lr0=0.1, step_size=30, gamma=0.1``: 0.1 for t < 30, 0.01 for 30 <= t < 60, 0.001 after.
    PyTorch: ``StepLR(optimizer, step_size, gamma)`` with the optimizer's lr = ``lr0``.

    Args:
        lr0: the rate of steps 0 to step_size - 1, > 0.
        step_size: steps between two drops, an integer >= 1.
        gamma: the factor of each drop, in (0, 1].

    Raises:
        ValueError, TypeError: an argument out of range (named in the message).
    """

    lr0: float
    step_size: int
    gamma: float = 0.1

    def __post_init__(self):
        _set(self, "lr0", _check_lr0("lr0", self.lr0))
        _set(self, "step_size", check_int("step_size", self.step_size, low=1))
        _set(self, "gamma", check_number("gamma", self.gamma, low=0, high=1, low_open=True))

    def _lr(self, t):
        return self.lr0 * self.gamma ** (t // self.step_size)


@dataclass(frozen=True)
class ExponentialDecay(Schedule):
    """Multiply the learning rate by ``gamma`` at every step.

    Equations::

        lr(t) = lr0 * gamma ** t

    PyTorch: ``ExponentialLR(optimizer, gamma)``. Lesson 07's form ``lr0 * exp(-k t)`` is the same
    curve with ``gamma = exp(-k)``; see :class:`NaturalExpDecay`.

    Args:
        lr0: the rate at t = 0, > 0.
        gamma: the factor per step, in (0, 1].

    Raises:
        ValueError, TypeError: an argument out of range (named in the message).
    """

    lr0: float
    gamma: float

    def __post_init__(self):
        _set(self, "lr0", _check_lr0("lr0", self.lr0))
        _set(self, "gamma", check_number("gamma", self.gamma, low=0, high=1, low_open=True))

    def _lr(self, t):
        return self.lr0 * self.gamma ** t


@dataclass(frozen=True)
class NaturalExpDecay(Schedule):
    """Exponential decay written with a rate ``k``, as lesson 07 states it.

    Equations::

        lr(t) = lr0 * exp(-k * t)

    This is :class:`ExponentialDecay` with ``gamma = exp(-k)``, i.e. PyTorch's
    ``ExponentialLR(optimizer, gamma=math.exp(-k))``. The rate halves every ``ln(2) / k`` steps.

    Args:
        lr0: the rate at t = 0, > 0.
        k: the decay rate per step, >= 0.

    Raises:
        ValueError, TypeError: an argument out of range (named in the message).
    """

    lr0: float
    k: float

    def __post_init__(self):
        _set(self, "lr0", _check_lr0("lr0", self.lr0))
        _set(self, "k", check_number("k", self.k, low=0))

    def _lr(self, t):
        return self.lr0 * math.exp(-self.k * t)


@dataclass(frozen=True)
class InverseTimeDecay(Schedule):
    """The "1/t" decay: the rate falls like one over the number of steps.

    Equations::

        lr(t) = lr0 / (1 + k * t)

    After ``1 / k`` steps the rate is ``lr0 / 2``, after ``9 / k`` steps ``lr0 / 10``. It decays
    more slowly than any exponential. PyTorch has no class for it; it is
    ``LambdaLR(optimizer, lambda t: 1 / (1 + k * t))``.

    Args:
        lr0: the rate at t = 0, > 0.
        k: >= 0; the rate halves at t = 1 / k.

    Raises:
        ValueError, TypeError: an argument out of range (named in the message).
    """

    lr0: float
    k: float

    def __post_init__(self):
        _set(self, "lr0", _check_lr0("lr0", self.lr0))
        _set(self, "k", check_number("k", self.k, low=0))

    def _lr(self, t):
        return self.lr0 / (1.0 + self.k * t)


@dataclass(frozen=True)
class CosineAnnealing(Schedule):
    """Half a cosine wave from ``lr0`` down to ``eta_min`` over ``T_max`` steps.

    Equations::

        lr(t) = eta_min + (lr0 - eta_min) * (1 + cos(pi * t / T_max)) / 2

    ``lr(0) = lr0``, ``lr(T_max / 2)`` is half-way, ``lr(T_max) = eta_min``. This is lesson 07's
    formula with ``alpha_max = lr0`` and ``T = T_max``.

    After ``T_max`` the formula simply continues: the cosine climbs back to ``lr0`` at
    ``t = 2 T_max`` and keeps oscillating with period ``2 T_max``. PyTorch's
    ``CosineAnnealingLR(optimizer, T_max, eta_min)`` does the same, and this class matches it for
    every ``t``. Usually you train for exactly ``T_max`` steps; for deliberate restarts use
    :class:`CosineWarmRestarts`, which jumps straight back to ``lr0`` instead.

    Args:
        lr0: the rate at t = 0, > 0.
        T_max: the half period in steps, an integer >= 1.
        eta_min: the lowest rate, in [0, lr0].

    Raises:
        ValueError, TypeError: an argument out of range (named in the message).
    """

    lr0: float
    T_max: int
    eta_min: float = 0.0

    def __post_init__(self):
        _set(self, "lr0", _check_lr0("lr0", self.lr0))
        _set(self, "T_max", check_int("T_max", self.T_max, low=1))
        _set(self, "eta_min", check_number("eta_min", self.eta_min, low=0, high=self.lr0))

    def _lr(self, t):
        cos_t = math.cos(math.pi * t / self.T_max)
        return self.eta_min + (self.lr0 - self.eta_min) * (1 + cos_t) / 2


@dataclass(frozen=True)
class CosineWarmRestarts(Schedule):
    """Cosine annealing that restarts at ``lr0`` (SGDR), each cycle ``T_mult`` times longer.

    Equations::

        T_i   = T_0 * T_mult ** i          length of cycle i = 0, 1, 2, ...
        T_cur = steps since the start of the current cycle
        lr(t) = eta_min + (lr0 - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2

    With ``T_0=10, T_mult=2`` the restarts happen at t = 10, 30, 70, 150, ... . At a restart
    ``T_cur = 0`` and the rate jumps back to ``lr0``. PyTorch:
    ``CosineAnnealingWarmRestarts(optimizer, T_0, T_mult, eta_min)`` (integer steps only here).

    Args:
        lr0: the rate at each restart, > 0.
        T_0: the length of the first cycle, an integer >= 1.
        T_mult: the growth of each cycle's length, an integer >= 1.
        eta_min: the lowest rate, in [0, lr0].

    Raises:
        ValueError, TypeError: an argument out of range (named in the message).
    """

    lr0: float
    T_0: int
    T_mult: int = 1
    eta_min: float = 0.0

    def __post_init__(self):
        _set(self, "lr0", _check_lr0("lr0", self.lr0))
        _set(self, "T_0", check_int("T_0", self.T_0, low=1))
        _set(self, "T_mult", check_int("T_mult", self.T_mult, low=1))
        _set(self, "eta_min", check_number("eta_min", self.eta_min, low=0, high=self.lr0))

    def cycle_position(self, t):
        """Return ``(T_cur, T_i)``: steps into the current cycle and that cycle's length.

        Args:
            t: the step, an integer >= 0.

        Returns:
            (T_cur, T_i), two ints.
        """
        return self._cycle_position(_check_step(t))

    def _cycle_position(self, t):
        if self.T_mult == 1:
            return t % self.T_0, self.T_0
        T_cur, T_i = t, self.T_0
        while T_cur >= T_i:  # cycles grow geometrically, so this loop is short
            T_cur -= T_i
            T_i *= self.T_mult
        return T_cur, T_i

    def _lr(self, t):
        T_cur, T_i = self._cycle_position(t)
        return self.eta_min + (self.lr0 - self.eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2


def _anneal(start, end, pct, strategy):
    """Go from ``start`` (pct = 0) to ``end`` (pct = 1) along half a cosine or a straight line."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


@dataclass(frozen=True)
class OneCycle(Schedule):
    """The one-cycle policy: warm up to ``max_lr``, then anneal far below the starting rate.

    Equations (two phases, the default)::

        initial_lr = max_lr / div_factor
        min_lr     = initial_lr / final_div_factor
        e1 = pct_start * total_steps - 1               last step of phase 1
        e2 = total_steps - 1                           last step of phase 2
        phase 1, t <= e1:  lr(t) = anneal(initial_lr, max_lr, t / e1)
        phase 2, t >  e1:  lr(t) = anneal(max_lr, min_lr, (t - e1) / (e2 - e1))

        anneal(a, b, p) = b + (a - b) / 2 * (cos(pi p) + 1)       anneal_strategy="cos"
        anneal(a, b, p) = (b - a) * p + a                        anneal_strategy="linear"

    With ``three_phase=True`` (Leslie Smith's original) phase 2 goes back down to ``initial_lr``
    at ``e2 = 2 pct_start total_steps - 2`` and a third phase anneals to ``min_lr`` at
    ``e3 = total_steps - 1``.

    ``momentum(t)`` moves the opposite way, between ``max_momentum`` (at low rates) and
    ``base_momentum`` (at ``max_lr``); in the third phase it stays at ``max_momentum``.

    Valid steps are ``0 <= t <= total_steps``, as in PyTorch's
    ``OneCycleLR(optimizer, max_lr, total_steps, pct_start, anneal_strategy, cycle_momentum,
    base_momentum, max_momentum, div_factor, final_div_factor, three_phase)``, which this class
    matches (learning rate and momentum) and which also raises past ``total_steps``.

    Args:
        max_lr: the peak rate, > 0.
        total_steps: the number of steps of the cycle, an integer >= 2.
        pct_start: the share of the steps spent warming up, in (0, 1) (<= 0.5 with three_phase).
        div_factor: ``initial_lr = max_lr / div_factor``, > 0.
        final_div_factor: ``min_lr = initial_lr / final_div_factor``, > 0.
        anneal_strategy: ``"cos"`` or ``"linear"``.
        three_phase: Smith's original three phases instead of two.
        base_momentum: the momentum at ``max_lr``, in [0, 1).
        max_momentum: the momentum at the low rates, in [base_momentum, 1).

    Raises:
        ValueError, TypeError: an argument out of range (named in the message).
    """

    max_lr: float
    total_steps: int
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    anneal_strategy: str = "cos"
    three_phase: bool = False
    base_momentum: float = 0.85
    max_momentum: float = 0.95

    def __post_init__(self):
        _set(self, "max_lr", _check_lr0("max_lr", self.max_lr))
        _set(self, "total_steps", check_int("total_steps", self.total_steps, low=2))
        _set(self, "pct_start", check_number("pct_start", self.pct_start, low=0, high=1,
                                             low_open=True, high_open=True))
        _set(self, "div_factor", check_number("div_factor", self.div_factor, low=0, low_open=True))
        _set(self, "final_div_factor",
             check_number("final_div_factor", self.final_div_factor, low=0, low_open=True))
        check_choice("anneal_strategy", self.anneal_strategy, ("cos", "linear"))
        _set(self, "three_phase", check_bool("three_phase", self.three_phase))
        _set(self, "base_momentum", check_number("base_momentum", self.base_momentum,
                                                 low=0, high=1, high_open=True))
        _set(self, "max_momentum", check_number("max_momentum", self.max_momentum,
                                                low=self.base_momentum, high=1, high_open=True))
        if self.pct_start * self.total_steps <= 1:
            raise ValueError(
                "pct_start * total_steps must be > 1 so the warm-up phase has a length, got "
                f"{self.pct_start} * {self.total_steps} = {self.pct_start * self.total_steps}"
            )
        if self.three_phase and self.pct_start > 0.5:
            raise ValueError(
                "pct_start must be <= 0.5 when three_phase=True (warm-up and cool-down each take "
                f"pct_start of the steps), got {self.pct_start}"
            )

    @property
    def initial_lr(self):
        return self.max_lr / self.div_factor

    @property
    def min_lr(self):
        return self.initial_lr / self.final_div_factor

    def _phases(self):
        """``(end_step, start_lr, end_lr, start_momentum, end_momentum)`` for each phase."""
        lo, hi, low = self.initial_lr, self.max_lr, self.min_lr
        m_lo, m_hi = self.base_momentum, self.max_momentum
        e1 = float(self.pct_start * self.total_steps) - 1
        if self.three_phase:
            e2 = float(2 * self.pct_start * self.total_steps) - 2
            return [(e1, lo, hi, m_hi, m_lo), (e2, hi, lo, m_lo, m_hi),
                    (self.total_steps - 1, lo, low, m_hi, m_hi)]
        return [(e1, lo, hi, m_hi, m_lo), (self.total_steps - 1, hi, low, m_lo, m_hi)]

    def _check_t(self, t):
        t = _check_step(t)
        if t > self.total_steps:
            raise ValueError(
                f"t must be an integer in [0, total_steps={self.total_steps}], got {t}")
        return t

    def _locate(self, t):
        """The phase holding step ``t`` and how far through it ``t`` is (pct in [0, 1])."""
        phases = self._phases()
        start = 0.0
        for i, phase in enumerate(phases):
            end = phase[0]
            if t <= end or i == len(phases) - 1:
                return phase, (t - start) / (end - start)
            start = end

    def _lr(self, t):
        (_, lr_a, lr_b, _, _), pct = self._locate(t)
        return _anneal(lr_a, lr_b, pct, self.anneal_strategy)

    def momentum(self, t):
        """Momentum (or Adam's beta1) at step ``t``, cycled inversely to the learning rate.

        Args:
            t: the step, an integer in [0, total_steps].

        Returns:
            float, between ``base_momentum`` and ``max_momentum``.
        """
        (_, _, _, m_a, m_b), pct = self._locate(self._check_t(t))
        return _anneal(m_a, m_b, pct, self.anneal_strategy)


@dataclass(frozen=True)
class LinearWarmup(Schedule):
    """Change the rate linearly from ``start_factor * lr0`` to ``end_factor * lr0``, then hand over.

    Equations::

        lr(t) = lr0 * (start_factor + (end_factor - start_factor) * t / warmup_steps)
                                                       t <  warmup_steps
        lr(t) = lr0 * end_factor                       t >= warmup_steps, after is None
        lr(t) = after(t - warmup_steps)                t >= warmup_steps, otherwise

    A warm-up climbs (``end_factor=1``, the default, reaches ``lr0``). The schedule ``after``
    starts its own clock at 0 when the warm-up ends; give it the rate the warm-up ends at
    (``lr0 * end_factor``) to avoid a jump. The default ``start_factor=1/3`` is PyTorch's.

    PyTorch: without ``after`` this is ``LinearLR(optimizer, start_factor, end_factor,
    total_iters=warmup_steps)`` with the optimizer's lr = ``lr0``, for every ``t``; warm-up
    then another schedule is ``SequentialLR(optimizer, [warmup, other],
    milestones=[warmup_steps])``.

    Args:
        lr0: the base learning rate, > 0.
        warmup_steps: the length of the ramp, an integer >= 1 (PyTorch's ``total_iters``).
        start_factor: the fraction of ``lr0`` at ``t = 0``, in (0, 1].
        end_factor: the fraction of ``lr0`` at ``t = warmup_steps``, in [0, 1].
        after: None, or the schedule to follow the ramp (a callable step -> lr).

    Raises:
        ValueError, TypeError: an argument out of range, or ``after`` not callable.
    """

    lr0: float
    warmup_steps: int
    start_factor: float = 1.0 / 3
    end_factor: float = 1.0
    after: object = None

    def __post_init__(self):
        _set(self, "lr0", _check_lr0("lr0", self.lr0))
        _set(self, "warmup_steps", check_int("warmup_steps", self.warmup_steps, low=1))
        _set(self, "start_factor", check_number("start_factor", self.start_factor, low=0, high=1,
                                                low_open=True))
        _set(self, "end_factor", check_number("end_factor", self.end_factor, low=0, high=1))
        if self.after is not None and not callable(self.after):
            raise TypeError(
                f"after must be None or a schedule (a callable step -> lr), got {self.after!r}")

    def _lr(self, t):
        if t < self.warmup_steps:
            slope = self.end_factor - self.start_factor
            return self.lr0 * (self.start_factor + slope * t / self.warmup_steps)
        if self.after is None:
            return self.lr0 * self.end_factor
        return self.after(t - self.warmup_steps)  # checked: after may end (OneCycle)


def _check_metric(metric):
    """A real number; NaN and infinities pass (a diverged loss must not crash the schedule)."""
    is_scalar_array = (isinstance(metric, np.ndarray) and metric.shape == ()
                       and metric.dtype.kind in "fiu")
    if isinstance(metric, bool) or not (isinstance(metric, numbers.Real) or is_scalar_array):
        raise TypeError(
            f"metric must be a real number, got {metric!r} of type {type(metric).__name__}")
    return float(metric)


@dataclass(eq=False)
class ReduceLROnPlateau:
    """Divide the learning rate when a watched metric stops improving (stateful).

    Call ``lr = plateau.step(metric)`` once per epoch with, say, the validation loss; the new
    rate is also in ``plateau.lr``. The rules, identical to PyTorch's ``ReduceLROnPlateau``::

        improved  = metric < best * (1 - threshold)     mode="min", threshold_mode="rel"
                    metric < best - threshold           mode="min", threshold_mode="abs"
                    metric > best * (1 + threshold)     mode="max", threshold_mode="rel"
                    metric > best + threshold           mode="max", threshold_mode="abs"
        if improved: best = metric; num_bad_epochs = 0  else: num_bad_epochs += 1
        in cooldown (cooldown_counter > 0): cooldown_counter -= 1; num_bad_epochs = 0
        if num_bad_epochs > patience:
            new_lr = max(lr * factor, min_lr)
            if lr - new_lr > eps: lr = new_lr           (changes smaller than eps are ignored)
            cooldown_counter = cooldown; num_bad_epochs = 0

    ``best`` starts at +inf ("min") or -inf ("max"), so the first metric always improves. With
    ``patience=10`` the rate drops on the 11th call in a row without improvement. A NaN metric
    never counts as an improvement.

    Args:
        lr0: the starting rate, > 0.
        mode: ``"min"`` (a loss) or ``"max"`` (an accuracy).
        factor: the multiplier of each reduction, in (0, 1).
        patience: bad epochs tolerated before a reduction, an integer >= 0.
        threshold: the margin an improvement needs, >= 0.
        threshold_mode: ``"rel"`` or ``"abs"``.
        cooldown: epochs without counting after a reduction, an integer >= 0.
        min_lr: the lowest rate, in [0, lr0].
        eps: changes smaller than this are ignored, >= 0.

    Raises:
        ValueError, TypeError: an argument out of range (named in the message).
    """

    lr0: float
    mode: str = "min"
    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_lr: float = 0.0
    eps: float = 1e-8
    lr: float = field(init=False)
    best: float = field(init=False, repr=False)
    num_bad_epochs: int = field(init=False, repr=False)
    cooldown_counter: int = field(init=False, repr=False)

    def __post_init__(self):
        self.lr0 = _check_lr0("lr0", self.lr0)
        check_choice("mode", self.mode, ("min", "max"))
        self.factor = check_number("factor", self.factor, low=0, high=1,
                                   low_open=True, high_open=True)
        self.patience = check_int("patience", self.patience, low=0)
        self.threshold = check_number("threshold", self.threshold, low=0)
        check_choice("threshold_mode", self.threshold_mode, ("rel", "abs"))
        self.cooldown = check_int("cooldown", self.cooldown, low=0)
        self.min_lr = check_number("min_lr", self.min_lr, low=0, high=self.lr0)
        self.eps = check_number("eps", self.eps, low=0)
        self.reset()

    def reset(self):
        """Back to the start: ``lr = lr0``, no best metric yet, no bad epochs, no cooldown."""
        self.lr = self.lr0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def is_improvement(self, metric):
        """True if ``metric`` beats ``best`` by more than the threshold."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return metric < self.best * (1.0 - self.threshold)
            return metric < self.best - self.threshold
        if self.threshold_mode == "rel":
            return metric > self.best * (self.threshold + 1.0)
        return metric > self.best + self.threshold

    def step(self, metric):
        """Record one epoch's metric and return the learning rate for the next epoch."""
        metric = _check_metric(metric)
        if self.is_improvement(metric):
            self.best = metric
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        return self.lr


class ScheduledLR:
    """Drive an optimizer's learning rate from a schedule: ``optimizer.lr = schedule(t)``.

    Works with anything that has a settable ``lr`` attribute (duck typing). At construction it
    sets ``optimizer.lr = schedule(0)`` and ``t = 0``; each :meth:`step` advances ``t`` by one
    and sets ``optimizer.lr = schedule(t)``. Call it after ``optimizer.step()``, as in PyTorch::

        driver = ScheduledLR(opt, CosineAnnealing(0.1, T_max=100))
        for _ in range(100):
            ...; opt.step(); driver.step()

    Attributes:
        optimizer, schedule: what was given.
        t:  the step the optimizer's current ``lr`` belongs to.
        lr: the current learning rate, ``schedule(t)``.

    Args:
        optimizer: anything with a settable ``lr`` (an :mod:`nnlesson.optim` optimizer).
        schedule: a callable step -> lr.

    Raises:
        TypeError: an optimizer without ``lr``, or a schedule that is not callable.
    """

    def __init__(self, optimizer, schedule):
        if not hasattr(optimizer, "lr"):
            raise TypeError(
                "optimizer must have a settable lr attribute, "
                f"got {type(optimizer).__name__} without one"
            )
        if not callable(schedule):
            raise TypeError(f"schedule must be a callable step -> lr, got {schedule!r}")
        self.optimizer = optimizer
        self.schedule = schedule
        self.t = 0
        self.lr = float(schedule(0))
        optimizer.lr = self.lr

    def step(self):
        """Advance one step and set the optimizer's learning rate; returns the new rate."""
        self.t += 1
        self.lr = float(self.schedule(self.t))
        self.optimizer.lr = self.lr
        return self.lr

    def __repr__(self):
        return (f"ScheduledLR(optimizer={type(self.optimizer).__name__}, "
                f"schedule={self.schedule!r}, t={self.t})")


def schedule_values(schedule, n_steps):
    """The first ``n_steps`` learning rates ``[schedule(0), ..., schedule(n_steps - 1)]``.

    For a library :class:`Schedule` the range of steps is checked once (so a
    :class:`OneCycle` shorter than ``n_steps`` fails here, before any value is used) and the
    formula is then evaluated without checking each step again.

    Args:
        schedule: a callable ``t -> lr``, e.g. a :class:`Schedule`.
        n_steps: how many values, an integer >= 1.

    Returns:
        float64 array of shape ``(n_steps,)``, ready to plot against ``np.arange(n_steps)``.

    Raises:
        TypeError: ``schedule`` is not callable.
        ValueError: ``n_steps`` < 1, or a step the schedule is not defined for.
    """
    if not callable(schedule):
        raise TypeError(f"schedule must be a callable step -> lr, got {schedule!r}")
    n_steps = check_int("n_steps", n_steps, low=1)
    if isinstance(schedule, Schedule):
        schedule._check_t(n_steps - 1)  # the last step; the others are smaller
        return np.array([schedule._lr(t) for t in range(n_steps)], dtype=np.float64)
    return np.array([schedule(t) for t in range(n_steps)], dtype=np.float64)
