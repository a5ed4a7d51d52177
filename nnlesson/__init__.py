"""nnlesson: the techniques of training neural networks, in small readable numpy.

The package has four parts, and imports point one way only (tools -> course -> viz -> library)::

    nnlesson/           the library: numpy only, one module per topic
      core        Parameter, Module              layers      Linear, ReLU, Dropout, Residual, ...
      losses      MSE, cross-entropy, L1/L2      init        zeros, Xavier/Glorot, He
      gradcheck   numerical gradients            norm        BatchNorm, LayerNorm, GroupNorm
      scaling     MinMaxScaler, StandardScaler   data        minibatches, synthetic sets
      datasets    UCI Wine, UCI digits           optim       SGD, Momentum, Adagrad, RMSprop, Adam, AdamW
      schedules   step, cosine, one-cycle, ...   clip        clipping by global norm and by value
      train       fit loop, early stopping, History
      diagnosis   recorded runs, fault evidence  tuning      range test, log-scale search
    nnlesson/viz/       plots and sliders (matplotlib, ipywidgets)
    nnlesson/course/    the course: lesson registry, test surfaces, experiments, exercise checks
    nnlesson/tools/     command line, grader, slide builder, notebook runner

``import nnlesson as nl`` loads only numpy and the library. ``nnlesson.viz``, ``nnlesson.course``
and ``nnlesson.tools`` are imported by name where they are needed.
"""
from . import (clip, core, data, datasets, diagnosis, gradcheck, init, layers, losses, norm, optim,
               scaling, schedules, train, tuning)
from .clip import *  # noqa: F401,F403
from .core import Module, Parameter
from .data import *  # noqa: F401,F403
from .datasets import *  # noqa: F401,F403
from .gradcheck import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403
from .scaling import *  # noqa: F401,F403
from .schedules import *  # noqa: F401,F403
from .train import *  # noqa: F401,F403
from .diagnosis import diagnose, expected_initial_loss, find_evidence  # noqa: F401
from .tuning import log_uniform, lr_range_test, smooth_losses  # noqa: F401

__version__ = "0.1.0"
