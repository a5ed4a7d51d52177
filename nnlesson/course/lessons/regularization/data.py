"""Lesson 11's data set and training run: a small network that overfits within seconds.

200 training digits, about a fifth of them with a **wrong label** (the "noise" a network should
not learn), a wide hidden layer (``mlp([64, 64, 10])``, He init), full-batch SGD with classical
momentum 0.9 for 60 epochs, and 360 clean validation digits (:func:`overfit_data`). Without
regularization the training loss goes to almost zero while the validation loss turns and rises.

:func:`train_regularized` trains that network with one regularizer (an L2 or L1 penalty,
dropout or DropConnect) through :func:`nnlesson.train.fit` and returns a :class:`RegRun`.
Runs are cached: the explorers, the lesson's tables and the exercises share them.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_choice, check_int, check_number
from nnlesson.data import train_val_split
from nnlesson.datasets import load_digits
from nnlesson.layers import DropConnect, Linear, ReLU, Sequential
from nnlesson.optim import SGD
from nnlesson.scaling import StandardScaler
from nnlesson.train import Penalty, evaluate, fit, mlp
from nnlesson.viz.explorer import log_ladder

__all__ = ["N_TRAIN", "LABEL_NOISE", "HIDDEN", "EPOCHS", "MOMENTUM", "LRS", "KINDS", "METHODS",
           "overfit_data", "test_data", "RegRun", "train_regularized"]

#: Training digits, share of them relabelled at random, hidden width, epochs, momentum.
N_TRAIN = 200
LABEL_NOISE = 0.2
HIDDEN = 64
EPOCHS = 60
MOMENTUM = 0.9
#: The learning rates the explorers offer (1-2-3-5 per decade): 0.03, 0.05, 0.1, 0.2, 0.3.
LRS = log_ladder(0.03, 0.3, "1-2-3-5")
KINDS = ("l2", "l1")
METHODS = ("dropout", "DropConnect")


@functools.lru_cache(maxsize=1)
def _data():

    d = load_digits()
    X_pool, X_val, y_pool, y_val = train_val_split(d.X, d.y, 0.2, rng=0, stratify=True)
    X_test, X_train, y_test, y_train = train_val_split(X_pool, y_pool, N_TRAIN / len(X_pool),
                                                       rng=0, stratify=True)
    # a fifth of the training labels replaced by another class, chosen at random
    rng = np.random.default_rng(0)
    noisy = rng.random(len(y_train)) < LABEL_NOISE
    y_train = y_train.copy()
    y_train[noisy] = (y_train[noisy] + rng.integers(1, 10, int(noisy.sum()))) % 10
    scaler = StandardScaler().fit(X_train)  # training statistics only (lesson 02)
    arrays = (scaler.transform(X_train), scaler.transform(X_val), y_train, y_val, noisy,
              scaler.transform(X_test), y_test)
    for a in arrays:
        a.flags.writeable = False
    return arrays


def overfit_data():
    """The lesson's data set, built to overfit quickly.

    The digits are split 80/20 (stratified, random seed 0); 200 training digits are drawn
    (stratified) from the 80 %, and about a fifth of their labels (``LABEL_NOISE``) are replaced
    by another class at random. Both parts are standardized with the training part's
    statistics. The 360 validation digits keep their true labels.

    Returns:
        Fresh copies ``(X_train (200, 64), X_val (360, 64), y_train, y_val, noisy)``; ``noisy``
        (200,) is True where the training label was changed.
    """
    return tuple(a.copy() for a in _data()[:5])


def test_data():
    """Digits that play no part in any choice of the lesson: the 1237 digits of the 80 % that
    were not drawn for training, labels untouched, standardized with the training statistics.

    Returns:
        Fresh copies ``(X_test (1237, 64), y_test)``.
    """
    return tuple(a.copy() for a in _data()[5:])


@dataclass(frozen=True, eq=False)
class RegRun:
    """One training run (see :func:`train_regularized`); per-epoch arrays, one entry per epoch.

    Attributes:
        train_loss, val_loss: data loss (no penalty) on the training and validation sets,
            both measured in evaluation mode after each epoch.
        train_acc, val_acc: accuracies, measured the same way.
        W1 (64, HIDDEN): the first layer's weights at the end.
        test_loss, test_acc: data loss and accuracy of the final weights on
            :func:`test_data` (evaluation mode).
    """

    train_loss: np.ndarray
    val_loss: np.ndarray
    train_acc: np.ndarray
    val_acc: np.ndarray
    W1: np.ndarray
    test_loss: float = float("nan")
    test_acc: float = float("nan")

    @property
    def best_epoch(self):
        """Epoch (from 0) of the lowest validation loss."""
        return int(np.argmin(self.val_loss))


def _model(p, method, seed):

    if method == "DropConnect" and p > 0:
        # same draws as mlp: the hidden layer's init, then the output layer's
        rng = np.random.default_rng(seed)
        return Sequential(Linear(64, HIDDEN, rng=rng, input_grad=False), ReLU(),
                          DropConnect(HIDDEN, 10, p=p, rng=rng))
    return mlp([64, HIDDEN, 10], dropout=p, rng=seed)


def train_regularized(kind="l2", lam=0.0, *, dropout=0.0, method="dropout", lr=0.1,
                      epochs=EPOCHS, seed=0):
    """Train ``mlp([64, HIDDEN, 10])`` on :func:`overfit_data` with one regularizer.

    ``nnlesson.train.fit`` with full batches (one update per epoch), ``SGD(lr,
    momentum=MOMENTUM)`` and ``eval_train=True``. The penalty acts on the weight matrices only
    (not the biases), as ``fit`` does.

    Equations::

        kind "l2":  L = data loss + lam / 2 * sum_W sum(W ** 2)   (fit(..., penalty=Penalty(l2=lam)))
        kind "l1":  L = data loss + lam * sum_W sum(|W|)          (fit(..., penalty=Penalty(l1=lam)))

    Args:
        kind: ``"l2"`` or ``"l1"``.
        lam: the penalty's strength, >= 0 (0: no penalty).
        dropout: p in [0, 1): inverted dropout after the hidden ReLU (``method="dropout"``) or
            a ``DropConnect(HIDDEN, 10, p)`` output layer (``method="DropConnect"``).
        method: ``"dropout"`` or ``"DropConnect"``.
        lr: the learning rate, > 0. epochs: >= 1. seed: the random seed of the weights (and
            of the dropout masks), >= 0.

    Returns:
        :class:`RegRun` (read-only arrays). Cached: the same arguments return the same object.

    Raises:
        ValueError, TypeError: an argument out of range. RuntimeError: training diverged (not
        at the lesson's settings).
    """
    check_choice("kind", kind, KINDS)
    lam = check_number("lam", lam, low=0)
    dropout = check_number("dropout", dropout, low=0, high=1, high_open=True)
    check_choice("method", method, METHODS)
    lr = check_number("lr", lr, low=0, low_open=True)
    epochs = check_int("epochs", epochs, low=1)
    seed = check_int("seed", seed, low=0)
    if lam == 0:
        kind = "l2"  # no penalty: one cache entry, whatever the kind
    if dropout == 0:
        method = "dropout"
    return _train(kind, float(lam), float(dropout), method, float(lr), epochs, seed)


@functools.lru_cache(maxsize=1024)
def _train(kind, lam, p, method, lr, epochs, seed):

    X, X_val, y, y_val, _, X_test, y_test = _data()
    model = _model(p, method, seed)
    opt = SGD(model.parameters(), lr=lr, momentum=MOMENTUM)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = fit(model, X, y, optimizer=opt, epochs=epochs, batch_size=len(X), rng=seed,
                penalty=Penalty(l1=lam) if kind == "l1" else Penalty(l2=lam),
                X_val=X_val, y_val=y_val, eval_train=True)
    if h.diverged:  # not at the lesson's settings; loud rather than a silent short curve
        raise RuntimeError(h.message)
    arrays = [np.array(a, dtype=float) for a in (h.train_loss, h.val_loss, h.train_acc,
                                                  h.val_acc)]
    W1 = model.parameters()[0].value.copy()
    for a in (*arrays, W1):
        a.flags.writeable = False
    test_loss, test_acc = evaluate(model, X_test, y_test)
    return RegRun(*arrays, W1=W1, test_loss=float(test_loss), test_acc=float(test_acc))
