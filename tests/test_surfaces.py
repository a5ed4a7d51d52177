"""Surfaces vs finite differences and torch autograd; the deprecated optimizer_path (now the
runner, tests/test_runner.py) still gives the old paths, checked against torch.optim."""
import dataclasses

import numpy as np
import pytest
import torch

import nnlesson.optim as nl_optim
from nnlesson.core import Parameter
from nnlesson.course.surfaces import (
    SURFACES,
    Beale,
    Bowl,
    OptimizerPath,
    Ravine,
    Rosenbrock,
    Saddle,
    check_surface,
    loss_grid,
    optimizer_path,
)

ALL = list(SURFACES.values()) + [Ravine(a=2.0, b=7.0), Rosenbrock(a=-0.5, b=10.0)]


def torch_f(surface, w):
    """The same functions written independently in torch, for autograd."""
    x, y = w[..., 0], w[..., 1]
    if isinstance(surface, Bowl):
        return 0.5 * (x**2 + y**2)
    if isinstance(surface, Ravine):
        return 0.5 * (surface.a * x**2 + surface.b * y**2)
    if isinstance(surface, Rosenbrock):
        return (surface.a - x) ** 2 + surface.b * (y - x**2) ** 2
    if isinstance(surface, Beale):
        return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2
                + (2.625 - x + x * y**3) ** 2)
    if isinstance(surface, Saddle):
        return x**2 - y**2
    raise AssertionError(surface)


class TorchSGD:
    """Drives torch.optim.SGD on nnlesson Parameters, through the optimizer interface
    (step, zero_grad) that optimizer_path expects. The torch tensors share memory with
    ``Parameter.value``, so torch's in-place update moves the Parameter."""

    def __init__(self, params, **kwargs):
        self.params = params
        self.tensors = [torch.from_numpy(p.value) for p in params]
        self.opt = torch.optim.SGD(self.tensors, **kwargs)

    def zero_grad(self):
        for p in self.params:
            p.zero_grad()

    def step(self):
        for p, t in zip(self.params, self.tensors):
            t.grad = torch.from_numpy(p.grad.copy())
        self.opt.step()


def torch_reference_path(surface, start, n_steps, optimizer=torch.optim.SGD, **kwargs):
    """The same run in plain torch: the function in torch, its gradient by autograd."""
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = optimizer([w], **kwargs)
    points = [w.detach().clone().numpy()]
    for _ in range(n_steps):
        opt.zero_grad()
        torch_f(surface, w).backward()
        opt.step()
        points.append(w.detach().clone().numpy())
    return np.array(points)


def _random_points(surface, n, seed):
    (x0, x1), (y0, y1) = surface.bounds
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


@pytest.mark.parametrize("surface", ALL, ids=repr)
def test_gradient_matches_central_finite_differences(surface):
    h = 1e-5
    for w in _random_points(surface, 30, seed=0):
        numeric = np.array([(surface.value(w + h * e) - surface.value(w - h * e)) / (2 * h)
                            for e in np.eye(2)])
        analytic = surface.grad(w)
        rel = np.abs(numeric - analytic) / np.maximum(np.abs(numeric) + np.abs(analytic), 1e-8)
        assert rel.max() < 1e-7, (w, numeric, analytic)


@pytest.mark.parametrize("surface", ALL, ids=repr)
def test_value_and_gradient_match_torch_autograd(surface):
    W = _random_points(surface, 25, seed=1)
    wt = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    f = torch_f(surface, wt)
    f.sum().backward()
    np.testing.assert_allclose(surface.value(W), f.detach().numpy(), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(surface.grad(W), wt.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("surface", ALL, ids=repr)
def test_vectorized_value_and_grad_equal_pointwise(surface):
    X, Y, Z = loss_grid(surface, n=7)
    W = np.stack([X, Y], axis=-1)
    G = surface.grad(W)
    assert Z.shape == (7, 7) and G.shape == (7, 7, 2)
    for i in range(7):
        for j in range(7):
            assert Z[i, j] == surface.value([X[i, j], Y[i, j]])
            np.testing.assert_array_equal(G[i, j], surface.grad(W[i, j]))
    assert isinstance(surface.value(W[0, 0]), float)


@pytest.mark.parametrize("surface", [s for s in ALL if not isinstance(s, Saddle)], ids=repr)
def test_known_minimum_has_value_zero_and_gradient_zero(surface):
    w_star = np.array(surface.minimum)
    assert surface.min_value == 0.0
    assert surface.value(w_star) == 0.0
    np.testing.assert_array_equal(surface.grad(w_star), [0.0, 0.0])
    # and nothing on the plotting grid is lower
    assert loss_grid(surface, n=101)[2].min() >= 0.0
    (x0, x1), (y0, y1) = surface.bounds
    assert x0 < w_star[0] < x1 and y0 < w_star[1] < y1
    assert x0 < surface.default_start[0] < x1 and y0 < surface.default_start[1] < y1


def test_hand_worked_values():
    assert Ravine().value([2.0, 1.0]) == 0.5 * (1 * 4 + 25 * 1)
    np.testing.assert_array_equal(Ravine().grad([2.0, 1.0]), [2.0, 25.0])
    assert Rosenbrock().value([0.0, 0.0]) == 1.0
    np.testing.assert_array_equal(Rosenbrock().grad([0.0, 0.0]), [-2.0, 0.0])
    assert Rosenbrock(a=2.0).minimum == (2.0, 4.0)
    assert Beale().value([0.0, 0.0]) == 1.5**2 + 2.25**2 + 2.625**2
    assert Bowl().value([3.0, 4.0]) == 12.5
    assert Ravine().condition_number == 25.0 and Ravine().max_stable_lr == 2 / 25


def test_saddle_has_no_minimum():
    s = Saddle()
    assert s.minimum is None and s.min_value is None
    np.testing.assert_array_equal(s.grad(s.saddle_point), [0.0, 0.0])
    assert s.value([0.0, 0.0]) == 0.0
    assert s.value([0.0, 10.0]) == -100.0 < s.value([0.0, 1.0]) < 0  # unbounded below along y
    assert s.value([1.0, 0.0]) > 0  # but a minimum along x
    assert "NO minimum" in Saddle.__doc__
    # started on the x axis, gradient descent walks into the saddle point and stops there
    path = optimizer_path(s, lambda p: TorchSGD(p, lr=0.1), start=(-1.5, 0.0), n_steps=200)
    np.testing.assert_allclose(path.final, [0.0, 0.0], atol=1e-15)
    assert np.all(path.points[:, 1] == 0.0)  # the gradient never points off the x axis


def test_surfaces_dict_and_frozen_dataclasses():
    assert set(SURFACES) == {"bowl", "ravine", "rosenbrock", "beale", "saddle"}
    for name, surface in SURFACES.items():
        assert surface.name == name
    with pytest.raises(dataclasses.FrozenInstanceError):
        SURFACES["ravine"].b = 1.0
    assert Ravine() == Ravine(a=1, b=25.0) and Ravine() != Ravine(b=10.0)


@pytest.mark.parametrize("surface,sgd_kwargs", [
    (Ravine(), dict(lr=0.02)),
    (Ravine(), dict(lr=0.01, momentum=0.9)),
    (Rosenbrock(), dict(lr=1e-3, momentum=0.9)),
    (Beale(), dict(lr=1e-3, momentum=0.5, nesterov=True)),
    (Bowl(), dict(lr=0.1, momentum=0.8, dampening=0.8)),
    (Saddle(), dict(lr=0.02)),  # escapes along y, slowly enough to stay under 1e6
], ids=lambda v: repr(v))
def test_optimizer_path_matches_torch_sgd(surface, sgd_kwargs):
    path = optimizer_path(surface, lambda params: TorchSGD(params, **sgd_kwargs), n_steps=200)
    ref = torch_reference_path(surface, surface.default_start, 200, **sgd_kwargs)
    assert isinstance(path, OptimizerPath) and not path.diverged
    assert path.points.shape == (201, 2) and path.values.shape == (201,)
    np.testing.assert_allclose(path.points, ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(path.values, surface.value(ref), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(path.final, path.points[-1])


@pytest.mark.parametrize("ours,theirs,kwargs", [
    (nl_optim.SGD, torch.optim.SGD, dict(lr=1e-3, momentum=0.9)),
    (nl_optim.Adagrad, torch.optim.Adagrad, dict(lr=0.5)),
    (nl_optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, alpha=0.9)),
    (nl_optim.Adam, torch.optim.Adam, dict(lr=0.05)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_optimizer_path_with_library_optimizers_matches_torch_on_beale(ours, theirs, kwargs):
    surface = Beale()
    path = optimizer_path(surface, lambda params: ours(params, **kwargs), n_steps=200)
    ref = torch_reference_path(surface, surface.default_start, 200, optimizer=theirs, **kwargs)
    np.testing.assert_allclose(path.points, ref, rtol=1e-10, atol=1e-12)


def test_plain_gradient_descent_on_ravine_follows_the_closed_form():
    # w_t = ((1 - lr a)^t x0, (1 - lr b)^t y0)
    surface, lr, start = Ravine(a=1.0, b=25.0), 0.07, (-4.0, 1.5)
    path = optimizer_path(surface, lambda p: TorchSGD(p, lr=lr), start=start, n_steps=60)
    t = np.arange(61)
    expected = np.column_stack([(1 - lr * 1.0) ** t * start[0], (1 - lr * 25.0) ** t * start[1]])
    np.testing.assert_allclose(path.points, expected, rtol=1e-12, atol=1e-300)


def test_divergence_stops_the_path_and_marks_the_step():
    # lr above 2 / b: |1 - lr b| = 1.125 > 1, so y grows like 1.125**t * 2 until it exceeds 1e6
    surface, lr = Ravine(), 0.085
    path = optimizer_path(surface, lambda p: TorchSGD(p, lr=lr), n_steps=500)
    t = np.arange(1, 501)
    norms = np.hypot(0.915**t * -4.5, (1 - lr * 25) ** t * 2.0)
    first_bad = int(t[np.argmax(norms > 1e6)])
    assert path.diverged and path.diverged_at == first_bad == 112
    assert "diverged_at=112" in repr(path)
    assert len(path.points) == first_bad and np.all(np.isfinite(path.points))
    assert np.linalg.norm(path.points, axis=1).max() <= 1e6
    stopped = optimizer_path(surface, lambda p: TorchSGD(p, lr=lr), n_steps=500, max_norm=100.0)
    assert stopped.diverged_at == int(t[np.argmax(norms > 100.0)])


def test_non_finite_step_counts_as_divergence():
    class Broken:
        def __init__(self, params):
            self.params = params

        def zero_grad(self):
            pass

        def step(self):
            self.params[0].value[:] = np.nan

    path = optimizer_path(Bowl(), Broken, n_steps=10)
    assert path.diverged_at == 1 and path.points.shape == (1, 2)


def test_gradient_is_set_fresh_each_step_and_start_is_not_modified():
    grads = []

    class Recorder:
        def __init__(self, params):
            self.p = params[0]
            assert isinstance(self.p, Parameter) and self.p.value.dtype == np.float64

        def zero_grad(self):
            self.p.zero_grad()

        def step(self):
            grads.append(self.p.grad.copy())
            self.p.value = self.p.value - 0.1 * self.p.grad  # replacing .value works too

    start = np.array([1.0, -2.0])
    path = optimizer_path(Ravine(a=1.0, b=3.0), Recorder, start=start, n_steps=3)
    np.testing.assert_array_equal(start, [1.0, -2.0])
    np.testing.assert_allclose(grads[0], [1.0, -6.0])
    np.testing.assert_allclose(grads[1], [0.9, 3.0 * -1.4])  # grad at (0.9, -1.4)
    np.testing.assert_allclose(path.points[1], [0.9, -1.4])
    assert optimizer_path(Bowl(), Recorder, n_steps=0).points.shape == (1, 2)


def test_loss_grid_layout_and_cache():
    s = Rosenbrock()
    X, Y, Z = loss_grid(s, n=50)
    assert X.shape == Y.shape == Z.shape == (50, 50)
    (x0, x1), (y0, y1) = s.bounds
    np.testing.assert_array_equal(X[0], np.linspace(x0, x1, 50))
    np.testing.assert_array_equal(Y[:, 0], np.linspace(y0, y1, 50))
    np.testing.assert_allclose(Z, (1 - X) ** 2 + 100 * (Y - X**2) ** 2, rtol=1e-14)
    again = loss_grid(Rosenbrock(a=1, b=100), n=50)
    assert all(a is b for a, b in zip((X, Y, Z), again))  # cached, not recomputed
    assert loss_grid(s, n=51)[2].shape == (51, 51)
    with pytest.raises(ValueError, match="read-only"):
        Z[0, 0] = 1.0
    Xb, _, _ = loss_grid(s, n=5, bounds=((0, 1), (2, 3)))
    np.testing.assert_array_equal(Xb[0], np.linspace(0, 1, 5))


def test_bad_inputs_give_clear_messages():
    with pytest.raises(ValueError, match="a must be a finite number > 0, got 0.0"):
        Ravine(a=0)
    with pytest.raises(ValueError, match="b must be a finite number > 0, got -1.0"):
        Ravine(b=-1)
    with pytest.raises(TypeError, match="b must be a finite number > 0"):
        Ravine(b="25")
    with pytest.raises(ValueError, match="b must be a finite number > 0"):
        Rosenbrock(b=0)
    with pytest.raises(ValueError, match="a must be a finite number"):
        Rosenbrock(a=float("inf"))
    with pytest.raises(ValueError,
                       match=r"w must have shape \(2,\) or \(..., 2\).*got shape \(3,\)"):
        Bowl().value(np.zeros(3))
    with pytest.raises(ValueError, match=r"w must have shape \(2,\)"):
        Beale().grad(5.0)
    with pytest.raises(ValueError, match="w must contain only finite"):
        Ravine().grad([np.nan, 0.0])
    with pytest.raises(TypeError, match="surface must be a Surface such as Ravine"):
        loss_grid(3)
    with pytest.raises(ValueError, match="surface must be one of 'bowl', 'ravine'"):
        loss_grid("cliff")
    with pytest.raises(ValueError, match=r"n must be an integer in \[2, 2000\], got 1"):
        loss_grid(Bowl(), n=1)
    with pytest.raises(ValueError, match=r"bounds must be \(\(xmin, xmax\), \(ymin, ymax\)\)"):
        loss_grid(Bowl(), bounds=((1, 0), (0, 1)))
    with pytest.raises(ValueError, match="bounds must be"):
        loss_grid(Bowl(), bounds=(0, 1))
    sgd = lambda p: TorchSGD(p, lr=0.1)  # noqa: E731
    with pytest.raises(TypeError, match="surface must be a Surface"):
        optimizer_path(None, sgd)
    with pytest.raises(TypeError, match="make_optimizer must be a callable"):
        optimizer_path(Bowl(), torch.optim.SGD([torch.zeros(1)], lr=0.1))
    with pytest.raises(TypeError, match=r"make_optimizer must return an optimizer with step\(\)"):
        optimizer_path(Bowl(), lambda p: object())
    with pytest.raises(ValueError,
                       match=r"start must be a point \(x, y\) of shape \(2,\), got shape \(3,\)"):
        optimizer_path(Bowl(), sgd, start=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="start must contain only finite"):
        optimizer_path(Bowl(), sgd, start=[np.inf, 0.0])
    with pytest.raises(ValueError, match=r"n_steps must be an integer in \[0, 1000000\], got -1"):
        optimizer_path(Bowl(), sgd, n_steps=-1)
    with pytest.raises(ValueError, match=r"max_norm must be a finite number in \(0, 1000000.0\]"):
        optimizer_path(Bowl(), sgd, max_norm=0)
    with pytest.raises(ValueError, match="max_norm must be"):
        optimizer_path(Bowl(), sgd, max_norm=1e7)  # the runner's rule stops at 1e6


@pytest.mark.parametrize("surface", ALL, ids=repr)
def test_grad_point_is_grad_without_the_checks(surface):
    """To the last bit (numpy scalars would round x ** 3 differently now and then)."""
    W = _random_points(surface, 3000, seed=2)
    G = surface.grad(W)
    for w, g_grid in zip(W, G):
        g = surface.grad_point(w)
        assert g.shape == (2,) and g.dtype == np.float64
        np.testing.assert_array_equal(g, g_grid)
        np.testing.assert_array_equal(g, surface.grad(w))


def test_check_surface_takes_a_surface_or_a_name():
    r = Ravine(b=10.0)
    assert check_surface(r) is r
    assert check_surface("beale") is SURFACES["beale"]
    assert check_surface("ravine", names=("ravine", "beale")) is SURFACES["ravine"]
    with pytest.raises(ValueError, match="surface must be one of 'ravine', 'beale'; got 'bowl'"):
        check_surface("bowl", names=("ravine", "beale"))
    with pytest.raises(TypeError, match=r"surface must be a Surface such as Ravine\(\) or one of "
                                        r"the names bowl, ravine, rosenbrock, beale, saddle; got None"):
        check_surface(None)


def test_the_old_optimizer_path_is_the_runner():
    from nnlesson.course import runner

    assert OptimizerPath is runner.OptimizerPath
    old = optimizer_path(Beale(), lambda p: nl_optim.Adam(p, lr=0.05), n_steps=50)
    new = runner.run(Beale(), nl_optim.Adam, lr=0.05, n_steps=50)
    np.testing.assert_array_equal(old.points, new.points)
    np.testing.assert_array_equal(old.values, new.values)
