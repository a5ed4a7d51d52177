"""Lesson 10: where batch norm goes. Before or after the activation, and over which numbers in
a convolutional network.

* :func:`bn_network` builds the lesson's network with batch norm before the ReLU
  (``Linear -> BatchNorm -> ReLU``, as Ioffe & Szegedy 2015 and :func:`nnlesson.train.mlp`) or
  after it (``Linear -> ReLU -> BatchNorm``); :func:`placement_comparison` trains both, and
  :func:`forgotten_eval` measures what predicting in training mode (``eval()`` forgotten) costs
  the same networks.
* :func:`channel_batchnorm`: batch norm of images ``(N, C, H, W)``, as ``BatchNorm2d``: each
  channel's statistics over the ``N x H x W`` numbers it has in the batch, which is the
  library's :func:`~nnlesson.norm.batchnorm_forward` on the ``(N H W, C)`` matrix of channels.
"""
from __future__ import annotations

import copy as _copy
import functools
import math
import warnings

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number
from nnlesson.datasets import load_digits_split
from nnlesson.layers import Linear, ReLU, Sequential
from nnlesson.norm import BatchNorm, batchnorm_forward
from nnlesson.optim import SGD
from nnlesson.train import evaluate, fit

__all__ = ["PLACES", "bn_network", "placement_comparison", "forgotten_eval", "channel_batchnorm"]

#: Where the batch norm sits relative to the ReLU.
PLACES = ("before", "after")


def bn_network(place, seed=0, hidden=(64, 64)):
    """``64 -> hidden... -> 10`` with ReLU and a BatchNorm in every hidden layer, ``place``d
    ``"before"`` the ReLU (the Linear then has no bias: beta takes its role) or ``"after"``."""
    check_choice("place", place, PLACES)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    layers, n_in = [], 64
    for width in hidden:
        layers.append(Linear(n_in, width, bias=place == "after", init="he_uniform", rng=rng,
                             input_grad=bool(layers)))
        layers += [BatchNorm(width), ReLU()] if place == "before" else [ReLU(), BatchNorm(width)]
        n_in = width
    layers.append(Linear(n_in, 10, init="he_uniform", rng=rng))
    return Sequential(*layers)


def placement_comparison(lrs=(0.3, 1.0), seeds=(0, 1, 2), epochs=3):
    """Validation accuracy of :func:`bn_network` for both places, every rate and random seed.

    Plain SGD, batches of 64, ``epochs`` epochs (20 updates each). Returns
    ``{(place, lr, seed): accuracy}`` (NaN if a run diverged); cached.
    """
    epochs = check_int("epochs", epochs, low=1)
    lrs = tuple(check_number("lr", lr, low=0, low_open=True) for lr in lrs)
    seeds = tuple(check_int("seed", s, low=0) for s in seeds)
    return dict(_placements(lrs, seeds, epochs))


@functools.lru_cache(maxsize=None)
def _trained(place, lr, seed, epochs):
    """``(network, diverged)``: :func:`bn_network` after ``epochs`` epochs of plain SGD, batches
    of 64 (cached: callers must not change the network)."""
    X, _, y, _ = load_digits_split()
    net = bn_network(place, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = fit(net, X, y, optimizer=SGD(net.parameters(), lr=lr), epochs=epochs,
                batch_size=64, rng=seed)
    return net, h.diverged


@functools.lru_cache(maxsize=2)
def _placements(lrs, seeds, epochs):
    _, X_val, _, y_val = load_digits_split()
    out = {}
    for place in PLACES:
        for lr in lrs:
            for seed in seeds:
                net, diverged = _trained(place, lr, seed, epochs)
                out[(place, lr, seed)] = (math.nan if diverged
                                          else float(evaluate(net, X_val, y_val)[1]))
    return tuple(out.items())


def forgotten_eval(place="before", lr=1.0, seeds=(0, 1, 2), batch_sizes=(2, 8), epochs=3):
    """What forgetting ``eval()`` costs: the networks of :func:`placement_comparison` predicting
    the validation digits in training mode.

    In training mode batch norm normalizes each batch with its own statistics, so a digit's
    prediction depends on the digits that share its batch. The validation set is fed in
    consecutive batches of each size (the last one may be smaller), to a copy of the trained
    network (training mode also moves the running statistics).

    Returns:
        ``{seed: {"eval": accuracy in evaluation mode, batch_size: accuracy in training mode}}``.
    """
    place = check_choice("place", place, PLACES)
    lr = check_number("lr", lr, low=0, low_open=True)
    epochs = check_int("epochs", epochs, low=1)
    sizes = tuple(check_int("batch_sizes[i]", b, low=2) for b in batch_sizes)
    _, X_val, _, y_val = load_digits_split()
    out = {}
    for seed in (check_int("seed", s, low=0) for s in seeds):
        net, diverged = _trained(place, lr, seed, epochs)
        if diverged:
            raise ValueError(f"the {place} network at lr {lr} diverged with random seed {seed}")
        row = {"eval": float(evaluate(net, X_val, y_val)[1])}
        for size in sizes:
            copy = _copy.deepcopy(net).train()
            correct = 0
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for start in range(0, len(X_val), size):
                    batch = X_val[start:start + size]
                    if len(batch) < 2:  # one digit alone cannot be batch-normalized
                        batch = X_val[start - 1:start + size]
                        correct += int(np.argmax(copy.forward(batch), axis=1)[-1]
                                       == y_val[start])
                        continue
                    correct += int(np.sum(np.argmax(copy.forward(batch), axis=1)
                                          == y_val[start:start + size]))
            row[size] = correct / len(X_val)
        out[seed] = row
    return out


def channel_batchnorm(x, gamma, beta, eps=1e-5):
    """Training-mode batch norm of images ``x`` (N, C, H, W), one mean and variance per channel.

    Equations::

        mu_c     = mean of x[n, c, h, w] over n, h, w          (N H W numbers per channel)
        sigma2_c = mean of (x[n, c, h, w] - mu_c)^2 over n, h, w
        out      = gamma_c (x - mu_c) / sqrt(sigma2_c + eps) + beta_c

    Computed as the library's :func:`~nnlesson.norm.batchnorm_forward` on the matrix whose rows
    are the ``N H W`` positions and whose columns are the ``C`` channels (PyTorch's
    ``BatchNorm2d`` in training mode).

    Returns:
        ``(out (N, C, H, W), mu (C,), sigma2 (C,))``.
    """
    x = check_array("x", x, ndim=4)
    n, c, h, w = x.shape
    rows = x.transpose(0, 2, 3, 1).reshape(n * h * w, c)
    out, cache = batchnorm_forward(rows, gamma, beta, eps)
    return out.reshape(n, h, w, c).transpose(0, 3, 1, 2), cache.mu, cache.sigma2
