"""Lesson 10: "batch norm makes networks less sensitive to initialization", measured.

Lesson 09's deep network (6 hidden ReLU layers of 32 units) on the digits, from lesson 09's
starts (zeros, tiny and large random weights, Xavier, He), with and without a
:class:`~nnlesson.norm.BatchNorm` after every hidden ``Linear``: :func:`start_run` (one run,
cached), :func:`init_sensitivity` (all of them), and :func:`scale_invariance`, why batch norm
cannot tell large weights from small ones, and what that does to their gradients.
"""
from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_bool, check_choice, check_int, check_number
from nnlesson.datasets import load_digits_split
from nnlesson.init import INITIALIZERS
from nnlesson.losses import softmax_cross_entropy
from nnlesson.optim import SGD
from nnlesson.train import evaluate, fit, mlp

__all__ = ["STARTS", "SENSITIVITY_SEEDS", "Sensitivity", "start_run", "init_sensitivity",
           "scale_invariance"]

#: Lesson 09's starting weights: key -> (label, library initializer, its keywords).
STARTS = {
    "zeros": ("zeros", "zeros", {}),
    "small": ("small random N(0, 0.01²)", "normal", {"std": 0.01}),
    "large": ("large random N(0, 1)", "normal", {"std": 1.0}),
    "xavier_uniform": ("Xavier uniform", "xavier_uniform", {}),
    "he_uniform": ("He uniform", "he_uniform", {}),
}
#: Random seeds of every start (initial weights and shuffling).
SENSITIVITY_SEEDS = (0, 1, 2)
_HIDDEN = (32,) * 6


def _network(start, batch_norm, seed):
    _, name, kwargs = STARTS[start]
    net = mlp([64, *_HIDDEN, 10], batch_norm=batch_norm, init=name, rng=seed)
    if kwargs:  # a start with non-default arguments: redraw the weights with them
        rng = np.random.default_rng(seed)
        for p in net.parameters():
            if p.value.ndim == 2:
                p.value[...] = INITIALIZERS[name](p.value.shape, rng=rng, **kwargs)
    return net


def start_run(start, batch_norm, *, lr=0.1, epochs=5, seed=0):
    """Validation accuracy (NaN if training diverged) of lesson 09's network from ``start``.

    ``mlp([64, 32, 32, 32, 32, 32, 32, 10], batch_norm=...)`` with ReLU, weights from
    :data:`STARTS`, trained by :func:`nnlesson.train.fit` with plain SGD for ``epochs`` epochs
    of 64 (20 updates each). Cached.
    """
    check_choice("start", start, tuple(STARTS))
    batch_norm = check_bool("batch_norm", batch_norm)
    lr = check_number("lr", lr, low=0, low_open=True)
    epochs = check_int("epochs", epochs, low=1)
    seed = check_int("seed", seed, low=0)
    return _start_run(start, batch_norm, lr, epochs, seed)


@functools.lru_cache(maxsize=None)
def _start_run(start, batch_norm, lr, epochs, seed):
    X, X_val, y, y_val = load_digits_split()
    net = _network(start, batch_norm, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a diverged run is part of the measurement
        history = fit(net, X, y, optimizer=SGD(net.parameters(), lr=lr), epochs=epochs,
                      batch_size=64, rng=seed)
    return math.nan if history.diverged else float(evaluate(net, X_val, y_val)[1])


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """The runs of :func:`init_sensitivity`.

    Attributes:
        starts, seeds, lr: what was run.
        accuracy: array (2, len(starts), len(seeds)): validation accuracy, index 0 without batch
            norm, 1 with it; NaN where training diverged.
    """

    starts: tuple
    seeds: tuple
    lr: float
    accuracy: np.ndarray

    def mean(self, batch_norm, start):
        """``(mean accuracy over the random seeds that did not diverge (NaN if none), number
        that diverged)``."""
        row = self.accuracy[int(batch_norm), self.starts.index(start)]
        kept = row[~np.isnan(row)]
        return (float(kept.mean()) if kept.size else math.nan), int(np.isnan(row).sum())

    def table(self):
        """One line per start: mean accuracy without and with batch norm."""
        lines = [f"{'start':<26}{'without BN':>14}{'with BN':>14}"]
        for start in self.starts:
            cells = []
            for bn in (False, True):
                mean, diverged = self.mean(bn, start)
                text = "diverged" if math.isnan(mean) else f"{mean:.2f}"
                if diverged and not math.isnan(mean):
                    text += f" ({diverged} div.)"
                cells.append(f"{text:>14}")
            lines.append(f"{STARTS[start][0]:<26}" + "".join(cells))
        return "\n".join(lines)


def init_sensitivity(starts=tuple(STARTS), seeds=SENSITIVITY_SEEDS, lr=0.1):
    """:func:`start_run` for every start and random seed, with and without batch norm.

    Returns:
        :class:`Sensitivity`. Cost: ``2 * len(starts) * len(seeds)`` runs of 100 updates.
    """
    starts, seeds = tuple(starts), tuple(int(s) for s in seeds)
    acc = np.array([[[start_run(s, bn, lr=lr, seed=seed) for seed in seeds] for s in starts]
                    for bn in (False, True)])
    return Sensitivity(starts=starts, seeds=seeds, lr=float(lr), accuracy=acc)


def scale_invariance(scale=10.0, seed=0):
    """What scaling the first layer's weights by ``scale`` does to a batch-norm network.

    Lesson 09's network with batch norm and He weights, on one mini-batch of 64 digits: the
    output, and the gradient of the first layer's weights, before and after
    ``W_1 <- scale * W_1``. Batch norm divides the scale out again, so the output does not
    change, while the gradient shrinks by ``1 / scale``: the step relative to the weights
    shrinks by ``1 / scale^2``.

    Returns:
        ``(largest output change, ||dL/dW_1|| scaled / ||dL/dW_1|| as it was)``.
    """
    scale = check_number("scale", scale, low=0, low_open=True)
    X = load_digits_split()[0][:64]
    y = load_digits_split()[2][:64]
    outputs, norms = [], []
    for factor in (1.0, scale):
        net = _network("he_uniform", True, seed)
        net[0].W.value *= factor
        out = net.forward(X)
        _, dout = softmax_cross_entropy(out, y)
        net.zero_grad()
        net.backward(dout)
        outputs.append(out)
        norms.append(float(np.linalg.norm(net[0].W.grad)))
    return float(np.abs(outputs[1] - outputs[0]).max()), norms[1] / norms[0]
