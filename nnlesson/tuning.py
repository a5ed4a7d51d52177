"""Tuning a training run (lesson 14): the learning-rate range test and random search on a log scale.

**The range test** (Smith 2015, 2018): train from the initial weights while the learning rate
grows exponentially, one mini-batch per rate, from ``start_lr`` to ``end_lr`` over
``num_iter`` updates; record the loss; smooth it; stop once it has clearly diverged. The
smoothed loss against the rate (log axis) falls while the rate is useful and shoots up where it
is too large. Three small pure functions make the test, and :func:`lr_range_test` runs them
on a model::

    lr_k = start_lr * (end_lr / start_lr) ** (k / (num_iter - 1))       k = 0 .. num_iter - 1
    avg_k = beta * avg_{k-1} + (1 - beta) * loss_k,   avg_{-1} = 0
    smooth_k = avg_k / (1 - beta ** (k + 1))                             (bias correction)
    stop at the first k with smooth_k > diverge_factor * min(smooth_0 .. smooth_k)

The schedule is the one of ``torch_lr_finder``'s exponential mode (the rate of update ``k``
ends exactly at ``end_lr``); the smoothing and the stop rule (``diverge_factor = 4``) are the
ones of the fast.ai learning-rate finder: an exponential moving average whose start is
corrected for its zero initial value, as Adam corrects its moments (Kingma & Ba 2015).

:func:`suggest_lrs` reads the curve: the rate of the lowest smoothed loss, a tenth of it (a
``max_lr`` for one-cycle) and the rate where the loss falls fastest.

**Random search** (Bergstra & Bengio 2012): sample each hyperparameter independently, on a
log scale for scale parameters such as the learning rate (:func:`log_uniform`), instead of
trying every point of a grid (:func:`log_grid`). With ``n`` trials a grid over two knobs
tries only ``sqrt(n)`` values of each; random search tries ``n`` values of each, which pays
when one knob matters much more than the other.
"""
from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_int, check_number, check_rng
from nnlesson.train import Callback

__all__ = [
    "range_test_lrs",
    "smooth_losses",
    "range_test_stop",
    "RangeTest",
    "lr_range_test",
    "suggest_lrs",
    "log_uniform",
    "log_grid",
    "sample_configs",
    "grid_configs",
]


# --------------------------------------------------------------------------- the three pieces


def range_test_lrs(start_lr, end_lr, num_iter):
    """The learning rates of the range test: exponentially spaced, ``start_lr`` to ``end_lr``.

    Equations::

        lr_k = start_lr * (end_lr / start_lr) ** (k / (num_iter - 1)),   k = 0 .. num_iter - 1

    so each rate is the previous one times ``(end_lr / start_lr) ** (1 / (num_iter - 1))``
    (``torch_lr_finder``'s ``step_mode="exp"``).

    Args:
        start_lr: > 0, the first rate.
        end_lr: > start_lr, the last rate.
        num_iter: >= 2 updates.

    Returns:
        float64 array (num_iter,).

    Raises:
        ValueError, TypeError: a rate <= 0, ``end_lr <= start_lr`` or ``num_iter < 2``.
    """
    start_lr = check_number("start_lr", start_lr, low=0, low_open=True)
    end_lr = check_number("end_lr", end_lr, low=0, low_open=True)
    if end_lr <= start_lr:
        raise ValueError(f"end_lr must be > start_lr ({start_lr:g}), got {end_lr:g}")
    num_iter = check_int("num_iter", num_iter, low=2)
    k = np.arange(num_iter, dtype=np.float64)
    return start_lr * (end_lr / start_lr) ** (k / (num_iter - 1))


def _check_beta(beta):
    return check_number("beta", beta, low=0, high=1, high_open=True)


def smooth_losses(losses, beta=0.98):
    """Exponential moving average of a loss curve, with bias correction.

    Equations (``k`` counts from 0)::

        avg_k = beta * avg_{k-1} + (1 - beta) * loss_k,     avg_{-1} = 0
        smooth_k = avg_k / (1 - beta ** (k + 1))

    Without the division the first values would be pulled towards the zero the average
    starts from (``avg_0 = (1 - beta) loss_0``, 50 times too small with ``beta = 0.98``); with
    it, a constant loss stays exactly constant. ``beta = 0`` returns the losses themselves.

    Args:
        losses: 1-D array-like of losses (NaN and inf pass through to the average).
        beta: in [0, 1), how much of the past to keep; 0.98 averages over about 50 updates.

    Returns:
        float64 array of the same length.

    Raises:
        ValueError, TypeError: ``losses`` not 1-D, or ``beta`` outside [0, 1).
    """
    losses = check_array("losses", losses, ndim=1, dtype=np.float64, allow_nan=True)
    beta = _check_beta(beta)
    out = np.empty(losses.shape, dtype=np.float64)
    avg = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for k, loss in enumerate(losses):
            avg = beta * avg + (1.0 - beta) * float(loss)
            out[k] = avg / (1.0 - beta ** (k + 1))
    return out


def range_test_stop(smoothed, diverge_factor=4.0):
    """The iteration at which the range test stops: the loss has clearly diverged.

    Equations::

        stop = the first k with  smooth_k > diverge_factor * min(smooth_0, ..., smooth_k)
               (or a NaN/inf smooth_k)

    Args:
        smoothed: 1-D array-like of smoothed losses (:func:`smooth_losses`).
        diverge_factor: > 1; 4 as in the fast.ai finder (``torch_lr_finder``'s
            ``diverge_th`` has the same meaning, default 5).

    Returns:
        int (the index of the first diverged value, which is kept as the last point of the
        curve), or None if the loss never diverged.

    Raises:
        ValueError, TypeError: ``smoothed`` not 1-D, or ``diverge_factor <= 1``.
    """
    smoothed = check_array("smoothed", smoothed, ndim=1, dtype=np.float64, allow_nan=True)
    diverge_factor = check_number("diverge_factor", diverge_factor, low=1, low_open=True)
    best = math.inf
    for k, value in enumerate(smoothed):
        value = float(value)
        if not math.isfinite(value):
            return k
        best = min(best, value)
        if value > diverge_factor * best:
            return k
    return None


# --------------------------------------------------------------------------- reading the curve


def suggest_lrs(lrs, smoothed, skip_start=10):
    """Read a range-test curve: ``(lr_at_min, max_lr, steepest_lr)``.

    - ``lr_at_min``: the rate of the lowest smoothed loss. Past it the loss climbs: this rate
      is already at the edge.
    - ``max_lr = lr_at_min / 10``: the peak rate to give one-cycle (the fast.ai rule of thumb;
      Smith 2018 picks "the largest rate at which the loss still falls", which this
      approximates a factor below the edge).
    - ``steepest_lr``: the rate where the smoothed loss falls fastest per factor of rate (the
      most negative slope against ``ln lr``, by central differences), up to ``lr_at_min`` and
      skipping the first ``skip_start`` points, where the average is still settling.

    Args:
        lrs: 1-D array of increasing rates, at least 3.
        smoothed: 1-D array of the smoothed losses at those rates, the same length; NaN and
            inf (after a divergence) are ignored.
        skip_start: >= 0 points left out of the steepest-slope search (fewer when the curve
            is short).

    Returns:
        three floats.

    Raises:
        ValueError: arrays of different lengths, fewer than 3 finite points, or rates that
        are not positive and increasing.
    """
    lrs = check_array("lrs", lrs, ndim=1, min_rows=3)
    smoothed = check_array("smoothed", smoothed, ndim=1, dtype=np.float64, allow_nan=True)
    if smoothed.shape != lrs.shape:
        raise ValueError(f"lrs and smoothed must have the same length, got {len(lrs)} and "
                         f"{len(smoothed)}")
    if np.any(lrs <= 0) or np.any(np.diff(lrs) <= 0):
        raise ValueError("lrs must be positive and increasing")
    ok = np.isfinite(smoothed)
    if ok.sum() < 3:
        raise ValueError(f"smoothed must hold at least 3 finite losses, got {int(ok.sum())}")
    skip_start = check_int("skip_start", skip_start, low=0)
    lrs, smoothed = lrs[ok], smoothed[ok]
    k_min = int(np.argmin(smoothed))
    lr_at_min = float(lrs[k_min])
    slope = np.gradient(smoothed, np.log(lrs))
    first = min(skip_start, k_min)
    steepest = float(lrs[first + int(np.argmin(slope[first: k_min + 1]))])
    return lr_at_min, lr_at_min / 10.0, steepest


@dataclass(frozen=True, eq=False)
class RangeTest:
    """The result of :func:`lr_range_test`.

    Attributes:
        lrs: the rate of each update that ran (float64, up to ``num_iter``).
        losses: the mini-batch loss of each of those updates (before the update).
        smoothed: :func:`smooth_losses` of ``losses``.
        stopped_at: the index where :func:`range_test_stop` stopped the test, or None.
        lr_at_min, max_lr, steepest_lr: :func:`suggest_lrs` of the curve.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    stopped_at: int | None
    lr_at_min: float
    max_lr: float
    steepest_lr: float

    def __repr__(self):
        stop = "never diverged" if self.stopped_at is None else f"stopped at {self.stopped_at}"
        return (f"RangeTest({len(self.lrs)} updates, {stop}, lr_at_min={self.lr_at_min:.3g}, "
                f"max_lr={self.max_lr:.3g}, steepest_lr={self.steepest_lr:.3g})")


class _StopWhenDiverged(Callback):
    """Stops :func:`nnlesson.train.fit` once the smoothed loss has diverged, or after
    ``num_iter`` updates; ``stopped_at`` is the update where the rule fired (else None)."""

    def __init__(self, num_iter, beta, diverge_factor):
        self.num_iter, self.beta, self.diverge_factor = num_iter, beta, diverge_factor
        self.stopped_at = None

    def on_batch_end(self, model, xb, yb, history):
        k = len(history.loss) - 1
        if range_test_stop(smooth_losses(history.loss, self.beta), self.diverge_factor) == k:
            self.stopped_at = k
            return True
        return k + 1 >= self.num_iter


def lr_range_test(model, X, y, *, optimizer, start_lr=1e-5, end_lr=10.0, num_iter=100,
                  batch_size=64, beta=0.98, diverge_factor=4.0, rng=None, shuffle=True,
                  loss="cross_entropy"):
    """The learning-rate range test (Smith 2015): train while the rate grows, watch the loss.

    The training is :func:`nnlesson.train.fit`'s loop, with the schedule
    ``range_test_lrs(start_lr, end_lr, num_iter)`` (update ``k`` uses rate ``k``, on the next
    mini-batch; a new shuffled epoch begins when one is used up) and a callback that stops it
    after the update whose smoothed loss has diverged (:func:`range_test_stop`), or after
    ``num_iter`` updates. fit stops by itself when the loss or a gradient becomes NaN/inf (that
    update's loss is recorded as NaN). Each loss is the mini-batch's loss before its update.
    Then the model's weights (and BatchNorm statistics), its mode and the optimizer's state and
    rate are put back as they were: the test only measures.

    Args:
        model: a :class:`~nnlesson.core.Module`.
        X: (N, D) inputs. y: (N,) labels (targets for ``loss="mse"``).
        optimizer: an optimizer built on ``model.parameters()``; its other hyperparameters
            (momentum, betas) stay as they are.
        start_lr, end_lr, num_iter: the schedule (:func:`range_test_lrs`).
        batch_size: >= 1 rows per update.
        beta: the smoothing (:func:`smooth_losses`).
        diverge_factor: the stop rule (:func:`range_test_stop`).
        rng: None, a seed or a Generator: the shuffling.
        shuffle: a new random order each epoch (False: the rows in order, as a
            ``DataLoader(shuffle=False)``).
        loss: a loss name of :data:`nnlesson.train.LOSSES` or a function.

    Returns:
        :class:`RangeTest`.

    Raises:
        ValueError, TypeError: a bad argument (named in the message).
    """
    from nnlesson.core import Module
    from nnlesson.train import DivergenceWarning, fit, load_model_state, model_state

    if not isinstance(model, Module):
        raise TypeError(f"model must be an nnlesson Module, got {type(model).__name__}")
    for attr in ("step", "lr", "state"):
        if not hasattr(optimizer, attr):
            raise TypeError(f"optimizer must be an nnlesson optimizer, got "
                            f"{type(optimizer).__name__}")
    lrs = range_test_lrs(start_lr, end_lr, num_iter)
    batch_size = check_int("batch_size", batch_size, low=1)
    beta = _check_beta(beta)
    diverge_factor = check_number("diverge_factor", diverge_factor, low=1, low_open=True)
    X = check_array("X", X, ndim=2, min_rows=1)
    epochs = -(-len(lrs) // -(-X.shape[0] // batch_size))  # enough epochs for num_iter updates

    saved = (model_state(model), copy.deepcopy(optimizer.state), optimizer.step_count,
             optimizer.lr, model.training)
    watch = _StopWhenDiverged(len(lrs), beta, diverge_factor)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DivergenceWarning)  # diverging is how it ends
            history = fit(model, X, y, loss=loss, optimizer=optimizer, epochs=epochs,
                          batch_size=batch_size, rng=rng, shuffle=shuffle,
                          schedule=lambda t: lrs[t], callbacks=[watch])
    finally:
        state, opt_state, steps, lr0, training = saved
        load_model_state(model, state)
        optimizer.state[:] = opt_state
        optimizer.step_count = steps
        optimizer.lr = lr0
        model.train(training)
    losses = np.array(history.loss, dtype=np.float64)
    stopped_at = watch.stopped_at
    if history.diverged:  # a NaN/inf loss or gradient: the point is kept, as NaN
        losses[history.diverged_at] = math.nan
        stopped_at = history.diverged_at
    smoothed = smooth_losses(losses, beta)
    tested = lrs[: len(losses)]
    if np.isfinite(smoothed).sum() >= 3:
        lr_at_min, max_lr, steepest = suggest_lrs(tested, smoothed)
    else:
        lr_at_min = max_lr = steepest = math.nan
    return RangeTest(lrs=tested, losses=losses, smoothed=smoothed, stopped_at=stopped_at,
                     lr_at_min=lr_at_min, max_lr=max_lr, steepest_lr=steepest)


# --------------------------------------------------------------------------- random search


def log_uniform(low, high, size=None, rng=None):
    """Values drawn uniformly on a log scale between ``low`` and ``high``.

    Equations::

        u ~ Uniform(ln low, ln high),     value = exp(u)

    so every factor of 10 between ``low`` and ``high`` gets the same share of the draws
    (a plain ``Uniform(low, high)`` puts 90 % of them in the top decade).

    Args:
        low: > 0. high: > low.
        size: None (one float) or the number of values (or a shape).
        rng: None, a seed or a Generator.

    Returns:
        a float, or a float64 array of shape ``size``.

    Raises:
        ValueError, TypeError: ``low <= 0`` or ``high <= low``.
    """
    low = check_number("low", low, low=0, low_open=True)
    high = check_number("high", high, low=0, low_open=True)
    if high <= low:
        raise ValueError(f"high must be > low ({low:g}), got {high:g}")
    rng = check_rng(rng)
    u = rng.uniform(math.log(low), math.log(high), size)
    return float(np.exp(u)) if size is None else np.exp(u)


def log_grid(low, high, n):
    """``n`` values evenly spaced on a log scale from ``low`` to ``high`` (both included).

    Equations::

        value_i = low * (high / low) ** (i / (n - 1)),   i = 0 .. n - 1   (n = 1: low)

    Raises:
        ValueError, TypeError: ``low <= 0``, ``high < low`` or ``n < 1``.
    """
    low = check_number("low", low, low=0, low_open=True)
    high = check_number("high", high, low=0, low_open=True)
    if high < low:
        raise ValueError(f"high must be >= low ({low:g}), got {high:g}")
    n = check_int("n", n, low=1)
    if n == 1:
        return np.array([low])
    return low * (high / low) ** (np.arange(n) / (n - 1))


def _check_space(space):
    if not isinstance(space, dict) or not space:
        raise TypeError(f"space must be a non-empty dict name -> (low, high), got {space!r}")
    for name, bounds in space.items():
        if not (isinstance(bounds, (tuple, list)) and len(bounds) == 2):
            raise ValueError(f"space[{name!r}] must be (low, high), got {bounds!r}")
    return space


def sample_configs(space, n, rng=None):
    """Random search: ``n`` configurations, each knob drawn with :func:`log_uniform`.

    Args:
        space: ``{name: (low, high)}``, every range on a log scale.
        n: >= 1 configurations.
        rng: None, a seed or a Generator. The knobs are drawn in the order of ``space``,
            ``n`` values each.

    Returns:
        list of ``n`` dicts ``{name: value}``.
    """
    space = _check_space(space)
    n = check_int("n", n, low=1)
    rng = check_rng(rng)
    columns = {name: log_uniform(lo, hi, n, rng) for name, (lo, hi) in space.items()}
    return [{name: float(columns[name][i]) for name in space} for i in range(n)]


def grid_configs(space, n_per_knob):
    """Grid search: every combination of :func:`log_grid` values, ``n_per_knob`` per knob.

    Returns:
        list of ``n_per_knob ** len(space)`` dicts, the last knob varying fastest.
    """
    space = _check_space(space)
    n_per_knob = check_int("n_per_knob", n_per_knob, low=1)
    axes = [log_grid(lo, hi, n_per_knob) for lo, hi in space.values()]
    mesh = np.meshgrid(*axes, indexing="ij")
    flat = [m.ravel() for m in mesh]
    return [{name: float(col[i]) for name, col in zip(space, flat)} for i in range(flat[0].size)]
