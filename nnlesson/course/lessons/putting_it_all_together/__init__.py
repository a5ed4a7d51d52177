"""Lesson 13, putting it all together: the experiments, one family per file.

* :mod:`.training`: the recipe's seven pieces as switches on one training run of the digits
  network (:func:`train_recipe`, cached by :func:`recipe_run`).
* :mod:`.ablation`: leave-one-out over random seeds (:func:`run_ablation`), learning-rate
  sweeps (:func:`lr_sweep`) and their figures.
* :mod:`.weight_decay`: why the L2 piece does little here (batch norm makes the weights before
  it scale-free: :func:`scale_invariance`, :func:`weight_rotation`) and AdamW in its place
  (:func:`adamw_ablation`).
* :mod:`.explorer`: the live experiment, a toggle per piece and a learning rate.

Everything public is importable from here: ``from nnlesson.course.lessons import
putting_it_all_together as lesson`` then ``lesson.explore_recipe()``.
"""
from nnlesson.course.lessons.putting_it_all_together import (
    ablation,
    explorer,
    training,
    weight_decay,
)
from nnlesson.course.lessons.putting_it_all_together.ablation import *  # noqa: F401,F403
from nnlesson.course.lessons.putting_it_all_together.explorer import *  # noqa: F401,F403
from nnlesson.course.lessons.putting_it_all_together.training import *  # noqa: F401,F403
from nnlesson.course.lessons.putting_it_all_together.weight_decay import *  # noqa: F401,F403

__all__ = [*training.__all__, *ablation.__all__, *weight_decay.__all__, *explorer.__all__]
