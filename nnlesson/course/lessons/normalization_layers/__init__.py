"""Lesson 10, normalization layers: the experiments, one family per file.

* :mod:`.training`: the same network trained with and without batch norm, for a grid of batch
  sizes and learning rates.
* :mod:`.speedup`: "10-15x faster"? Epochs to 95 % with and without batch norm.
* :mod:`.sensitivity`: batch norm and lesson 09's starting weights.
* :mod:`.placement`: batch norm before or after the activation, and over which numbers in a
  convolutional network.
* :mod:`.dependence`: a sample's output in different batches (train vs eval, batch vs layer
  and group norm), and which numbers share a mean.
* :mod:`.explorer`: the two live experiments.

Every normalization comes from :mod:`nnlesson.norm`, training from :mod:`nnlesson.train`.
Everything public is importable from here: ``from nnlesson.course.lessons import
normalization_layers as lesson`` then ``lesson.explore_train_vs_eval()``.
"""
from nnlesson.course.lessons.normalization_layers import (
    dependence,
    explorer,
    placement,
    sensitivity,
    speedup,
    training,
)
from nnlesson.course.lessons.normalization_layers.dependence import *  # noqa: F401,F403
from nnlesson.course.lessons.normalization_layers.explorer import *  # noqa: F401,F403
from nnlesson.course.lessons.normalization_layers.placement import *  # noqa: F401,F403
from nnlesson.course.lessons.normalization_layers.sensitivity import *  # noqa: F401,F403
from nnlesson.course.lessons.normalization_layers.speedup import *  # noqa: F401,F403
from nnlesson.course.lessons.normalization_layers.training import *  # noqa: F401,F403

__all__ = [*training.__all__, *speedup.__all__, *sensitivity.__all__, *placement.__all__,
           *dependence.__all__, *explorer.__all__]
