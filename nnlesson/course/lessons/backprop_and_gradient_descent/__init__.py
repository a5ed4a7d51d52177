"""Lesson 01, forward pass, backprop and gradient descent: the experiments, one family per file.

* :mod:`.learning_rate`: plain gradient descent on a 1-D and a 2-D quadratic loss; the four
  regimes (too small, right, oscillating, diverging) and their thresholds ``1/a`` and ``2/a``.
* :mod:`.backprop_walkthrough`: one forward pass, one backward pass and one update of a 2-2-1
  network, number by number.

Everything public is importable from here: ``from nnlesson.course.lessons import
backprop_and_gradient_descent as lesson`` then ``lesson.explore_backprop()``.
"""
from nnlesson.course.lessons.backprop_and_gradient_descent import backprop_walkthrough, learning_rate
from nnlesson.course.lessons.backprop_and_gradient_descent.backprop_walkthrough import *  # noqa: F401,F403
from nnlesson.course.lessons.backprop_and_gradient_descent.learning_rate import *  # noqa: F401,F403

__all__ = [*learning_rate.__all__, *backprop_walkthrough.__all__]
