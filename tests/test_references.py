"""The references are present: a missing one must fail the suite, not skip it."""
import sklearn
import torch


def test_torch_is_the_pinned_cpu_build():
    assert torch.__version__.split("+")[0] == "2.13.0"
    assert torch.get_default_dtype() == torch.float32  # our tests ask for float64 explicitly


def test_scikit_learn_is_installed():
    major, minor = (int(p) for p in sklearn.__version__.split(".")[:2])
    assert (major, minor) >= (1, 3)
