"""Lesson 14's patients: digits runs with one hidden fault each, and the hand-written training
loop with the classic bugs that makes three of them.

Course content shared by the lesson (:mod:`nnlesson.course.lessons.diagnosing_and_tuning`:
the training doctor, the curve signatures) and the exercise check
(:mod:`nnlesson.course.checks.diagnosing_and_tuning`: the mystery patients), so that the check
imports no lesson module.

Five faults are in the setup, and :func:`nnlesson.train.fit` trains them (through
:func:`nnlesson.diagnosis.record_training`): a rate too high, data sorted by label and never
shuffled, raw pixels, biases that switch the ReLUs off. Three faults are in the training loop
itself, and the library's loop has no switch to put them in (nor should it): they are made by
:func:`handwritten_loop`, the loop a student writes by hand, fit's steps written out, in which
one line is missing:

========================  ==================================================================
``"no_zero_grad"``        the gradients are never zeroed, so each update uses the sum of all
                          gradients so far (gradients_not_zeroed)
``"no_train_after_eval"`` ``model.eval()`` before validation and never ``model.train()``
                          after it: batch norm trains with its running statistics from the
                          second epoch on (batchnorm_in_eval)
``"no_eval_for_validation"`` validation without ``model.eval()``: dropout stays on, so the
                          validation loss is random (dropout_at_test)
========================  ==================================================================

Without a bug the hand-written loop takes exactly fit's steps (the tests compare them). Every
run is watched by a :class:`nnlesson.diagnosis.TrainingMonitor` and cached.
"""
from __future__ import annotations

import functools
import math
from dataclasses import replace

import numpy as np

from nnlesson._validate import check_bool, check_choice, check_int, check_number, check_rng
from nnlesson.clip import global_norm
from nnlesson.data import iterations_per_epoch, minibatches, train_val_split
from nnlesson.datasets import load_digits, load_digits_split
from nnlesson.diagnosis import FAULTS, PROBE_ROWS, RunRecord, TrainingMonitor, record_training
from nnlesson.layers import Linear
from nnlesson.losses import accuracy, softmax_cross_entropy
from nnlesson.optim import SGD
from nnlesson.train import History, mlp

__all__ = ["LOOP_BUGS", "BUG_OF", "BASE_LR", "PRESCRIBED_LR", "DEAD_BIAS", "handwritten_loop",
           "patient", "patient_setup"]

#: The bugs :func:`handwritten_loop` can have: one missing line each.
LOOP_BUGS = ("no_zero_grad", "no_train_after_eval", "no_eval_for_validation")
#: The fault each loop bug produces.
BUG_OF = {"gradients_not_zeroed": "no_zero_grad", "batchnorm_in_eval": "no_train_after_eval",
          "dropout_at_test": "no_eval_for_validation"}

#: The healthy rate (SGD with momentum 0.9 on the digits) and the patients that get another.
BASE_LR = 0.05
PRESCRIBED_LR = {"lr_too_high": 1.0, "batchnorm_in_eval": 0.1}
#: The bias of every hidden layer of the dead_relu_init patient.
DEAD_BIAS = -3.0


def handwritten_loop(model, X, y, X_val, y_val, *, optimizer, epochs, batch_size, rng=None,
                     bugs=(), callbacks=()):
    """Mini-batch training written out by hand, as a student writes it, with bugs to switch on.

    ::

        model.train()
        for each epoch:
            for each shuffled mini-batch (xb, yb):
                model.zero_grad()                       missing with "no_zero_grad"
                loss = cross_entropy(model(xb), yb); backward; optimizer.step()
            model.eval()                                missing with "no_eval_for_validation"
            validation loss and accuracy
            model.train()                               missing with "no_train_after_eval"

    It fills a :class:`nnlesson.train.History` as :func:`nnlesson.train.fit` does (the loss,
    rate and global gradient norm of every update; the losses and accuracies of every epoch)
    and calls the callbacks where fit calls them. Without bugs it takes fit's steps exactly.
    Training stops at the first update whose loss or gradient norm is NaN/inf or overflows
    (recorded, not applied).

    Args:
        model: a :class:`~nnlesson.core.Module` ending in class scores.
        X, y: the training set (labels). X_val, y_val: the validation set.
        optimizer: built on ``model.parameters()``.
        epochs, batch_size: >= 1.
        rng: None, a seed or a Generator: the shuffling.
        bugs: names from :data:`LOOP_BUGS`.
        callbacks: :class:`nnlesson.train.Callback` objects (e.g. a TrainingMonitor).

    Returns:
        :class:`nnlesson.train.History`.
    """
    epochs = check_int("epochs", epochs, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    rng = check_rng(rng)
    bugs = (bugs,) if isinstance(bugs, str) else tuple(bugs)
    for bug in bugs:
        check_choice("bugs", bug, LOOP_BUGS)
    history = History(iterations_per_epoch=iterations_per_epoch(len(X), batch_size))
    params = model.parameters()
    model.train()
    for callback in callbacks:
        callback.on_train_begin(model)
    for epoch in range(epochs):
        sum_loss = sum_acc = 0.0
        seen = 0
        for xb, yb in minibatches(X, y, batch_size, shuffle=True, rng=rng):
            if "no_zero_grad" not in bugs:
                for p in params:
                    p.zero_grad()
            loss = norm = math.nan
            try:
                with np.errstate(over="raise", invalid="raise"):
                    out = model.forward(xb)
                    loss, dout = softmax_cross_entropy(out, yb)
                    loss = float(loss)
                    model.backward(dout)
                    norm = global_norm([p.grad for p in params])
                finite = math.isfinite(loss) and math.isfinite(norm)
            except (FloatingPointError, ValueError):
                finite = False
            history.loss.append(loss)
            history.lr.append(optimizer.lr)
            history.grad_norm.append(norm)
            if not finite:
                history.diverged_at, history.diverged_epoch = len(history.loss) - 1, epoch
                break
            optimizer.step()
            sum_loss += loss * len(xb)
            sum_acc += float(accuracy(out, yb)) * len(xb)
            seen += len(xb)
            for callback in callbacks:
                callback.on_batch_end(model, xb, yb, history)
        if history.diverged_at is not None:
            break
        if "no_eval_for_validation" not in bugs:
            model.eval()
        with np.errstate(all="ignore"):
            out = model.forward(X_val)
            val_loss = float(softmax_cross_entropy(out, y_val)[0])
            val_acc = float(accuracy(out, y_val))
        if "no_train_after_eval" not in bugs:
            model.train()
        history.train_loss.append(sum_loss / seen)
        history.train_acc.append(sum_acc / seen)
        history.val_loss.append(val_loss)
        history.val_acc.append(val_acc)
        history.best_epoch = int(np.argmin(history.val_loss))
        for callback in callbacks:
            callback.on_epoch_end(model, history)
        if not math.isfinite(val_loss):
            history.diverged_at, history.diverged_epoch = len(history.loss) - 1, epoch
            break
    history.message = (f"diverged at update {history.diverged_at}" if history.diverged_at
                       is not None else f"Trained {history.epochs_run} epochs by hand.")
    return history


def patient_setup(fault, with_fault=True):
    """What makes patient ``fault`` (or its healthy twin): ``{"network", "lr", "data",
    "bug"}``: the network (``"plain"``, ``"batch norm"``, ``"dropout"``, ``"dead"``), its rate,
    the training data (``"standardized"``, ``"sorted"`` by label and never shuffled, ``"raw"``
    pixels) and the loop bug (None: :func:`nnlesson.train.fit`)."""
    check_choice("fault", fault, FAULTS)
    network = {"batchnorm_in_eval": "batch norm", "dropout_at_test": "dropout"}.get(fault, "plain")
    lr = PRESCRIBED_LR.get(fault, BASE_LR) if with_fault or fault != "lr_too_high" else BASE_LR
    if not with_fault:
        return {"network": network, "lr": lr, "data": "standardized", "bug": None}
    return {"network": "dead" if fault == "dead_relu_init" else network, "lr": lr,
            "data": {"unshuffled": "sorted", "unscaled_inputs": "raw"}.get(fault, "standardized"),
            "bug": BUG_OF.get(fault)}


@functools.lru_cache(maxsize=512)
def patient(fault, *, lr_factor=1.0, momentum=0.9, seed=0, epochs=12, with_fault=True):
    """One of the course's patients: the digits network trained with one fault.

    The network is ``mlp([64, 64, 64, 10])`` (ReLU, He initialization, random seed ``seed``)
    trained with SGD (``momentum``) on :func:`nnlesson.datasets.load_digits_split`,
    mini-batches of 64, ``epochs`` epochs, at the prescribed rate (0.05; 1.0 for
    ``"lr_too_high"``; 0.1 for ``"batchnorm_in_eval"``, whose network has batch norm) times
    ``lr_factor``. The faults:

    ========================  =======================================================
    ``healthy``               nothing wrong
    ``lr_too_high``           the rate is 20 times the healthy one
    ``gradients_not_zeroed``  the loop never zeroes the gradients (they add up)
    ``unshuffled``            the rows sorted by label and never shuffled
    ``batchnorm_in_eval``     batch norm after each hidden layer; the loop calls
                              ``model.eval()`` for validation and never ``model.train()``
    ``dropout_at_test``       dropout 0.5 after each hidden layer; the loop never calls
                              ``model.eval()``, so validation runs with dropout
    ``unscaled_inputs``       raw pixels (0 to 16) instead of standardized ones
    ``dead_relu_init``        the hidden layers' biases start at -3: most ReLUs are off
    ========================  =======================================================

    ``with_fault=False`` gives the healthy twin: the same network and rate without the fault
    (for ``"lr_too_high"`` the healthy rate). Records are cached; runs with the same setup
    (a twin and the healthy patient) are one run.

    Returns:
        :class:`nnlesson.diagnosis.RunRecord` labelled with the fault.
    """
    check_choice("fault", fault, FAULTS)
    lr_factor = check_number("lr_factor", lr_factor, low=0, low_open=True)
    momentum = check_number("momentum", momentum, low=0, high=1, high_open=True)
    seed = check_int("seed", seed, low=0)
    epochs = check_int("epochs", epochs, low=1)
    with_fault = check_bool("with_fault", with_fault)
    setup = patient_setup(fault, with_fault)
    record = _run(setup["network"], setup["lr"] * lr_factor, momentum, seed, epochs,
                  setup["data"], setup["bug"])
    label = fault if with_fault else f"{fault} (healthy twin)"
    return record if record.label == label else _relabel(record, label)


def _relabel(record, label):
    return replace(record, label=label)


@functools.lru_cache(maxsize=512)
def _run(network, lr, momentum, seed, epochs, data, bug):
    X, X_val, y, y_val = load_digits_split()
    shuffle = True
    if data == "sorted":
        order = np.argsort(y, kind="stable")
        X, y, shuffle = X[order], y[order], False
    elif data == "raw":  # the same split, without the scaler
        digits = load_digits()
        X, X_val, y, y_val = train_val_split(digits.X, digits.y, 0.3, rng=0, stratify=True)
    model = mlp([64, 64, 64, 10], batch_norm=network == "batch norm",
                dropout=0.5 if network == "dropout" else 0.0, rng=seed)
    if network == "dead":
        for layer in model.layers[:-1]:
            if isinstance(layer, Linear):
                layer.b.value[:] = DEAD_BIAS
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    if bug is None:
        return record_training(model, X, y, X_val, y_val, optimizer=optimizer, epochs=epochs,
                               batch_size=64, rng=seed, shuffle=shuffle)
    monitor = TrainingMonitor(X[:PROBE_ROWS], X_val, y_val)
    history = handwritten_loop(model, X, y, X_val, y_val, optimizer=optimizer, epochs=epochs,
                               batch_size=64, rng=seed, bugs=(bug,), callbacks=[monitor])
    return RunRecord.from_training(history, monitor, model)
