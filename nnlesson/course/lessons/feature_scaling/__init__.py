"""Lesson 02, feature scaling: the experiments, one family per file.

* :mod:`.problem`: the scalers on the wine data and the exact analysis of gradient
  descent on a linear model (condition number, largest stable and best rates, steps to
  converge), run by the course's runner;
* :mod:`.explorer`: the scaling explorer and the figures;
* :mod:`.fit_on_train`: fitting the scaler on the training set only (a leak, a re-fit).

Everything public is importable from here: ``from nnlesson.course.lessons import
feature_scaling as lesson`` then ``lesson.explore_scaling()``.
"""
from nnlesson.course.lessons.feature_scaling import explorer, fit_on_train, problem
from nnlesson.course.lessons.feature_scaling.explorer import *  # noqa: F401,F403
from nnlesson.course.lessons.feature_scaling.fit_on_train import *  # noqa: F401,F403
from nnlesson.course.lessons.feature_scaling.problem import *  # noqa: F401,F403

__all__ = [*problem.__all__, *explorer.__all__, *fit_on_train.__all__]
