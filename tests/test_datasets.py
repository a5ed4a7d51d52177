"""The shipped data sets: contents vs scikit-learn's copies, checksums, plain-text loading."""
import dataclasses
import hashlib
import pickle
import re

import numpy as np
import pytest
import sklearn.datasets

import nnlesson.datasets as ds
from nnlesson.datasets import Dataset, data_file, load_digits, load_wine


def _readme_table():
    """{file name: (rows, columns, size, sha256)} from the table in datafiles/README.md."""
    text = data_file("README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([\w.]+)` \| (\d+) \| (\d+) \| (\d+) \| `([0-9a-f]{64})` \|$", text,
                      flags=re.M)
    return {name: (int(r), int(c), int(size), sha) for name, r, c, size, sha in rows}


def test_readme_lists_sha256_and_size_of_every_shipped_data_file():
    table = _readme_table()
    assert set(table) == {"wine.csv", "digits.csv"}
    for name, (_, _, size, sha) in table.items():
        raw = data_file(name).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == sha, name
        assert len(raw) == size, name


def test_readme_gives_source_citation_and_licence():
    text = data_file("README.md").read_text(encoding="utf-8")
    for needle in ("Aeberhard", "Forina", "10.24432/C5PC7J", "Alpaydin", "Kaynak",
                   "10.24432/C50P49", "CC BY 4.0", "UCI Machine Learning Repository"):
        assert needle in text, needle


def test_shipped_files_are_small_plain_text_csv():
    files = [p.name for p in data_file("").iterdir()]
    assert sorted(files) == ["README.md", "digits.csv", "wine.csv"]
    total = sum(len(data_file(name).read_bytes()) for name in files)
    assert total < 400_000
    for name, (rows, cols, _, _) in _readme_table().items():
        text = data_file(name).read_bytes().decode("ascii")  # plain ASCII, nothing binary
        lines = text.splitlines()
        assert len(lines) == rows + 1 and lines[0].endswith(",target")
        table = np.loadtxt(lines[1:], delimiter=",")
        assert table.shape == (rows, cols)


def test_loading_never_unpickles(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the data sets must load without pickle or np.load")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(np, "load", refuse)
    ds._read_csv.cache_clear()
    try:
        assert load_wine().X.shape == (178, 13)
        assert load_digits().X.shape == (1797, 64)
    finally:
        ds._read_csv.cache_clear()


def test_wine_matches_scikit_learn_copy():
    ours, ref = load_wine(), sklearn.datasets.load_wine()
    assert ours.X.shape == (178, 13) and ours.X.dtype == np.float64
    assert ours.y.shape == (178,) and ours.y.dtype == np.int64
    np.testing.assert_array_equal(ours.X, ref.data)
    np.testing.assert_array_equal(ours.y, ref.target)
    np.testing.assert_array_equal(np.bincount(ours.y), [59, 71, 48])
    assert len(ours.feature_names) == 13 and ours.feature_names[0] == "alcohol"
    assert ours.feature_names[-1] == "proline" and ours.feature_names[10] == "hue"
    assert ours.target_names == ("class_0", "class_1", "class_2") and ours.n_classes == 3


def test_wine_feature_scales_differ_by_three_orders_of_magnitude():
    w = load_wine()
    std = w.X.std(axis=0)
    assert std.max() / std.min() >= 1000
    proline, hue = w.feature_names.index("proline"), w.feature_names.index("hue")
    assert 700 < w.X[:, proline].mean() < 800 and 0.9 < w.X[:, hue].mean() < 1.0
    assert w.X[:, proline].min() == 278 and w.X[:, proline].max() == 1680


def test_digits_matches_scikit_learn_copy():
    ours, ref = load_digits(), sklearn.datasets.load_digits()
    assert ours.X.shape == (1797, 64) and ours.images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(ours.X, ref.data)
    np.testing.assert_array_equal(ours.images, ref.images)
    np.testing.assert_array_equal(ours.y, ref.target)
    assert ours.X.min() == 0 and ours.X.max() == 16
    np.testing.assert_array_equal(np.unique(ours.y), np.arange(10))
    assert ours.target_names == tuple("0123456789")
    assert ours.feature_names[8 * 3 + 5] == "pixel_3_5"
    assert ours.images[11, 3, 5] == ours.X[11, 8 * 3 + 5]


def test_dataset_is_frozen_and_loads_are_independent():
    w = load_wine()
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.X = np.zeros((2, 2))
    w.X[:] = 0.0  # a student's in-place change ...
    assert load_wine().X.max() == 1680  # ... does not reach the next load
    d = load_digits()
    d.images[:] = -1
    assert d.X.min() == 0
    assert isinstance(w, Dataset) and w.images is None
    assert "Wine" in repr(w) and "n_samples=178" in repr(w)


def test_license_and_description_name_source():
    for data, creators, doi in ((load_wine(), "Aeberhard", "10.24432/C5PC7J"),
                                (load_digits(), "Alpaydin", "10.24432/C50P49")):
        assert "CC BY 4.0" in data.license and creators in data.license and doi in data.license
        assert "UCI" in data.description



def test_the_digits_split_is_stratified_and_scaled_like_scikit_learn_on_the_training_part():
    from sklearn.preprocessing import StandardScaler as SkStandardScaler

    from nnlesson.data import train_val_split
    from nnlesson.datasets import load_digits_split

    X_train, X_val, y_train, y_val = load_digits_split()
    assert X_train.shape == (1257, 64) and X_val.shape == (540, 64)
    d = load_digits()
    raw_train, raw_val, raw_y_train, raw_y_val = train_val_split(d.X, d.y, 0.3, rng=0, stratify=True)
    np.testing.assert_array_equal(y_train, raw_y_train)
    np.testing.assert_array_equal(y_val, raw_y_val)
    assert np.abs(np.bincount(y_val) - np.bincount(d.y) * 540 / 1797).max() <= 1  # stratified
    sk = SkStandardScaler().fit(raw_train)  # fitted on the training rows only: no leak
    np.testing.assert_allclose(X_train, sk.transform(raw_train), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(X_val, sk.transform(raw_val), rtol=1e-12, atol=1e-12)
    assert np.abs(X_val.mean(axis=0)).max() > 1e-3  # the validation part is not re-centred


def test_the_digits_split_returns_fresh_copies_and_checks_its_arguments():
    from nnlesson.datasets import load_digits_split

    X_train = load_digits_split()[0]
    X_train[0, 0] = 1e9
    assert load_digits_split()[0][0, 0] != 1e9
    other = load_digits_split(0.5, seed=1)
    assert other[0].shape == (898, 64) or other[0].shape == (899, 64)
    with pytest.raises(ValueError, match=r"val_fraction must be .* \(0, 1\), got 1.0"):
        load_digits_split(1.0)
    with pytest.raises(ValueError, match="seed"):
        load_digits_split(0.3, seed=-1)
