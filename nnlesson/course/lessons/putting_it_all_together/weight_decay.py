"""Lesson 13's L2 piece under the microscope: batch norm makes it a learning rate, and AdamW.

* :func:`scale_invariance`: batch norm right after a linear layer makes the network's output
  blind to that layer's scale: ``W -> c W`` leaves the logits unchanged and divides the
  gradient by ``c``. A penalty on such a ``W`` can only change its size, and so the size of
  the steps relative to it: an effective learning rate.
* :func:`weight_rotation`: the recipe trained epoch by epoch, with and without the L2 piece:
  the weight matrices' norms and how far (in degrees) each turns in each epoch.
* :func:`adamw_ablation`: Adam + L2 (the recipe), Adam without a penalty, and AdamW's
  decoupled weight decay (Loshchilov & Hutter 2019) at several strengths, over random seeds.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_int, check_number
from nnlesson.clip import Clipping
from nnlesson.course.lessons.putting_it_all_together.ablation import Ablation, AblationRow
from nnlesson.course.lessons.putting_it_all_together.training import (
    BATCH_SIZE,
    CLIP_NORM,
    EPOCHS,
    LR,
    SEEDS,
    final_accuracy,
    final_loss,
    recipe_run,
    recipe_settings,
    scaled_split,
)
from nnlesson.layers import Linear
from nnlesson.losses import softmax_cross_entropy
from nnlesson.optim import Adam
from nnlesson.schedules import CosineAnnealing
from nnlesson.train import Penalty, fit, mlp

__all__ = ["scale_invariance", "Rotation", "weight_rotation", "adamw_ablation"]


def scale_invariance(model, X, y, *, factor=10.0, layer=0):
    """What scaling the weight matrix of linear layer ``layer`` of ``model`` by ``factor``
    changes, in training mode (batch statistics), on the batch ``(X, y)``.

    Returns:
        ``(logit_change, grad_ratio)``: the largest absolute change of a logit, and the norm
        of the layer's weight gradient before the scaling divided by the norm after. The model
        is left as it was (weights, gradients cleared, training mode; batch norm's running
        statistics move, as with any training-mode forward pass).
    """

    factor = check_number("factor", factor, low=0, low_open=True)
    linears = [m for m in model.modules() if isinstance(m, Linear)]
    W = linears[check_int("layer", layer, low=0, high=len(linears) - 1)].W
    model.train()

    def logits_and_grad():
        model.zero_grad()
        logits = model.forward(X)
        model.backward(softmax_cross_entropy(logits, y)[1])
        return logits, float(np.linalg.norm(W.grad))

    before, g_before = logits_and_grad()
    original = W.value.copy()
    W.value *= factor
    after, g_after = logits_and_grad()
    W.value[...] = original
    model.zero_grad()
    return float(np.max(np.abs(after - before))), g_before / g_after


@dataclass(frozen=True, eq=False)
class Rotation:
    """:func:`weight_rotation`'s result: ``norms`` (3,) of the weight matrices at the end,
    ``angles`` (epochs, 3): degrees each matrix turned during each epoch, ``accuracy`` the final
    validation accuracy."""

    l2: float
    norms: np.ndarray
    angles: np.ndarray
    accuracy: float


def weight_rotation(l2, *, seed=0, lr=LR, epochs=EPOCHS):
    """The full recipe (``l2 > 0``: with ``Penalty(l2)``; 0: without the L2 piece) trained one
    epoch at a time, the same run as :func:`~.training.recipe_run`; after each epoch the angle
    between each weight matrix and its value an epoch earlier.

    Equations (for each weight matrix ``W``)::

        angle_e = arccos( <W_(e-1), W_e> / (||W_(e-1)|| ||W_e||) )   in degrees

    Returns:
        :class:`Rotation`.
    """

    l2 = check_number("l2", l2, low=0)
    seed = check_int("seed", seed, low=0)
    epochs = check_int("epochs", epochs, low=1)
    X_train, X_val, y_train, y_val = scaled_split()
    model = mlp([64, 32, 32, 10], batch_norm=True, rng=seed)
    optimizer = Adam(model.parameters(), lr=lr)
    per_epoch = math.ceil(len(X_train) / BATCH_SIZE)
    schedule = CosineAnnealing(lr, T_max=epochs * per_epoch)
    rng = np.random.default_rng(seed)  # one generator: the shuffles of one long run
    weights = [p for p in model.parameters() if p.value.ndim >= 2]
    snapshots = [[W.value.copy() for W in weights]]
    history = None
    for epoch in range(epochs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            history = fit(model, X_train, y_train, optimizer=optimizer, epochs=1,
                          batch_size=BATCH_SIZE, rng=rng,
                          schedule=lambda t, start=epoch * per_epoch: schedule(start + t),
                          clipping=Clipping(max_norm=CLIP_NORM),
                          penalty=Penalty(l2=l2) if l2 else None, X_val=X_val, y_val=y_val)
        snapshots.append([W.value.copy() for W in weights])
    angles = []
    for old, new in zip(snapshots, snapshots[1:]):
        cosines = [np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b)) for a, b in zip(old, new)]
        angles.append(np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0))))
    return Rotation(float(l2), np.array([np.linalg.norm(W) for W in snapshots[-1]]),
                    np.array(angles), final_accuracy(history))


def adamw_ablation(decays=(0.01, 0.1, 1.0), *, lr=LR, seeds=SEEDS):
    """The full recipe (Adam + L2), the recipe without the L2 piece, and AdamW with decoupled
    weight decay ``lambda`` in place of the L2 piece for each of ``decays``, over ``seeds``.

    Returns:
        :class:`~.ablation.Ablation` (rows ``"Adam + L2 (recipe)"``, ``"Adam, no penalty"``,
        ``"AdamW, decay <lambda>"``).
    """
    lr = check_number("lr", lr, low=0, low_open=True)
    seeds = tuple(check_int("seeds[i]", s, low=0) for s in seeds)
    no_l2 = recipe_settings(l2=False)
    configs = [("Adam + L2 (recipe)", recipe_settings(), None), ("Adam, no penalty", no_l2, None)]
    configs += [(f"AdamW, decay {check_number('decays[i]', d, low=0):g}", no_l2, float(d))
                for d in decays]
    rows = []
    for label, settings, decay in configs:
        runs = [recipe_run(settings, lr, s, weight_decay=decay) for s in seeds]
        rows.append(AblationRow(label, settings, np.array([final_accuracy(h) for h in runs]),
                                np.array([final_loss(h) for h in runs])))
    return Ablation(lr, seeds, tuple(rows))
