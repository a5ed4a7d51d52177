"""Initializers against torch.nn.init: variances, bounds, shape convention, bad inputs."""
import math

import numpy as np
import pytest
import torch

from nnlesson.init import (
    INITIALIZERS,
    RELU_GAIN,
    he_normal,
    he_uniform,
    initializer_std,
    normal,
    xavier_normal,
    xavier_uniform,
    zeros,
)

# (n_in, n_out) with very different fans, so that swapping fan_in and fan_out changes the
# He variance four-fold and the comparison with torch would fail.
N_IN, N_OUT = 600, 150


def var_and_se(w):
    """Sample variance of all entries and its standard error sqrt((m4 - s2^2) / n)."""
    c = np.asarray(w, dtype=np.float64).ravel()
    c = c - c.mean()
    s2 = np.mean(c**2)
    return s2, math.sqrt((np.mean(c**4) - s2**2) / c.size)


def kurtosis(w):
    c = np.asarray(w, dtype=np.float64).ravel()
    c = c - c.mean()
    return np.mean(c**4) / np.mean(c**2) ** 2


def torch_init(name, gain=1.0, std=0.01):
    """The torch.nn.init counterpart on torch's (out, in) layout, float64, seeded."""
    torch.manual_seed(0)
    t = torch.empty(N_OUT, N_IN, dtype=torch.float64)
    if name == "xavier_uniform":
        torch.nn.init.xavier_uniform_(t, gain=gain)
    elif name == "xavier_normal":
        torch.nn.init.xavier_normal_(t, gain=gain)
    elif name == "he_uniform":
        torch.nn.init.kaiming_uniform_(t, a=0, mode="fan_in", nonlinearity="relu")
    elif name == "he_normal":
        torch.nn.init.kaiming_normal_(t, a=0, mode="fan_in", nonlinearity="relu")
    elif name == "normal":
        torch.nn.init.normal_(t, std=std)
    return t.numpy()


# Variances as torch.nn.init documents them, with fan_in = in_features of the layer.
RELU = torch.nn.init.calculate_gain("relu")
EXPECTED_VAR = {
    "xavier_uniform": 2.0 / (N_IN + N_OUT),
    "xavier_normal": 2.0 / (N_IN + N_OUT),
    "he_uniform": RELU**2 / N_IN,
    "he_normal": RELU**2 / N_IN,
}


@pytest.mark.parametrize("name", sorted(EXPECTED_VAR))
def test_variance_matches_torch_formula_and_torch_samples(name):
    w = INITIALIZERS[name]((N_IN, N_OUT), rng=0)
    assert w.shape == (N_IN, N_OUT) and w.dtype == np.float64
    s2, se = var_and_se(w)
    assert abs(s2 - EXPECTED_VAR[name]) < 5 * se
    # torch's own samples on the transposed shape have the same variance
    t2, tse = var_and_se(torch_init(name))
    assert abs(s2 - t2) < 5 * math.hypot(se, tse)
    # and the mean is zero
    assert abs(w.mean()) < 5 * math.sqrt(EXPECTED_VAR[name] / w.size)


def test_swapped_fans_would_be_detected():
    # The He variance on the transposed shape is four times larger: many standard errors.
    s2, se = var_and_se(he_normal((N_IN, N_OUT), rng=0))
    s2_swapped, _ = var_and_se(he_normal((N_OUT, N_IN), rng=0))
    assert abs(s2_swapped - s2) > 100 * se


@pytest.mark.parametrize("gain", [0.5, 5.0 / 3.0])
def test_xavier_gain_matches_torch(gain):
    for name, fn in [("xavier_uniform", xavier_uniform), ("xavier_normal", xavier_normal)]:
        s2, se = var_and_se(fn((N_IN, N_OUT), gain=gain, rng=1))
        t2, tse = var_and_se(torch_init(name, gain=gain))
        assert abs(s2 - gain**2 * 2.0 / (N_IN + N_OUT)) < 5 * se
        assert abs(s2 - t2) < 5 * math.hypot(se, tse)


def test_normal_matches_torch():
    s2, se = var_and_se(normal((N_IN, N_OUT), std=0.05, rng=2))
    t2, tse = var_and_se(torch_init("normal", std=0.05))
    assert abs(s2 - 0.05**2) < 5 * se
    assert abs(s2 - t2) < 5 * math.hypot(se, tse)
    assert abs(normal((1000, 100), rng=3).std() - 0.01) < 1e-4  # default std


@pytest.mark.parametrize(
    "name, bound",
    [("xavier_uniform", math.sqrt(6.0 / (N_IN + N_OUT))), ("he_uniform", math.sqrt(6.0 / N_IN))],
)
def test_uniform_bounds_respected_and_reached(name, bound):
    w = INITIALIZERS[name]((N_IN, N_OUT), rng=4)
    t = torch_init(name)
    assert np.abs(w).max() <= bound and np.abs(t).max() <= bound
    assert np.abs(w).max() > 0.999 * bound  # the whole interval is used, not a smaller one
    assert abs(kurtosis(w) - 1.8) < 0.05  # a uniform distribution, not a normal one


@pytest.mark.parametrize("name", ["xavier_normal", "he_normal", "normal"])
def test_normal_schemes_are_gaussian(name):
    w = INITIALIZERS[name]((N_IN, N_OUT), rng=5)
    assert abs(kurtosis(w) - 3.0) < 0.1


def test_zeros():
    w = zeros((3, 4))
    assert w.shape == (3, 4) and w.dtype == np.float64 and not w.any()
    assert zeros(5, dtype=np.float32).dtype == np.float32


def test_initializer_std_hand_worked_values():
    assert initializer_std("xavier_uniform", fan_in=3, fan_out=5) == 0.5  # sqrt(2 / 8)
    assert initializer_std("xavier_normal", fan_in=3, fan_out=5, gain=2.0) == 1.0
    assert initializer_std("he_uniform", fan_in=8, fan_out=100) == 0.5  # sqrt(2 / 8)
    assert initializer_std("he_normal", fan_in=8, fan_out=1) == 0.5
    assert initializer_std("normal", 10, 10) == 0.01
    assert initializer_std("normal", 10, 10, std=0.2) == 0.2
    assert initializer_std("zeros", 10, 10) == 0.0
    assert RELU_GAIN == pytest.approx(torch.nn.init.calculate_gain("relu"), rel=1e-15)


@pytest.mark.parametrize("name", sorted(EXPECTED_VAR))
def test_initializer_std_matches_samples(name):
    s2, se = var_and_se(INITIALIZERS[name]((N_IN, N_OUT), rng=6))
    assert abs(initializer_std(name, N_IN, N_OUT) ** 2 - s2) < 5 * se


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_dtype_and_seed(name):
    fn = INITIALIZERS[name]
    w32 = fn((20, 10), rng=7, dtype=np.float32)
    assert w32.dtype == np.float32 and w32.shape == (20, 10)
    a, b = fn((20, 10), rng=8), fn((20, 10), rng=np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    if name != "zeros":
        assert not np.array_equal(a, fn((20, 10), rng=9))
        gen = np.random.default_rng(10)
        assert not np.array_equal(fn((20, 10), rng=gen), fn((20, 10), rng=gen))


# ---------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
@pytest.mark.parametrize("shape, err", [((0, 3), ValueError), ((3, -1), ValueError),
                                        ((2.5, 3), TypeError), ("ab", TypeError)])
def test_bad_shape(name, shape, err):
    with pytest.raises(err, match=r"shape(\[\d\])? must be"):
        INITIALIZERS[name](shape)


@pytest.mark.parametrize("name", ["xavier_uniform", "xavier_normal", "he_uniform", "he_normal"])
def test_fan_based_initializers_need_a_matrix(name):
    with pytest.raises(ValueError, match=r"shape must be \(n_in, n_out\)"):
        INITIALIZERS[name]((3, 4, 5))
    with pytest.raises(ValueError, match=r"shape must be \(n_in, n_out\)"):
        INITIALIZERS[name](7)


def test_bad_std_gain_dtype_rng():
    with pytest.raises(ValueError, match="std must be a finite number >= 0, got -0.1"):
        normal((2, 2), std=-0.1)
    with pytest.raises(ValueError, match=r"gain must be a finite number > 0, got 0.0"):
        xavier_uniform((2, 2), gain=0)
    with pytest.raises(ValueError, match="gain must be"):
        xavier_normal((2, 2), gain=float("nan"))
    with pytest.raises(TypeError, match="dtype must be a floating dtype"):
        he_uniform((2, 2), dtype=np.int64)
    with pytest.raises(TypeError, match="dtype must be a floating dtype"):
        zeros((2, 2), dtype="not a dtype")
    with pytest.raises(TypeError, match="rng must be"):
        he_normal((2, 2), rng="seed")


def test_initializer_std_bad_inputs():
    with pytest.raises(ValueError, match="name must be one of 'zeros', 'normal'.*got 'glorot'"):
        initializer_std("glorot", 3, 4)
    with pytest.raises(ValueError, match="fan_in must be an integer >= 1, got 0"):
        initializer_std("he_normal", 0, 4)
    with pytest.raises(TypeError, match="fan_out must be an integer >= 1"):
        initializer_std("he_normal", 3, 4.0)
    with pytest.raises(ValueError, match="gain must be"):
        initializer_std("xavier_normal", 3, 4, gain=-1)
    with pytest.raises(ValueError, match="std must be"):
        initializer_std("normal", 3, 4, std=-1)


@pytest.mark.parametrize("bad, shown", [(np.int64, "int64"), ("bool", "bool"),
                                         ("not a dtype", "'not a dtype'")])
def test_one_dtype_check_for_initializers_layers_and_norms(bad, shown):
    """init, Linear and the norm layers refuse a non-floating dtype with the same message."""
    from nnlesson.layers import Linear
    from nnlesson.norm import BatchNorm, LayerNorm

    message = f"dtype must be a floating dtype such as numpy.float64 or numpy.float32, got {shown}"
    for make in (lambda: zeros((2, 3), dtype=bad), lambda: Linear(2, 3, dtype=bad),
                 lambda: BatchNorm(3, dtype=bad), lambda: LayerNorm(3, dtype=bad)):
        with pytest.raises(TypeError) as info:
            make()
        assert str(info.value) == message


@pytest.mark.parametrize("dtype", [np.float32, "float64", np.dtype(np.float16)])
def test_floating_dtypes_are_kept(dtype):
    from nnlesson.norm import LayerNorm

    assert zeros((2, 2), dtype=dtype).dtype == np.dtype(dtype)
    assert LayerNorm(2, dtype=dtype).gamma.value.dtype == np.dtype(dtype)
