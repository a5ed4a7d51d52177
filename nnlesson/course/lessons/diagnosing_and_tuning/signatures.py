"""Lesson 14's curve signatures: one digits run per signature of
:data:`nnlesson.diagnosis.SIGNATURES`, and the figure of their loss curves."""
from __future__ import annotations

import functools
import math

import numpy as np

from nnlesson.course.patients import patient
from nnlesson.datasets import load_digits_split
from nnlesson.diagnosis import SIGNATURES, find_evidence, record_training
from nnlesson.layers import Linear
from nnlesson.optim import SGD
from nnlesson.train import mlp
from nnlesson.viz.plotting import describe, figure, series_style

__all__ = ["signature_runs", "signatures_found", "figure_signatures", "SIGNATURE_TITLES"]

_LOSS_RANGE = (5e-3, 20.0)  # the loss axis of every panel (log)

SIGNATURE_TITLES = {
    "lr_too_high": "rate too high", "lr_too_low": "rate too low", "overfitting": "overfitting",
    "underfitting": "underfitting", "plateau": "plateau", "dead_relus": "dead ReLUs",
    "exploding_gradients": "exploding gradients"}


def _train(model, lr, X=None, y=None, epochs=12):
    X_tr, X_val, y_tr, y_val = load_digits_split()
    X = X_tr if X is None else X
    y = y_tr if y is None else y
    opt = SGD(model.parameters(), lr=lr, momentum=0.9)
    return record_training(model, X, y, X_val, y_val, optimizer=opt, epochs=epochs,
                           batch_size=64, rng=0)


@functools.lru_cache(maxsize=1)
def signature_runs():
    """``{signature: RunRecord}``, one digits run per signature (SGD, momentum 0.9):

    ``lr_too_high``: the lr_too_high patient (rate 1.0); ``lr_too_low``: the healthy network
    at 0.001; ``overfitting``: 200 training digits, a fifth of them with a wrong label, 40
    epochs; ``underfitting``: 2 hidden units; ``plateau``: four hidden layers with weights at
    a fifth of He's, rate 0.03; ``dead_relus``: the dead_relu_init patient;
    ``exploding_gradients``: six hidden layers at rate 0.1.
    """
    X, _, y, _ = load_digits_split()
    runs = {"lr_too_high": patient("lr_too_high"),
            "lr_too_low": patient("healthy", lr_factor=0.02)}
    noisy = y[:200].copy()
    wrong = np.random.default_rng(0).random(200) < 0.2  # a fifth of the labels made wrong
    noisy[wrong] = (noisy[wrong] + 1 + np.arange(wrong.sum()) % 9) % 10
    runs["overfitting"] = _train(mlp([64, 64, 64, 10], rng=0), 0.05, X[:200], noisy, epochs=40)
    runs["underfitting"] = _train(mlp([64, 2, 10], rng=0), 0.05, epochs=20)
    model = mlp([64, 32, 32, 32, 10], rng=0)
    for layer in model.layers:
        if isinstance(layer, Linear):
            layer.W.value *= 0.2
    runs["plateau"] = _train(model, 0.03)
    runs["dead_relus"] = patient("dead_relu_init")
    runs["exploding_gradients"] = _train(mlp([64] + [64] * 6 + [10], rng=0), 0.1)
    return runs


def signatures_found(runs=None):
    """``{run name: [signatures find_evidence sees in it]}``, in :data:`SIGNATURES` order."""
    runs = signature_runs() if runs is None else runs
    found = {}
    for name, run in runs.items():
        evidence = find_evidence(run)
        found[name] = [k for k in SIGNATURES if evidence[k].present]
    return found


def figure_signatures(runs=None):
    """Seven runs, one signature each: training and validation loss per epoch (log scale)."""
    runs = signature_runs() if runs is None else runs
    from matplotlib.ticker import FixedLocator, NullFormatter

    fig, axes = figure((880, 520), ncols=4, nrows=2)
    for ax, (name, r) in zip(axes.ravel(), runs.items()):
        e = np.arange(1, r.epochs_run + 1)
        ax.plot(e, np.clip(r.train_loss, *_LOSS_RANGE), label="training",
                **dict(series_style(0), markevery=None, markersize=3))
        ax.plot(e, np.clip(r.val_loss, *_LOSS_RANGE), label="validation",
                **dict(series_style(1), markevery=None, markersize=3))
        ax.axhline(math.log(10), color="#888888", linewidth=0.8, linestyle=":")
        if r.diverged:
            ax.text(0.5, 0.06, f"diverged at\nupdate {r.diverged_at}", transform=ax.transAxes,
                    ha="center", va="bottom")  # below the curves, on no data
        ax.set_yscale("log")
        ax.set_ylim(*_LOSS_RANGE)
        ax.yaxis.set_major_locator(FixedLocator([0.01, 0.1, 1, 10]))
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:g}")
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(SIGNATURE_TITLES[name])
        ax.set_xlabel("epoch")
    for row in axes:
        row[0].set_ylabel("loss (log)")
    last = axes.ravel()[-1]
    last.axis("off")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    ln10 = last.plot([], [], color="#888888", linestyle=":")[0]
    last.legend(handles + [ln10], labels + ["ln 10"], loc="center", frameon=False)
    return describe(fig, "Seven small plots of training and validation loss per epoch on a log "
                         "scale: rate too high (a jump, then stuck at ln 10), rate too low (a "
                         "slow steady fall), overfitting (validation turns up while training "
                         "falls), underfitting (both stay high together), plateau (flat near "
                         "ln 10, then a drop), dead ReLUs (flat at ln 10 from the start), "
                         "exploding gradients (falls, then the run diverges).")
