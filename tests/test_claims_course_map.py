"""Every claim lesson 00 (the course map) makes, asserted."""
import math

import numpy as np
import pytest

from nnlesson.course.checks.course_map import check_ravine_gradient
from nnlesson.course.runner import DIVERGED_NORM
from nnlesson.course.surfaces import SURFACES
from nnlesson.course.lessons.course_map import GALLERY_LRS, gd_path


def test_the_ravine_converges_below_2_over_25_and_diverges_above():
    # "For alpha < 2/25 = 0.08 the zig-zag shrinks; above 0.08 it grows."
    start_loss = SURFACES["ravine"].value(np.array(SURFACES["ravine"].default_start))
    for lr in (0.01, 0.03, 0.05, 0.07, 0.079):
        path = gd_path("ravine", lr, n_steps=100)
        assert not path.diverged and path.values[-1] < start_loss
    assert gd_path("ravine", 0.07).values[-1] < 1e-5  # the best of the printed rates
    assert gd_path("ravine", 0.079).values[-1] > 0.1  # "still (barely) converges"
    assert gd_path("ravine", 0.081).values[-1] > start_loss  # "the loss climbs"
    # at lr = 0.1, y = 2 is multiplied by 1 - 25 lr = -1.5 each step: ||w|| passes the runner's
    # 1e6 at the first t with 2 * 1.5^t > 1e6
    first = math.ceil(math.log(DIVERGED_NORM / 2) / math.log(1.5))
    assert gd_path("ravine", 0.1).diverged_at == first == 33


def test_each_step_multiplies_y_by_one_minus_25_lr():
    path = gd_path("ravine", 0.07, n_steps=5)
    np.testing.assert_allclose(path.points[1:, 1] / path.points[:-1, 1], 1 - 25 * 0.07)


def test_the_bowl_is_solved_in_one_step_at_lr_1():
    path = gd_path("bowl", 1.0, n_steps=1)
    assert np.array_equal(path.points[1], [0.0, 0.0]) and path.values[1] == 0.0


def test_gradient_descent_stalls_at_the_saddle_when_started_on_the_axis():
    saddle = SURFACES["saddle"]
    on_axis = gd_path("saddle", 0.03, start=(-1.5, 0.0), n_steps=100)
    assert on_axis.final[1] == 0.0
    assert np.linalg.norm(saddle.grad(on_axis.final)) < 0.01  # "gradient (almost) zero"
    assert abs(on_axis.values[-1]) < 1e-4
    off_axis = gd_path("saddle", 0.03, start=(-1.5, 0.01), n_steps=100)
    assert off_axis.final[1] > 3 and off_axis.values[-1] < -10  # "escapes downhill along y"


def test_rosenbrock_finds_the_valley_fast_and_its_floor_slowly():
    losses = {n: gd_path("rosenbrock", 0.002, n_steps=n).values[-1] for n in (100, 1000, 5000)}
    assert losses[100] > 1 and losses[1000] > 0.01 and losses[5000] < 1e-4
    path = gd_path("rosenbrock", 0.002, n_steps=100)
    assert path.values[10] < 0.25 * path.values[0]  # the valley: found in a few steps


def test_each_surface_needs_its_own_learning_rate():
    # the gallery's rate for the ravine blows up the curved valleys
    assert gd_path("rosenbrock", GALLERY_LRS["ravine"]).diverged
    assert gd_path("beale", 0.1).diverged
    # the rate that suits Rosenbrock barely moves on the bowl
    bowl = gd_path("bowl", GALLERY_LRS["rosenbrock"])
    assert bowl.values[-1] > 0.5 * bowl.values[0]
    # and every surface's own rate makes progress without diverging
    for name, lr in GALLERY_LRS.items():
        path = gd_path(name, lr)
        assert not path.diverged and path.values[-1] < path.values[0]


def test_the_check_demo_gives_green_red_and_amber():
    def right(w):
        return np.stack([w[..., 0], 25 * w[..., 1]], axis=-1)

    def todo(w):
        raise NotImplementedError

    assert check_ravine_gradient(right).status == "pass"
    wrong = check_ravine_gradient(lambda w: np.array(w, dtype=float))
    assert wrong.status == "fail" and wrong.mistake == "curvature 25 left out"
    assert check_ravine_gradient(todo).status == "todo"


@pytest.mark.parametrize("name", list(SURFACES))
def test_the_gallery_formulas_match_the_surfaces(name):
    # the lesson lists each surface's formula; spot-check them at a point
    x, y = 0.7, -0.4
    expected = {
        "bowl": 0.5 * (x**2 + y**2),
        "ravine": 0.5 * (x**2 + 25 * y**2),
        "rosenbrock": (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        "beale": (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
        "saddle": x**2 - y**2,
    }[name]
    assert SURFACES[name].value(np.array([x, y])) == pytest.approx(expected, rel=1e-12)
