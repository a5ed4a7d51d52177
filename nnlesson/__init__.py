"""nnlesson: the techniques of training neural networks, in small readable numpy.

One module per topic (each named in ``nnlesson.course``)::

    core        Parameter, Module              layers      Linear, ReLU, Dropout, Residual, ...
    losses      MSE, cross-entropy, L1/L2      init        zeros, Xavier/Glorot, He
    gradcheck   numerical gradients            norm        BatchNorm, LayerNorm, GroupNorm
    scaling     MinMaxScaler, StandardScaler   data        minibatches, synthetic sets
    datasets    UCI Wine, UCI digits           optim       SGD, Momentum, Adagrad, RMSprop, Adam, AdamW
    schedules   step, cosine, one-cycle, ...   clip        clipping by global norm and by value
    landscapes  2-D test surfaces              train       fit loop, early stopping, History

``import nnlesson as nl`` loads only numpy. Plots (``nl.plotting``), widgets (``nl.widgets``),
the lessons' experiments (``nl.lessons.<slug>``) and the exercise checks (``nl.checks``) load
matplotlib and ipywidgets when first used.
"""
from importlib import import_module

from . import (clip, core, data, datasets, gradcheck, init, landscapes, layers, losses, norm,
               optim, scaling, schedules, train)
from .clip import *  # noqa: F401,F403
from .core import Module, Parameter
from .data import *  # noqa: F401,F403
from .datasets import *  # noqa: F401,F403
from .gradcheck import *  # noqa: F401,F403
from .landscapes import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403
from .scaling import *  # noqa: F401,F403
from .schedules import *  # noqa: F401,F403
from .train import *  # noqa: F401,F403

__version__ = "0.1.0"

# Loaded on first use: they pull in matplotlib, ipywidgets or nbformat.
_LAZY = ("plotting", "widgets", "lessons", "checks", "course", "cli", "grading", "slides",
         "notebooks", "exercises_build")


def __getattr__(name):
    if name in _LAZY:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'nnlesson' has no attribute {name!r}")
