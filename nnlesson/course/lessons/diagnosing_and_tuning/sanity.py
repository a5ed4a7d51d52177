"""Lesson 14's sanity checks before training: the first loss, and one small batch overfitted."""
from __future__ import annotations

import functools
import math

import numpy as np

from nnlesson.datasets import load_digits_split
from nnlesson.diagnosis import expected_initial_loss, overfit_small_batch
from nnlesson.losses import softmax_cross_entropy
from nnlesson.optim import SGD
from nnlesson.train import mlp
from nnlesson.viz.plotting import describe, figure, label_axes, series_style

__all__ = ["sanity_checks", "figure_sanity"]

#: The lesson's network: 64 pixels, two hidden ReLU layers of 64, ten classes.
SIZES = (64, 64, 64, 10)


@functools.lru_cache(maxsize=2)
def sanity_checks(seed=0):
    """The two checks before training, on ``mlp([64, 64, 64, 10])`` (He initialization).

    Returns a dict: ``ln10`` (:func:`nnlesson.diagnosis.expected_initial_loss`);
    ``first_loss`` (the network on the first 64 training digits); ``first_loss_small_last``
    (the same network with its last layer's weights divided by 100, so that it starts out
    guessing); ``overfit`` (the losses of 200 full-batch updates on 20 digits, SGD 0.1 with
    momentum 0.9); ``overfit_frozen`` (the same with a learning rate of 0: what a loop whose
    updates never reach the weights shows).
    """
    X, _, y, _ = load_digits_split()
    model = mlp(list(SIZES), rng=seed)
    first = float(softmax_cross_entropy(model.forward(X[:64]), y[:64])[0])
    model.layers[-1].W.value /= 100
    small = float(softmax_cross_entropy(model.forward(X[:64]), y[:64])[0])
    runs = {}
    for name, lr in (("overfit", 0.1), ("overfit_frozen", 0.0)):
        net = mlp(list(SIZES), rng=seed)
        runs[name] = overfit_small_batch(net, X[:20], y[:20],
                                         optimizer=SGD(net.parameters(), lr=lr, momentum=0.9),
                                         steps=200)
    return {"ln10": expected_initial_loss(10), "first_loss": first,
            "first_loss_small_last": small, **runs}


def figure_sanity(checks=None):
    """The loss of 200 updates on 20 digits: a working loop drives it to about zero."""
    c = sanity_checks() if checks is None else checks
    fig, ax = figure((880, 340))
    t = np.arange(len(c["overfit"]))
    ax.plot(t, c["overfit"], label="working loop", **dict(series_style(0), markevery=20))
    ax.plot(t, c["overfit_frozen"], label="updates never applied",
            **dict(series_style(1), markevery=20))
    ax.axhline(c["ln10"], color="#666666", linewidth=1, linestyle=":", label="ln 10 = 2.30")
    ax.set_yscale("log")
    label_axes(ax, title="overfit 20 digits first: the loss must go to about zero",
               xlabel="update", ylabel="loss on the 20 digits")
    ax.legend(loc="center right", framealpha=0.9)
    return describe(fig, f"Loss on 20 training digits over 200 updates, log scale: the working "
                         f"loop falls from {c['overfit'][0]:.2f} to {c['overfit'][-1]:.1e}; "
                         f"with the updates never applied it stays at "
                         f"{c['overfit_frozen'][-1]:.2f}, above ln 10 = {math.log(10):.2f}.")
