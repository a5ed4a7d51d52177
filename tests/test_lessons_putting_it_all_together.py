"""Lesson 13's experiments: the recipe's runs, the ablation, the widget."""
import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from sklearn.preprocessing import StandardScaler

from nnlesson.data import minibatches
from nnlesson.course.lessons import putting_it_all_together as P
from nnlesson.viz import plotting
from nnlesson.norm import BatchNorm
from nnlesson.train import History, mlp

# --------------------------------------------------------------------------- data and settings


def test_the_split_is_stratified_and_fresh():
    X_train, X_val, y_train, y_val = P.digits_split()
    assert X_train.shape == (1257, 64) and X_val.shape == (540, 64)
    np.testing.assert_allclose(np.bincount(y_val) / 540, np.bincount(y_train) / 1257, atol=0.01)
    X_train[0, 0] = 99.0  # a copy: the lesson's data are untouched
    assert P.digits_split()[0][0, 0] != 99.0


def test_recipe_settings_defaults_overrides_and_errors():
    assert P.recipe_settings() == P.RECIPE and list(P.RECIPE) == list(P.PIECES)
    s = P.recipe_settings({"adam": False}, l2=False)
    assert s == {**P.RECIPE, "adam": False, "l2": False}
    with pytest.raises(ValueError, match="piece must be one of scaling"):
        P.recipe_settings(momentum=True)
    with pytest.raises(TypeError, match="adam must be"):
        P.recipe_settings(adam="yes")
    with pytest.raises(TypeError, match="recipe must be a dict"):
        P.recipe_settings([("adam", True)])


def test_train_recipe_rejects_bad_arguments():
    with pytest.raises(ValueError, match="lr must be"):
        P.train_recipe(lr=0.0)
    with pytest.raises(ValueError, match="epochs must be"):
        P.train_recipe(epochs=0)
    with pytest.raises(ValueError, match="seed must be"):
        P.train_recipe(seed=-1)


def _torch_recipe_one_epoch(seed, lr):
    """The full recipe for one epoch in PyTorch: scikit-learn's scaler, BatchNorm1d, Adam,
    CosineAnnealingLR, clip_grad_norm_, and the L2 penalty on the weight matrices."""
    X_train, X_val, y_train, y_val = P.digits_split()
    scaler = StandardScaler().fit(X_train)
    X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)
    ours = mlp([64, P.WIDTH, P.WIDTH, 10], batch_norm=True, rng=seed)  # the same initial weights
    linears = [layer for layer in ours if hasattr(layer, "W")]
    net = torch.nn.Sequential(
        torch.nn.Linear(64, P.WIDTH, bias=False), torch.nn.BatchNorm1d(P.WIDTH), torch.nn.ReLU(),
        torch.nn.Linear(P.WIDTH, P.WIDTH, bias=False), torch.nn.BatchNorm1d(P.WIDTH),
        torch.nn.ReLU(), torch.nn.Linear(P.WIDTH, 10)).double()
    with torch.no_grad():
        for t_layer, o_layer in zip([net[0], net[3], net[6]], linears):
            t_layer.weight.copy_(torch.from_numpy(o_layer.W.value.T))
        net[6].bias.copy_(torch.from_numpy(linears[2].b.value))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    n_updates = math.ceil(len(X_train) / P.BATCH_SIZE)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=n_updates)  # one epoch
    weights = [net[0].weight, net[3].weight, net[6].weight]
    net.train()
    for xb, yb in minibatches(X_train, y_train, P.BATCH_SIZE, rng=np.random.default_rng(seed)):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(xb)), torch.from_numpy(yb))
        loss = loss + P.L2 / 2 * sum((w ** 2).sum() for w in weights)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), P.CLIP_NORM)
        opt.step()
        sched.step()
    net.eval()
    with torch.no_grad():
        logits = net(torch.from_numpy(X_val))
        return torch.nn.functional.cross_entropy(logits, torch.from_numpy(y_val)).item()


def test_the_full_recipe_matches_pytorch_for_one_epoch():
    history = P.train_recipe(lr=0.1, seed=3, epochs=1)
    assert history.val_loss[0] == pytest.approx(_torch_recipe_one_epoch(3, 0.1), rel=1e-8)


def test_the_pieces_change_what_they_say():
    full = P.recipe_run()
    assert full.iterations_per_epoch == math.ceil(1257 / P.BATCH_SIZE)
    assert P.recipe_run({"minibatches": False}).iterations_per_epoch == 1
    # the cosine schedule, checked against PyTorch's CosineAnnealingLR
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=P.LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=len(full.lr))
    expected = []
    for _ in full.lr:
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(full.lr, expected, rtol=1e-10, atol=1e-14)
    assert set(P.recipe_run({"schedule": False}).lr) == {P.LR}
    _, model = P.train_recipe(epochs=1, return_model=True)
    assert sum(isinstance(m, BatchNorm) for m in model) == 2
    _, model = P.train_recipe({"batch_norm": False}, epochs=1, return_model=True)
    assert not any(isinstance(m, BatchNorm) for m in model)


def test_runs_are_deterministic_and_cached():
    a = P.train_recipe({"clipping": False}, lr=0.03, seed=1, epochs=2)
    b = P.train_recipe({"clipping": False}, lr=0.03, seed=1, epochs=2)
    assert a.val_loss == b.val_loss and a.grad_norm == b.grad_norm
    assert P.recipe_run(lr=0.1, seed=0) is P.recipe_run(P.RECIPE, 0.1, 0)


def test_final_accuracy_is_nan_for_a_diverged_run():
    h = History(val_acc=[0.5, 0.6])
    assert P.final_accuracy(h) == 0.6
    h.diverged_at = 3
    assert math.isnan(P.final_accuracy(h))


# --------------------------------------------------------------------------- the ablation


def test_ablation_configs_by_hand():
    configs = P.ablation_configs({"adam": True, "l2": False, "clipping": True})
    assert configs == [("full recipe", {"adam": True, "l2": False, "clipping": True}),
                       ("without adam", {"adam": False, "l2": False, "clipping": True}),
                       ("without clipping", {"adam": True, "l2": False, "clipping": False})]
    default = P.ablation_configs()
    assert len(default) == 1 + len(P.PIECES)
    assert all(sum(not v for v in s.values()) == 1 for _, s in default[1:])
    with pytest.raises(TypeError, match="recipe must be a dict"):
        P.ablation_configs(["adam"])


def test_ablation_configs_does_not_change_its_input_or_share_dicts():
    recipe = dict(P.RECIPE)
    configs = P.ablation_configs(recipe)
    assert recipe == P.RECIPE
    assert len({id(s) for _, s in configs} | {id(recipe)}) == len(configs) + 1


def _row(label, accs):
    accs = np.array(accs, dtype=float)
    return P.AblationRow(label, dict(P.RECIPE), accs, 1 - accs)


def test_verdict_and_table_by_hand():
    ab = P.Ablation(0.1, (0, 1, 2), (
        _row("full recipe", [0.95, 0.96, 0.97]),
        _row("without a", [0.90, 0.91, 0.94]),
        _row("without b", [0.94, 0.96, 0.99]),
        _row("without c", [0.98, 0.98, 0.99]),
        _row("without d", [np.nan, 0.5, 0.6]),
    ))
    assert ab.effect("without a") == pytest.approx(-0.0433333, abs=1e-6)
    assert [ab.verdict(f"without {k}") for k in "abcd"] == \
        ["hurts", "no clear effect", "helps", "hurts"]
    table = ab.table()
    assert "96.0%" in table and "90.0 - 94.0 %" in table and "-4.3  hurts" in table
    with pytest.raises(ValueError, match="label must be one of full recipe"):
        ab.row("without e")


def test_run_ablation_and_sweep_use_the_cached_runs():
    configs = P.ablation_configs({"clipping": True})
    ab = P.run_ablation(configs, lr=0.1, seeds=(0,))
    full = P.recipe_run(lr=0.1, seed=0)
    assert ab.baseline.val_acc[0] == full.val_acc[-1]
    assert ab.row("without clipping").recipe == P.recipe_settings(clipping=False)
    lrs, acc = P.lr_sweep(configs[:1], [0.1], seed=0)
    assert acc["full recipe"][0] == full.val_acc[-1]
    with pytest.raises(ValueError, match="configs must list"):
        P.run_ablation([])
    with pytest.raises(ValueError, match="lrs\\[i\\] must be"):
        P.lr_sweep(configs, [-1.0])


# --------------------------------------------------------------------------- figures and widget


def test_static_figures_have_alt_text_and_the_legend_outside_the_axes():
    ab = P.run_ablation(P.ablation_configs()[:3], seeds=(0,))
    figures = [P.figure_ablation(ab), P.figure_lr_sweep(np.array([0.1, 1.0]),
                                                         {"full": np.array([0.9, np.nan])}),
               P.snapshot_recipe(batch_norm=False)]
    for fig in figures:
        assert isinstance(fig, Figure) and len(plotting.alt_text(fig)) > 80
        for ax in fig.axes:
            assert ax.get_title() and ax.get_xlabel() and ax.get_legend() is None
    assert all(fig.legends for fig in figures)  # one legend, above the panels


def test_the_widget_redraws_for_every_toggle_and_the_learning_rate():
    demo = P.explore_recipe()
    assert set(demo.controls) == {"lr", *P.PIECES}
    for piece in P.PIECES:
        before_count, before = demo.update_count, bytes(demo.image.value)
        demo.set(**{piece: False})
        assert demo.update_count == before_count + 1
        assert bytes(demo.image.value) != before, piece
        demo.set(**{piece: True})
    before = bytes(demo.image.value)
    demo.set(lr=0.01)
    assert bytes(demo.image.value) != before
    demo.set(lr=0.1)
    assert bytes(demo.image.value) == before  # cached runs, same picture


def test_the_explorer_draws_your_combination_against_the_ablation():
    explorer = P.RecipeExplorer()
    explorer.snapshot(lr=0.1, batch_norm=False, scaling=False)
    current, ablation = explorer.result
    assert current is P.recipe_run(P.recipe_settings(batch_norm=False, scaling=False), 0.1, 0)
    assert ablation["full recipe"] is P.recipe_run(lr=0.1, seed=0)
    widths = [bar.get_width() for bar in explorer.bars]
    assert widths[0] == pytest.approx(100 * current.val_acc[-1])
    assert widths[1] == pytest.approx(100 * ablation["full recipe"].val_acc[-1])
    assert explorer.summary == (f"lr 0.1, without feature scaling, batch norm: validation "
                                f"accuracy {100 * current.val_acc[-1]:.1f} %")


def test_the_explorer_offers_the_rates_the_lesson_names_and_precomputes_around():
    assert P.LRS == (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
    assert P.RecipeExplorer.precompute == ("lr", *P.PIECES)
    with pytest.raises(ValueError, match=r"lr \(learning rate\).*nearest are 0.1 or 0.3"):
        P.RecipeExplorer().check(lr=0.2)


def test_recipe_run_with_adamw_replaces_the_l2_piece():
    adamw = P.recipe_run(P.recipe_settings(l2=False), 0.1, 0, weight_decay=0.1)
    assert adamw is P.recipe_run(P.recipe_settings(l2=False), 0.1, 0, weight_decay=0.1)
    assert adamw is not P.recipe_run(P.recipe_settings(l2=False), 0.1, 0)
    with pytest.raises(ValueError, match="weight_decay \\(AdamW\\) replaces the l2 piece"):
        P.train_recipe(weight_decay=0.1)  # the l2 piece is on


def test_lr_sweep_table_keeps_the_rates_asked_for():
    lrs = np.array([0.01, 0.1, 1.0])
    table = P.lr_sweep_table(lrs, {"full recipe": np.array([0.5, 0.96, 0.1])}, min_lr=0.1)
    head, row = table.splitlines()
    assert head.split()[2:] == ["0.1", "1"]
    assert row.split()[-2:] == ["96.0", "10.0"] and row.startswith("full recipe")
    assert P.lr_sweep_table(lrs, {"a": np.zeros(3)}, max_lr=0.01).splitlines()[0].split()[2:] == ["0.01"]


# --------------------------------------------------------------------------- the L2 piece and batch norm


def test_scale_invariance_by_hand():
    model = mlp([4, 5, 3], batch_norm=True, rng=3)
    X = np.random.default_rng(0).normal(size=(8, 4))
    y = np.arange(8) % 3
    before = [p.value.copy() for p in model.parameters()]
    change, ratio = P.scale_invariance(model, X, y, factor=10.0)
    assert change < 1e-4 and ratio == pytest.approx(10.0, rel=1e-4)
    for p, b in zip(model.parameters(), before):  # the weights are given back
        np.testing.assert_array_equal(p.value, b)
    # without batch norm after it, the output layer is not scale-free
    change, ratio = P.scale_invariance(model, X, y, factor=10.0, layer=1)
    assert change > 0.1
    with pytest.raises(ValueError, match="layer must be"):
        P.scale_invariance(model, X, y, layer=2)


def test_weight_rotation_is_the_recipes_own_run_epoch_by_epoch():
    for l2 in (0.0, P.L2):
        rotation = P.weight_rotation(l2, seed=1, epochs=2)
        settings = P.recipe_settings(l2=bool(l2))
        history, model = P.train_recipe(settings, seed=1, epochs=2, return_model=True)
        assert rotation.accuracy == history.val_acc[-1]
        weights = [p.value for p in model.parameters() if p.value.ndim >= 2]
        np.testing.assert_allclose(rotation.norms, [np.linalg.norm(W) for W in weights],
                                   rtol=1e-12)
        assert rotation.angles.shape == (2, 3) and np.all(rotation.angles > 0)


def test_adamw_ablation_rows():
    ab = P.adamw_ablation(decays=(0.1,), seeds=(0,))
    assert [r.label for r in ab.rows] == ["Adam + L2 (recipe)", "Adam, no penalty",
                                          "AdamW, decay 0.1"]
    assert ab.rows[0].val_acc[0] == P.recipe_run(lr=0.1, seed=0).val_acc[-1]
    assert ab.rows[2].val_acc[0] == P.recipe_run(P.recipe_settings(l2=False), 0.1, 0,
                                                 weight_decay=0.1).val_acc[-1]
