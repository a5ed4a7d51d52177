"""Lesson 05, adaptive step sizes (AdaGrad and RMSProp): the experiments, one family per file.

* :mod:`.paths`: plain gradient descent, AdaGrad and RMSProp side by side on a ravine or on
  Beale's function, with each weight's effective learning rate (the live experiment).
* :mod:`.step_sizes`: the step of each method for a gradient that never changes.
* :mod:`.wine`: a linear classifier on the unscaled wine data.

Everything public is importable from here: ``from nnlesson.course.lessons import
adagrad_and_rmsprop as lesson`` then ``lesson.explore_adaptive_paths()``.
"""
from nnlesson.course.lessons.adagrad_and_rmsprop import paths, step_sizes, wine
from nnlesson.course.lessons.adagrad_and_rmsprop.paths import *  # noqa: F401,F403
from nnlesson.course.lessons.adagrad_and_rmsprop.step_sizes import *  # noqa: F401,F403
from nnlesson.course.lessons.adagrad_and_rmsprop.wine import *  # noqa: F401,F403

__all__ = [*paths.__all__, *step_sizes.__all__, *wine.__all__]
