"""Lesson 11's exercise checks: the solutions pass, stubs are "not implemented yet", the
library's own versions are refused, and the wrong answers whose *form* matters are named.

The declared mistakes of every check are tested as a table in tests/test_checks_meta.py (each
named as itself, the cases telling them apart); here are the answers a student writes in a
shape the declarations do not cover.
"""
import math

import numpy as np
import pytest

import nnlesson as nl
from nnlesson.course.checks import _stale
from nnlesson.course.checks import regularization as checks
from nnlesson.course.checks.regularization import (
    check_early_stopping,
    check_inverted_dropout,
    check_l1_penalty,
    check_l2_penalty,
    check_sgd_step_l2,
    check_train_with_early_stopping,
)
from nnlesson.layers import Dropout
from nnlesson.losses import l1_penalty as library_l1
from nnlesson.losses import l2_penalty as library_l2

# --------------------------------------------------------------------------- student versions


def l2_penalty(weights, lam):
    return lam / 2 * sum(float(np.sum(W**2)) for W in weights), [lam * W for W in weights]


def l1_penalty(weights, lam):
    return lam * sum(float(np.sum(np.abs(W))) for W in weights), [lam * np.sign(W) for W in weights]


def sgd_step_l2(params, grads, lr, lam):
    return [p - lr * (g + lam * p) if p.ndim >= 2 else p - lr * g for p, g in zip(params, grads)]


class InvertedDropout:
    def __init__(self, p, rng):
        self.p, self.rng, self.mask = p, rng, None

    def forward(self, x, train=True):
        if not train:
            self.mask = None
            return x
        self.mask = self.rng.random(x.shape) >= self.p
        return x * self.mask / (1 - self.p)

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask / (1 - self.p)


def early_stopping(val_losses, patience):
    best, best_epoch, bad = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch, bad = loss, epoch, 0
        else:
            bad += 1
            if bad >= patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def training_loop(snapshot, restore):
    """A train_with_early_stopping whose snapshot and restore are given."""
    def train_with_early_stopping(model, train_epoch, validation_loss, max_epochs, patience):
        best, best_epoch, bad, kept, epochs = math.inf, 0, 0, None, 0
        for epoch in range(max_epochs):
            train_epoch()
            epochs += 1
            loss = validation_loss()
            if loss < best:
                best, best_epoch, bad, kept = loss, epoch, 0, snapshot(model)
            else:
                bad += 1
                if bad >= patience:
                    break
        restore(model, kept)
        return best_epoch, epochs
    return train_with_early_stopping


def _norms(model):
    return [m for m in model.modules() if isinstance(m, nl.norm.BatchNorm)]


def _copies(model):
    return ([p.value.copy() for p in model.parameters()],
            [(m.running_mean.copy(), m.running_var.copy()) for m in _norms(model)])


def _write_back(model, kept):
    values, stats = kept
    for p, value in zip(model.parameters(), values):
        p.value[...] = value
    for m, (mean, var) in zip(_norms(model), stats):
        m.running_mean[...] = mean
        m.running_var[...] = var


def _rebind(model, kept):  # p.value = kept: new arrays instead of writing into the old ones
    values, stats = kept
    for p, value in zip(model.parameters(), values):
        p.value = value
    for m, (mean, var) in zip(_norms(model), stats):
        m.running_mean, m.running_var = mean, var


train_with_early_stopping = training_loop(_copies, _write_back)


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


class StubDropout:
    def __init__(self, p, rng):
        self.p, self.rng = p, rng

    def forward(self, x, train=True):
        raise NotImplementedError("replace this line with your code")

    def backward(self, dout):
        raise NotImplementedError("replace this line with your code")


# --------------------------------------------------------------------------- passing, stubs, library


def test_solutions_pass():
    for check, answer in [(check_l2_penalty, l2_penalty), (check_l1_penalty, l1_penalty),
                          (check_sgd_step_l2, sgd_step_l2),
                          (check_inverted_dropout, InvertedDropout),
                          (check_early_stopping, early_stopping),
                          (check_train_with_early_stopping, train_with_early_stopping)]:
        result = check(answer)
        assert result.passed, str(result)


def test_restoring_by_rebinding_the_arrays_passes_too():
    assert check_train_with_early_stopping(training_loop(_copies, _rebind)).passed


@pytest.mark.parametrize("check, fn", [(check_l2_penalty, stub), (check_l1_penalty, stub),
                                       (check_sgd_step_l2, stub), (check_early_stopping, stub),
                                       (check_inverted_dropout, StubDropout),
                                       (check_train_with_early_stopping, stub)])
def test_stubs_are_not_implemented_yet(check, fn):
    result = check(fn)
    assert result.status == "todo" and "not implemented yet" in result.message


def library_dropout_class():
    class LibraryDropout:
        def __init__(self, p, rng):
            self.layer = Dropout(p, rng=rng)

        @property
        def mask(self):
            return self.layer.mask

        def forward(self, x, train=True):
            return self.layer.train(train).forward(x)

        def backward(self, dout):
            return self.layer.backward(dout)
    return LibraryDropout


def fit_loop(model, train_epoch, validation_loss, max_epochs, patience):
    stopper = nl.train.EarlyStopping(patience)
    state = None
    for _ in range(max_epochs):
        train_epoch()
        if stopper.step(validation_loss()):
            break
        if stopper.improved:
            state = nl.train.model_state(model)
    nl.train.load_model_state(model, state)
    return stopper.best_epoch, stopper.epoch


@pytest.mark.parametrize("check, answer, called", [
    (check_l2_penalty, library_l2, "l2_penalty"),
    (check_l1_penalty, library_l1, "l1_penalty"),
    (check_sgd_step_l2, lambda params, grads, lr, lam: [
        nl.optim.sgd_update(p, g, None, lr=lr, weight_decay=lam * (p.ndim > 1))[0]
        for p, g in zip(params, grads)], "sgd_update"),
    (check_inverted_dropout, library_dropout_class(), "Dropout"),
    (check_early_stopping, nl.train.early_stopping_point, "early_stopping_point"),
    (check_train_with_early_stopping, fit_loop, "EarlyStopping"),
])
def test_the_librarys_own_version_is_refused(check, answer, called):
    result = check(answer)
    assert result.mistake == "calls the library" and called in result.message, str(result)


# --------------------------------------------------------------------------- forms that matter


def test_a_penalty_that_changes_the_weights_in_place_is_told():
    def in_place(weights, lam):
        grads = []
        for W in weights:
            W *= lam  # the gradient made from the weights themselves
            grads.append(W)
        return lam / 2 * sum(float(np.sum((W / lam) ** 2)) for W in weights if lam), grads

    result = check_l2_penalty(in_place)
    assert not result.passed and "changed its input `weights` in place" in result.message


def test_a_penalty_that_returns_one_array_of_gradients_is_told():
    result = check_l2_penalty(lambda ws, lam: (l2_penalty(ws, lam)[0],
                                               np.concatenate([lam * W.ravel() for W in ws])))
    assert not result.passed and "grads" in result.message


def test_a_step_that_updates_the_parameters_in_place_is_told():
    def in_place(params, grads, lr, lam):
        for p, g in zip(params, grads):
            p -= lr * (g + lam * p) if p.ndim >= 2 else lr * g
        return params

    result = check_sgd_step_l2(in_place)
    assert not result.passed and "in place" in result.message


def test_a_dropout_mask_stored_as_numbers_is_told():
    class FloatMask(InvertedDropout):
        def forward(self, x, train=True):
            out = super().forward(x, train)
            if self.mask is not None:
                self.mask = self.mask.astype(float)
            return out

    result = check_inverted_dropout(FloatMask)
    assert not result.passed and result.mistake == "mask stored as numbers"
    assert "0.0 and 1.0" in result.message


def test_a_dropout_without_backward_is_told():
    class NoBackward:
        def __init__(self, p, rng):
            self.p, self.rng, self.mask = p, rng, None

        def forward(self, x, train=True):
            return InvertedDropout.forward(self, x, train)

    result = check_inverted_dropout(NoBackward)
    assert not result.passed and "no method `backward`" in result.message


def test_a_snapshot_made_of_slices_keeps_references_and_is_named():
    # p.value[:] looks like a copy but is a view of the same memory
    views = training_loop(lambda model: ([p.value[:] for p in model.parameters()],
                                         [(m.running_mean[:], m.running_var[:])
                                          for m in _norms(model)]), _write_back)
    result = check_train_with_early_stopping(views)
    assert result.mistake == "best weights not restored"
    assert "a slice p.value[:]" in result.message


def test_a_snapshot_of_the_parameters_only_is_named():
    params_only = training_loop(lambda model: ([p.value.copy() for p in model.parameters()], []),
                                _write_back)
    result = check_train_with_early_stopping(params_only)
    assert result.mistake == "batch-norm statistics not restored"
    assert "running_mean and running_var" in result.message


def test_a_loop_that_calls_validation_twice_per_epoch_still_passes():
    def twice(model, train_epoch, validation_loss, max_epochs, patience):
        best, best_epoch, bad, kept, epochs = math.inf, 0, 0, None, 0
        for epoch in range(max_epochs):
            train_epoch()
            epochs += 1
            if validation_loss() < best:
                best, best_epoch, bad, kept = validation_loss(), epoch, 0, _copies(model)
            else:
                bad += 1
                if bad >= patience:
                    break
        _write_back(model, kept)
        return best_epoch, epochs

    assert check_train_with_early_stopping(twice).passed


def test_a_failed_cell_gives_the_stale_message_for_the_students_own_function(monkeypatch):
    seen = []

    def stale(obj, name=None):
        seen.append(obj)
        return "the cell that defines train_with_early_stopping failed"

    monkeypatch.setattr(_stale, "stale_definition", stale)
    result = check_train_with_early_stopping(train_with_early_stopping)
    assert seen[0] is train_with_early_stopping
    assert result.mistake == "stale definition" and "failed" in result.message


def test_the_scripted_training_moves_weights_and_statistics_every_epoch():
    model = nl.train.mlp([4, 5, 3], batch_norm=True, rng=1)
    epochs = checks.ScriptedEpochs(model, 1)
    loss = checks.ScriptedLoss(epochs, [3.0, 2.0, 1.0])
    before = [p.value.copy() for p in model.parameters()] + [_norms(model)[0].running_mean.copy()]
    assert loss() == 3.0
    epochs()
    after = [p.value.copy() for p in model.parameters()] + [_norms(model)[0].running_mean.copy()]
    assert all(not np.array_equal(a, b) for a, b in zip(before, after))
    assert loss() == 2.0 and epochs.calls == 1
    epochs()
    epochs()
    assert loss() == 1.0  # past the script: the last loss


# --------------------------------------------------------------------------- families added from held-out answers


class OriginalDropout:
    """Srivastava et al.'s dropout: no factor in training, (1 - p) at test time."""

    def __init__(self, p, rng):
        self.p, self.rng, self.mask = p, rng, None

    def forward(self, x, train=True):
        if not train:
            self.mask = None
            return x * (1 - self.p)
        self.mask = self.rng.random(x.shape) >= self.p
        return np.where(self.mask, x, 0.0)

    def backward(self, dout):
        return dout if self.mask is None else np.where(self.mask, dout, 0.0)


class DropoutThatIgnoresTrain:
    def __init__(self, p, rng):
        self.p, self.rng, self.mask = p, rng, None

    def forward(self, x, train=True):
        self.mask = self.rng.random(x.shape) >= self.p
        return x * self.mask / (1 - self.p)

    def backward(self, dout):
        return dout * self.mask / (1 - self.p)


@pytest.mark.parametrize("answer, name", [
    (OriginalDropout, "the original dropout, not inverted"),
    (DropoutThatIgnoresTrain, "dropping in evaluation too"),
])
def test_held_out_dropout_families_are_named(answer, name):
    result = check_inverted_dropout(answer)
    assert not result.passed and result.mistake == name, result


def test_a_hand_written_decay_of_every_parameter_without_lr_names_both_mistakes():
    def decay_everything(params, grads, lr, lam):
        return [(1 - lam) * p - lr * g for p, g in zip(params, grads)]

    result = check_sgd_step_l2(decay_everything)
    assert result.mistake == "biases penalized + decay not multiplied by lr", result
