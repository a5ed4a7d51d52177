"""Every claim lesson 09 (weight initialization) makes, asserted with the lesson's own numbers."""
import math

import numpy as np
import pytest

from nnlesson.course.lessons import weight_initialization as wi


def test_he_keeps_the_activation_scale_across_20_relu_layers_and_xavier_lets_it_shrink():
    he, he_lo, he_hi = wi.std_ratio("he_normal", "relu")
    xavier, xa_lo, xa_hi = wi.std_ratio("xavier_normal", "relu")
    # He: the std of layer 20 is that of layer 1 within the spread of a finite network
    assert 0.7 < he < 1.4 and he_lo > 0.5 and he_hi < 2.0
    # Xavier with ReLU halves E[h^2] per layer: 19 halvings of the variance, 2^-9.5 of the std
    assert xavier == pytest.approx(2 ** -9.5, rel=0.3)
    assert xa_hi < 0.01 < he_lo


def test_tanh_with_xavier_shrinks_slowly_not_exponentially():
    tanh, lo, hi = wi.std_ratio("xavier_normal", "tanh")
    relu = wi.std_ratio("xavier_normal", "relu")[0]
    assert 0.15 < lo <= hi < 0.4          # "about a quarter after 20 layers"
    assert tanh > 100 * relu
    # the second ten layers lose less than the first ten: a slowing decay
    st = wi.signal_propagation(20, "xavier_normal", "tanh", width=256, n_samples=64)
    first, second = st.act_std[9] / st.act_std[0], st.act_std[19] / st.act_std[9]
    assert second > first


def test_small_random_weights_vanish_and_large_ones_explode():
    small = wi.signal_propagation(20, "small", "relu")
    large = wi.signal_propagation(20, "large", "relu")
    assert small.ratio < 1e-20
    assert large.ratio > 1e10
    assert np.all(np.diff(np.log(small.act_std)) < 0) and np.all(np.diff(np.log(large.act_std)) > 0)


def test_large_weights_saturate_tanh_and_the_gradient_explodes_towards_the_input():
    st = wi.signal_propagation(20, "large", "tanh")
    assert np.all(st.act_std > 0.9)                     # tanh pinned at +-1
    assert st.grad_norm[0] / st.grad_norm[-1] > 1e5


def test_sigmoid_gradients_vanish_towards_the_first_layers_with_every_scheme():
    for scheme in ("xavier_normal", "he_normal"):
        st = wi.signal_propagation(20, scheme, "sigmoid")
        assert st.grad_norm[0] / st.grad_norm[-1] < 1e-6
    # ReLU with He: no such decay
    st = wi.signal_propagation(20, "he_normal", "relu")
    assert 0.1 < st.grad_norm[0] / st.grad_norm[-1] < 10


def test_zero_weights_keep_every_hidden_unit_identical():
    sig = wi.symmetry_experiment("zeros", "sigmoid")
    assert sig.distinct_units[-1] == 1 and sig.weight_change > 0.1   # moved, all together
    assert sig.accuracy < 0.7
    for activation in ("relu", "tanh"):
        res = wi.symmetry_experiment("zeros", activation)
        assert res.weight_change == 0.0                               # never moved at all
        assert res.accuracy == pytest.approx(71 / 178)                # the largest class
    rand = wi.symmetry_experiment("xavier_uniform", "sigmoid")
    assert rand.distinct_units[-1] == 16 and rand.accuracy > 0.95


def test_zeros_and_tiny_weights_never_start_learning_in_a_deep_network():
    grid = wi.init_training_grid()
    for (activation, scheme, lr), run in grid.items():
        if scheme in ("zeros", "small"):
            last = np.mean(run.loss[-5:])
            assert abs(last - math.log(10)) < 0.05, (activation, scheme, lr)
            assert run.val_acc < 0.15


def test_he_and_xavier_learn_and_he_is_ahead_with_relu():
    grid = wi.init_training_grid()

    def best(activation, scheme):
        return max(grid[(activation, scheme, lr)].val_acc for lr in wi.TRAINING_LRS)

    assert best("relu", "he_uniform") > best("relu", "xavier_uniform") + 0.1
    assert best("relu", "he_uniform") > 0.65
    assert best("tanh", "xavier_uniform") > 0.85 and best("tanh", "he_uniform") > 0.85
