"""Lesson 09, weight initialization, vanishing and exploding gradients: the experiments, one
family per file.

* :mod:`.schemes`: the initialization schemes (all from :mod:`nnlesson.init`) and the deep
  networks they fill.
* :mod:`.signal`: the signal through a deep network, forward (activations) and backward
  (gradients), and the claims over several networks.
* :mod:`.symmetry`: why all-zero weights never train a hidden layer.
* :mod:`.training`: the same deep network trained on the digits from four starts.
* :mod:`.explorer`: the two live experiments.

Everything public is importable from here: ``from nnlesson.course.lessons import
weight_initialization as lesson`` then ``lesson.explore_signal_propagation()``.
"""
from nnlesson.course.lessons.weight_initialization import (
    explorer,
    schemes,
    signal,
    symmetry,
    training,
)
from nnlesson.course.lessons.weight_initialization.explorer import *  # noqa: F401,F403
from nnlesson.course.lessons.weight_initialization.schemes import *  # noqa: F401,F403
from nnlesson.course.lessons.weight_initialization.signal import *  # noqa: F401,F403
from nnlesson.course.lessons.weight_initialization.symmetry import *  # noqa: F401,F403
from nnlesson.course.lessons.weight_initialization.training import *  # noqa: F401,F403

__all__ = [*schemes.__all__, *signal.__all__, *symmetry.__all__, *training.__all__,
           *explorer.__all__]
