"""Lesson 07's experiments: the schedules' knobs, the explorer's problem on the course's runner
(against PyTorch), the explorer on the Explorer base, and the digits comparisons."""
import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from nnlesson.course.lessons import learning_rate_schedules as L
from nnlesson.losses import mse_loss
from nnlesson.schedules import (
    CosineAnnealing,
    CosineWarmRestarts,
    OneCycle,
    ReduceLROnPlateau,
    StepDecay,
    schedule_values,
)


@pytest.fixture(scope="module")
def problem():
    return L.make_problem()


# --------------------------------------------------------------------------- make_schedule


def _make(name, **kw):
    return L.make_schedule(name, 0.2, steps_per_epoch=10, epochs=20, **kw)


def test_step_exponential_and_inverse_time_all_reach_decay_times_lr0_after_one_period():
    for name in ("step decay", "exponential decay", "1/t decay"):
        s = _make(name, decay=0.25, period=3)
        assert s(0) == pytest.approx(0.2, rel=1e-12)
        assert s(30) == pytest.approx(0.05, rel=1e-12), name
    step = _make("step decay", decay=0.25, period=3)
    assert isinstance(step, StepDecay)
    assert step(29) == pytest.approx(0.2) and step(60) == pytest.approx(0.2 * 0.25**2)


def test_cosine_one_cycle_and_restarts_use_the_whole_budget():
    cos = _make("cosine annealing")
    assert isinstance(cos, CosineAnnealing) and cos.T_max == 200
    assert cos(200) == pytest.approx(0.0, abs=1e-15)
    oc = _make("one-cycle", pct_start=0.25)
    assert isinstance(oc, OneCycle) and oc.total_steps == 200 and oc.pct_start == 0.25
    assert oc(49) == pytest.approx(0.2)  # the peak at pct_start * total - 1
    wr = _make("warm restarts", period=4, T_mult=2)
    assert isinstance(wr, CosineWarmRestarts) and (wr.T_0, wr.T_mult) == (40, 2)
    assert wr(40) == pytest.approx(0.2) and wr(120) == pytest.approx(0.2)


def test_warmup_then_cosine_ramps_from_a_tenth_of_lr0_and_anneals_to_zero():
    s = _make("warm-up + cosine", pct_start=0.1)
    values = schedule_values(s, 201)
    assert values[0] == pytest.approx(0.2 * L.WARMUP_START)
    assert values[20] == pytest.approx(0.2)  # 20 warm-up steps, then the cosine's first step
    assert np.all(np.diff(values[:21]) > 0) and np.all(np.diff(values[20:]) <= 0)
    assert values[200] == pytest.approx(0.0, abs=1e-15)


def test_constant_and_plateau():
    assert _make("constant") == 0.2  # no schedule: the rate itself
    plateau = _make("reduce on plateau", decay=0.5, period=2)
    assert isinstance(plateau, ReduceLROnPlateau)
    assert (plateau.lr0, plateau.factor, plateau.patience) == (0.2, 0.5, 2)


@pytest.mark.parametrize("kwargs, match", [
    ({"name": "linear"}, "name must be one of"),
    ({"lr0": 0.0}, "lr0 must be"),
    ({"decay": 1.0}, "decay must be"),
    ({"period": 0}, "period must be"),
    ({"T_mult": 0}, "T_mult must be"),
    ({"pct_start": 0.0}, "pct_start must be"),
    ({"steps_per_epoch": 0}, "steps_per_epoch must be"),
    ({"epochs": 0}, "epochs must be"),
])
def test_make_schedule_rejects_bad_knobs(kwargs, match):
    args = {"name": "step decay", "lr0": 0.1, "steps_per_epoch": 10, "epochs": 5}
    args.update(kwargs)
    name, lr0 = args.pop("name"), args.pop("lr0")
    with pytest.raises(ValueError, match=match):
        L.make_schedule(name, lr0, **args)


# --------------------------------------------------------------------------- the problem


def test_batch_maps_give_the_gradient_of_the_library_mse_loss(problem, rng):
    p = problem
    for e, k in [(0, 0), (3, 7), (p.epochs - 1, p.steps_per_epoch - 1)]:
        w = rng.standard_normal(2)
        idx = p.order[e, k]
        _, dpred = mse_loss(p.X[idx] @ w, p.y[idx])
        np.testing.assert_allclose(p.A[e, k] @ w - p.c[e, k], p.X[idx].T @ dpred, rtol=1e-12)


def test_problem_minimum_and_loss(problem, rng):
    p = problem
    np.testing.assert_allclose(p.w_star, np.linalg.lstsq(p.X, p.y, rcond=None)[0], rtol=1e-12)
    for w in rng.standard_normal((3, 2)):
        assert p.loss(w) == pytest.approx(mse_loss(p.X @ w, p.y)[0], rel=1e-12)
    grid = rng.standard_normal((4, 5, 2))
    assert p.loss(grid).shape == (4, 5)
    assert p.val_loss(p.w_star) == pytest.approx(np.mean((p.X_val @ p.w_star - p.y_val) ** 2))
    # every row is used once per epoch (160 rows, 20 batches of 8)
    assert sorted(p.order[2].ravel()) == list(range(160))
    assert p.total_steps == 400


def test_make_problem_rejects_bad_arguments():
    with pytest.raises(ValueError, match="batch_size must be"):
        L.make_problem(n_train=10, batch_size=20)
    with pytest.raises(ValueError, match="noise must be"):
        L.make_problem(noise=-1.0)


# --------------------------------------------------------------------------- training


def _torch_path(p, lr0, make_scheduler, plateau=False):
    """The same mini-batch SGD in PyTorch: nn.functional.mse_loss, optim.SGD, lr_scheduler."""
    w = torch.tensor(p.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr0)
    sched = make_scheduler(opt)
    X, y = torch.tensor(p.X), torch.tensor(p.y)
    Xv, yv = torch.tensor(p.X_val), torch.tensor(p.y_val)
    path, lrs = [p.start.copy()], []
    for e in range(p.epochs):
        for k in range(p.steps_per_epoch):
            idx = torch.tensor(p.order[e, k])
            opt.zero_grad()
            torch.nn.functional.mse_loss(X[idx] @ w, y[idx]).backward()
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            if not plateau and sched is not None:
                sched.step()
            path.append(w.detach().numpy().copy())
        if plateau:
            with torch.no_grad():
                sched.step(float(torch.nn.functional.mse_loss(Xv @ w, yv)))
    return np.array(path), np.array(lrs)


def test_training_matches_pytorch_sgd_with_cosine_annealing(problem):
    p = problem
    run = L.train_with_schedule(p, CosineAnnealing(0.2, T_max=p.total_steps))
    path, lrs = _torch_path(p, 0.2, lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=p.total_steps))
    np.testing.assert_allclose(run.lrs, lrs, rtol=1e-10)
    np.testing.assert_allclose(run.points, path, rtol=1e-9, atol=1e-12)
    assert run.diverged_at is None


def test_a_constant_rate_matches_pytorch_sgd(problem):
    run = L.train_with_schedule(problem, 0.1)
    path, _ = _torch_path(problem, 0.1, lambda opt: None)
    np.testing.assert_allclose(run.points, path, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(run.lrs, np.full(problem.total_steps, 0.1))


def test_training_matches_pytorch_with_reduce_on_plateau(problem):
    p = problem
    plateau = ReduceLROnPlateau(0.1, factor=0.3, patience=1)
    run = L.train_with_schedule(p, plateau)
    path, lrs = _torch_path(p, 0.1, lambda opt: torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, factor=0.3, patience=1), plateau=True)
    np.testing.assert_allclose(run.lrs, lrs, rtol=1e-10)
    assert len(np.unique(run.lrs)) > 1  # the rate did drop
    np.testing.assert_allclose(run.points, path, rtol=1e-9, atol=1e-12)
    # the plateau passed in is untouched
    assert plateau.lr == 0.1 and plateau.num_bad_epochs == 0


def test_run_summaries(problem):
    run = L.train_with_schedule(problem, StepDecay(0.1, step_size=100, gamma=0.5))
    np.testing.assert_allclose(run.lrs, schedule_values(StepDecay(0.1, 100, 0.5), 400))
    excess = problem.loss(run.points) - problem.loss_star
    np.testing.assert_allclose(run.values - problem.loss_star, excess, atol=1e-12)
    by_epoch = L.epoch_excess(problem, run)
    assert by_epoch.shape == (21,) and by_epoch[0] == pytest.approx(excess[0])
    assert by_epoch[3] == pytest.approx(np.mean(excess[41:61]))
    assert L.final_excess(problem, run) == by_epoch[-1]
    val = L.val_losses(problem, run)
    assert val.shape == (20,) and val[4] == pytest.approx(problem.val_loss(run.points[100]))


def test_a_rate_far_too_large_diverges_by_the_runners_rule(problem):
    run = L.train_with_schedule(problem, StepDecay(5.0, step_size=1000))
    assert run.diverged_at is not None and run.diverged_at < 50
    assert len(run.points) == run.diverged_at  # the diverging point is not kept
    assert np.linalg.norm(run.points[-1]) <= 1e6
    assert math.isnan(L.final_excess(problem, run))
    assert np.isnan(L.val_losses(problem, run)[-1])


def test_train_with_schedule_rejects_bad_arguments(problem):
    with pytest.raises(TypeError, match="problem must be"):
        L.train_with_schedule("regression", CosineAnnealing(0.1, 10))
    with pytest.raises(TypeError, match="schedule must be"):
        L.train_with_schedule(problem, "fast")
    with pytest.raises(ValueError, match="lr must be a finite number >= 0"):
        L.train_with_schedule(problem, -0.1)


# --------------------------------------------------------------------------- the explorer


def test_each_knob_shows_only_for_the_schedules_that_use_it():
    demo = L.explore_schedules()
    shown = lambda: {n for n, c in demo.controls.items() if c.layout.display != "none"}  # noqa
    assert shown() == {"schedule", "lr0"}  # cosine annealing: no knob of its own
    demo.set(schedule="warm restarts")
    assert shown() == {"schedule", "lr0", "period", "T_mult"}
    demo.set(schedule="one-cycle")
    assert shown() == {"schedule", "lr0", "pct_start"}
    demo.set(schedule="step decay")
    assert shown() == {"schedule", "lr0", "decay", "period"}
    for name, schedules in L.KNOBS.items():  # the table the explorer uses is make_schedule's
        for schedule in L.SCHEDULES:
            a = L.make_schedule(schedule, 0.1, steps_per_epoch=4, epochs=10)
            b = L.make_schedule(schedule, 0.1, steps_per_epoch=4, epochs=10,
                                **{name: {"decay": 0.6, "period": 2, "T_mult": 3,
                                          "pct_start": 0.1}[name]})
            if isinstance(a, float):
                assert schedule not in schedules and a == b
            elif schedule == "reduce on plateau":
                assert (name in ("decay", "period")) == (repr(a) != repr(b))
            else:
                same = np.array_equal(schedule_values(a, 40), schedule_values(b, 40))
                assert same == (schedule not in schedules), (name, schedule)


def test_a_knob_the_schedule_does_not_use_shares_the_computed_run():
    ex = L.ScheduleExplorer()
    first = ex.compute("cosine annealing", 0.1, decay=0.3, period=5, T_mult=1, pct_start=0.3)
    other = ex.compute("cosine annealing", 0.1, decay=0.7, period=2, T_mult=3, pct_start=0.1)
    assert other[0] is first[0]
    used = ex.compute("step decay", 0.1, decay=0.7, period=5, T_mult=1, pct_start=0.3)
    assert used[0] is not ex.compute("step decay", 0.1, 0.3, 5, 1, 0.3)[0]


def test_the_explorer_draws_the_runs_it_computed(problem):
    ex = L.ScheduleExplorer(problem)
    fig = ex.snapshot(schedule="step decay", lr0=0.05, decay=0.5, period=4)
    run, base = ex.result
    np.testing.assert_allclose(ex.lr.lines["schedule"].get_ydata(), run.lrs / 0.05)
    np.testing.assert_allclose(ex.loss.lines["constant"].get_ydata(),
                               np.clip(L.epoch_excess(problem, base), 1e-6 * 1.0001, None))
    assert ex.summary.startswith("step decay: last epoch")
    assert "decay factor γ = 0.5" in fig._nnlesson_alt and "T_mult" not in fig._nnlesson_alt


def test_every_schedule_runs_in_the_explorer():
    ex = L.ScheduleExplorer()
    for name in L.SCHEDULES:
        run, _ = ex.compute(name, 0.1, **L.DEFAULT_KNOBS)
        assert np.isfinite(L.final_excess(ex.problem, run)), name
    ex.snapshot(schedule="cosine annealing", lr0=1.5)
    assert ex.summary.startswith("cosine annealing: diverged at update")


def test_static_figures():
    fig = L.figure_schedule_gallery()
    assert isinstance(fig, Figure) and len(fig.axes) == 9
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:8] == list(L.SCHEDULES[:8]) and "made-up" in fig._nnlesson_alt
    fig = L.figure_lr_curves({"a": [0.1, 0.05, 0.01], "b": np.ones(4)}, title="two curves")
    ax = fig.axes[0]
    assert ax.get_title() == "two curves" and len(ax.get_lines()) == 2
    assert list(ax.get_lines()[1].get_xdata()) == [0, 1, 2, 3]


# --------------------------------------------------------------------------- digits


def test_train_digits_drives_fit_with_the_schedule():
    h = L.train_digits("one-cycle", epochs=2, lr0=0.3, seed=0)
    assert h.iterations_per_epoch == 10 and len(h.lr) == 20
    np.testing.assert_allclose(h.lr, schedule_values(OneCycle(0.3, total_steps=20), 20))
    h = L.train_digits("constant", epochs=1, lr0=0.1)
    assert h.lr == [0.1] * 10 and len(h.val_acc) == 1


def test_train_digits_batch_is_fit_with_that_batch_and_schedule():
    h = L.train_digits_batch(256, 2, 0.4, CosineAnnealing(0.4, T_max=10), seed=1)
    assert h.iterations_per_epoch == 5 and len(h.lr) == 10
    np.testing.assert_allclose(h.lr, schedule_values(CosineAnnealing(0.4, T_max=10), 10))
    assert L.train_digits_batch(256, 2, 0.4, CosineAnnealing(0.4, T_max=10), seed=1) is h
    with pytest.raises(TypeError, match="schedule must be None or a schedule"):
        L.train_digits_batch(256, 2, 0.4, schedule=0.1)


def test_compare_on_digits_bookkeeping():
    c = L.compare_on_digits(schedules=("constant", "cosine annealing"), budgets=(1, 2),
                            lrs=(0.1, 0.3), seeds=(0,))
    assert c.accuracy.shape == (2, 2, 2)
    h = L.train_digits("cosine annealing", 2, 0.3, seed=0)
    assert c.at("cosine annealing", 2, 0.3) == pytest.approx(h.val_acc[-1])
    acc, lr = c.best("constant", 2)
    assert acc == pytest.approx(np.max(c.accuracy[0, 1])) and lr in (0.1, 0.3)
    table = c.table()
    assert "cosine annealing" in table and "2 epochs" in table
    assert isinstance(L.figure_digits_comparison(c), Figure)
    lrs, accs = c.curves[("constant", 1, 0.1)]
    assert len(lrs) == 10 and len(accs) == 1
    with pytest.raises(ValueError, match="schedules must be one of"):
        L.compare_on_digits(schedules=("cyclic",))


def test_best_of_a_row_that_diverged_everywhere_is_nan():
    c = L.DigitsComparison(("constant",), (1,), (0.1,), (0,), np.full((1, 1, 1), math.nan), {})
    acc, lr = c.best("constant", 1)
    assert math.isnan(acc) and lr is None
