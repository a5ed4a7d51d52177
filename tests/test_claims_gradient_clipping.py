"""Every claim lesson 08 makes in words, asserted (the notebook prints the numbers)."""
import numpy as np
import pytest

from nnlesson.clip import clip_by_global_norm, clip_by_value, direction_cosine, global_norm
from nnlesson.course.lessons import gradient_clipping as G

EXAMPLE = [np.array([3.0, -0.5]), np.array([[0.2], [-4.0]])]  # the lesson's two-array gradient


def test_seed_norm_formula_is_the_library_up_to_pytorchs_epsilon(rng):
    for scale, c in [(5.0, 1.0), (0.1, 1.0), (3.0, 0.5)]:
        grads = [scale * rng.standard_normal(4), scale * rng.standard_normal((2, 3))]
        norm = np.sqrt(sum(np.sum(g**2) for g in grads))
        seed = [c * g / max(norm, c) for g in grads]  # clip_norm * g / max(||g||, clip_norm)
        clipped, total = clip_by_global_norm(grads, c)
        assert total == pytest.approx(norm, rel=1e-12)
        for a, b in zip(clipped, seed):
            np.testing.assert_allclose(a, b, rtol=2e-6)


def test_seed_value_formula_is_the_library():
    seed = [np.maximum(np.minimum(g, 1.0), -1.0) for g in EXAMPLE]
    for a, b in zip(clip_by_value(EXAMPLE, 1.0), seed):
        np.testing.assert_array_equal(a, b)


def test_norm_clipping_keeps_the_direction_value_clipping_turns_it():
    clipped, total = clip_by_global_norm(EXAMPLE, 1.0)
    assert total == pytest.approx(5.0289, abs=1e-4)
    assert global_norm(clipped) == pytest.approx(1.0, abs=1e-6)
    assert direction_cosine(EXAMPLE, clipped) == pytest.approx(1.0, abs=1e-12)
    by_value = clip_by_value(EXAMPLE, 1.0)
    assert direction_cosine(EXAMPLE, by_value) < 0.96
    # and value clipping does not bound the norm: sqrt(1 + 0.25 + 0.04 + 1) > 1
    assert global_norm(by_value) > 1.5


@pytest.fixture(scope="module")
def runs():
    s = G.RepeatedMultiplication()
    return {m: G.clipped_descent(s, 0.01, m, 2.0, n_steps=60) for m in G.MODES}


def test_without_clipping_the_descent_explodes_within_ten_steps(runs):
    assert runs["none"].diverged_at is not None and runs["none"].diverged_at < 10
    assert runs["none"].grad_norm[-2] > 1e6 or not np.isfinite(runs["none"].grad_norm[-1])


def test_both_clipped_runs_reach_the_valley(runs):
    start = runs["norm"].loss[0]
    assert start > 60
    for m in ("norm", "value"):
        assert not runs[m].diverged
        assert runs[m].loss[-1] < 1.0, m


def test_norm_clipping_keeps_the_direction_at_every_step_value_clipping_does_not(runs):
    np.testing.assert_allclose(runs["norm"].cosine, 1.0, atol=1e-12)
    assert runs["value"].cosine.min() < 0.9


def test_a_clipped_step_is_at_most_lr_times_the_threshold(runs):
    steps = np.diff(runs["norm"].points, axis=0)
    assert np.all(np.linalg.norm(steps, axis=1) <= 0.01 * 2.0 * (1 + 1e-9))
    steps = np.diff(runs["value"].points, axis=0)
    assert np.all(np.abs(steps) <= 0.01 * 2.0 * (1 + 1e-9))  # per coordinate


def test_clipped_runs_bounce_across_the_valley_at_the_end(runs):
    # clipping bounds the step; it does not remove the steep curvature of the valley
    tail = runs["norm"].loss[-20:]
    assert tail.max() > 10 * tail.min()


# --------------------------------------------------------------------------- deep network on digits


@pytest.fixture(scope="module")
def trained():
    return {(clip, seed): G.train_deep_digits(clip, lr=0.2, seed=seed, return_model=True)
            for clip in (None, 1.0) for seed in range(4)}


@pytest.fixture(scope="module")
def digits(trained):
    return {key: history for key, (history, _) in trained.items()}


def test_without_clipping_every_seed_fails(digits):
    for seed in range(4):
        h = digits[(None, seed)]
        assert h.diverged or h.val_acc[-1] < 0.15, seed


def test_with_clip_norm_1_every_seed_trains(digits):
    for seed in range(4):
        h = digits[(1.0, seed)]
        assert not h.diverged and h.val_acc[-1] > 0.9, seed


def test_the_typical_gradient_norm_lies_in_the_seeds_threshold_range(digits):
    median = np.median(digits[(1.0, 0)].grad_norm)
    assert 0.5 < median < 5.0


def test_unclipped_runs_that_did_not_overflow_have_a_dead_last_layer(trained):
    from nnlesson.datasets import load_digits_split

    X_val = load_digits_split()[1]
    survivors = [seed for seed in range(4) if not trained[(None, seed)][0].diverged]
    assert survivors == [1, 2]
    for seed in survivors:
        model = trained[(None, seed)][1]
        assert G.dead_units(model, X_val)[-1] == 1.0
        assert len(np.unique(np.argmax(model.forward(X_val), axis=1))) == 1
    # the clipped networks keep their last layer alive
    assert G.dead_units(trained[(1.0, 1)][1], X_val)[-1] < 0.5
