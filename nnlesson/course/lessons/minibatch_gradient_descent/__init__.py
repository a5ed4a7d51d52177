"""Lesson 03, batch, stochastic and mini-batch gradient descent: the experiments, one family per
file.

* :mod:`.data`: the wine regression (sorted by cultivar), batches per epoch, what an epoch
  costs, the unshuffled slicing loop.
* :mod:`.training`: mini-batch gradient descent runs and the batch-size table.
* :mod:`.stability`: per-sample curvature and the largest stable learning rate per batch size.
* :mod:`.explorer`: the live experiment (batch size, learning rate, shuffling).
* :mod:`.shuffling`: shuffled against file order.

Everything public is importable from here: ``from nnlesson.course.lessons import
minibatch_gradient_descent as lesson`` then ``lesson.explore_minibatches()``.
"""
from nnlesson.course.lessons.minibatch_gradient_descent import (
    data,
    explorer,
    shuffling,
    stability,
    training,
)
from nnlesson.course.lessons.minibatch_gradient_descent.data import *  # noqa: F401,F403
from nnlesson.course.lessons.minibatch_gradient_descent.explorer import *  # noqa: F401,F403
from nnlesson.course.lessons.minibatch_gradient_descent.shuffling import *  # noqa: F401,F403
from nnlesson.course.lessons.minibatch_gradient_descent.stability import *  # noqa: F401,F403
from nnlesson.course.lessons.minibatch_gradient_descent.training import *  # noqa: F401,F403

__all__ = [*data.__all__, *training.__all__, *stability.__all__, *explorer.__all__,
           *shuffling.__all__]
