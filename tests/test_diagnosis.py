"""nnlesson.diagnosis: the monitor fit calls, the record, the evidence and the verdict.

The monitor is checked against hand-worked values (labels per batch, activation statistics
computed with numpy from the weights) and against nnlesson.train.weight_grad_norms (itself
checked against torch autograd); watching must change nothing. The verdicts are checked on
made-up records whose curves have one signature each, and on small real runs. The course's
patients are tested with the lesson (tests/test_lessons_diagnosing_and_tuning.py).
"""
import math
import warnings

import numpy as np
import pytest

import nnlesson as nl
from nnlesson import diagnosis as D
from nnlesson.train import Callback, fit, mlp


@pytest.fixture(scope="module")
def digits():
    return nl.load_digits_split()


def _fit(model, X, y, Xv, yv, lr=0.05, callbacks=None, epochs=2, **kw):
    opt = nl.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return fit(model, X, y, optimizer=opt, epochs=epochs, batch_size=64, rng=0, X_val=Xv,
               y_val=yv, callbacks=callbacks, **kw)


@pytest.mark.parametrize("kw", [{}, {"dropout": 0.5}, {"batch_norm": True}], ids=str)
def test_watching_changes_nothing(digits, kw):
    """The probe runs in evaluation mode: no dropout mask drawn, no running statistic moved."""
    X, Xv, y, yv = digits
    plain, watched = mlp([64, 16, 16, 10], rng=3, **kw), mlp([64, 16, 16, 10], rng=3, **kw)
    h1 = _fit(plain, X, y, Xv, yv, epochs=3)
    monitor = D.TrainingMonitor(X, Xv, yv)
    h2 = _fit(watched, X, y, Xv, yv, epochs=3, callbacks=[monitor])
    assert h1.as_dict() == h2.as_dict()
    for a, b in zip(plain.modules(), watched.modules()):
        for name, value in vars(a).items():
            if isinstance(value, np.ndarray) and name.startswith("running"):
                np.testing.assert_array_equal(value, getattr(b, name))
    for p, q in zip(plain.parameters(), watched.parameters()):
        np.testing.assert_array_equal(p.value, q.value)
    record = D.RunRecord.from_training(h2, monitor, watched, label="watched")
    np.testing.assert_array_equal(record.val_loss, record.val_loss_eval)  # fit: eval mode
    assert record.has_batchnorm == bool(kw.get("batch_norm"))


def test_the_monitor_by_hand(digits):
    """Labels per batch, layer gradient norms and activation statistics, computed otherwise."""
    X, Xv, y, yv = digits
    X, y = X[:200], y[:200]
    model = mlp([64, 8, 6, 10], rng=1)
    model.layers[0].b.value[:3] = -20.0  # three units of layer 1 dead on every input
    monitor = D.TrainingMonitor(X[:50], Xv, yv)
    opt = nl.optim.SGD(model.parameters(), lr=0.0)  # nothing moves: every number by hand
    h = fit(model, X, y, optimizer=opt, epochs=2, batch_size=64, shuffle=False, X_val=Xv,
            y_val=yv, callbacks=[monitor])
    r = D.RunRecord.from_training(h, monitor, model)
    batches = [y[k:k + 64] for k in range(0, 200, 64)]
    np.testing.assert_array_equal(r.batch_classes, [len(set(b)) for b in batches] * 2)
    assert r.batch_size == 64 and r.n_classes == 10 and r.iterations_per_epoch == 4
    per_batch = [nl.train.weight_grad_norms(mlp_copy(model), X[k:k + 64], y[k:k + 64])
                 for k in range(0, 200, 64)]
    np.testing.assert_allclose(r.layer_grad_norm, [np.mean(per_batch, axis=0)] * 2, rtol=1e-12)
    W1, b1 = model.layers[0].W.value, model.layers[0].b.value
    W2, b2 = model.layers[2].W.value, model.layers[2].b.value
    z1 = X[:50] @ W1 + b1
    z2 = np.maximum(z1, 0) @ W2 + b2
    for z, j in ((z1, 0), (z2, 1)):
        for stats in (r.initial_zero_fraction, r.zero_fraction[-1]):
            assert stats[j] == pytest.approx(np.mean(z <= 0))
        assert r.preact_mean[-1, j] == pytest.approx(z.mean())
        assert r.preact_std[-1, j] == pytest.approx(z.std())
        assert r.dead_fraction[-1, j] == pytest.approx(np.mean(np.all(z <= 0, axis=0)))
    assert r.dead_fraction[-1, 0] >= 3 / 8
    assert np.all(np.isnan(r.batchnorm_change))  # no batch norm


def mlp_copy(model):
    """A network with the same weights (weight_grad_norms leaves gradients in the model)."""
    copy = mlp([64, 8, 6, 10], rng=1)
    for p, q in zip(copy.parameters(), model.parameters()):
        p.value[...] = q.value
    return copy


class LeftInEval(Callback):
    """The bug of a loop that calls model.eval() for validation and never model.train()."""

    def on_epoch_end(self, model, history):
        model.eval()


def test_batchnorm_left_in_eval_mode_freezes_its_running_statistics(digits):
    X, Xv, y, yv = digits
    runs = {}
    for name, extra in (("healthy", []), ("left in eval", [LeftInEval()])):
        model = mlp([64, 32, 32, 10], batch_norm=True, rng=0)
        monitor = D.TrainingMonitor(X, Xv, yv)
        h = _fit(model, X, y, Xv, yv, lr=0.1, epochs=4, callbacks=[monitor] + extra)
        runs[name] = D.RunRecord.from_training(h, monitor, model)
    assert np.all(runs["healthy"].batchnorm_change > 0.01)
    assert runs["left in eval"].batchnorm_change[0] > 0.01  # the first epoch trains as it should
    np.testing.assert_array_equal(runs["left in eval"].batchnorm_change[1:], 0.0)
    assert D.diagnose(runs["left in eval"]).fault == "batchnorm_in_eval"
    assert D.diagnose(runs["healthy"]).fault == "healthy"


def test_a_validation_loss_measured_with_dropout_on_disagrees(digits):
    """A loop whose validation runs in training mode: the reported loss is not the eval one."""
    X, Xv, y, yv = digits
    model = mlp([64, 32, 32, 10], dropout=0.5, rng=0)
    monitor = D.TrainingMonitor(X, Xv, yv)
    h = _fit(model, X, y, Xv, yv, epochs=3, callbacks=[monitor])
    dropout_on = []
    for _ in range(3):  # what the loop would have reported without model.eval()
        dropout_on.append(float(nl.losses.softmax_cross_entropy(model.forward(Xv), yv)[0]))
    h.val_loss[:] = dropout_on
    r = D.RunRecord.from_training(h, monitor, model)
    evidence = D.find_evidence(r)["validation_disagrees"]
    assert evidence.present and evidence.value > 0.01
    assert D.diagnose(r).fault == "dropout_at_test"


def test_record_training_is_fit_with_a_monitor_and_a_divergence_is_recorded(digits):
    X, Xv, y, yv = digits
    a, b = mlp([64, 16, 10], rng=0), mlp([64, 16, 10], rng=0)
    h = _fit(a, X, y, Xv, yv, epochs=2)
    r = D.record_training(b, X, y, Xv, yv, optimizer=nl.optim.SGD(b.parameters(), lr=0.05,
                                                                  momentum=0.9),
                          epochs=2, batch_size=64, rng=0, label="same")
    np.testing.assert_array_equal(r.loss, h.loss)
    np.testing.assert_array_equal(r.val_loss, h.val_loss)
    assert r.lr == 0.05 and "RunRecord('same', 2 epochs" in repr(r)
    deep = mlp([64, 64, 64, 64, 10], rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DivergenceWarning: the record says it
        r = D.record_training(deep, X, y, Xv, yv,
                              optimizer=nl.optim.SGD(deep.parameters(), lr=5.0, momentum=0.9),
                              epochs=3, batch_size=64, rng=0)
    # the loss grows 100-fold and more per update until a number overflows, in epoch 1
    assert r.diverged and 1 < r.diverged_at < r.iterations_per_epoch and r.epochs_run == 0
    assert np.all(np.diff(r.loss[:r.diverged_at]) > 0) and r.loss[r.diverged_at - 1] > 1e100
    assert D.find_evidence(r)["exploding_gradients"].present
    assert D.diagnose(r).fault == "lr_too_high"


def test_expected_initial_loss_and_overfitting_one_small_batch(digits):
    X, _, y, _ = digits
    assert D.expected_initial_loss(10) == pytest.approx(2.302585093)
    model = mlp([64, 64, 10], rng=0)
    losses = D.overfit_small_batch(model, X[:20], y[:20],
                                   optimizer=nl.optim.SGD(model.parameters(), lr=0.1,
                                                          momentum=0.9), steps=100)
    assert len(losses) == 100 and losses[0] > 1.0 and losses[-1] < 0.01
    # the first loss is the untrained network's loss on the 20 digits
    fresh = mlp([64, 64, 10], rng=0)
    assert losses[0] == pytest.approx(float(nl.losses.softmax_cross_entropy(
        fresh.forward(X[:20]), y[:20])[0]), rel=1e-12)


# --------------------------------------------------------------------------- made-up records


def _made_up(train, val=None, *, ipe=10, first=None, zero=0.5, grad=None, batch_classes=10.0,
             first_zero=0.5, val_eval=None, bn_change=None):
    """A record whose curves are given: the per-update loss repeats the epoch means."""
    train = np.asarray(train, dtype=float)
    E = len(train)
    val = train * 1.05 if val is None else np.asarray(val, dtype=float)
    loss = np.repeat(train, ipe)
    loss[0] = 2.3 if first is None else first
    grad = np.full(E * ipe, 1.0) if grad is None else np.asarray(grad, dtype=float)
    bn = bn_change is not None
    return D.RunRecord(
        label="made up", lr=0.1, batch_size=64, iterations_per_epoch=ipe, n_classes=10,
        has_batchnorm=bn, loss=loss, grad_norm=grad,
        batch_classes=np.full(E * ipe, batch_classes), initial_zero_fraction=np.full(2, first_zero),
        train_loss=train, train_acc=np.full(E, 0.5), val_loss=val,
        val_loss_eval=val if val_eval is None else np.asarray(val_eval, dtype=float),
        val_acc=np.full(E, 0.5), layer_grad_norm=np.ones((E, 3)), preact_mean=np.zeros((E, 2)),
        preact_std=np.ones((E, 2)), zero_fraction=np.full((E, 2), zero),
        dead_fraction=np.zeros((E, 2)),
        batchnorm_change=np.asarray(bn_change, dtype=float) if bn else np.full(E, np.nan))


GOOD = 2.3 * 0.6 ** np.arange(12)


def _signatures(record):
    return {k for k, f in D.find_evidence(record).items() if f.present and k in D.SIGNATURES}


def test_made_up_healthy_curve_has_no_signature():
    r = _made_up(GOOD, GOOD * 1.1 + 0.05)
    assert _signatures(r) == set() and D.diagnose(r).fault == "healthy"
    assert not any(f.present for f in D.find_evidence(r).values())


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
    assert D.diagnose(_made_up(GOOD, val_eval=GOOD * 1.05 - 0.01)).fault == "dropout_at_test"
    assert D.diagnose(_made_up(GOOD, first=18.0)).fault == "unscaled_inputs"
    assert D.diagnose(_made_up(np.full(12, 2.3), first_zero=0.99, zero=0.99)).fault == \
        "dead_relu_init"
    growing = np.linspace(1, 200, 120)
    assert D.diagnose(_made_up(GOOD, grad=growing)).fault == "gradients_not_zeroed"
    assert D.diagnose(_made_up(GOOD, batch_classes=1.5)).fault == "unshuffled"
    frozen = np.r_[0.5, np.zeros(11)]
    assert D.diagnose(_made_up(GOOD, bn_change=frozen)).fault == "batchnorm_in_eval"
    assert D.diagnose(_made_up(GOOD, bn_change=np.full(12, 0.1))).fault == "healthy"


def test_explain_says_why_an_answer_fits_or_not():
    r = _made_up(GOOD, first=18.0)
    fits, why = D.explain(r, "unscaled_inputs")
    assert fits and "ln(10)" in why and "7.8 times" in why  # 18 / ln 10 = 7.8
    fits, why = D.explain(r, "lr_too_high")  # the evidence against it, and the strongest sign
    assert not fits and why.startswith("not learning rate too high: the training loss climbed "
                                       "back to 1 times its lowest value")
    assert "The strongest sign in this run: the first loss is 18, 7.8 times" in why
    assert not any(label in why for label in D.FAULT_LABELS.values()
                   if label != D.FAULT_LABELS["lr_too_high"])  # no other fault is named
    fits, why = D.explain(r, "healthy")
    assert not fits and why.startswith("not healthy: the run shows a fault signature")
    # a run with a climbing loss AND a far too high start: the rate is not the first cause
    both = _made_up(2.3 * np.r_[0.5, 0.6, 0.8, 1.0, 1.2] + 0.1, first=18.0)
    fits, why = D.explain(both, "lr_too_high")
    assert not fits and "but a more specific sign comes first" in why
    fits, why = D.explain(_made_up(GOOD), "unshuffled")
    assert not fits and "No fault signature shows" in why and "sorted by label" in why
    with pytest.raises(ValueError, match="fault must be one of"):
        D.explain(r, "bad luck")


def test_records_are_read_only_and_arguments_checked(digits):
    X, Xv, y, yv = digits
    r = _made_up(GOOD)
    with pytest.raises(ValueError):
        r.loss[0] = 0.0
    with pytest.raises(TypeError, match="record must be a RunRecord"):
        D.find_evidence({"loss": [1.0]})
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        D.TrainingMonitor(X, Xv)
    with pytest.raises(ValueError, match="probe must have 2 dimension"):
        D.TrainingMonitor(X[0])
    with pytest.raises(TypeError, match="monitor must be a TrainingMonitor"):
        D.RunRecord.from_training(nl.train.History(), D.TrainingMonitor(X), mlp([64, 10]))
    with pytest.raises(ValueError, match="n_classes must be"):
        D.expected_initial_loss(1)
    layer = nl.layers.Linear(64, 10, rng=0)
    with pytest.raises(TypeError, match="model must be an nnlesson Sequential"):
        fit(layer, X, y, optimizer=nl.optim.SGD(layer.parameters(), lr=0.1), epochs=1,
            batch_size=64, callbacks=[D.TrainingMonitor(X)])
    # a network without hidden activations: no activation statistics, the rest recorded
    linear = nl.layers.Sequential(nl.layers.Linear(64, 10, rng=0))
    monitor = D.TrainingMonitor(X)
    r = D.RunRecord.from_training(_fit(linear, X, y, Xv, yv, epochs=1, callbacks=[monitor]),
                                  monitor, linear)
    assert r.initial_zero_fraction.shape == (0,) and r.zero_fraction.shape == (1, 0)
    assert r.layer_grad_norm.shape == (1, 1) and D.diagnose(r).fault in D.FAULTS
