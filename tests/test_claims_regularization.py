"""Every claim lesson 11 makes in words, asserted (the notebook prints the numbers)."""
import numpy as np
import pytest

from nnlesson.layers import Dropout
from nnlesson.course.lessons import regularization as R
from nnlesson.losses import l1_penalty, l2_penalty
from nnlesson.optim import SGD
from nnlesson.train import EarlyStopping, evaluate, fit, mlp

L2_BEST, L1_BEST = 10 ** -1.5, 10 ** -2.5


@pytest.fixture(scope="module")
def plain():
    return R.train_regularized(lr=0.1)


@pytest.fixture(scope="module")
def sweeps():
    return {kind: R.lambda_sweep(kind, 0.1) for kind in R.KINDS}


@pytest.fixture(scope="module")
def drops():
    return {method: R.dropout_sweep(method, 0.1) for method in R.METHODS}


def test_about_a_fifth_of_the_training_labels_are_wrong():
    noisy = R.overfit_data()[4]
    assert noisy.sum() == 37 and len(noisy) == 200


def test_without_regularization_the_network_memorizes_and_overfits(plain):
    assert plain.train_loss[-1] < 0.05 and plain.train_acc[-1] == 1.0  # wrong labels included
    assert plain.best_epoch == 11  # "after its 12th epoch"
    assert np.all(np.diff(plain.val_loss[plain.best_epoch:]) > -0.02)  # "only grows" (up to wiggles)
    assert plain.val_loss[-1] == pytest.approx(0.926, abs=5e-4)
    assert plain.val_loss.min() == pytest.approx(0.679, abs=5e-4)


def test_penalty_values_of_the_example():
    W = np.array([[0.5, -2.0], [0.0, 1.0]])
    p2, (g2,) = l2_penalty([W], 0.1)
    p1, (g1,) = l1_penalty([W], 0.1)
    assert p2 == pytest.approx(0.2625) and p1 == pytest.approx(0.35)
    np.testing.assert_allclose(g2.ravel(), [0.05, -0.2, 0.0, 0.1])
    np.testing.assert_allclose(g1.ravel(), [0.1, -0.1, 0.0, 0.1])


def test_l2_is_weight_decay_for_sgd_but_not_for_adam():
    out = R.decay_comparison(lam=0.1, lr=0.01, n_steps=200)
    np.testing.assert_allclose(out["SGD + L2"], out["SGD decay"], rtol=1e-12)
    # the second weight has tiny gradients: Adam + L2 holds it near 0, AdamW lets it grow
    assert out["Adam + L2"][1] < 0.2 and out["AdamW"][1] > 2.0


def test_the_training_loss_always_prefers_lambda_zero(sweeps):
    for kind, sweep in sweeps.items():
        train = [run.train_loss[-1] for run in sweep.values()]
        assert np.all(np.diff(train) > 0), kind


def test_choosing_lambda_on_validation(sweeps):
    lam2, val2 = R.choose_lambda(sweeps["l2"])
    lam1, val1 = R.choose_lambda(sweeps["l1"])
    assert lam2 == pytest.approx(L2_BEST) and lam1 == pytest.approx(L1_BEST)
    assert lam2 / lam1 == pytest.approx(10)  # "L2's best lambda is ten times L1's"
    assert 0.67 < val2 < 0.71 and 0.67 < val1 < 0.71  # "from 0.93 to about 0.7"
    acc2, acc1 = sweeps["l2"][lam2].val_acc[-1], sweeps["l1"][lam1].val_acc[-1]
    base = sweeps["l2"][0.0].val_acc[-1]
    assert 0.755 < base < 0.76 and 0.805 <= min(acc1, acc2) and max(acc1, acc2) < 0.845


def test_too_large_lambda_underfits(sweeps):
    top = R.LAMBDAS[-1]
    assert top == pytest.approx(0.316, abs=1e-3)
    assert sweeps["l2"][top].train_loss[-1] > 1.7
    for lam in (0.1, R.LAMBDAS[-1]):
        run = sweeps["l1"][min(R.LAMBDAS, key=lambda k: abs(k - lam))]
        assert run.val_acc[-1] < 0.15  # chance level


def test_l1_makes_many_weights_tiny_but_none_exactly_zero():
    frac = {key: R.near_zero_fraction(R.train_regularized(*key, lr=0.1).W1)
            for key in [("l2", 0.0), ("l2", L2_BEST), ("l1", L1_BEST), ("l1", 0.01)]}
    assert frac[("l2", 0.0)] < 0.04
    assert 0.15 < frac[("l2", L2_BEST)] < 0.17
    assert 0.39 < frac[("l1", L1_BEST)] < 0.41
    assert frac[("l1", 0.01)] > 0.8
    for kind in R.KINDS:
        for run in R.lambda_sweep(kind, 0.1).values():
            assert np.count_nonzero(run.W1 == 0) == 0


def test_blank_pixels_lose_their_weights_only_under_a_penalty():
    X_train = R.overfit_data()[0]
    blank = np.all(X_train == 0, axis=0)
    assert blank.sum() == 9

    def usage(kind, lam):
        u = R.pixel_usage(R.train_regularized(kind, lam, lr=0.1).W1).ravel()
        return u[blank].mean(), u[~blank].mean()

    start, _ = usage("l2", 0.0)
    assert start > 0.14  # the random start stays
    l2_blank, l2_other = usage("l2", L2_BEST)
    l1_blank, l1_other = usage("l1", L1_BEST)
    assert l2_blank < start / 9.5 and l1_blank < start / 4
    assert l2_blank < l2_other / 3 and l1_blank < l1_other * 0.6


def test_inverted_dropout_demo_and_expectation():
    drop = Dropout(p=0.5, rng=0)
    y = drop.forward(np.arange(1.0, 9.0))
    assert set(np.unique(y / np.arange(1.0, 9.0))) <= {0.0, 2.0}
    np.testing.assert_array_equal(drop.backward(np.ones(8)), 2.0 * (y != 0))
    mean, out, kept = R.dropout_expectation(p=0.3, n_masks=2000)
    ratio = mean.sum() / out.sum()
    assert abs(ratio - 1) < 0.005 and abs(kept - 0.7) < 0.005
    assert (1 - 0.3) * ratio == pytest.approx(0.70, abs=0.004)


def test_dropout_sweep_claims(drops):
    val = {m: {p: run.val_loss[-1] for p, run in s.items()} for m, s in drops.items()}
    for method in R.METHODS:
        assert min(val[method], key=val[method].get) == 0.7, method
    assert 0.82 < val["dropout"][0.2] < 0.84  # "0.2 helps a little"
    assert 0.65 < val["dropout"][0.5] < 0.67
    accuracy = drops["dropout"][0.7].val_acc[-1]
    assert accuracy > drops["dropout"][0.0].val_acc[-1] + 0.05


def test_dropconnect_blows_up_at_a_large_rate_and_large_p():
    run = R.train_regularized(dropout=0.8, method="DropConnect", lr=0.3)
    assert run.train_loss[-1] > 100
    assert R.train_regularized(dropout=0.8, method="DropConnect", lr=0.1).train_loss[-1] < 2


def test_early_stopping_claims(plain):
    assert R.early_stopping_point(plain.val_loss, 10) == (11, 21)  # stops after 22 of 60
    X, X_val, y, y_val, _ = R.overfit_data()
    model = mlp([64, 64, 10], rng=0)
    h = fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=60,
            batch_size=len(X), X_val=X_val, y_val=y_val,
            early_stopping=EarlyStopping(10, restore_best=True))
    assert h.stopped_early and h.restored_best and h.best_epoch == 11 and h.epochs_run == 22
    val_loss, _ = evaluate(model, X_val, y_val)
    assert val_loss == pytest.approx(0.679, abs=5e-4)
    assert h.val_loss[-1] == pytest.approx(0.853, abs=5e-4)
    # "as low as the best penalty reached"
    assert abs(val_loss - R.choose_lambda(R.lambda_sweep("l2", 0.1))[1]) < 1e-3


def test_every_regularizer_lands_between_062_and_070(plain, sweeps, drops):
    finals = [R.choose_lambda(sweeps[k])[1] for k in R.KINDS]
    finals += [min(run.val_loss[-1] for run in s.values()) for s in drops.values()]
    finals.append(plain.val_loss[R.early_stopping_point(plain.val_loss, 10)[0]])
    assert all(0.62 <= v <= 0.705 for v in finals), finals
    assert plain.val_loss[-1] > 0.92


def test_lr_03_without_a_penalty_climbs_to_about_14():
    assert R.train_regularized(lr=0.3).val_loss[-1] == pytest.approx(1.4, abs=0.05)
