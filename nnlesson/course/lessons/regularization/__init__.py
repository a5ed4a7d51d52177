"""Lesson 11, regularization: the experiments, one family per file.

Every experiment trains the same small network on a setting that overfits within seconds
(:mod:`.data`: 200 training digits, a fifth of them mislabelled, ``mlp([64, 64, 10])``,
full-batch SGD with momentum 0.9 for 60 epochs, 360 clean validation digits).

* :mod:`.penalties`: L2 and L1 penalties (``fit(..., penalty=Penalty(l2=lam))``), choosing
  lambda on the validation set, sparsity, the penalty explorer, and L2 in the loss against
  decoupled weight decay (:func:`decay_comparison`, the course's runner).
* :mod:`.dropout`: inverted dropout and DropConnect, what inverted scaling preserves, the
  dropout explorer.
* :mod:`.early_stopping`: the rule of ``fit(..., early_stopping=EarlyStopping(patience))``
  on the lesson's run, and its explorer.

Everything public is importable from here: ``from nnlesson.course.lessons import
regularization as lesson`` then ``lesson.explore_penalty()``.
"""
from nnlesson.course.lessons.regularization import data, dropout, early_stopping, penalties
from nnlesson.course.lessons.regularization.data import *  # noqa: F401,F403
from nnlesson.course.lessons.regularization.dropout import *  # noqa: F401,F403
from nnlesson.course.lessons.regularization.early_stopping import *  # noqa: F401,F403
from nnlesson.course.lessons.regularization.penalties import *  # noqa: F401,F403

__all__ = [*data.__all__, *penalties.__all__, *dropout.__all__, *early_stopping.__all__]
