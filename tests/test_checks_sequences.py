"""Stateful objects driven through sequences: train -> eval -> train, repeated calls, one object
throughout, every piece of state compared after every step (what lessons 10 and 11 need for
batch norm's running statistics and dropout's masks).

The example is a tiny layer, ``Centering(n_features, momentum=0.1)``: in training it subtracts
the batch mean and moves ``running_mean`` towards it; in evaluation it subtracts
``running_mean``; ``steps`` counts the training batches. Expected values are worked by hand
in the first test.
"""
import numpy as np
import pytest

from nnlesson.course.checks import Case, Check, Mistake, Step


class Centering:
    def __init__(self, n_features, momentum=0.1):
        self.running_mean = np.zeros(n_features)
        self.momentum = momentum
        self.training = True
        self.steps = 0

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self

    def forward(self, x):
        if self.training:
            mean = x.mean(axis=0)
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
            self.steps += 1
            return x - mean
        return x - self.running_mean


def wrong(update_in_eval=False, batch_mean_in_eval=False, reversed_momentum=False,
          no_count=False, no_update=False):
    class Wrong(Centering):
        def forward(self, x):
            mean = x.mean(axis=0)
            if self.training or update_in_eval:
                m = 1 - self.momentum if reversed_momentum else self.momentum
                if not no_update:
                    self.running_mean = (1 - m) * self.running_mean + m * mean
                if not no_count:
                    self.steps += 1
            if self.training or batch_mean_in_eval:
                return x - mean
            return x - self.running_mean
    return Wrong


X1 = np.array([[1.0, 2.0], [3.0, 6.0]])
X2 = np.array([[0.0, -2.0], [2.0, 2.0], [4.0, 3.0]])
X3 = np.array([[10.0, 0.0]])

SEQUENCE = (Step("forward", (X1,)), Step("eval"), Step("forward", (X2,)), Step("train"),
            Step("forward", (X3,)), Step("forward", (X1,)))

CENTERING = Check(
    name="check_centering",
    function="Centering",
    reference=Centering,
    cases=[
        Case("train, eval, train, the same object throughout", (2,), {"momentum": 0.5},
             steps=SEQUENCE),
        Case("evaluation first: the running mean is still zero", (2,),
             steps=(Step("eval"), Step("forward", (X2,)))),
        Case("three training batches in a row, momentum 0.1", (2,),
             steps=(Step("forward", (X1,)), Step("forward", (X2,)), Step("forward", (X3,)))),
    ],
    mistakes=[
        Mistake("running mean updated in evaluation",
                "In evaluation you still move running_mean (and count a step): evaluation must "
                "not change the layer's state.", wrong(update_in_eval=True)),
        Mistake("batch mean in evaluation",
                "In evaluation you subtract the batch's own mean; use running_mean, the "
                "average learned in training.", wrong(batch_mean_in_eval=True)),
        Mistake("momentum weights exchanged",
                "running_mean = (1 - momentum) * running_mean + momentum * mean: you exchanged "
                "the two weights.", wrong(reversed_momentum=True)),
        Mistake("steps not counted", "Count each training batch in self.steps.",
                wrong(no_count=True)),
    ],
    state=("running_mean", "steps", "training"),
    takes="class",
    doc="Centering(n_features, momentum) with forward(x), train(), eval()",
)

check_centering = CENTERING.check_function()


def test_the_reference_run_is_what_a_hand_computation_gives():
    out = CENTERING.expected()[0]
    # step 1, training, momentum 0.5: mean [2, 4] -> running_mean [1, 2], output x - [2, 4]
    assert np.array_equal(out["step 1 forward(…)"], [[-1.0, -2.0], [1.0, 2.0]])
    assert np.array_equal(out["running_mean after step 1"], [1.0, 2.0])
    assert out["steps after step 1"] == 1 and out["training after step 1"] is True
    # step 2, eval(): returns the layer itself, so nothing is recorded but the state
    assert "step 2 eval()" not in out and out["training after step 2"] is False
    # step 3, evaluation: x - running_mean, the running mean unchanged
    assert np.array_equal(out["step 3 forward(…)"], X2 - [1.0, 2.0])
    assert np.array_equal(out["running_mean after step 3"], [1.0, 2.0])
    # step 5, training again: mean [10, 0] -> running_mean [5.5, 1]
    assert np.array_equal(out["running_mean after step 5"], [5.5, 1.0])
    # step 6, the first batch again on the same object: [2, 4] -> [3.75, 2.5], 3 steps
    assert np.array_equal(out["running_mean after step 6"], [3.75, 2.5])
    assert out["steps after step 6"] == 3


def test_the_right_class_passes():
    result = check_centering(Centering)
    assert result.passed and result.message == "passed 3 cases"


@pytest.mark.parametrize("mistake", CENTERING.mistakes, ids=lambda m: m.name)
def test_each_mistake_is_named(mistake):
    assert check_centering(mistake.wrong_fn).mistake == mistake.name


def test_state_that_values_alone_do_not_show_is_compared():
    # The training outputs are right; the running mean grows by half at every training step.
    class Drifting(Centering):
        def forward(self, x):
            out = super().forward(x)
            if self.training:
                self.running_mean = self.running_mean * 1.5
            return out

    result = check_centering(Drifting)
    # momentum 0.5 from zero, batch mean [2, 4]: [1, 2] expected, [1.5, 3] received
    assert result.message == ("wrong result on case 'train, eval, train, the same object "
                              "throughout': entry 'running_mean after step 1': element [0] is "
                              "1.5 but should be 1 (2 of 2 elements differ).")
    assert result.details[-1] == "also wrong on: 'three training batches in a row, momentum 0.1'"


def test_an_ignored_constructor_argument_is_named():
    class FixedMomentum(Centering):
        def __init__(self, n_features, momentum=0.1):
            super().__init__(n_features, 0.1)

    result = check_centering(FixedMomentum)
    assert result.mistake == "ignores momentum"


def test_a_missing_attribute_is_named():
    class NoCounter(Centering):
        def __init__(self, n_features, momentum=0.1):
            super().__init__(n_features, momentum)
            del self.steps

        def forward(self, x):
            if self.training:
                mean = x.mean(axis=0)
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
                return x - mean
            return x - self.running_mean

    result = check_centering(NoCounter)
    assert result.message.startswith("your object has no attribute `steps` after step 1 "
                                     "(forward(…)) of case 'train, eval, train, the same object "
                                     "throughout': keep it as `self.steps`.")


def test_a_missing_method_a_missing_return_and_an_exception_are_named():
    class NoEval(Centering):
        eval = None

    class NoReturn(Centering):
        def forward(self, x):
            super().forward(x)

    class Crashes(Centering):
        def forward(self, x):
            raise ValueError("shapes")

    assert check_centering(NoEval).message.startswith("your object has no method `eval` (step 2")
    assert check_centering(NoReturn).message.startswith(
        "your `forward` returned None at step 1 (forward(…)) of case")
    crash = check_centering(Crashes).message
    assert crash.startswith("your `forward` raised ValueError: shapes (line ")
    assert "at step 1 (forward(…))" in crash


def test_a_stub_class_is_not_implemented_yet():
    class Stub:
        def __init__(self, n_features, momentum=0.1):
            raise NotImplementedError("replace this line with your code")

    result = check_centering(Stub)
    assert result.status == "todo"


def test_an_input_changed_in_place_by_a_step_is_named():
    class InPlace(Centering):
        def forward(self, x):
            out = super().forward(x.copy())
            x -= x  # overwrites the caller's batch
            return out

    assert "changed its input `x` in place" in check_centering(InPlace).message


def test_an_endless_method_is_stopped():
    class Hangs(Centering):
        def eval(self):
            while True:
                pass

    from dataclasses import replace
    result = replace(CENTERING, time_limit=0.3).run(Hangs)
    assert result.mistake == "did not finish"
    assert "your class did not finish in 0.3 s" in result.message
