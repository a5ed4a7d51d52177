"""Lesson 11's exercise checks: solutions pass, stubs are "not implemented", mistakes are named."""
import numpy as np
import pytest

from nnlesson.course.checks.regularization import (
    check_early_stopping,
    check_inverted_dropout,
    check_l1_penalty,
    check_l2_penalty,
    check_sgd_step_l2,
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


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


class StubDropout:
    def __init__(self, p, rng):
        self.p, self.rng = p, rng

    def forward(self, x, train=True):
        raise NotImplementedError("replace this line with your code")

    def backward(self, dout):
        raise NotImplementedError("replace this line with your code")


# --------------------------------------------------------------------------- passing and stubs


def test_solutions_and_the_library_pass():
    assert check_l2_penalty(l2_penalty).passed
    assert check_l2_penalty(library_l2).passed
    assert check_l1_penalty(l1_penalty).passed
    assert check_l1_penalty(library_l1).passed
    assert check_sgd_step_l2(sgd_step_l2).passed
    assert check_inverted_dropout(InvertedDropout).passed
    assert check_early_stopping(early_stopping).passed


def test_the_library_dropout_layer_passes():
    class LibraryDropout:
        def __init__(self, p, rng):
            self.layer = Dropout(p, rng=rng)

        def forward(self, x, train=True):
            return self.layer.train(train).forward(x)

        def backward(self, dout):
            return self.layer.backward(dout)

    assert check_inverted_dropout(LibraryDropout).passed


@pytest.mark.parametrize("check, fn", [(check_l2_penalty, stub), (check_l1_penalty, stub),
                                       (check_sgd_step_l2, stub), (check_early_stopping, stub),
                                       (check_inverted_dropout, StubDropout)])
def test_stubs_are_not_implemented_yet(check, fn):
    result = check(fn)
    assert result.status == "todo" and "not implemented yet" in result.message


# --------------------------------------------------------------------------- L2 mistakes


@pytest.mark.parametrize("wrong, name", [
    (lambda ws, lam: (l2_penalty(ws, lam)[0], [2 * lam * W for W in ws]), "gradient 2 lam w"),
    (lambda ws, lam: (lam * sum(np.sum(W**2) for W in ws), [lam * W for W in ws]),
     "1/2 missing from the penalty"),
    (lambda ws, lam: (l2_penalty(ws, lam)[0], [W.copy() for W in ws]),
     "lam missing from the gradient"),
    (lambda ws, lam: (lam / 2 * sum(np.linalg.norm(W) for W in ws), [lam * W for W in ws]),
     "norm instead of squared norm"),
])
def test_l2_mistakes_are_named(wrong, name):
    result = check_l2_penalty(wrong)
    assert not result.passed and result.mistake == name


def test_l2_output_problems_get_clear_messages():
    result = check_l2_penalty(lambda ws, lam: l2_penalty(ws, lam)[0])
    assert not result.passed and "expected 2 outputs" in result.message

    def in_place(ws, lam):
        penalty = l2_penalty(ws, lam)[0]
        for W in ws:
            W *= lam
        return penalty, ws

    result = check_l2_penalty(in_place)
    assert not result.passed and "changed its input `ws` in place" in result.message

    result = check_l2_penalty(lambda ws, lam: None)
    assert "returned None" in result.message

    def raises(ws, lam):
        return np.sum(np.array(ws) ** 2)  # arrays of different shapes

    result = check_l2_penalty(raises)
    assert not result.passed and "your function raised ValueError" in result.message
    assert "Traceback" not in str(result)

    result = check_l2_penalty(lambda ws, lam: (np.nan, [lam * W for W in ws]))
    assert not result.passed and "NaN" in result.message


# --------------------------------------------------------------------------- L1 mistakes


@pytest.mark.parametrize("wrong, name", [
    (lambda ws, lam: (l1_penalty(ws, lam)[0], [lam * np.where(W >= 0, 1.0, -1.0) for W in ws]),
     "sign(0) taken as 1"),
    (lambda ws, lam: (l1_penalty(ws, lam)[0], [lam * W for W in ws]), "L2 gradient"),
    (lambda ws, lam: (lam * sum(np.sum(W) for W in ws), [lam * np.sign(W) for W in ws]),
     "absolute value missing"),
    (lambda ws, lam: (lam / 2 * sum(np.abs(W).sum() for W in ws),
                      [lam / 2 * np.sign(W) for W in ws]), "a factor 1/2"),
])
def test_l1_mistakes_are_named(wrong, name):
    result = check_l1_penalty(wrong)
    assert not result.passed and result.mistake == name


def test_l1_wrong_shape_is_told():
    result = check_l1_penalty(lambda ws, lam: (l1_penalty(ws, lam)[0],
                                              [lam * np.sign(W).ravel() for W in ws]))
    assert not result.passed and "shape" in result.message


# --------------------------------------------------------------------------- SGD step mistakes


@pytest.mark.parametrize("wrong, name", [
    (lambda ps, gs, lr, lam: [p - lr * (g + lam * p) for p, g in zip(ps, gs)], "biases penalized"),
    (lambda ps, gs, lr, lam: [p - lr * g - lam * p if p.ndim == 2 else p - lr * g
                              for p, g in zip(ps, gs)], "decay not multiplied by lr"),
    (lambda ps, gs, lr, lam: [p - lr * (g + 2 * lam * p) if p.ndim == 2 else p - lr * g
                              for p, g in zip(ps, gs)], "gradient 2 lam w"),
    (lambda ps, gs, lr, lam: [p - lr * g for p, g in zip(ps, gs)], "no penalty"),
    (lambda ps, gs, lr, lam: [(p - lr * g) * (1 - lr * lam) if p.ndim == 2 else p - lr * g
                              for p, g in zip(ps, gs)], "decay after the step"),
])
def test_step_mistakes_are_named(wrong, name):
    result = check_sgd_step_l2(wrong)
    assert not result.passed and result.mistake == name


def test_step_in_place_is_told():
    def in_place(params, grads, lr, lam):
        for p, g in zip(params, grads):
            p -= lr * (g + lam * p) if p.ndim >= 2 else lr * g
        return params

    result = check_sgd_step_l2(in_place)
    assert not result.passed and "changed its input `params` in place" in result.message


# --------------------------------------------------------------------------- dropout mistakes


def _dropout_class(forward, backward):
    """A student class from two functions forward(self, x, train) and backward(self, dout)."""
    return type("WrongDropout", (InvertedDropout,), {"forward": forward, "backward": backward})


def _fw(scale):
    def forward(self, x, train=True):
        if not train:
            self.mask = None
            return x
        self.mask = self.rng.random(x.shape) >= self.p
        return x * self.mask * scale(self.p)
    return forward


def _bw(scale):
    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask * scale(self.p)
    return backward


def _new_mask_backward(self, dout):
    if self.mask is None:
        return dout
    return dout * (self.rng.random(dout.shape) >= self.p) / (1 - self.p)


def _eval_scaled_forward(self, x, train=True):
    if not train:
        self.mask = None
        return x * (1 - self.p)
    return InvertedDropout.forward(self, x, train)


def _eval_scaled_backward(self, dout):
    return dout * (1 - self.p) if self.mask is None else dout * self.mask / (1 - self.p)


def _keep_p_forward(self, x, train=True):
    if not train:
        self.mask = None
        return x
    self.mask = self.rng.random(x.shape) < self.p
    return x * self.mask / (1 - self.p)


def _low_side_forward(self, x, train=True):
    if not train:
        self.mask = None
        return x
    self.mask = self.rng.random(x.shape) < 1 - self.p
    return x * self.mask / (1 - self.p)


def _divided_by_p(p):
    return np.inf if p == 0 else 1 / p


@pytest.mark.parametrize("forward, backward, name", [
    (_fw(lambda p: 1.0), _bw(lambda p: 1.0), "no rescaling"),
    (_fw(lambda p: p), _bw(lambda p: p), "multiplied by p"),
    (_fw(_divided_by_p), _bw(_divided_by_p), "divided by p"),
    (InvertedDropout.forward, _new_mask_backward, "new mask in backward"),
    (InvertedDropout.forward,
     lambda self, dout: dout if self.mask is None else dout / (1 - self.p),
     "mask missing in backward"),
    (_eval_scaled_forward, _eval_scaled_backward, "scaled in evaluation"),
    (_keep_p_forward, InvertedDropout.backward, "keeps with probability p"),
    (_low_side_forward, InvertedDropout.backward, "mask drawn as u < 1 - p"),
])
def test_dropout_mistakes_are_named(forward, backward, name):
    with np.errstate(divide="ignore", invalid="ignore"):
        result = check_inverted_dropout(_dropout_class(forward, backward))
    assert not result.passed and result.mistake == name, result


def test_dropout_problems_get_clear_messages():
    def in_place_forward(self, x, train=True):
        if not train:
            self.mask = None
            return x
        self.mask = self.rng.random(x.shape) >= self.p
        x *= self.mask / (1 - self.p)
        return x

    result = check_inverted_dropout(_dropout_class(in_place_forward, InvertedDropout.backward))
    assert not result.passed and "changed its input `x` in place" in result.message

    result = check_inverted_dropout(_dropout_class(InvertedDropout.forward, lambda self, d: None))
    assert not result.passed and "returned None" in result.message
    result = check_inverted_dropout(_dropout_class(lambda self, x, train=True: None,
                                                   InvertedDropout.backward))
    assert not result.passed and "returned None" in result.message

    result = check_inverted_dropout(_dropout_class(
        InvertedDropout.forward, lambda self, dout: (dout * self.mask).ravel()
        if self.mask is not None else dout))
    assert not result.passed and "shape" in result.message

    result = check_inverted_dropout(InvertedDropout(0.5, np.random.default_rng(0)))
    assert not result.passed and "expected the class InvertedDropout" in result.message


# --------------------------------------------------------------------------- early stopping mistakes


def one_early(val_losses, patience):
    best, best_epoch, bad = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch, bad = loss, epoch, 0
        else:
            bad += 1
            if bad >= max(patience - 1, 1):
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def one_late(val_losses, patience):
    best, best_epoch, bad = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch, bad = loss, epoch, 0
        else:
            bad += 1
            if bad > patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def last_as_best(val_losses, patience):
    _, stop = early_stopping(val_losses, patience)
    return stop, stop


def no_reset(val_losses, patience):
    best, best_epoch, bad = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        else:
            bad += 1
            if bad >= patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def ties_improve(val_losses, patience):
    best, best_epoch, bad = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss <= best:
            best, best_epoch, bad = loss, epoch, 0
        else:
            bad += 1
            if bad >= patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def vs_previous(val_losses, patience):
    best, best_epoch, bad, previous = float("inf"), 0, 0, float("inf")
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        if loss < previous:
            bad = 0
        else:
            bad += 1
            if bad >= patience:
                return best_epoch, epoch
        previous = loss
    return best_epoch, len(val_losses) - 1


@pytest.mark.parametrize("wrong, name", [
    (one_early, "stops one epoch early"),
    (one_late, "stops one epoch late"),
    (last_as_best, "best weights not restored"),
    (no_reset, "counter not reset"),
    (ties_improve, "tie counted as improvement"),
    (vs_previous, "compared with the previous epoch"),
])
def test_early_stopping_mistakes_are_named(wrong, name):
    result = check_early_stopping(wrong)
    assert not result.passed and result.mistake == name, result


def test_early_stopping_problems_get_clear_messages():
    result = check_early_stopping(lambda losses, patience: early_stopping(losses, patience)[0])
    assert not result.passed and "expected 2 outputs" in result.message

    result = check_early_stopping(
        lambda losses, patience: tuple(float(v) for v in early_stopping(losses, patience)))
    assert not result.passed and "whole number" in result.message

    def pops(losses, patience):
        out = early_stopping(losses, patience)
        losses.pop()
        return out

    result = check_early_stopping(pops)
    assert not result.passed and "changed its input `losses` in place" in result.message
