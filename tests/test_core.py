"""core: Parameter and Module, the walk over sub-modules compared with torch.nn.Module."""
import numpy as np
import pytest
import torch

from nnlesson.core import Module, Parameter
from nnlesson.layers import Dropout, Linear, ReLU, Residual, Sequential, Tanh
from nnlesson.norm import BatchNorm


class TorchResidual(torch.nn.Module):
    """x + block(x), only to give torch the same tree of modules."""

    def __init__(self, block):
        super().__init__()
        self.block = block


def _trees():
    inner = Sequential(Linear(4, 4, rng=0), Tanh(), Linear(4, 4, rng=1))
    ours = Sequential(Linear(3, 4, rng=2), BatchNorm(4), ReLU(), Residual(inner), Dropout(0.1),
                      Linear(4, 2, rng=3))
    t_inner = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh(), torch.nn.Linear(4, 4))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                                 TorchResidual(t_inner), torch.nn.Dropout(0.1),
                                 torch.nn.Linear(4, 2))
    return ours, theirs


NAMES = {"Linear": "Linear", "BatchNorm1d": "BatchNorm", "ReLU": "ReLU", "Tanh": "Tanh",
         "Dropout": "Dropout", "Sequential": "Sequential", "TorchResidual": "Residual"}


def test_modules_walks_depth_first_like_torch():
    ours, theirs = _trees()
    assert [type(m).__name__ for m in ours.modules()] == [NAMES[type(m).__name__]
                                                          for m in theirs.modules()]
    assert ours.modules()[0] is ours


def test_parameters_come_in_the_order_of_the_modules_like_torch():
    ours, theirs = _trees()
    shapes = [p.shape for p in ours.parameters()]
    # torch's Linear stores W as (out, in): compare the sizes in the order they come
    assert [p.value.size for p in ours.parameters()] == [p.numel() for p in theirs.parameters()]
    assert len(shapes) == 10


def test_a_shared_module_is_listed_once_as_in_torch():
    shared = Linear(2, 2, rng=0)
    ours = Sequential(shared, ReLU(), shared)
    t_shared = torch.nn.Linear(2, 2)
    theirs = torch.nn.Sequential(t_shared, torch.nn.ReLU(), t_shared)
    assert len(ours.modules()) == len(list(theirs.modules())) == 3
    assert len(ours.parameters()) == len(list(theirs.parameters())) == 2


def test_train_and_eval_reach_every_module():
    ours, _ = _trees()
    ours.eval()
    assert all(not m.training for m in ours.modules())
    assert ours.train() is ours
    assert all(m.training for m in ours.modules())


def test_zero_grad_clears_every_parameter():
    ours, _ = _trees()
    for p in ours.parameters():
        p.grad[...] = 1.0
    ours.zero_grad()
    assert all(not p.grad.any() for p in ours.parameters())


def test_parameter_keeps_floats_and_copies():
    value = np.arange(3.0, dtype=np.float32)
    p = Parameter(value, name="w")
    value[0] = 99.0
    assert p.value[0] == 0.0 and p.dtype == np.float32 and p.grad.dtype == np.float32
    assert Parameter([1, 2]).dtype == np.float64  # integers become float64
    assert repr(p) == "Parameter(name='w', shape=(3,), dtype=float32)"


def test_a_module_with_a_list_of_children():
    class Pair(Module):
        def __init__(self):
            self.parts = [Linear(2, 2, rng=0), Linear(2, 2, rng=1)]

    assert [type(m).__name__ for m in Pair().modules()] == ["Pair", "Linear", "Linear"]
    assert len(Pair().parameters()) == 4


@pytest.mark.parametrize("mode", [True, False])
def test_train_mode_argument(mode):
    ours, _ = _trees()
    ours.train(mode)
    assert all(m.training is mode for m in ours.modules())
