"""nnlesson.diagnosis: the recording loop, its bugs, the evidence and the verdict.

The verdicts are tested on the course's patients (every fault, two random seeds and two
learning rates) and on made-up records whose curves have one signature each.
"""
import math
from dataclasses import replace

import numpy as np
import pytest

import nnlesson as nl
from nnlesson import diagnosis as D


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("fault", D.FAULTS)
def test_every_patient_is_diagnosed_with_its_fault(fault, seed):
    for factor in (1.0, 0.3):
        verdict = D.diagnose(D.fault_run(fault, seed=seed, lr_factor=factor))
        assert verdict.fault == fault, (factor, str(verdict))


@pytest.mark.parametrize("fault", D.FAULTS)
def test_every_healthy_twin_is_healthy(fault):
    assert D.diagnose(D.fault_run(fault, with_fault=False)).fault == "healthy"


def test_a_healthy_run_starts_near_ln_10_learns_and_keeps_half_its_relus():
    r = D.fault_run("healthy")
    assert r.initial_loss < 1.6 * math.log(10)
    assert r.val_acc[-1] > 0.9 and not r.diverged
    assert 0.3 < r.initial_zero_fraction.min() and r.initial_zero_fraction.max() < 0.7
    np.testing.assert_array_equal(r.val_loss, r.val_loss_again)
    assert r.batch_classes.mean() > 8


def test_the_loop_bugs_do_what_they_say():
    X, Xv, y, yv = nl.load_digits_split()
    X, y = X[:128], y[:128]

    def run(**kw):
        model = nl.train.mlp([64, 8, 10], dropout=0.5, rng=0)
        opt = nl.optim.SGD(model.parameters(), lr=0.01)
        return model, D.record_training(model, X, y, Xv, yv, optimizer=opt, epochs=2,
                                        batch_size=64, rng=0, **kw)

    model, r = run(bugs=("no_eval_for_validation",))
    assert np.any(r.val_loss != r.val_loss_again)  # dropout on while validating
    model, r = run(bugs=("no_train_after_eval",))
    assert not model.training
    model, r = run()
    assert model.training and np.all(r.val_loss == r.val_loss_again)
    # without zeroing, the gradient of update 2 holds update 1's as well
    model = nl.train.mlp([64, 8, 10], rng=0)
    opt = nl.optim.SGD(model.parameters(), lr=0.0)  # nothing moves: the sum is visible
    r = D.record_training(model, X, y, Xv, yv, optimizer=opt, epochs=1, batch_size=64,
                          shuffle=False, bugs="no_zero_grad")
    g1 = nl.train.weight_grad_norms(model, X[:64], y[:64])
    g2 = nl.train.weight_grad_norms(model, X[64:], y[64:])
    assert r.grad_norm[0] > 0 and r.grad_norm[1] != pytest.approx(r.grad_norm[0])
    assert np.all(np.isfinite(g1)) and np.all(np.isfinite(g2))


def test_divergence_is_recorded_not_raised():
    X, Xv, y, yv = nl.load_digits_split()
    model = nl.train.mlp([64, 64, 64, 64, 64, 64, 64, 10], rng=0)
    opt = nl.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    r = D.record_training(model, X * 1e300, y, Xv, yv, optimizer=opt, epochs=3, batch_size=64,
                          rng=0)  # the first forward pass overflows
    assert r.diverged and r.diverged_at == 0 and math.isnan(r.loss[0])
    assert D.find_evidence(r)["exploding_gradients"].present
    assert D.diagnose(r).fault == "lr_too_high"


def test_expected_initial_loss_and_overfitting_one_small_batch():
    assert D.expected_initial_loss(10) == pytest.approx(2.302585093)
    X, _, y, _ = nl.load_digits_split()
    model = nl.train.mlp([64, 64, 10], rng=0)
    losses = D.overfit_small_batch(model, X[:20], y[:20],
                                   optimizer=nl.optim.SGD(model.parameters(), lr=0.1,
                                                          momentum=0.9), steps=100)
    assert losses[0] > 1.0 and losses[-1] < 0.01


# --------------------------------------------------------------------------- made-up records


def _made_up(train, val=None, *, ipe=10, first=None, zero=0.5, grad=None, batch_classes=10.0,
             first_zero=0.5, again=None, std=None, bn=False):
    """A record whose curves are given: the per-update loss interpolates the epoch means."""
    train = np.asarray(train, dtype=float)
    E = len(train)
    val = train * 1.05 if val is None else np.asarray(val, dtype=float)
    loss = np.repeat(train, ipe)
    loss[0] = 2.3 if first is None else first
    grad = np.full(E * ipe, 1.0) if grad is None else np.asarray(grad, dtype=float)
    std = np.ones((E, 2)) if std is None else np.asarray(std, dtype=float)
    return D.RunRecord(
        label="made up", lr=0.1, batch_size=64, iterations_per_epoch=ipe, n_classes=10,
        has_batchnorm=bn, loss=loss, grad_norm=grad, batch_classes=np.full(E * ipe, batch_classes),
        initial_zero_fraction=np.full(2, first_zero), train_loss=train,
        train_acc=np.full(E, 0.5), val_loss=val,
        val_loss_again=val if again is None else np.asarray(again, dtype=float),
        val_acc=np.full(E, 0.5), layer_grad_norm=np.ones((E, 3)), preact_mean=np.zeros((E, 2)),
        preact_std=std, zero_fraction=np.full((E, 2), zero), dead_fraction=np.zeros((E, 2)))


GOOD = 2.3 * 0.6 ** np.arange(12)


def _signatures(record):
    return {k for k, f in D.find_evidence(record).items() if f.present and k in D.SIGNATURES}


def test_made_up_healthy_curve_has_no_signature():
    r = _made_up(GOOD, GOOD * 1.1 + 0.05)
    assert _signatures(r) == set() and D.diagnose(r).fault == "healthy"


def test_made_up_signatures_one_at_a_time():
    assert _signatures(_made_up(2.3 * np.r_[0.5, 0.6, 0.8, 1.0, 1.2] + 0.1)) == {"lr_too_high"}
    assert _signatures(_made_up(2.3 * 0.9 ** np.arange(12))) == {"lr_too_low"}
    overfit = _made_up(GOOD, np.r_[1.0, 0.6, 0.5, 0.55, 0.7, 0.9, 1.1, 1.3, 1.4, 1.5, 1.6, 1.7])
    assert _signatures(overfit) == {"overfitting"}
    flat_high = np.r_[1.5, 1.3, 1.2, 1.18, 1.17, 1.165, 1.162, 1.16, 1.159]
    assert _signatures(_made_up(flat_high)) == {"underfitting", "plateau"}
    stuck_then_drop = np.r_[2.3, 2.299, 2.298, 2.297, 2.296, 2.0, 1.0, 0.5, 0.2, 0.05]
    assert _signatures(_made_up(stuck_then_drop)) == {"plateau"}
    assert _signatures(_made_up(GOOD, zero=0.97)) == {"dead_relus"}
    spiky = np.ones(120)
    spiky[80] = 40.0
    assert _signatures(_made_up(GOOD, grad=spiky)) == {"exploding_gradients"}


def test_made_up_fault_evidence_names_the_fault():
    assert D.diagnose(_made_up(GOOD, again=GOOD * 1.05 + 0.01)).fault == "dropout_at_test"
    assert D.diagnose(_made_up(GOOD, first=18.0)).fault == "unscaled_inputs"
    assert D.diagnose(_made_up(np.full(12, 2.3), first_zero=0.99, zero=0.99)).fault == \
        "dead_relu_init"
    growing = np.linspace(1, 200, 120)
    assert D.diagnose(_made_up(GOOD, grad=growing)).fault == "gradients_not_zeroed"
    assert D.diagnose(_made_up(GOOD, batch_classes=1.5)).fault == "unshuffled"
    drift = np.c_[np.linspace(1, 2, 12), np.linspace(1, 2, 12)]
    assert D.diagnose(_made_up(GOOD, std=drift, bn=True)).fault == "batchnorm_in_eval"
    assert D.diagnose(_made_up(GOOD, std=drift, bn=False)).fault == "healthy"


def test_explain_says_why_an_answer_fits_or_not():
    r = D.fault_run("unscaled_inputs")
    fits, why = D.explain(r, "unscaled_inputs")
    assert fits and "ln(10)" in why
    fits, why = D.explain(r, "lr_too_high")
    assert not fits and "inputs not scaled" in why
    with pytest.raises(ValueError, match="fault must be one of"):
        D.explain(r, "bad luck")


def test_records_are_read_only_and_checked():
    r = D.fault_run("healthy")
    with pytest.raises(ValueError):
        r.loss[0] = 0.0
    with pytest.raises(TypeError, match="record must be a RunRecord"):
        D.find_evidence({"loss": [1.0]})
    with pytest.raises(ValueError, match="fault must be one of"):
        D.fault_run("gremlins")
    with pytest.raises(ValueError, match="bugs must be one of"):
        X, Xv, y, yv = nl.load_digits_split()
        model = nl.train.mlp([64, 4, 10], rng=0)
        D.record_training(model, X, y, Xv, yv, optimizer=nl.optim.SGD(model.parameters(), lr=0.1),
                          epochs=1, batch_size=64, bugs=("forgot_everything",))
    assert "RunRecord('healthy'" in repr(r)
