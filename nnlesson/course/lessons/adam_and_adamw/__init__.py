"""Lesson 06, Adam and AdamW: the experiments, one family per file.

* :mod:`.bias_correction`: Adam's first steps for a steady gradient with and without bias
  correction, and its paths on Beale's function (the live experiment ``lr``, ``beta1``,
  ``beta2``).
* :mod:`.weight_decay`: an L2 penalty inside Adam against decoupled weight decay (AdamW) on
  weights whose gradients are noise of very different sizes (the live experiment ``lr``,
  ``weight_decay``, ``beta1``, ``beta2``).
* :mod:`.race`: SGD, momentum, Nesterov, RMSProp and Adam, each at its tuned rate, on the
  ravine, Beale's function, Rosenbrock's valley and a small network on the digits.

Every update is made by the library's rules through the course's runner
(:func:`nnlesson.course.runner.run`), or by the library's optimizers in
:func:`nnlesson.train.fit`. Everything public is importable from here: ``from
nnlesson.course.lessons import adam_and_adamw as lesson`` then
``lesson.explore_bias_correction()``.
"""
from nnlesson.course.lessons.adam_and_adamw import bias_correction, race, weight_decay
from nnlesson.course.lessons.adam_and_adamw.bias_correction import *  # noqa: F401,F403
from nnlesson.course.lessons.adam_and_adamw.race import *  # noqa: F401,F403
from nnlesson.course.lessons.adam_and_adamw.weight_decay import *  # noqa: F401,F403

__all__ = [*bias_correction.__all__, *weight_decay.__all__, *race.__all__]
