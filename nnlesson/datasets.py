"""Two small real data sets shipped with the package, loaded offline (lessons 02 and 13).

- :func:`load_wine`: UCI Wine, 178 wines x 13 chemical measurements, 3 cultivars. The
  features differ in scale by orders of magnitude (proline ~ 750, hue ~ 1, nonflavanoid
  phenols ~ 0.4), the case feature scaling is for.
- :func:`load_digits`: UCI Optical Recognition of Handwritten Digits, 1797 images of 8x8
  pixels (values 0..16), digits 0 to 9.

The files are plain CSV in ``nnlesson/datafiles/`` (see its README.md for source, citation,
licence and checksums), read with ``numpy.loadtxt``: no network, no pickle. Both data sets are
licensed CC BY 4.0 by their creators; keep the citation in ``Dataset.license`` when you reuse
them.
"""
from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass

import numpy as np

__all__ = ["Dataset", "load_wine", "load_digits", "load_digits_split", "data_file"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded data set.

    Attributes:
        X: float64 array (n_samples, n_features), one sample per row.
        y: int64 array (n_samples,), class labels 0 .. n_classes - 1.
        feature_names: tuple of n_features column names.
        target_names: tuple of n_classes class names; ``target_names[y[i]]`` names sample i.
        description: a few sentences on what was measured.
        license: the licence and the citation to give when the data are reused.
        images: for image data, float64 array (n_samples, height, width); else None.

    The fields cannot be reassigned; the arrays are fresh copies on every load, so changing
    them does not affect the next ``load_*()`` call.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple
    target_names: tuple
    description: str
    license: str
    images: np.ndarray | None = None

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def n_features(self):
        return self.X.shape[1]

    @property
    def n_classes(self):
        return len(self.target_names)

    def __repr__(self):
        title = self.description.split(":")[0]
        return (f"Dataset({title}: n_samples={self.n_samples}, n_features={self.n_features}, "
                f"n_classes={self.n_classes})")


def data_file(name):
    """Path-like handle of a file shipped in ``nnlesson/datafiles/`` (e.g. ``"wine.csv"``)."""
    return importlib.resources.files("nnlesson").joinpath("datafiles", name)


@functools.lru_cache(maxsize=None)
def _read_csv(name):
    """(feature_names, X, y) of a shipped CSV file, read once and kept read-only."""
    with data_file(name).open("r", encoding="ascii") as f:
        header = f.readline().strip().split(",")
        table = np.loadtxt(f, delimiter=",", dtype=np.float64, ndmin=2)
    if header[-1] != "target" or table.shape[1] != len(header):
        raise ValueError(f"{name} is not a data file of nnlesson: header {header[:3]}...")
    X = table[:, :-1]
    y = table[:, -1].astype(np.int64)
    X.flags.writeable = False
    y.flags.writeable = False
    return tuple(header[:-1]), X, y


WINE_DESCRIPTION = (
    "UCI Wine: chemical analysis of 178 wines grown in the same region of Italy from three "
    "cultivars (labels 0, 1, 2; 59, 71 and 48 wines). Thirteen measurements per wine, on very "
    "different scales: proline ranges from 278 to 1680, hue from 0.48 to 1.71, nonflavanoid "
    "phenols from 0.13 to 0.66."
)
WINE_LICENSE = (
    "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). Aeberhard, S. and Forina, M. "
    "(1991). Wine [Dataset]. UCI Machine Learning Repository. https://doi.org/10.24432/C5PC7J"
)
DIGITS_DESCRIPTION = (
    "UCI Optical Recognition of Handwritten Digits: 1797 handwritten digits 0 to 9 (the test "
    "part of the UCI set, written by 13 people). Each image has 8x8 pixels; a pixel counts the "
    "'on' pixels of a 4x4 block of the original 32x32 bitmap, so it is an integer from 0 to 16."
)
DIGITS_LICENSE = (
    "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). Alpaydin, E. and Kaynak, C. "
    "(1998). Optical Recognition of Handwritten Digits [Dataset]. UCI Machine Learning "
    "Repository. https://doi.org/10.24432/C50P49"
)


def load_wine():
    """The UCI Wine data set: X (178, 13) float64, y (178,) int64 in {0, 1, 2}.

    Feature names: alcohol, malic_acid, ash, alcalinity_of_ash, magnesium, total_phenols,
    flavanoids, nonflavanoid_phenols, proanthocyanins, color_intensity, hue,
    od280_od315_of_diluted_wines, proline.
    """
    names, X, y = _read_csv("wine.csv")
    return Dataset(X=X.copy(), y=y.copy(), feature_names=names,
                   target_names=("class_0", "class_1", "class_2"),
                   description=WINE_DESCRIPTION, license=WINE_LICENSE)


def load_digits():
    """The UCI optical digits: X (1797, 64) float64 in 0..16, y (1797,) int64 in 0..9.

    ``images`` is X reshaped to (1797, 8, 8), row by row: ``images[i, r, c] ==
    X[i, 8 * r + c]``, feature name ``pixel_r_c``. It is a separate copy.
    """
    names, X, y = _read_csv("digits.csv")
    return Dataset(X=X.copy(), y=y.copy(), feature_names=names,
                   target_names=tuple(str(d) for d in range(10)),
                   description=DIGITS_DESCRIPTION, license=DIGITS_LICENSE,
                   images=X.reshape(-1, 8, 8).copy())


def load_digits_split(val_fraction=0.3, seed=0):
    """The digits ready to train on: a stratified split, standardized with the training statistics.

    ``train_val_split(X, y, val_fraction, rng=seed, stratify=True)`` then a
    :class:`~nnlesson.scaling.StandardScaler` fitted on the training part only (the validation
    part must not leak into the scaling) and applied to both. With the defaults: X_train
    (1257, 64), X_val (540, 64). The lessons that train on the digits (07, 08, 10, 11, 13) use
    this one split.

    Args:
        val_fraction: the share of rows for validation, in (0, 1).
        seed: the random seed of the split, an integer >= 0.

    Returns:
        fresh copies ``(X_train, X_val, y_train, y_val)``.

    Raises:
        ValueError, TypeError: a bad ``val_fraction`` or ``seed``.
    """
    from nnlesson._validate import check_int, check_number

    val_fraction = check_number("val_fraction", val_fraction, low=0, high=1, low_open=True,
                                high_open=True)
    seed = check_int("seed", seed, low=0)
    return tuple(a.copy() for a in _digits_split(val_fraction, seed))


@functools.lru_cache(maxsize=4)
def _digits_split(val_fraction, seed):
    from nnlesson.data import train_val_split
    from nnlesson.scaling import StandardScaler

    d = load_digits()
    X_train, X_val, y_train, y_val = train_val_split(d.X, d.y, val_fraction, rng=seed,
                                                     stratify=True)
    scaler = StandardScaler().fit(X_train)
    arrays = (scaler.transform(X_train), scaler.transform(X_val), y_train, y_val)
    for a in arrays:
        a.flags.writeable = False
    return arrays
