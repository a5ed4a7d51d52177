"""Lesson 12's networks and measurements: plain and residual stacks on the digits.

A stack of ``depth`` blocks, each ``F(x) = Linear(act(Linear(x)))`` (16 units wide), between an
input layer ``Linear(64, 16)`` and an output layer ``Linear(16, 10)``, on 200 digits. The
*plain* network chains the blocks, ``x_(l+1) = F_l(x_l)``; the *residual* network adds a skip
connection around each, ``x_(l+1) = x_l + F_l(x_l)`` (:class:`nnlesson.layers.Residual`). With
the same random seed both get the same weights: the only difference is the ``+ x``.

* :func:`residual_network` (the library's) builds either; :func:`weight_grad_norms` measures
  ``||dL/dW||`` of every linear layer; :func:`train_briefly` trains one network with plain
  gradient descent (:func:`nnlesson.train.fit`, full batch); :func:`depth_sweep` trains both
  kinds for several depths and learning rates (cached).
* :func:`forward_scales` follows the signal's size through a network;
  :func:`scale_residual_branches` multiplies each block's last weight matrix by a factor (the
  exercise derives which), and :func:`signal_growth` measures what that does over many random
  seeds.

Why the skip helps: backward through a plain block multiplies the gradient by the block's
Jacobian, ``dx_l = J_l^T dx_(l+1)``, so ``depth`` such factors smaller than one make it vanish
geometrically. Through a residual block ``dx_l = dx_(l+1) + J_l^T dx_(l+1)``: the first term
carries the gradient unchanged, however small ``J_l`` is.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_choice, check_int, check_number
from nnlesson.datasets import load_digits
from nnlesson.layers import Linear, ReLU, Residual, Sequential, Sigmoid, Tanh
from nnlesson.losses import softmax_cross_entropy
from nnlesson.optim import SGD
from nnlesson.scaling import StandardScaler
# the networks and the measurement live in the library (the exercise check uses them too)
from nnlesson.train import fit, residual_network, weight_grad_norms
from nnlesson.viz.explorer import log_ladder

__all__ = ["ACTIVATIONS", "WIDTH", "N_DIGITS", "DEPTHS", "LRS", "STEPS", "DIVERGED_LOSS",
           "digits_subset", "residual_network", "weight_grad_norms", "forward_scales",
           "train_briefly", "SweepResult", "depth_sweep", "scale_residual_branches",
           "signal_growth"]

#: Activation inside each block, with the initializer the library pairs it with.
ACTIVATIONS = {"sigmoid": (Sigmoid, "xavier_uniform"), "tanh": (Tanh, "xavier_uniform"),
               "relu": (ReLU, "he_uniform")}
#: Digits the networks are trained on (a seeded random subset, standardized).
N_DIGITS = 200
#: Units per hidden layer.
WIDTH = 16
#: Depths (blocks) and learning rates of the sweeps and of the explorer (1-3 per decade).
DEPTHS = (1, 2, 4, 8, 16)
LRS = log_ladder(0.03, 1.0, "1-3")
#: Gradient-descent updates per training.
STEPS = 30
#: A training whose loss ends above this (or not finite) diverged: guessing scores ln 10 = 2.3.
DIVERGED_LOSS = 100.0


@functools.lru_cache(maxsize=4)
def _digits(n, seed):

    ds = load_digits()
    rows = np.random.default_rng(seed).permutation(ds.n_samples)[:n]
    X = StandardScaler().fit(ds.X[rows]).transform(ds.X[rows])
    y = ds.y[rows]
    for a in (X, y):
        a.flags.writeable = False
    return X, y


def digits_subset(n=N_DIGITS, seed=0):
    """``n`` digits drawn at random (random seed ``seed``), standardized: ``(X (n, 64), y (n,))``,
    copies."""
    n = check_int("n", n, low=10, high=1797)
    X, y = _digits(n, check_int("seed", seed, low=0))
    return X.copy(), y.copy()


def forward_scales(model, X):
    """The standard deviation of the signal after each item of a :class:`Sequential` model.

    ``scales[0]`` is the input's, ``scales[k]`` the output of ``model[k - 1]``: for
    :func:`residual_network`, ``scales[1]`` is after the input layer, ``scales[1 + l]`` after
    block ``l`` and ``scales[-1]`` the logits'.

    Returns:
        float64 array (len(model) + 1,).
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    x = np.asarray(X, dtype=np.float64)
    scales = [float(np.std(x))]
    for layer in model:
        x = layer.forward(x)
        scales.append(float(np.std(x)))
    return np.array(scales)


def train_briefly(model, X, y, lr, steps=STEPS):
    """``steps`` full-batch gradient-descent updates with :func:`nnlesson.train.fit`.

    ``SGD(lr)`` without momentum, ``batch_size = N``, no shuffling: the loss curve depends only
    on the architecture, the weights and ``lr``.

    Returns:
        The per-update loss (``steps`` values, fewer if training diverged; a diverged run ends
        with its non-finite loss).
    """

    lr = check_number("lr", lr, low=0, low_open=True)
    steps = check_int("steps", steps, low=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # divergence is one of the outcomes we show
        history = fit(model, X, y, optimizer=SGD(model.parameters(), lr=lr), epochs=steps,
                      batch_size=len(X), shuffle=False)
    return np.array(history.loss, dtype=float)


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Trainings of plain and residual networks over depths and learning rates.

    Attributes:
        depths, lrs: the grid. steps: updates per training. activation: the block's.
        losses: ``{(depth, lr, skip): loss per update}`` (shorter when it diverged).
        grad_norms: ``{(depth, skip): weight_grad_norms at initialization}``.
        initial_loss: ``{(depth, skip): loss before training}``.
    """

    depths: tuple
    lrs: tuple
    steps: int
    activation: str
    losses: dict
    grad_norms: dict
    initial_loss: dict

    def diverged_at(self, depth, lr, skip):
        """The update (from 1) at which training diverged, or None."""
        curve = self.losses[(depth, lr, skip)]
        if len(curve) < self.steps or not np.isfinite(curve[-1]):
            return len(curve)
        return self.steps if curve[-1] >= DIVERGED_LOSS else None

    def final_loss(self, depth, lr, skip):
        """The loss of the last update; ``inf`` if training diverged."""
        if self.diverged_at(depth, lr, skip) is not None:
            return np.inf
        return float(self.losses[(depth, lr, skip)][-1])

    def best(self, depth, skip):
        """``(final loss, lr)`` of the best learning rate at this depth."""
        return min((self.final_loss(depth, lr, skip), lr) for lr in self.lrs)

    def ratio(self, depth, skip):
        """Gradient norm of the first block's first layer over that of the last block's last
        layer, at initialization."""
        g = self.grad_norms[(depth, skip)]
        return float(g[1] / g[-2])


@functools.lru_cache(maxsize=16)
def _sweep(depths, lrs, steps, activation, n, seed):
    X, y = _digits(n, seed)
    losses, grads, initial = {}, {}, {}
    for depth in depths:
        for skip in (False, True):
            model = residual_network(depth, skip=skip, activation=activation, seed=seed)
            grads[(depth, skip)] = weight_grad_norms(model, X, y)
            initial[(depth, skip)] = softmax_cross_entropy(model.forward(X), y)[0]
            for lr in lrs:
                model = residual_network(depth, skip=skip, activation=activation, seed=seed)
                losses[(depth, lr, skip)] = train_briefly(model, X, y, lr, steps)
    return SweepResult(depths, lrs, steps, activation, losses, grads, initial)


def depth_sweep(depths=DEPTHS, lrs=LRS, *, steps=STEPS, activation="sigmoid", n=N_DIGITS,
                seed=0):
    """Train the plain and the residual network at every depth and learning rate.

    Each training: :func:`residual_network` (same ``seed``, so the same weights) trained by
    :func:`train_briefly` on :func:`digits_subset` ``(n, seed)``. The result is cached per
    arguments (the explorer, the figures and the lesson's printed numbers share it).

    Returns:
        :class:`SweepResult`.
    """
    depths = tuple(check_int("depths", d, low=1) for d in depths)
    lrs = tuple(float(check_number("lrs", v, low=0, low_open=True)) for v in lrs)
    if not depths or not lrs:
        raise ValueError("depths and lrs must each hold at least one value")
    check_choice("activation", activation, tuple(ACTIVATIONS))
    return _sweep(depths, lrs, check_int("steps", steps, low=1), activation,
                  check_int("n", n, low=10, high=1797), check_int("seed", seed, low=0))


def scale_residual_branches(model, alpha):
    """Multiply the last weight matrix of every residual block of ``model`` by ``alpha``, in
    place (the bias is left alone: it starts at 0), and return the model.

    With ``alpha < 1`` each block starts closer to the identity, ``y = x + alpha F(x)``: the
    idea behind Fixup (Zhang, Dauphin & Ma 2019) and SkipInit (De & Smith 2020).
    """
    alpha = check_number("alpha", alpha, low=0)
    blocks = [m for m in model if isinstance(m, Residual)]
    if not blocks:
        raise ValueError("model must contain residual blocks (residual_network(..., skip=True))")
    for block in blocks:
        last = [m for m in block.block.modules() if isinstance(m, Linear)][-1]
        last.W.value *= alpha
    return model


def signal_growth(depth, alpha=1.0, *, activation="relu", seeds=range(20), X=None):
    """How much the residual blocks multiply the mean square of the signal, over random seeds.

    For each random seed: :func:`residual_network` ``(depth, skip=True)`` with its branches
    scaled by ``alpha`` (:func:`scale_residual_branches`), and the ratio of the mean square of
    the signal after the last block to that after the input layer, on ``X`` (default the
    lesson's digits).

    Returns:
        float64 array, one ratio per random seed.
    """
    depth = check_int("depth", depth, low=1)
    X = digits_subset()[0] if X is None else np.asarray(X, dtype=np.float64)
    out = []
    for seed in seeds:
        model = scale_residual_branches(
            residual_network(depth, skip=True, activation=activation, seed=int(seed)), alpha)
        h = model[0].forward(X)
        start = float(np.mean(h ** 2))
        for block in list(model)[1:-1]:
            h = block.forward(h)
        out.append(float(np.mean(h ** 2)) / start)
    return np.array(out)
