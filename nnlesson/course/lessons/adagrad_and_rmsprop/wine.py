"""Lesson 05 on real data: a linear softmax classifier on the wine data *without* feature
scaling, whose features differ in scale by three orders of magnitude. One global learning rate
cannot suit every weight; a per-weight one can (and standardizing is better still).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_int, check_number
from nnlesson.data import train_val_split
from nnlesson.datasets import load_wine
from nnlesson.optim import SGD, Adagrad, RMSprop
from nnlesson.scaling import StandardScaler
from nnlesson.train import fit, mlp

__all__ = ["WineComparison", "wine_comparison"]


@dataclass(frozen=True, eq=False)
class WineComparison:
    """Validation accuracies of :func:`wine_comparison`.

    Attributes:
        lrs: the learning rates tried.
        accuracy: ``{label: array (len(lrs),)}``, the validation accuracy after training
            (NaN if the run diverged). Labels: ``"SGD"``, ``"AdaGrad"``, ``"RMSProp"`` on the
            raw features, and ``"SGD, standardized"`` on standardized features.
    """

    lrs: tuple
    accuracy: dict

    def best(self, label):
        """``(accuracy, lr)``: the best learning rate of one method."""
        acc = self.accuracy[label]
        if np.all(np.isnan(acc)):
            return float("nan"), None
        k = int(np.nanargmax(acc))
        return float(acc[k]), self.lrs[k]

    def table(self):
        """Rows: methods; columns: learning rates; and the best of each row."""
        head = "method".ljust(20) + "".join(f"{lr:>8g}" for lr in self.lrs) + "    best"
        lines = [head]
        for label, acc in self.accuracy.items():
            cells = "".join("     div" if np.isnan(a) else f"{a:8.2f}" for a in acc)
            lines.append(label.ljust(20) + cells + f"{self.best(label)[0]:8.2f}")
        return "\n".join(lines)


def wine_comparison(lrs=(1e-4, 1e-3, 1e-2, 1e-1, 1.0), epochs=100, seed=0):
    """Train a linear softmax classifier on the wine data with SGD, AdaGrad and RMSProp.

    The 13 features are used *raw*: their standard deviations range from 0.12 (nonflavanoid
    phenols) to 314 (proline), so the gradients of the weights differ by as much. Full-batch
    training (``batch_size`` = all training rows) for ``epochs`` epochs at each rate, through
    :func:`nnlesson.train.fit` with the library's optimizers (PyTorch defaults otherwise), the
    model ``mlp([13, 3])`` initialized with ``seed``. A 70/30 stratified split; the reference
    row trains SGD on features standardized with the training part's statistics (lesson 02).

    Returns:
        :class:`WineComparison`.
    """
    lrs = tuple(check_number("lrs", lr, low=0, low_open=True) for lr in lrs)
    epochs = check_int("epochs", epochs, low=1)
    data = load_wine()
    X_train, X_val, y_train, y_val = train_val_split(data.X, data.y, 0.3, rng=0, stratify=True)
    scaler = StandardScaler().fit(X_train)
    runs = {
        "SGD": (SGD, X_train, X_val),
        "AdaGrad": (Adagrad, X_train, X_val),
        "RMSProp": (RMSprop, X_train, X_val),
        "SGD, standardized": (SGD, scaler.transform(X_train), scaler.transform(X_val)),
    }
    accuracy = {}
    for label, (make, A, B) in runs.items():
        acc = []
        for lr in lrs:
            model = mlp([A.shape[1], 3], rng=seed)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # a diverged run is part of the measurement
                hist = fit(model, A, y_train, optimizer=make(model.parameters(), lr=lr),
                           epochs=epochs, batch_size=len(A), rng=seed, X_val=B, y_val=y_val)
            ok = hist.diverged_at is None and len(hist.val_acc) == epochs
            acc.append(hist.val_acc[-1] if ok else np.nan)
        accuracy[label] = np.array(acc, dtype=np.float64)
    return WineComparison(lrs=lrs, accuracy=accuracy)
