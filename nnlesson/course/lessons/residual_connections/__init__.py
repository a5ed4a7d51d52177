"""Lesson 12, residual connections: the experiments, one family per file.

* :mod:`.networks`: the plain and residual stacks on the digits, the gradient per layer, short
  trainings over depths and learning rates (:func:`depth_sweep`), the signal's size through a
  network, and residual branches scaled at initialization (:func:`scale_residual_branches`,
  :func:`signal_growth`).
* :mod:`.explorer`: the live experiment (depth, learning rate, activation) and the figure of
  the best loss against depth.

Everything public is importable from here: ``from nnlesson.course.lessons import
residual_connections as lesson`` then ``lesson.explore_residual()``.
"""
from nnlesson.course.lessons.residual_connections import explorer, networks
from nnlesson.course.lessons.residual_connections.explorer import *  # noqa: F401,F403
from nnlesson.course.lessons.residual_connections.networks import *  # noqa: F401,F403

__all__ = [*networks.__all__, *explorer.__all__]
