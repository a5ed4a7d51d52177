"""Lesson 07, learning-rate schedules: the experiments, one family per file.

* :mod:`.schedules`: one set of knobs for every schedule (:func:`make_schedule`) and pictures
  of their curves.
* :mod:`.problem`: the explorer's problem, mini-batch SGD on a two-weight linear regression,
  trained through the course's runner (:func:`train_with_schedule`).
* :mod:`.explorer`: the live experiment (a schedule and its knobs; only the knobs it uses are
  shown).
* :mod:`.digits`: schedules on a small network on the digits, and training at another batch
  size (exercise 4's plan).

Everything public is importable from here: ``from nnlesson.course.lessons import
learning_rate_schedules as lesson`` then ``lesson.explore_schedules()``.
"""
from nnlesson.course.lessons.learning_rate_schedules import digits, explorer, problem, schedules
from nnlesson.course.lessons.learning_rate_schedules.digits import *  # noqa: F401,F403
from nnlesson.course.lessons.learning_rate_schedules.explorer import *  # noqa: F401,F403
from nnlesson.course.lessons.learning_rate_schedules.problem import *  # noqa: F401,F403
from nnlesson.course.lessons.learning_rate_schedules.schedules import *  # noqa: F401,F403

__all__ = [*schedules.__all__, *problem.__all__, *explorer.__all__, *digits.__all__]
