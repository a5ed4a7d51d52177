"""Lesson 02, fit the scaler on the training set only: what a leak and a re-fit do.

:func:`leakage_summary` scales the wine test split with min-max statistics learned on the
training part only, and on all the wines (a leak); :func:`new_batch_demo` trains a softmax
classifier on standardized training wines, then scales a batch of new wines of one cultivar
with the training statistics (right) and with the batch's own (wrong).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnlesson.course.lessons.feature_scaling.problem import _wine
from nnlesson.data import train_val_split
from nnlesson.layers import Linear
from nnlesson.optim import SGD
from nnlesson.scaling import MinMaxScaler, StandardScaler
from nnlesson.train import evaluate, fit

__all__ = ["LeakageSummary", "leakage_summary", "NewBatchDemo", "new_batch_demo"]


@dataclass(frozen=True)
class LeakageSummary:
    """What :func:`leakage_summary` measured (min-max scaling of the wine test split).

    Attributes:
        n_train, n_test: sizes of the split.
        test_min_fit_train, test_max_fit_train: the smallest and largest scaled test value
            when the scaler is fitted on the training part only (can fall outside [0, 1]).
        outside_fit_train: how many scaled test values fall outside [0, 1] then.
        test_min_fit_all, test_max_fit_all: the same when fitted on all the data (train + test).
        outside_fit_all: how many test values fall outside [0, 1] then (0: the test set's
            extremes were used to scale the training data: a leak).
        changed_train_values: how many training values change when the test part is added to
            the data the scaler is fitted on.
    """

    n_train: int
    n_test: int
    test_min_fit_train: float
    test_max_fit_train: float
    outside_fit_train: int
    test_min_fit_all: float
    test_max_fit_all: float
    outside_fit_all: int
    changed_train_values: int


def _wine_split(seed):
    d = _wine()
    return train_val_split(d.X, d.y, val_fraction=0.3, rng=seed, stratify=True)


def leakage_summary(seed=0):
    """Min-max scaling fitted on the training part only vs on all the data (a leak)."""
    X_train, X_test, _, _ = _wine_split(seed)
    good = MinMaxScaler().fit(X_train)
    leaky = MinMaxScaler().fit(np.vstack([X_train, X_test]))
    t_good, t_leak = good.transform(X_test), leaky.transform(X_test)
    return LeakageSummary(
        n_train=len(X_train), n_test=len(X_test),
        test_min_fit_train=float(t_good.min()), test_max_fit_train=float(t_good.max()),
        outside_fit_train=int(np.sum((t_good < 0) | (t_good > 1))),
        test_min_fit_all=float(t_leak.min()), test_max_fit_all=float(t_leak.max()),
        outside_fit_all=int(np.sum((t_leak < -1e-12) | (t_leak > 1 + 1e-12))),
        changed_train_values=int(np.sum(~np.isclose(good.transform(X_train),
                                                    leaky.transform(X_train), rtol=0,
                                                    atol=1e-12))),
    )


@dataclass(frozen=True)
class NewBatchDemo:
    """What :func:`new_batch_demo` measured.

    Attributes:
        n_batch: number of wines in the new batch (all of one cultivar).
        cultivar: their label.
        accuracy_train_stats: accuracy on the batch scaled with the training statistics.
        accuracy_batch_stats: accuracy on the batch scaled with its own statistics.
        test_accuracy: accuracy on the whole test part (training statistics).
    """

    n_batch: int
    cultivar: int
    accuracy_train_stats: float
    accuracy_batch_stats: float
    test_accuracy: float


def new_batch_demo(seed=0, cultivar=2, epochs=60, lr=0.1, batch_size=16):
    """Why the scaler must not be re-fitted on the data you predict on.

    A softmax-regression classifier (:class:`nnlesson.layers.Linear` trained with
    :func:`nnlesson.train.fit`, SGD) learns the three cultivars from standardized training
    wines. A batch of new wines, all of one cultivar (the test wines of ``cultivar``), is then
    scaled two ways: with the training mean and std (right), and with the batch's own (wrong:
    every batch is then centred on 0, so what set it apart is erased).
    """
    X_train, X_test, y_train, y_test = _wine_split(seed)
    scaler = StandardScaler().fit(X_train)
    model = Linear(X_train.shape[1], 3, rng=seed)
    fit(model, scaler.transform(X_train), y_train, optimizer=SGD(model.parameters(), lr=lr),
        epochs=epochs, batch_size=batch_size, rng=seed)
    batch = X_test[y_test == cultivar]
    labels = y_test[y_test == cultivar]
    _, acc_right = evaluate(model, scaler.transform(batch), labels)
    _, acc_wrong = evaluate(model, StandardScaler().fit_transform(batch), labels)
    _, acc_test = evaluate(model, scaler.transform(X_test), y_test)
    return NewBatchDemo(n_batch=len(batch), cultivar=cultivar, accuracy_train_stats=acc_right,
                        accuracy_batch_stats=acc_wrong, test_accuracy=acc_test)
