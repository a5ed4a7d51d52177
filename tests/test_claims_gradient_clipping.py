"""Every claim lesson 08 makes in words, asserted (the notebook prints the numbers)."""
import numpy as np
import pytest

from nnlesson.clip import clip_by_global_norm, clip_by_value, direction_cosine, global_norm
from nnlesson.course.lessons import gradient_clipping as G

EXAMPLE = [np.array([3.0, -0.5]), np.array([[0.2], [-4.0]])]  # the lesson's two-array gradient


def test_the_norm_formula_is_the_library_up_to_pytorchs_epsilon(rng):
    for scale, c in [(5.0, 1.0), (0.1, 1.0), (3.0, 0.5)]:
        grads = [scale * rng.standard_normal(4), scale * rng.standard_normal((2, 3))]
        norm = np.sqrt(sum(np.sum(g**2) for g in grads))
        formula = [c * g / max(norm, c) for g in grads]  # clip_norm * g / max(||g||, clip_norm)
        clipped, total = clip_by_global_norm(grads, c)
        assert total == pytest.approx(norm, rel=1e-12)
        for a, b in zip(clipped, formula):
            np.testing.assert_allclose(a, b, rtol=2e-6)


def test_the_value_formula_is_the_library():
    formula = [np.maximum(np.minimum(g, 1.0), -1.0) for g in EXAMPLE]
    for a, b in zip(clip_by_value(EXAMPLE, 1.0), formula):
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
def surface():
    return G.RepeatedMultiplication()


@pytest.fixture(scope="module")
def runs(surface):
    return {m: G.clipped_descent(surface, 0.01, m, 2.0, n_steps=60) for m in G.MODES}


def test_without_clipping_the_norm_grows_to_121_in_four_updates_then_explodes(runs):
    """'grows from 18 to 121 in four updates, then jumps to 6.7e7 ... 6.7e5 from the origin ...
    2.2e133, and the run stops at update 6'."""
    none = runs["none"]
    assert none.diverged_at == 6
    norms = none.grad_norms
    assert norms[0] == pytest.approx(18.0, abs=0.05) and norms[3] == pytest.approx(121, abs=0.5)
    assert np.all(np.diff(norms) > 0)
    assert 6e7 < norms[4] < 7e7 and 1e133 < norms[5] < 3e133
    assert 6e5 < np.linalg.norm(none.points[-1]) < 7e5
    # one step of lr x ||g|| at update 5 is what threw it there
    assert np.linalg.norm(none.points[-1] - none.points[-2]) == pytest.approx(0.01 * norms[4],
                                                                                rel=1e-9)


def test_both_clipped_runs_reach_the_valley(runs):
    start = runs["norm"].values[0]
    assert start > 60
    for m in ("norm", "value"):
        assert not runs[m].diverged
        assert runs[m].values[-1] < 1.0, m


def test_norm_clipping_keeps_the_direction_at_every_step_value_clipping_does_not(runs):
    np.testing.assert_allclose(G.direction_cosines(runs["norm"]), 1.0, atol=1e-12)
    assert G.direction_cosines(runs["value"]).min() == pytest.approx(0.82, abs=0.005)


def test_norm_clipping_bounds_the_step_value_clipping_bounds_each_coordinate(runs):
    """'at most lr x threshold = 0.02 ... up to sqrt(2) times longer: here 0.0283'."""
    bound = 0.01 * 2.0
    assert G.step_lengths(runs["norm"]).max() <= bound * (1 + 1e-9)
    steps = np.diff(runs["value"].points, axis=0)
    assert np.all(np.abs(steps) <= bound * (1 + 1e-9))  # per coordinate
    longest = G.step_lengths(runs["value"]).max()
    assert bound < longest <= np.sqrt(2) * bound * (1 + 1e-9)
    assert longest == pytest.approx(np.sqrt(2) * bound, rel=1e-6)  # a step along a diagonal


def test_value_clipping_allows_sqrt_d_times_the_step_in_d_dimensions():
    for d in (2, 5, 100):
        g = [np.full(d, 7.0)]
        assert global_norm(clip_by_value(g, 1.0)) == pytest.approx(np.sqrt(d))
        assert global_norm(clip_by_global_norm(g, 1.0)[0]) == pytest.approx(1.0, abs=1e-6)


def test_clipped_runs_bounce_across_the_valley_at_the_end(runs):
    # clipping bounds the step; it does not remove the steep curvature of the valley
    tail = runs["norm"].values[-20:]
    assert tail.max() > 10 * tail.min()


def test_the_threshold_trades_speed_against_safety(surface):
    """'at 0.1 ... 67 to about 66'; 'at 100 ... the loss reaches 1e5 to 1e7 ... never explode'."""
    for mode in ("norm", "value"):
        slow = G.clipped_descent(surface, 0.01, mode, 0.1, n_steps=60)
        assert G.step_lengths(slow).max() <= 0.001 * np.sqrt(2) * (1 + 1e-9)
        assert 65 < slow.values[-1] < slow.values[0] < 67
        wild = G.clipped_descent(surface, 0.01, mode, 100.0, n_steps=60)
        assert not wild.diverged
        assert 1e5 < wild.values.max() < 1e7
        assert G.step_lengths(wild).max() <= np.sqrt(2) * (1 + 1e-9)


# --------------------------------------------------------------------------- deep network on digits


@pytest.fixture(scope="module")
def comparison():
    return G.clipping_comparison()


def _accuracy(h):
    return 0.0 if h.diverged else h.val_acc[-1]


def test_without_clipping_every_seed_fails(comparison):
    for seed in comparison.seeds:
        h = comparison.history("no clipping, lr 0.2", seed)
        assert h.diverged or h.val_acc[-1] < 0.15, seed
    outcomes = [comparison.history("no clipping, lr 0.2", s).diverged for s in comparison.seeds]
    assert sum(outcomes) == 2  # "two runs overflowed, the other two ended at chance level"


def test_with_clip_norm_1_every_seed_trains(comparison):
    accs = comparison.accuracies("clip_norm = 1, lr 0.2")
    assert np.all(accs > 0.92) and np.all(accs < 0.95)  # "93 to 94 % (92.8 % ...)"


def test_a_four_times_smaller_rate_without_clipping_trains_as_well(comparison):
    """'without clipping at 0.05 the network reaches 90 to 94 %, as well as the clipped one'."""
    smaller = comparison.accuracies("no clipping, lr 0.05")
    clipped = comparison.accuracies("clip_norm = 1, lr 0.2")
    assert np.all(smaller > 0.9) and np.all(smaller < 0.95)
    assert abs(smaller.mean() - clipped.mean()) < 0.01


def test_a_threshold_above_the_typical_norm_does_not_save_the_large_rate(comparison):
    """'with clip_norm = 5 every random seed ends near chance (below 15 %)'."""
    assert np.all(comparison.accuracies("clip_norm = 5, lr 0.2") < 0.15)


def test_clip_norm_1_shortens_most_steps(comparison):
    """'median norm about 2 ... shortens most steps' (printed: 2.3 and 88 %)."""
    norms = np.array(comparison.history("clip_norm = 1, lr 0.2", 0).grad_norm)
    assert np.median(norms) == pytest.approx(2.3, abs=0.05)
    assert np.mean(norms > 1.0) == pytest.approx(0.88, abs=0.005)


def test_the_typical_gradient_norm_lies_in_the_tutorials_threshold_range(comparison):
    median = np.median(comparison.history("clip_norm = 1, lr 0.2", 0).grad_norm)
    assert 0.5 < median < 5.0


def test_unclipped_runs_that_did_not_overflow_have_a_dead_last_layer(comparison):
    from nnlesson.datasets import load_digits_split

    X_val = load_digits_split()[1]
    label = "no clipping, lr 0.2"
    survivors = [s for s in comparison.seeds if not comparison.history(label, s).diverged]
    assert survivors == [1, 2]
    for seed in survivors:
        model = comparison.model(label, seed)
        assert G.dead_units(model, X_val)[-1] == 1.0
        assert len(np.unique(np.argmax(model.forward(X_val), axis=1))) == 1
    # the clipped networks keep their last layer alive
    assert G.dead_units(comparison.model("clip_norm = 1, lr 0.2", 1), X_val)[-1] < 0.5
