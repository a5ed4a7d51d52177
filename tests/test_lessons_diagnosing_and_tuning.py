"""Lesson 14's experiments: the hand-written loop and its bugs, the patients, the doctor, the
range-test explorer and the figures."""
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

import nnlesson as nl
from nnlesson import diagnosis as D
from nnlesson.course import patients as P
from nnlesson.course.lessons import diagnosing_and_tuning as L
from nnlesson.viz.plotting import alt_text


@pytest.fixture(scope="module")
def digits():
    return nl.load_digits_split()


# --------------------------------------------------------------------------- the loop by hand


@pytest.mark.parametrize("kw", [{}, {"batch_norm": True}, {"dropout": 0.5}], ids=str)
def test_the_handwritten_loop_without_bugs_takes_fits_steps_exactly(digits, kw):
    X, Xv, y, yv = digits
    by_fit, by_hand = (nl.train.mlp([64, 32, 32, 10], rng=1, **kw) for _ in range(2))
    h1 = nl.train.fit(by_fit, X, y, optimizer=nl.optim.SGD(by_fit.parameters(), lr=0.05,
                                                           momentum=0.9),
                      epochs=3, batch_size=64, rng=2, X_val=Xv, y_val=yv)
    h2 = P.handwritten_loop(by_hand, X, y, Xv, yv,
                            optimizer=nl.optim.SGD(by_hand.parameters(), lr=0.05, momentum=0.9),
                            epochs=3, batch_size=64, rng=2)
    for key in ("loss", "lr", "grad_norm", "train_loss", "train_acc", "val_loss", "val_acc"):
        assert getattr(h1, key) == getattr(h2, key), key
    for p, q in zip(by_fit.parameters(), by_hand.parameters()):
        np.testing.assert_array_equal(p.value, q.value)


def test_without_zeroing_each_update_uses_the_sum_of_all_gradients_so_far(digits):
    X, Xv, y, yv = digits
    X, y = X[:192], y[:192]
    model = nl.train.mlp([64, 8, 10], rng=0)
    opt = nl.optim.SGD(model.parameters(), lr=0.0)  # the weights stay: every gradient by hand
    h = P.handwritten_loop(model, X, y, Xv, yv, optimizer=opt, epochs=1, batch_size=64, rng=0,
                           bugs="no_zero_grad")
    order = np.random.default_rng(0).permutation(192)  # minibatches' shuffle with rng 0
    total = [np.zeros_like(p.value) for p in model.parameters()]
    for t in range(3):
        rows = order[64 * t: 64 * (t + 1)]
        fresh = nl.train.mlp([64, 8, 10], rng=0)
        loss, dout = nl.losses.softmax_cross_entropy(fresh.forward(X[rows]), y[rows])
        fresh.backward(dout)
        total = [s + p.grad for s, p in zip(total, fresh.parameters())]
        assert h.loss[t] == pytest.approx(float(loss), rel=1e-12)
        assert h.grad_norm[t] == pytest.approx(
            math.sqrt(sum(float(np.sum(g * g)) for g in total)), rel=1e-12)


def test_the_mode_bugs_leave_batch_norm_in_eval_and_validate_with_dropout(digits):
    X, Xv, y, yv = digits
    model = nl.train.mlp([64, 16, 10], batch_norm=True, rng=0)
    monitor = D.TrainingMonitor(X[:256], Xv, yv)
    h = P.handwritten_loop(model, X, y, Xv, yv, optimizer=nl.optim.SGD(model.parameters(),
                                                                      lr=0.1),
                           epochs=3, batch_size=64, rng=0, bugs="no_train_after_eval",
                           callbacks=[monitor])
    record = D.RunRecord.from_training(h, monitor, model)
    assert not model.training
    assert record.batchnorm_change[0] > 0 and np.all(record.batchnorm_change[1:] == 0)
    model = nl.train.mlp([64, 16, 10], dropout=0.5, rng=0)
    monitor = D.TrainingMonitor(X[:256], Xv, yv)
    h = P.handwritten_loop(model, X, y, Xv, yv, optimizer=nl.optim.SGD(model.parameters(),
                                                                      lr=0.1),
                           epochs=2, batch_size=64, rng=0, bugs="no_eval_for_validation",
                           callbacks=[monitor])
    record = D.RunRecord.from_training(h, monitor, model)
    assert np.all(np.abs(record.val_loss - record.val_loss_eval) > 1e-3)
    with pytest.raises(ValueError, match="bugs must be one of"):
        P.handwritten_loop(model, X, y, Xv, yv, optimizer=nl.optim.SGD(model.parameters(),
                                                                      lr=0.1),
                           epochs=1, batch_size=64, bugs="forgot_everything")


# --------------------------------------------------------------------------- the patients


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("fault", D.FAULTS)
def test_every_patient_is_diagnosed_with_its_fault_and_every_twin_is_healthy(fault, seed):
    for factor in (1.0, 0.3):
        verdict = D.diagnose(P.patient(fault, seed=seed, lr_factor=factor))
        assert verdict.fault == fault, (factor, str(verdict))
    assert D.diagnose(P.patient(fault, seed=seed, with_fault=False)).fault == "healthy"


def test_only_the_rate_patient_is_cured_by_a_tenth_of_its_rate():
    for fault in D.FAULTS:
        verdict = D.diagnose(P.patient(fault, lr_factor=0.1)).fault
        assert verdict == ("healthy" if fault == "lr_too_high" else fault), fault


def test_a_patient_and_its_twin_differ_only_in_the_fault():
    assert P.patient_setup("lr_too_high") == {"network": "plain", "lr": 1.0,
                                              "data": "standardized", "bug": None}
    assert P.patient_setup("lr_too_high", with_fault=False) == P.patient_setup("healthy")
    assert P.patient_setup("batchnorm_in_eval")["bug"] == "no_train_after_eval"
    assert P.patient_setup("batchnorm_in_eval", with_fault=False)["bug"] is None
    twin = P.patient("unscaled_inputs", with_fault=False)
    healthy = P.patient("healthy")
    np.testing.assert_array_equal(twin.loss, healthy.loss)  # one cached run
    assert twin.label == "unscaled_inputs (healthy twin)" and healthy.label == "healthy"
    with pytest.raises(ValueError, match="fault must be one of"):
        P.patient("gremlins")
    with pytest.raises(ValueError, match="lr_factor must be"):
        P.patient("healthy", lr_factor=0)


def test_patients_are_a_seeded_permutation_of_the_faults():
    assert sorted(L.patients(0).values()) == sorted(D.FAULTS)
    assert L.patients(0) == L.patients(0) and L.patients(0) != L.patients(1)


def test_the_doctor_says_right_or_wrong_from_the_evidence_without_naming_the_fault():
    r = P.patient("unscaled_inputs")
    right = L.doctor_verdict(r, "unscaled_inputs", "unscaled_inputs")
    assert right.startswith("Right.") and "ln(10)" in right
    wrong = L.doctor_verdict(r, "unscaled_inputs", "lr_too_high")
    assert wrong.startswith("Not quite") and "the first loss is 18.2" in wrong
    assert D.FAULT_LABELS["unscaled_inputs"] not in wrong
    assert "choose" in L.doctor_verdict(r, "unscaled_inputs", L.CHOOSE)
    cured = P.patient("lr_too_high", lr_factor=0.1)  # the fault hides at a tenth of the rate
    assert "go back to x1" in L.doctor_verdict(cured, "lr_too_high", "healthy")


# --------------------------------------------------------------------------- explorers, figures


def test_the_doctor_redraws_for_each_patient_and_computes_the_patients_runs():
    demo = L.explore_doctor()
    before = bytes(demo.image.value)
    demo.set(patient=3)
    assert bytes(demo.image.value) != before
    fault = L.patients()[3]
    shown, record, twin = demo.explorer.result[3]
    assert shown == fault and record.label == fault
    np.testing.assert_array_equal(record.loss, P.patient(fault).loss)
    np.testing.assert_array_equal(twin.loss, P.patient(fault, with_fault=False).loss)
    demo.set(diagnosis=fault)
    assert "Right." in demo.alt_text


def test_the_range_test_explorer_shows_the_lessons_range_test_and_one_cycle_runs():
    demo = L.explore_range_test(momentum=0.9, divisor=10)
    rt, curves = demo.explorer.result
    assert rt is L.range_test_digits(0.9)
    acc, diverged = curves[10]
    expected = np.mean([L.one_cycle_run(rt.lr_at_min / 10, 0.9, s).val_acc for s in (0, 1)],
                       axis=0)
    np.testing.assert_allclose(acc, 100 * expected, rtol=1e-12)
    assert not diverged and "96.1 %" in demo.alt_text
    before = bytes(demo.image.value)
    demo.set(divisor=1)
    assert bytes(demo.image.value) != before and "the lowest point" in demo.alt_text
    table = L.peak_table(momenta=(0.9,))
    assert table[0.9, 10] == (rt.lr_at_min / 10, *L.one_cycle_at(rt.lr_at_min / 10, 0.9))


def test_every_figure_has_alt_text_and_is_drawn_at_its_size():
    from nnlesson.course.checks.diagnosing_and_tuning import mystery_runs

    figures = (L.figure_sanity(), L.figure_signatures(), L.figure_search(),
               L.figure_range_curve(L.range_test_digits(0.5)),
               L.figure_instruments(mystery_runs()), L.snapshot_doctor(patient=2),
               L.snapshot_range_test(momentum=0.5))
    for fig in figures:
        assert isinstance(fig, Figure) and len(alt_text(fig)) > 40
        width, height = fig.get_size_inches() * fig.dpi
        assert width <= 900, alt_text(fig)
