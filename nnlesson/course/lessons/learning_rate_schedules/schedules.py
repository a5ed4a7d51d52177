"""Lesson 07, the schedules: one set of knobs for every schedule of :mod:`nnlesson.schedules`,
and pictures of their curves.

The step convention is the library's: ``schedule(t)`` is the rate of update ``t = 0, 1, ...``.
Knobs given in epochs become steps through ``steps_per_epoch``.
"""
from __future__ import annotations

import math

import numpy as np

from nnlesson._validate import check_choice, check_int, check_number
from nnlesson.schedules import (
    CosineAnnealing,
    CosineWarmRestarts,
    InverseTimeDecay,
    LinearWarmup,
    NaturalExpDecay,
    OneCycle,
    ReduceLROnPlateau,
    StepDecay,
    schedule_values,
)
from nnlesson.viz.plotting import describe, figure, label_axes, readable, series_style

__all__ = [
    "SCHEDULES",
    "WARMUP_START",
    "KNOBS",
    "make_schedule",
    "figure_schedule_gallery",
    "figure_lr_curves",
]

#: The schedules of the explorer, in the order of its dropdown.
SCHEDULES = (
    "constant",
    "step decay",
    "exponential decay",
    "1/t decay",
    "cosine annealing",
    "warm restarts",
    "one-cycle",
    "warm-up + cosine",
    "reduce on plateau",
)

#: Where the linear warm-up of "warm-up + cosine" starts, as a fraction of lr0.
WARMUP_START = 0.1

#: Which schedules use each knob (the others ignore it): the explorer shows a knob only then.
KNOBS = {
    "decay": ("step decay", "exponential decay", "1/t decay", "reduce on plateau"),
    "period": ("step decay", "exponential decay", "1/t decay", "warm restarts",
               "reduce on plateau"),
    "T_mult": ("warm restarts",),
    "pct_start": ("one-cycle", "warm-up + cosine"),
}


def make_schedule(name, lr0, *, steps_per_epoch, epochs, decay=0.3, period=5, T_mult=1,
                  pct_start=0.3):
    """Build the library schedule ``name`` from the explorer's knobs.

    The knobs are shared by the schedules so that one set of sliders drives them all
    (:data:`KNOBS` says which schedule uses which):

    ======================  ==============================================================
    name                    library object (``T = epochs * steps_per_epoch``,
                            ``P = period * steps_per_epoch``)
    ======================  ==============================================================
    ``constant``            the number ``lr0`` itself (no schedule: the rate never changes)
    ``step decay``          ``StepDecay(lr0, step_size=P, gamma=decay)``
    ``exponential decay``   ``NaturalExpDecay(lr0, k=-ln(decay) / P)``
    ``1/t decay``           ``InverseTimeDecay(lr0, k=(1 / decay - 1) / P)``
    ``cosine annealing``    ``CosineAnnealing(lr0, T_max=T)``
    ``warm restarts``       ``CosineWarmRestarts(lr0, T_0=P, T_mult=T_mult)``
    ``one-cycle``           ``OneCycle(max_lr=lr0, total_steps=T, pct_start=pct_start)``
    ``warm-up + cosine``    ``LinearWarmup(lr0, W, 0.1, after=CosineAnnealing(lr0, T - W))``
                            with ``W = round(pct_start * T)`` warm-up steps
    ``reduce on plateau``   ``ReduceLROnPlateau(lr0, factor=decay, patience=period)``,
                            stepped once per epoch
    ======================  ==============================================================

    So step, exponential and 1/t decay all reach ``decay * lr0`` after ``period`` epochs: the
    same target, reached in one jump, smoothly, or ever more slowly.

    Returns:
        a schedule ``t -> lr``; a :class:`~nnlesson.schedules.ReduceLROnPlateau` for
        ``"reduce on plateau"`` (driven with ``step(metric)`` instead); the float ``lr0`` for
        ``"constant"``.
    """
    check_choice("name", name, SCHEDULES)
    lr0 = check_number("lr0", lr0, low=0, low_open=True)
    steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch, low=1)
    epochs = check_int("epochs", epochs, low=1)
    decay = check_number("decay", decay, low=0, high=1, low_open=True, high_open=True)
    period = check_int("period", period, low=1)
    T_mult = check_int("T_mult", T_mult, low=1)
    pct_start = check_number("pct_start", pct_start, low=0, high=1, low_open=True, high_open=True)
    T = epochs * steps_per_epoch
    P = period * steps_per_epoch
    if name == "constant":
        return lr0
    if name == "step decay":
        return StepDecay(lr0, step_size=P, gamma=decay)
    if name == "exponential decay":
        return NaturalExpDecay(lr0, k=-math.log(decay) / P)
    if name == "1/t decay":
        return InverseTimeDecay(lr0, k=(1 / decay - 1) / P)
    if name == "cosine annealing":
        return CosineAnnealing(lr0, T_max=T)
    if name == "warm restarts":
        return CosineWarmRestarts(lr0, T_0=P, T_mult=T_mult)
    if name == "one-cycle":
        return OneCycle(max_lr=lr0, total_steps=T, pct_start=pct_start)
    if name == "warm-up + cosine":
        warm = min(max(1, round(pct_start * T)), T - 1)
        return LinearWarmup(lr0, warmup_steps=warm, start_factor=WARMUP_START,
                            after=CosineAnnealing(lr0, T_max=T - warm))
    return ReduceLROnPlateau(lr0, factor=decay, patience=period)


def _plateau_demo_losses(epochs):
    """A made-up validation loss that improves, stalls at epoch 6 and again at 15."""
    loss, value = [], 1.0
    for e in range(epochs):
        if e < 6 or 10 <= e < 15:
            value *= 0.8
        loss.append(value)
    return loss


def figure_schedule_gallery(lr0=0.1, epochs=30, steps_per_epoch=10):
    """Every schedule of the explorer on one page, each over the same budget."""
    lr0 = check_number("lr0", lr0, low=0, low_open=True)
    epochs = check_int("epochs", epochs, low=5)
    steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch, low=1)
    # short enough to share a slide with its heading and one sentence (1280x720)
    fig, axes = figure((880, 470), 3, 3)
    T = epochs * steps_per_epoch
    t = np.arange(T) / steps_per_epoch
    for i, (ax, name) in enumerate(zip(axes.ravel(), SCHEDULES)):
        sched = make_schedule(name, lr0, steps_per_epoch=steps_per_epoch, epochs=epochs,
                              decay=0.3, period=epochs // 5 if name != "reduce on plateau" else 2,
                              T_mult=2, pct_start=0.3)
        if isinstance(sched, ReduceLROnPlateau):
            # epoch e uses the rate set after the losses of epochs 0 .. e-1
            per_epoch = [sched.lr] + [sched.step(v) for v in _plateau_demo_losses(epochs)[:-1]]
            lrs = np.repeat(per_epoch, steps_per_epoch)
        elif isinstance(sched, float):
            lrs = np.full(T, sched)
        else:
            lrs = schedule_values(sched, T)
        style = dict(series_style(i if i < 6 else i + 1), markevery=0.1, markersize=4)
        ax.plot(t, lrs, **style)  # the yellow of the palette (6) is skipped: pale on white
        ax.set_ylim(0, 1.08 * lr0)
        ax.set_xlim(0, epochs)
        ax.set_yticks([0, lr0 / 2, lr0])
        # the same axes everywhere: numbers on the outer panels only
        ax.tick_params(labelbottom=i >= 6, labelleft=i % 3 == 0)
        label_axes(ax, title=name if name != "reduce on plateau" else "reduce on plateau*",
                   xlabel="epoch" if i >= 6 else "", ylabel="rate" if i % 3 == 0 else "")
    readable(fig)
    return describe(fig, (
        f"Nine small plots of the learning rate against the epoch ({epochs} epochs of "
        f"{steps_per_epoch} updates, peak {lr0:g}): constant; step decay drops to 0.3 times "
        f"every {epochs // 5} epochs; exponential and 1/t decay reach the same rates smoothly, "
        "1/t ever more slowly; cosine annealing falls from the peak to 0; warm restarts jump "
        "back to the peak at the end of cycles that double in length; one-cycle climbs from "
        "a 25th of the peak, then falls far below its start; warm-up + cosine climbs from a "
        "tenth, then follows a cosine to 0; reduce on plateau (*for a made-up validation loss "
        "that stalls at epochs 6 and 15) drops the rate to 0.3 times twice."))


def figure_lr_curves(curves, *, title="learning rate per step", alt=None):
    """Learning-rate curves ``{label: rates}`` (each a sequence indexed by the step ``t``)."""
    fig, ax = figure((680, 320))
    for i, (label, rates) in enumerate(curves.items()):
        rates = np.asarray(rates, dtype=np.float64)
        ax.plot(np.arange(len(rates)), rates, label=label,
                **dict(series_style(i), markevery=0.1, markersize=4))
    label_axes(ax, title=title, xlabel="step t", ylabel="learning rate")
    ax.set_ylim(bottom=0)
    fig.legend(loc="outside right upper", frameon=False)
    readable(fig)
    if alt is None:
        alt = (f"The learning rate against the step t of {', '.join(curves)}: {title}.")
    return describe(fig, alt)
