"""Lesson 08, gradient clipping and exploding gradients: the experiments, one family per file.

* :mod:`.surface`: a gradient that explodes (a one-unit recurrent network,
  :class:`RepeatedMultiplication`) and gradient descent on it without clipping, clipped by norm
  or by value (:func:`clipped_descent`, the course's runner).
* :mod:`.explorer`: the live experiment (learning rate and clip threshold).
* :mod:`.digits`: a deep ReLU network on the digits, with and without clipping, and the
  settings that tell the clip apart from a smaller step.

Everything public is importable from here: ``from nnlesson.course.lessons import
gradient_clipping as lesson`` then ``lesson.explore_clipping()``.
"""
from nnlesson.course.lessons.gradient_clipping import digits, explorer, surface
from nnlesson.course.lessons.gradient_clipping.digits import *  # noqa: F401,F403
from nnlesson.course.lessons.gradient_clipping.explorer import *  # noqa: F401,F403
from nnlesson.course.lessons.gradient_clipping.surface import *  # noqa: F401,F403

__all__ = [*surface.__all__, *explorer.__all__, *digits.__all__]
