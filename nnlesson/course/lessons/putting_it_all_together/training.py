"""Lesson 13's recipe as training runs: the data, one run per combination of pieces, cached.

**The recipe.** A tutorial's "typical modern approach" (feature scaling and batch norm,
mini-batch gradient descent with Adam, learning-rate decay) plus the stabilizer a popular
tutorial adds (gradient clipping) and a regularizer, as seven pieces that can each be switched
off (:data:`~nnlesson.course.recipe.PIECES`):

=============== ==================================================== ==========================
piece           on (the recipe)                                      off
=============== ==================================================== ==========================
scaling         standardize the pixels (fit on the training part)    raw pixels, 0 to 16
minibatches     batches of :data:`BATCH_SIZE`                        one full batch per epoch
adam            ``Adam`` (PyTorch defaults but the rate)             plain ``SGD``, same rate
batch_norm      ``mlp(..., batch_norm=True)``                        no batch norm (biases back)
schedule        ``CosineAnnealing(lr, T_max = all updates)``         constant rate
clipping        ``fit(..., clipping=Clipping(max_norm=CLIP_NORM))``  no clipping
l2              ``fit(..., penalty=Penalty(l2=L2))``, weights only   no penalty
=============== ==================================================== ==========================

on the digits (70 % for training, 30 % for validation, stratified), with a network
``64 -> 32 -> 32 -> 10`` (ReLU, He init) trained by :func:`nnlesson.train.fit` for
:data:`EPOCHS` epochs. Every run is deterministic given its pieces, learning rate and random
seed, and is cached (:func:`recipe_run`), so the lesson's tables, the explorer and the
exercises share their runs.
"""
from __future__ import annotations

import functools
import math
import threading
import warnings

from nnlesson._validate import check_bool, check_int, check_number
from nnlesson.clip import Clipping
# the recipe as data lives in the course (the exercise check uses it too); re-exported here
from nnlesson.course.recipe import PIECES, RECIPE, ablation_configs
from nnlesson.data import train_val_split
from nnlesson.datasets import load_digits
from nnlesson.optim import SGD, Adam, AdamW
from nnlesson.scaling import StandardScaler
from nnlesson.schedules import CosineAnnealing
from nnlesson.train import Penalty, fit, mlp
from nnlesson.viz.explorer import log_ladder

__all__ = ["PIECES", "PIECE_LABELS", "RECIPE", "LR", "LRS", "EPOCHS", "BATCH_SIZE", "WIDTH",
           "CLIP_NORM", "L2", "SEEDS", "digits_split", "scaled_split", "recipe_settings",
           "train_recipe", "recipe_run", "final_accuracy", "final_loss", "ablation_configs"]

PIECE_LABELS = {
    "scaling": "feature scaling",
    "minibatches": "mini-batches",
    "adam": "Adam",
    "batch_norm": "batch norm",
    "schedule": "cosine schedule",
    "clipping": "gradient clipping",
    "l2": "L2 penalty",
}
LR = 0.1          # the recipe's (peak) learning rate
#: The learning rates of the lesson and of the explorer (1-3 per decade).
LRS = log_ladder(1e-3, 1.0, "1-3")
EPOCHS = 6
BATCH_SIZE = 64
WIDTH = 32        # two hidden layers of this width
CLIP_NORM = 1.0
L2 = 1e-3
#: The random seeds of the ablation (initial weights and shuffling).
SEEDS = (0, 1, 2)

_VAL_FRACTION = 0.3
_SPLIT_SEED = 0


@functools.lru_cache(maxsize=1)
def _split():

    digits = load_digits()
    parts = train_val_split(digits.X, digits.y, val_fraction=_VAL_FRACTION, rng=_SPLIT_SEED,
                            stratify=True)
    for part in parts:
        part.setflags(write=False)  # shared by every run: nobody may change it
    return parts


def digits_split():
    """The digits split once for the whole lesson: ``(X_train, X_val, y_train, y_val)``.

    Raw pixels (0 to 16), 1257 training and 540 validation images, each class in the same
    proportion in both parts (``train_val_split(..., val_fraction=0.3, rng=0, stratify=True)``).
    Returns copies.
    """
    return tuple(part.copy() for part in _split())


@functools.lru_cache(maxsize=1)
def _scaled_split():

    X_train, X_val, y_train, y_val = _split()
    scaler = StandardScaler().fit(X_train)  # statistics of the training part only
    parts = (scaler.transform(X_train), scaler.transform(X_val))
    for part in parts:
        part.setflags(write=False)
    return parts


def scaled_split():
    """:func:`digits_split` with the pixels standardized by the training part's statistics:
    ``(X_train, X_val, y_train, y_val)``, copies."""
    X_train, X_val = _scaled_split()
    _, _, y_train, y_val = _split()
    return X_train.copy(), X_val.copy(), y_train.copy(), y_val.copy()


def recipe_settings(recipe=None, **pieces):
    """A recipe as a dict ``{piece: bool}`` in the order of :data:`PIECES`.

    Starts from ``recipe`` (a dict; default the full :data:`RECIPE`), then applies ``pieces``
    (``scaling=False`` ...). Missing pieces are on. Unknown names and non-booleans are refused.
    """
    settings = dict(RECIPE)
    for source in (recipe or {}, pieces):
        if not isinstance(source, dict):
            raise TypeError(f"recipe must be a dict {{piece: bool}}, got {type(source).__name__}")
        for name, value in source.items():
            if name not in settings:
                raise ValueError(f"piece must be one of {', '.join(PIECES)}; got {name!r}")
            settings[name] = check_bool(name, value)
    return settings


def train_recipe(recipe=None, *, lr=LR, seed=0, epochs=EPOCHS, progress=False,
                 return_model=False, weight_decay=None):
    """Train the digits network with the pieces of ``recipe`` switched on; return the History.

    Args:
        recipe: dict ``{piece: bool}`` (see :func:`recipe_settings`); None is the full recipe.
        lr: the learning rate (the peak of the cosine schedule), > 0.
        seed: the random seed of the initial weights and of the shuffling.
        epochs: passes over the training part, >= 1.
        progress: show :func:`nnlesson.train.fit`'s progress bar.
        return_model: also return the trained model.
        weight_decay: None, or AdamW's decoupled weight decay ``lambda`` in place of the L2
            piece (``AdamW(lr, weight_decay=lambda)`` instead of ``Adam`` + ``Penalty(l2)``;
            needs the ``adam`` piece on and the ``l2`` piece off).

    Returns:
        :class:`nnlesson.train.History` (validation loss and accuracy per epoch), or
        ``(history, model)``. A run that diverges stops (no warning) with ``history.diverged``.
    """

    settings = recipe_settings(recipe)
    lr = check_number("lr", lr, low=0, low_open=True)
    seed = check_int("seed", seed, low=0)
    epochs = check_int("epochs", epochs, low=1)
    if weight_decay is not None:
        weight_decay = check_number("weight_decay", weight_decay, low=0)
        if not settings["adam"] or settings["l2"]:
            raise ValueError("weight_decay (AdamW) replaces the l2 piece: it needs adam=True "
                             f"and l2=False, got adam={settings['adam']}, l2={settings['l2']}")
    X_train, X_val, y_train, y_val = _split()
    if settings["scaling"]:
        X_train, X_val = _scaled_split()
    n = X_train.shape[0]
    batch_size = BATCH_SIZE if settings["minibatches"] else n
    model = mlp([X_train.shape[1], WIDTH, WIDTH, 10], batch_norm=settings["batch_norm"], rng=seed)
    if weight_decay is not None:
        optimizer = AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        optimizer = (Adam if settings["adam"] else SGD)(model.parameters(), lr=lr)
    schedule = None
    if settings["schedule"]:
        schedule = CosineAnnealing(lr, T_max=epochs * math.ceil(n / batch_size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # divergence is part of what the ablation measures
        history = fit(model, X_train, y_train, optimizer=optimizer, epochs=epochs,
                      batch_size=batch_size, rng=seed, schedule=schedule,
                      clipping=Clipping(max_norm=CLIP_NORM) if settings["clipping"] else None,
                      penalty=Penalty(l2=L2) if settings["l2"] else None, X_val=X_val,
                      y_val=y_val, progress=progress)
    return (history, model) if return_model else history


_RUNS = {}
_RUNS_LOCK = threading.Lock()  # the explorer's background precompute shares the cache


def recipe_run(recipe=None, lr=LR, seed=0, *, weight_decay=None):
    """:func:`train_recipe` for :data:`EPOCHS` epochs, cached by (pieces, lr, random seed,
    weight decay). The lesson's tables, figures and explorer share these runs; do not change
    the History."""
    settings = recipe_settings(recipe)
    key = (tuple(settings.values()), float(lr), int(seed),
           None if weight_decay is None else float(weight_decay))
    with _RUNS_LOCK:
        if key in _RUNS:
            return _RUNS[key]
    history = train_recipe(settings, lr=lr, seed=seed, weight_decay=weight_decay)
    with _RUNS_LOCK:
        return _RUNS.setdefault(key, history)


def final_accuracy(history):
    """Validation accuracy after the last epoch; NaN if the run diverged."""
    if history.diverged or not history.val_acc:
        return math.nan
    return float(history.val_acc[-1])


def final_loss(history):
    """Validation loss after the last epoch; NaN if the run diverged."""
    if history.diverged or not history.val_loss:
        return math.nan
    return float(history.val_loss[-1])
