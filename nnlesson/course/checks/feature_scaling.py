"""Checks for lesson 02, feature scaling: min-max scaling, standardization, mean normalization,
and the largest stable learning rate of gradient descent on a linear model.

Each scaler exercise is one function ``f(X_train, X, ...)``: learn the column statistics on
``X_train`` (n_samples, n_features), then apply them to ``X`` (any number of rows), as a
scaler's ``fit(X_train).transform(X)`` does. The references are the classes of
:mod:`nnlesson.scaling` (tested against scikit-learn): statistics per column (``axis=0``), the
population standard deviation (``ddof=0``), and a zero range or standard deviation (a constant
column) counted as 1.

Every training set in the cases has as many rows as columns and every ``X`` has as many rows
as ``X_train`` or one row, so that statistics taken over the wrong axis still run (they
broadcast) and can be recognised, instead of stopping at a shape error.

``largest_stable_lr(Z)`` is ``2 / lambda_max(H)`` with ``H = (2 / n) Z^T Z``, the Hessian of
``mean((Z w - y)^2)`` (the derivation of lesson 01; the reference computes it with
:func:`numpy.linalg.eigvalsh`, and :func:`nnlesson.course.lessons.feature_scaling.least_squares`
reports the same number as ``max_stable_lr``, which the lesson's tests compare).
"""
from __future__ import annotations

import numpy as np

from nnlesson.course.checks._core import Case, Check, Mistake
from nnlesson.scaling import MeanNormalizer, MinMaxScaler, StandardScaler

__all__ = [
    "CHECKS",
    "check_min_max_scaling",
    "check_standardization",
    "check_mean_normalization",
    "check_largest_stable_lr",
]

#: The hint levels of every exercise of lesson 02, in the order the notebook shows them.
HINTS = ("the idea", "the formula", "a partial line")

# the library's scalers (nnlesson and scikit-learn): the exercise is to write them
_SCALERS = ("nnlesson.scaling.*", "sklearn.*")


def _data(seed):
    """A 4 x 4 training set whose columns differ in scale by orders of magnitude, and four new
    samples drawn a little wider (some fall outside the training range)."""
    rng = np.random.default_rng(seed)
    scale = np.array([0.5, 3.0, 40.0, 700.0])
    offset = np.array([13.0, 2.0, 100.0, 750.0])
    X_train = offset + scale * rng.standard_normal((4, 4))
    X_new = offset + 1.5 * scale * rng.standard_normal((4, 4))
    return X_train, X_new


def _with_constant(seed):
    """Like :func:`_data`, with column 1 constant (2.5) in the training set; the new samples
    have other values there too."""
    X_train, X_new = _data(seed)
    X_train[:, 1] = 2.5
    X_new[:, 1] = [2.5, 3.0, 2.0, 2.5]
    return X_train, X_new


def _cases(extra=()):
    X_train, X_new = _data(20)
    C_train, C_new = _with_constant(21)
    return [
        Case("new samples scaled with the training statistics", (X_train, X_new)),
        Case("the training set itself", (X_train, X_train)),
        Case("a single new sample (one row)", (X_train, X_new[2:3])),
        Case("a constant feature (column 1) in the training set", (C_train, C_new)),
        *extra,
    ]


def _nonzero(scale):
    return np.where(scale == 0, 1.0, scale)


def _stats_source(source, X_train, X):
    return {"train": X_train, "X": X, "both": np.vstack([X_train, X])}[source]


# --------------------------------------------------------------------------- shared mistakes


def _fit_mistakes(make_wrong, what):
    """Mistakes about where the statistics come from, for any scaler.

    ``make_wrong(source)`` builds a wrong implementation whose statistics are taken from
    ``source``: ``"X"`` (the data being scaled) or ``"both"`` (training and new data).
    """
    return [
        Mistake(
            "fitted on the data being scaled (the test set)",
            f"Your {what} come from X, the data you are scaling, not from X_train. Learn them "
            "on the training set only and apply the same numbers to every other set: fitted "
            "on the test data, the same raw value is turned into a different number, and a "
            "single new sample cannot be scaled at all.",
            make_wrong("X"), hint=1),
        Mistake(
            "fitted on training and test data together",
            f"Your {what} were computed on X_train and X stacked together. That leaks the "
            "test data into training: its extremes and mean shape how the training data are "
            "scaled. Compute them on X_train alone.",
            make_wrong("both"), hint=1),
    ]


def _axis_mistakes(make_wrong, what):
    """Statistics of the whole array or along axis 1; ``make_wrong(axis, keepdims)``."""
    return [
        Mistake(
            "statistics of the whole array",
            f"You computed the {what} of the whole array (no axis), so every column was "
            "scaled with the same numbers and a feature in the hundreds still dwarfs one "
            "around 1. Compute them per column, down the rows: one value per feature.",
            make_wrong(None, False), hint=1),
        Mistake(
            "statistics over the wrong axis",
            f"Your {what} were computed along axis 1, across the features of each sample. "
            "Scaling works per feature, down each column (axis 0): one value per column.",
            make_wrong(1, False), hint=1),
        Mistake(
            "statistics over the wrong axis",
            f"Your {what} were computed along axis 1 (keeping the dimension), across the "
            "features of each sample. Scaling works per feature, down each column (axis 0).",
            make_wrong(1, True), hint=1),
    ]


def _epsilon_mistake(make_wrong, what):
    return Mistake(
        "a small number added to the divisor",
        f"You added a small number to the {what} to avoid dividing by zero. That changes every "
        "column a little, and a constant column is then divided by 1e-8 or so: a new value "
        "slightly off the constant becomes huge. Divide by 1 exactly where the "
        f"{what} is 0, and by the {what} itself everywhere else.",
        make_wrong(), hint=2)


#: The small numbers students add to a divisor (1e-8 is declared on its own above): Keras's
#: 1e-7, batch norm's 1e-5, and the others seen in tutorials. Each gives other numbers on the
#: constant column, so each is a mistake of its own, with one explanation.
_OTHER_EPSILONS = (1e-5, 1e-6, 1e-7, 1e-10, 1e-12)


def _epsilon_mistakes(make_wrong, what):
    """``make_wrong(eps)``: the scaler with ``eps`` added to its divisor and no guard."""
    return [_epsilon_mistake(lambda eps=eps: make_wrong(eps), what) for eps in _OTHER_EPSILONS]


# --------------------------------------------------------------------------- min-max


def _min_max_ref(X_train, X, feature_range=(0.0, 1.0)):
    return MinMaxScaler(feature_range).fit(X_train).transform(X)


def _min_max(source="train", axis=0, keepdims=False, guard=True, subtract_min=True,
             use_range=True, stretch=True, divide_by="range", add_low=True, clip=False,
             epsilon=0.0):
    """A min-max implementation with the given mistakes switched on."""
    def scale(X_train, X, feature_range=(0.0, 1.0)):
        low, high = feature_range
        src = _stats_source(source, X_train, X)
        lo = src.min(axis=axis, keepdims=keepdims)
        hi = src.max(axis=axis, keepdims=keepdims)
        denom = {"max": hi, "range": hi - lo, "none": np.ones_like(hi - lo)}[divide_by] + epsilon
        if guard:
            denom = _nonzero(denom)
        shifted = X - lo if subtract_min else X
        with np.errstate(all="ignore"):
            unit = shifted / denom
        if not use_range:
            return unit
        shift = {True: low, False: 0.0, "high": high}[add_low]
        out = shift + unit * ((high - low) if stretch else high)
        return np.clip(out, low, high) if clip else out
    return scale


def _min_max_cases():
    X_train, X_new = _data(22)
    return _cases([
        Case("feature_range (-1, 1)", (X_train, X_new), {"feature_range": (-1.0, 1.0)}),
        Case("feature_range (2, 5)", (X_train, X_train[:1]), {"feature_range": (2.0, 5.0)}),
    ])


MIN_MAX_SCALING = Check(
    name="check_min_max_scaling",
    function="min_max_scaling",
    reference=_min_max_ref,
    cases=_min_max_cases,
    mistakes=[
        *_axis_mistakes(lambda axis, keep: _min_max(axis=axis, keepdims=keep),
                        "minimum and maximum"),
        *_fit_mistakes(lambda src: _min_max(source=src), "minimum and maximum"),
        Mistake(
            "division by zero for a constant feature",
            "A constant feature (max == min) gave NaN or inf: you divided by max - min = 0. "
            "Where the range is 0, divide by 1 instead, as scikit-learn does.",
            _min_max(guard=False), hint=2),
        _epsilon_mistake(lambda: _min_max(guard=False, epsilon=1e-8), "range"),
        *_epsilon_mistakes(lambda eps: _min_max(guard=False, epsilon=eps), "range"),
        Mistake(
            "feature_range ignored",
            "The values always land in [0, 1], whatever feature_range says. Stretch them to "
            "the width of the range and shift them to its low end.",
            _min_max(use_range=False), hint=2),
        Mistake(
            "multiplied by high instead of (high - low)",
            "With feature_range (low, high) the width of the interval is high - low: you "
            "multiplied by high, which is right only when low = 0.",
            _min_max(stretch=False), hint=2),
        Mistake(
            "low not added",
            "Your values start at 0, not at low: after stretching to the width high - low, "
            "shift by low.", _min_max(add_low=False), hint=2),
        Mistake(
            "high added instead of low",
            "Your values start at high instead of low: after stretching to the width "
            "high - low, the smallest training value (0 after the shift) must land on low, so "
            "add low.", _min_max(add_low="high"), hint=2),
        Mistake(
            "clipped to the range",
            "New values outside the training range were clipped to [low, high]. Do not clip: "
            "a test value beyond the training maximum should land beyond high, so the model "
            "still sees how extreme it is.", _min_max(clip=True)),
        Mistake(
            "minimum not subtracted",
            "You divided X by max - min without subtracting the minimum first, so the values "
            "do not start at low. Shift, then divide.",
            _min_max(subtract_min=False), hint=2),
        Mistake(
            "divided by the maximum",
            "You divided by the maximum instead of the range max - min. The smallest training "
            "value must map to low and the largest to high.",
            _min_max(divide_by="max"), hint=2),
        Mistake(
            "not divided by the range",
            "You shifted each column by its minimum but never divided by its range, "
            "max - min: a feature in the hundreds keeps values in the hundreds. Divide by the "
            "training column's range, then stretch to the width high - low.",
            _min_max(divide_by="none"), hint=2),
        Mistake(
            "fitted on the data being scaled, and no guard for a constant feature",
            "Two things differ. Your minimum and maximum come from X, the data you are "
            "scaling: learn them on X_train only. And a constant column (range 0) gives NaN "
            "or inf: divide by 1 where the range is 0.",
            _min_max(source="X", guard=False), hint=1),
    ] + [
        # feature_range is easy to forget (the default (0, 1) passes): paired with the others
        Mistake(
            f"feature_range ignored and {name}",
            "Two things differ. Your values always land in [0, 1], whatever feature_range "
            f"says: stretch them to the width high - low and shift them to low. And {what}",
            wrong, hint=1)
        for name, what, wrong in (
            ("fitted on the data being scaled",
             "your minimum and maximum come from X, the data you are scaling: learn them on "
             "X_train only.", _min_max(use_range=False, source="X")),
            ("statistics over the wrong axis",
             "your minimum and maximum were computed along axis 1, across the features of "
             "each sample: scaling works per column (axis 0).",
             _min_max(use_range=False, axis=1, keepdims=True)),
            ("statistics of the whole array",
             "your minimum and maximum are those of the whole array: compute them per column.",
             _min_max(use_range=False, axis=None)),
            ("no guard for a constant feature",
             "a constant column (range 0) gives NaN or inf: divide by 1 where the range is 0.",
             _min_max(use_range=False, guard=False)),
            ("a small number added to the divisor",
             "you added a small number to the range: divide by 1 exactly where it is 0, by the "
             "range itself elsewhere.", _min_max(use_range=False, guard=False, epsilon=1e-8)))
    ],
    forbidden=_SCALERS,
    hints=HINTS,
    doc="low + (X - min) * (high - low) / (max - min), statistics per column of X_train",
)

check_min_max_scaling = MIN_MAX_SCALING.check_function()


# --------------------------------------------------------------------------- standardization


def _standard_ref(X_train, X):
    return StandardScaler().fit(X_train).transform(X)


def _standard(source="train", std_source=None, axis=0, keepdims=False, ddof=0, guard=True,
              center=True, divide_by="std", epsilon=0.0, order="shift first"):
    def scale(X_train, X):
        src = _stats_source(source, X_train, X)
        spread_src = src if std_source is None else _stats_source(std_source, X_train, X)
        mean = src.mean(axis=axis, keepdims=keepdims)
        std = spread_src.std(axis=axis, ddof=ddof, keepdims=keepdims)
        if divide_by == "root of var + eps":
            denom = np.sqrt(spread_src.var(axis=axis, ddof=ddof, keepdims=keepdims) + epsilon)
        else:
            denom = {"var": std ** 2, "std": std,
                     "none": np.ones_like(std)}[divide_by] + epsilon
        if guard:
            denom = _nonzero(denom)
        with np.errstate(all="ignore"):
            if order == "divide first":
                return X / denom - mean
            if order == "no parentheses":
                return X - mean / denom
            return ((X - mean) if center else X) / denom
    return scale


STANDARDIZATION = Check(
    name="check_standardization",
    function="standardization",
    reference=_standard_ref,
    cases=_cases,
    mistakes=[
        Mistake(
            "ddof=1 (sample standard deviation)",
            "You divided by the sample standard deviation (the n - 1 version, as pandas' "
            ".std() or torch.std() give by default). Feature scaling uses the population one, "
            "dividing by n, as numpy's default and scikit-learn's StandardScaler do. The "
            "difference is small but real: on 4 samples it is a factor sqrt(3/4).",
            _standard(ddof=1), hint=2),
        Mistake(
            "mean not subtracted",
            "You divided by the standard deviation but did not subtract the mean first, so "
            "the columns are not centred on 0. Standardization is (X - mean) / std.",
            _standard(center=False), hint=2),
        Mistake(
            "divided first, then subtracted the mean",
            "You divided X by the standard deviation and then subtracted the mean: the mean "
            "must come off first, (X - mean) / std, or be divided by std too.",
            _standard(order="divide first"), hint=2),
        Mistake(
            "parentheses missing around X - mean",
            "You computed X - mean / std: Python divides before it subtracts, so only the mean "
            "was divided. Put the difference in parentheses: (X - mean) / std.",
            _standard(order="no parentheses"), hint=2),
        Mistake(
            "divided by the variance",
            "You divided by the variance (std squared). Divide by the standard deviation, "
            "its square root.", _standard(divide_by="var"), hint=2),
        *_axis_mistakes(lambda axis, keep: _standard(axis=axis, keepdims=keep),
                        "mean and standard deviation"),
        *_fit_mistakes(lambda src: _standard(source=src), "mean and standard deviation"),
        Mistake(
            "mean of the data being scaled",
            "Your standard deviation comes from X_train, but your mean from X, the data you are "
            "scaling. Both statistics are learned on the training set only.",
            _standard(source="X", std_source="train"), hint=1),
        Mistake(
            "standard deviation of the data being scaled",
            "Your mean comes from X_train, but your standard deviation from X, the data you "
            "are scaling. Both statistics are learned on the training set only.",
            _standard(std_source="X"), hint=1),
        Mistake(
            "division by zero for a constant feature",
            "A constant feature (std == 0) gave NaN or inf: you divided by a standard "
            "deviation of 0. Where std is 0, divide by 1 instead, as scikit-learn does.",
            _standard(guard=False), hint=2),
        _epsilon_mistake(lambda: _standard(guard=False, epsilon=1e-8), "standard deviation"),
        *_epsilon_mistakes(lambda eps: _standard(guard=False, epsilon=eps), "standard deviation"),
        *[Mistake(
            "a small number added to the variance",
            "You divided by sqrt(variance + eps), as batch normalization does. That changes "
            "every column a little, and a constant column is divided by sqrt(eps), so a new "
            "value slightly off the constant becomes large. Divide by the standard deviation "
            "itself, and by 1 exactly where it is 0.",
            _standard(guard=False, divide_by="root of var + eps", epsilon=eps), hint=2)
          for eps in (1e-5, 1e-8, 1e-7, 1e-3)],
        Mistake(
            "not divided by the standard deviation",
            "You subtracted the mean but never divided by the standard deviation: the columns "
            "are centred, but a feature in the hundreds still spreads a hundred times wider "
            "than one around 1. Standardization is (X - mean) / std.",
            _standard(divide_by="none"), hint=2),
    ] + [
        # the sample standard deviation is common enough to meet the other common slips
        Mistake(
            f"ddof=1 and {name}",
            "Two things differ. You divided by the sample standard deviation (n - 1, pandas' "
            "and torch's default); feature scaling uses the population one, dividing by n "
            f"(numpy's default). And {what}", wrong, hint=2)
        for name, what, wrong in (
            ("fitted on the data being scaled",
             "your statistics come from X, the data you are scaling: learn them on X_train.",
             _standard(ddof=1, source="X")),
            ("no guard for a constant feature",
             "a constant column (std 0) gives NaN or inf: divide by 1 where std is 0.",
             _standard(ddof=1, guard=False)),
            ("a small number added to the divisor",
             "you added a small number to the standard deviation: divide by 1 exactly where "
             "it is 0, by the standard deviation itself elsewhere.",
             _standard(ddof=1, guard=False, epsilon=1e-8)))
    ] + [
        Mistake(
            "fitted on the data being scaled, and no guard for a constant feature",
            "Two things differ. Your mean and standard deviation come from X, the data you are "
            "scaling: learn them on X_train only. And a constant column (std 0) gives NaN or "
            "inf: divide by 1 where the standard deviation is 0.",
            _standard(source="X", guard=False), hint=1),
    ],
    forbidden=_SCALERS,
    hints=HINTS,
    doc="(X - mean) / std per column of X_train, the population std, 0 counted as 1",
)

check_standardization = STANDARDIZATION.check_function()


# --------------------------------------------------------------------------- mean normalization


def _mean_norm_ref(X_train, X):
    return MeanNormalizer().fit(X_train).transform(X)


def _mean_norm(source="train", axis=0, keepdims=False, guard=True, center="mean",
               divide_by="range", range_axis=None, range_source=None, epsilon=0.0,
               parentheses=True):
    def scale(X_train, X):
        src = _stats_source(source, X_train, X)
        r_src = src if range_source is None else _stats_source(range_source, X_train, X)
        r_axis = axis if range_axis is None else range_axis
        mean = src.mean(axis=axis, keepdims=keepdims)
        lo = r_src.min(axis=r_axis, keepdims=keepdims)
        hi = r_src.max(axis=r_axis, keepdims=keepdims)
        denom = {"range": hi - lo, "std": src.std(axis=axis, keepdims=keepdims),
                 "max": hi, "none": np.ones_like(hi - lo)}[divide_by] + epsilon
        if guard:
            denom = _nonzero(denom)
        shift = {"mean": mean, "min": src.min(axis=axis, keepdims=keepdims),
                 "median": np.median(src, axis=axis, keepdims=keepdims), "none": 0.0,
                 "mid": (lo + hi) / 2}[center]
        with np.errstate(all="ignore"):
            return (X - shift) / denom if parentheses else X - shift / denom
    return scale


MEAN_NORMALIZATION = Check(
    name="check_mean_normalization",
    function="mean_normalization",
    reference=_mean_norm_ref,
    cases=_cases,
    mistakes=[
        Mistake(
            "divided by the standard deviation",
            "You divided by the standard deviation: that is standardization. Mean "
            "normalization divides by the range of the training column, max - min.",
            _mean_norm(divide_by="std"), hint=2),
        Mistake(
            "subtracted the minimum instead of the mean",
            "You subtracted the minimum: that is min-max scaling, whose values start at 0. "
            "Mean normalization subtracts the mean, so the values are centred on 0.",
            _mean_norm(center="min"), hint=2),
        Mistake(
            "subtracted the median instead of the mean",
            "You subtracted the median: mean normalization subtracts the mean, so that each "
            "training column averages exactly 0.", _mean_norm(center="median"), hint=2),
        Mistake(
            "mean not subtracted",
            "You divided by the range but did not subtract the mean, so the columns are not "
            "centred on 0. Mean normalization is (X - mean) / (max - min).",
            _mean_norm(center="none"), hint=2),
        Mistake(
            "parentheses missing around X - mean",
            "You computed X - mean / (max - min): Python divides before it subtracts, so only "
            "the mean was divided. Put the difference in parentheses: "
            "(X - mean) / (max - min).",
            _mean_norm(parentheses=False), hint=2),
        Mistake(
            "divided by the maximum",
            "You divided by the maximum instead of the range max - min.",
            _mean_norm(divide_by="max"), hint=2),
        Mistake(
            "range over the wrong axis",
            "Your mean is per column, but your range (max - min) was taken along axis 1, "
            "across the features of each sample. Every statistic is per column, down the "
            "rows.", _mean_norm(range_axis=1), hint=1),
        *_axis_mistakes(lambda axis, keep: _mean_norm(axis=axis, keepdims=keep),
                        "mean, minimum and maximum"),
        *_fit_mistakes(lambda src: _mean_norm(source=src), "mean, minimum and maximum"),
        Mistake(
            "range of the data being scaled",
            "Your mean comes from X_train, but your range (max - min) from X, the data you are "
            "scaling. Every statistic is learned on the training set only.",
            _mean_norm(range_source="X"), hint=1),
        Mistake(
            "division by zero for a constant feature",
            "A constant feature (max == min) gave NaN or inf: you divided by a range of 0. "
            "Where the range is 0, divide by 1 instead.", _mean_norm(guard=False), hint=2),
        _epsilon_mistake(lambda: _mean_norm(guard=False, epsilon=1e-8), "range"),
        *_epsilon_mistakes(lambda eps: _mean_norm(guard=False, epsilon=eps), "range"),
        Mistake(
            "subtracted the midpoint of the range instead of the mean",
            "You subtracted (max + min) / 2, the middle of the training range: that centres "
            "the range on 0, not the data. Mean normalization subtracts the mean, so that each "
            "training column averages exactly 0.", _mean_norm(center="mid"), hint=2),
        Mistake(
            "not divided by the range",
            "You subtracted the mean but never divided by the range, max - min: the columns "
            "are centred, but keep their own scales. Mean normalization is "
            "(X - mean) / (max - min).", _mean_norm(divide_by="none"), hint=2),
        Mistake(
            "fitted on the data being scaled, and no guard for a constant feature",
            "Two things differ. Your mean, minimum and maximum come from X, the data you are "
            "scaling: learn them on X_train only. And a constant column (range 0) gives NaN or "
            "inf: divide by 1 where the range is 0.",
            _mean_norm(source="X", guard=False), hint=1),
    ],
    forbidden=_SCALERS,
    hints=HINTS,
    doc="(X - mean) / (max - min) per column of X_train, a zero range counted as 1",
)

check_mean_normalization = MEAN_NORMALIZATION.check_function()


# --------------------------------------------------------------------------- largest stable lr


def _hessian(Z):
    return 2.0 * Z.T @ Z / Z.shape[0]


def _largest_stable_lr(Z):
    """``2 / lambda_max(H)``, ``H = (2 / n) Z^T Z``."""
    return float(2.0 / np.linalg.eigvalsh(_hessian(Z))[-1])


def _lr_cases():
    r = np.random.default_rng(23)
    two = r.normal(size=(6, 2)) * np.array([1.0, 30.0])
    biased = np.column_stack([r.normal(size=(8, 2)) * np.array([2.0, 0.5]) + 3.0, np.ones(8)])
    one = r.normal(size=(5, 1))
    base = r.normal(size=10)
    correlated = np.column_stack([base, base + 0.1 * r.normal(size=10), r.normal(size=10)])
    positive = np.abs(r.normal(size=(7, 3))) + np.array([1.0, 5.0, 0.2])
    return [
        Case("two features, one 30 times larger", (two,)),
        Case("uncentred features and a bias column", (biased,)),
        Case("one feature", (one,)),
        Case("two nearly equal (correlated) features and a third", (correlated,)),
        Case("positive features, 7 samples", (positive,)),
    ]


def _lr_from(curvature):
    """``2 / curvature(Z)``: a wrong curvature (plain numpy)."""
    return lambda Z: float(2.0 / curvature(Z))


LARGEST_STABLE_LR = Check(
    name="check_largest_stable_lr",
    function="largest_stable_lr",
    reference=_largest_stable_lr,
    cases=_lr_cases,
    mistakes=[
        Mistake("Hessian without its factor 2",
                "Your rate is twice too large: the Hessian of the mean of SQUARED errors is "
                "(2/n) ZᵀZ. Differentiating (Z w - y)² twice brings down the 2 of the square.",
                _lr_from(lambda Z: np.linalg.eigvalsh(Z.T @ Z / len(Z))[-1]), hint=2),
        Mistake("1 / lambda instead of 2 / lambda",
                "Your rate is half the right one: 1 / λ_max is where gradient descent starts to "
                "OSCILLATE (each step jumps across the valley), not where it diverges. It still "
                "converges up to 2 / λ_max, where |1 - lr λ_max| reaches 1.",
                lambda Z: float(1.0 / np.linalg.eigvalsh(_hessian(Z))[-1]), hint=1),
        Mistake("Hessian not divided by n",
                "Your rate is n times too small (n, the number of rows of Z): the loss is a "
                "MEAN over the samples, so its Hessian is (2/n) ZᵀZ.",
                _lr_from(lambda Z: np.linalg.eigvalsh(2.0 * Z.T @ Z)[-1]), hint=2),
        Mistake("Hessian taken as ZᵀZ",
                "You used the eigenvalues of ZᵀZ itself: the Hessian of the MEAN squared error "
                "is (2/n) ZᵀZ, with the 2 of the square and the 1/n of the mean.",
                _lr_from(lambda Z: np.linalg.eigvalsh(Z.T @ Z)[-1]), hint=2),
        Mistake("divided by n - 1",
                "You divided ZᵀZ by n - 1, as a sample covariance does. The loss is the MEAN "
                "over the n samples, so its Hessian is (2/n) ZᵀZ.",
                _lr_from(lambda Z: np.linalg.eigvalsh(2.0 * Z.T @ Z / (len(Z) - 1))[-1]), hint=2),
        Mistake("divided by the number of columns",
                "You divided ZᵀZ by the number of columns (features); the loss averages over "
                "the samples, the rows: (2/n) ZᵀZ with n = len(Z).",
                _lr_from(lambda Z: np.linalg.eigvalsh(2.0 * Z.T @ Z / Z.shape[1])[-1]), hint=2),
        Mistake("smallest curvature instead of the largest",
                "You used the smallest eigenvalue of the Hessian (the flattest direction). The "
                "STEEPEST direction diverges first: the limit is 2 / λ_max. (numpy's eigvalsh "
                "sorts the eigenvalues in ascending order: the largest is the last.)",
                _lr_from(lambda Z: np.linalg.eigvalsh(_hessian(Z))[0]), hint=2),
        Mistake("singular value not squared",
                "You used the largest singular value of Z where its SQUARE belongs: the "
                "eigenvalues of ZᵀZ are the squared singular values of Z.",
                _lr_from(lambda Z: 2.0 * np.linalg.svd(Z, compute_uv=False)[0] / len(Z)),
                hint=2),
        Mistake("first eigenvalue of np.linalg.eig",
                "You took the first eigenvalue np.linalg.eig returned: eig does not sort them, "
                "so that is the largest only by chance. Take the largest (np.linalg.eigvalsh, "
                "for a symmetric matrix, sorts them in ascending order: the last one).",
                _lr_from(lambda Z: np.real(np.linalg.eig(_hessian(Z))[0][0])), hint=2),
        Mistake("trace instead of the largest eigenvalue",
                "You used the trace of the Hessian (the sum of all its eigenvalues): that is "
                "larger than λ_max, so your rate is safe but too small. The limit is "
                "2 / λ_max, the largest eigenvalue alone.",
                _lr_from(lambda Z: np.trace(_hessian(Z))), hint=2),
        Mistake("largest diagonal entry instead of the largest eigenvalue",
                "You used the largest diagonal entry of the Hessian, the curvature along one "
                "weight alone. Correlated features make a steeper direction that mixes "
                "weights: the limit is the largest EIGENVALUE.",
                _lr_from(lambda Z: np.max(np.diag(_hessian(Z)))), hint=2),
        Mistake("Frobenius norm instead of the largest eigenvalue",
                "You used the Frobenius norm of the Hessian (the square root of the sum of its "
                "squared entries): it is at least λ_max, so your rate is safe but too small. "
                "The limit is 2 / λ_max, the largest eigenvalue.",
                _lr_from(lambda Z: np.linalg.norm(_hessian(Z))), hint=2),
        Mistake("largest feature variance",
                "You used the largest variance of a feature: that centres the features and "
                "ignores how they mix. The curvature of the loss is the largest eigenvalue of "
                "(2/n) ZᵀZ, with Z as it is.",
                _lr_from(lambda Z: 2.0 * np.max(np.var(Z, axis=0))), hint=2),
        Mistake("centred features (covariance)",
                "You computed the covariance of the features, which subtracts each column's "
                "mean. The loss's curvature uses Z as it is, (2/n) ZᵀZ: uncentred features and "
                "a bias column make it larger.",
                _lr_from(lambda Z: np.linalg.eigvalsh(
                    2.0 * (Z - Z.mean(axis=0)).T @ (Z - Z.mean(axis=0)) / len(Z))[-1]), hint=2),
        Mistake("the curvature instead of the rate",
                "You returned λ_max, the largest curvature, itself. The question is the "
                "learning rate it allows: a step multiplies the error along that direction by "
                "1 - lr λ_max, which stays within (-1, 1) up to lr = 2 / λ_max.",
                lambda Z: float(np.linalg.eigvalsh(_hessian(Z))[-1]), hint=1),
        Mistake("the most curved single sample",
                "You took the curvature of the most curved single sample, 2 ||z_i||²: that is "
                "the limit for steps on one sample at a time (batch size 1). This loss is the "
                "MEAN over all samples, whose Hessian is (2/n) ZᵀZ: its largest eigenvalue "
                "sets the limit.",
                _lr_from(lambda Z: np.max(2.0 * np.sum(Z ** 2, axis=1))), hint=2),
    ],
    hints=HINTS,
    doc="2 / lambda_max(H), H = (2 / n) Z^T Z",
)

check_largest_stable_lr = LARGEST_STABLE_LR.check_function()


#: Every check of lesson 02, as data (the meta-test runs each named mistake through it).
CHECKS = (MIN_MAX_SCALING, STANDARDIZATION, MEAN_NORMALIZATION, LARGEST_STABLE_LR)
