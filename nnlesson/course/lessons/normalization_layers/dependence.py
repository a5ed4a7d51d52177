"""Lesson 10: does a sample's output depend on the rest of its batch? Which numbers share a mean?

One fixed sample put into many different random batches: batch norm in training mode gives it a
different output in each batch (the batch's statistics); evaluation mode (running statistics),
layer norm and group norm do not. :func:`make_features`, :func:`batch_dependence`; and
:func:`figure_norm_axes`, which numbers share a mean and a variance in each layer.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_bool, check_choice, check_int, check_number, check_rng
from nnlesson.norm import BatchNorm, batchnorm_forward, groupnorm_forward, layernorm_forward
from nnlesson.viz.plotting import PALETTE, describe, figure, readable

__all__ = ["LAYERS", "N_FEATURES", "N_GROUPS", "Dependence", "make_features", "batch_dependence",
           "figure_norm_axes"]


#: The layers of the train-vs-eval experiment.
LAYERS = ("batch norm", "layer norm", "group norm")
N_FEATURES = 12
N_GROUPS = 3


def make_features(n=2000, n_features=N_FEATURES, seed=0):
    """Synthetic hidden-layer values: feature ``j`` is ``N(mean_j, scale_j^2)``.

    Means ~ N(0, 2^2), scales log-uniform in [0.3, 3]: features on different scales, as the
    pre-activations of a hidden layer often are. Returns an array (n, n_features).
    """
    rng = check_rng(seed)
    means = rng.normal(0.0, 2.0, n_features)
    scales = np.exp(rng.uniform(np.log(0.3), np.log(3.0), n_features))
    return means + scales * rng.standard_normal((n, n_features))


@dataclass(frozen=True, eq=False)
class Dependence:
    """Sample 0's normalized output in many random batches (see :func:`batch_dependence`).

    Attributes:
        outputs (n_batches, D): its output in each batch.
        reference (D,): the output it would get from statistics of the whole data set
            (batch norm) or on its own (layer/group norm: the same thing in any batch).
        spread: mean over features of (max - min) of ``outputs`` over the batches.
        running_mean, running_var (D,): batch norm's running statistics (None otherwise).
    """

    outputs: np.ndarray
    reference: np.ndarray
    spread: float
    running_mean: np.ndarray | None
    running_var: np.ndarray | None


def batch_dependence(layer="batch norm", eval_mode=False, batch_size=4, momentum=0.1,
                     batches_seen=50, *, n_batches=20, seed=0):
    """Put sample 0 of :func:`make_features` into ``n_batches`` random batches; normalize each.

    * ``"batch norm"``: a :class:`~nnlesson.norm.BatchNorm` (gamma 1, beta 0, ``momentum``) first
      sees ``batches_seen`` random training batches of ``batch_size`` in training mode, which
      moves its running statistics from (0, 1) towards the data's
      (``running = (1 - momentum) * running + momentum * batch``). Then each test batch (sample 0
      plus ``batch_size - 1`` random others) goes through it in training mode (batch statistics,
      :func:`~nnlesson.norm.batchnorm_forward`; the running statistics are left as they were
      after the warm-up) or, with ``eval_mode``, in evaluation mode (running statistics).
    * ``"layer norm"`` / ``"group norm"``: :func:`~nnlesson.norm.layernorm_forward` /
      :func:`~nnlesson.norm.groupnorm_forward` (3 groups of 4 features); they have no mode.

    Returns:
        :class:`Dependence`.
    """
    check_choice("layer", layer, LAYERS)
    eval_mode = check_bool("eval_mode", eval_mode)
    batch_size = check_int("batch_size", batch_size, low=2)
    momentum = check_number("momentum", momentum, low=0, high=1)
    batches_seen = check_int("batches_seen", batches_seen, low=0)
    n_batches = check_int("n_batches", n_batches, low=1)
    data = _features(seed)
    x0, pool = data[0], data[1:]
    rng = check_rng(seed + 1)
    gamma, beta = np.ones(N_FEATURES), np.zeros(N_FEATURES)
    batches = [np.vstack([x0, pool[rng.choice(len(pool), batch_size - 1, replace=False)]])
               for _ in range(n_batches)]
    running_mean = running_var = None
    if layer == "batch norm":
        bn = BatchNorm(N_FEATURES, momentum=momentum)
        warm = np.random.default_rng(seed + 2)
        for _ in range(batches_seen):
            bn.forward(pool[warm.choice(len(pool), batch_size, replace=False)])
        running_mean, running_var = bn.running_mean.copy(), bn.running_var.copy()
        if eval_mode:
            bn.eval()
            outputs = np.array([bn.forward(b)[0] for b in batches])
        else:
            outputs = np.array([batchnorm_forward(b, gamma, beta)[0][0] for b in batches])
        reference = (x0 - data.mean(axis=0)) / np.sqrt(data.var(axis=0) + bn.eps)
    elif layer == "layer norm":
        outputs = np.array([layernorm_forward(b, gamma, beta)[0][0] for b in batches])
        reference = layernorm_forward(x0[None], gamma, beta)[0][0]
    else:
        outputs = np.array([groupnorm_forward(b, gamma, beta, N_GROUPS)[0][0] for b in batches])
        reference = groupnorm_forward(x0[None], gamma, beta, N_GROUPS)[0][0]
    spread = float(np.mean(outputs.max(axis=0) - outputs.min(axis=0)))
    return Dependence(outputs=outputs, reference=reference, spread=spread,
                      running_mean=running_mean, running_var=running_var)


@functools.lru_cache(maxsize=4)
def _features(seed):
    data = make_features(seed=seed)
    data.flags.writeable = False
    return data


# --------------------------------------------------------------------------- who shares statistics


def figure_norm_axes(n=6, channels=8, groups=2):
    """Three grids of a batch (rows: samples, columns: features/channels), one per layer.

    Cells of one colour (and hatch) share one mean and one variance: a column in batch norm, a
    row in layer norm, a row's group of ``channels / groups`` channels in group norm.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Rectangle

    fig, axes = figure((880, 330), 3, 1)
    size = channels // groups
    layouts = {
        "batch norm:\neach feature over the batch": np.tile(np.arange(channels), (n, 1)),
        "layer norm:\neach sample over its features": np.tile(np.arange(n)[:, None],
                                                              (1, channels)),
        f"group norm: each sample,\nper group of {size} features":
            np.arange(n)[:, None] * groups + np.arange(channels)[None, :] // size,
    }
    colours = ListedColormap([PALETTE[k] for k in (0, 1, 2, 3, 4, 5)])
    hatches = ("", "//", "..", "xx", "\\\\", "oo")
    for ax, (title, ids) in zip(axes, layouts.items()):
        ax.imshow(ids % 6, cmap=colours, vmin=-0.5, vmax=5.5, aspect="equal")
        for (r, c), k in np.ndenumerate(ids):
            if hatches[k % 6]:
                ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, hatch=hatches[k % 6],
                                       edgecolor="#FFFFFF", linewidth=0))
        ax.set_xticks(np.arange(-0.5, channels, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, n, 1), minor=True)
        ax.grid(which="minor", color="#FFFFFF", linewidth=1.5)
        ax.tick_params(which="both", length=0)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title)
        ax.set_xlabel(f"{channels} features")
        ax.set_ylabel(f"{n} samples")
    readable(fig)
    alt = (f"Three grids of a batch of {n} samples (rows) and {channels} features (columns); "
           "cells of one colour share one mean and one variance. Batch norm: each column, a "
           "feature over the whole batch. Layer norm: each row, one sample over all its "
           f"features. Group norm: within each row, groups of {size} neighbouring features.")
    return describe(fig, alt)
