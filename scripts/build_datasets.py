"""Build the two small real data sets shipped in ``nnlesson/datafiles/`` (run once).

Source: the copies of two public UCI Machine Learning Repository data sets that scikit-learn
bundles as plain text (``sklearn/datasets/data/wine_data.csv`` and ``digits.csv.gz``). This
script reads those raw files (not scikit-learn's loaders), checks them, and writes

    nnlesson/datafiles/wine.csv     178 rows: 13 chemical measurements + cultivar label
    nnlesson/datafiles/digits.csv   1797 rows: 64 pixel counts (8x8, 0..16) + digit label
    nnlesson/datafiles/README.md    source, citation, licence and the sha256 of each file

as plain CSV with one header line, so ``numpy.loadtxt`` reads them (no pickle anywhere). The
numbers are copied as they appear in the source text, so nothing is rounded. The output is
byte-for-byte reproducible.

Usage (from the repository root, with scikit-learn installed)::

    python scripts/build_datasets.py
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.resources
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "nnlesson" / "datafiles"

WINE_FEATURES = (
    "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
    "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
    "od280_od315_of_diluted_wines", "proline",
)
DIGITS_FEATURES = tuple(f"pixel_{r}_{c}" for r in range(8) for c in range(8))


def _source_text(name):
    """Text of one raw data file bundled with scikit-learn (gunzipped if needed)."""
    raw = importlib.resources.files("sklearn.datasets.data").joinpath(name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return raw.decode("ascii")


def _is_number(token):
    try:
        float(token)
    except ValueError:
        return False
    return True


def build_wine():
    lines = _source_text("wine_data.csv").splitlines()
    # first line: n_samples, n_features, then the class names
    n_samples, n_features = (int(v) for v in lines[0].split(",")[:2])
    assert (n_samples, n_features) == (178, 13), lines[0]
    rows = [line.split(",") for line in lines[1:] if line.strip()]
    assert len(rows) == n_samples
    for row in rows:
        assert len(row) == n_features + 1 and all(_is_number(t) for t in row[:-1]), row
        assert row[-1] in ("0", "1", "2"), row
    counts = [sum(row[-1] == c for row in rows) for c in "012"]
    assert counts == [59, 71, 48], counts
    return WINE_FEATURES, rows


def build_digits():
    lines = [line for line in _source_text("digits.csv.gz").splitlines() if line.strip()]
    rows = [line.split(",") for line in lines]
    assert len(rows) == 1797
    for row in rows:
        assert len(row) == 65, len(row)
        # pixel counts are integers 0..16 (written as "3" or "3.0" depending on the copy)
        pixels = [float(t) for t in row[:-1]]
        assert all(p == int(p) and 0 <= p <= 16 for p in pixels), row
        assert float(row[-1]) in range(10), row
        row[:] = [str(int(float(t))) for t in row]
    return DIGITS_FEATURES, rows


def write_csv(path, feature_names, rows):
    text = ",".join(feature_names + ("target",)) + "\n"
    text += "".join(",".join(row) + "\n" for row in rows)
    path.write_bytes(text.encode("ascii"))
    return hashlib.sha256(path.read_bytes()).hexdigest()


README = """\
# Data files shipped with nnlesson

Two small, real data sets, stored as plain CSV (one header line with the column names, the
label in the last column `target`), read offline by `nnlesson.datasets.load_wine()` and
`nnlesson.datasets.load_digits()` with `numpy.loadtxt`. Both come from the UCI Machine Learning
Repository. They were copied, unchanged in value, from the text copies that scikit-learn
bundles, by `scripts/build_datasets.py`; running it again reproduces these files byte for byte.

| file | rows | columns | size (bytes) | sha256 |
|---|---:|---:|---:|---|
{table}

## wine.csv: Wine

Results of a chemical analysis of 178 wines grown in the same region of Italy from three
cultivars: 13 measurements per wine (alcohol, malic acid, ash, alcalinity of ash, magnesium,
total phenols, flavanoids, nonflavanoid phenols, proanthocyanins, colour intensity, hue,
OD280/OD315 of diluted wines, proline) and the cultivar, coded 0, 1, 2 (UCI codes them 1, 2, 3);
59, 71 and 48 wines. The measurements have very different scales (proline is in the hundreds to
thousands, hue is about 1), which is why the course uses this set in the feature-scaling lesson.

- Creators: Stefan Aeberhard and M. Forina.
- Citation: Aeberhard, S. and Forina, M. (1991). Wine [Dataset]. UCI Machine Learning
  Repository. https://doi.org/10.24432/C5PC7J
- Page: https://archive.ics.uci.edu/dataset/109/wine
- Licence: Creative Commons Attribution 4.0 International (CC BY 4.0),
  https://creativecommons.org/licenses/by/4.0/
- Changes: the class labels are 0, 1, 2 instead of 1, 2, 3; a header line names the columns.

## digits.csv: Optical Recognition of Handwritten Digits

1797 handwritten digits, each an 8x8 image whose pixels count the "on" pixels of a 4x4 block of
the original 32x32 bitmap (integers 0 to 16), and the digit 0 to 9. Columns `pixel_r_c` are row
`r`, column `c` of the image. This is the test part (`optdigits.tes`) of the UCI data set,
written by 13 people.

- Creators: E. Alpaydin and C. Kaynak.
- Citation: Alpaydin, E. and Kaynak, C. (1998). Optical Recognition of Handwritten Digits
  [Dataset]. UCI Machine Learning Repository. https://doi.org/10.24432/C50P49
- Page: https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits
- Licence: Creative Commons Attribution 4.0 International (CC BY 4.0),
  https://creativecommons.org/licenses/by/4.0/
- Changes: none to the values; a header line names the columns.

The licence of these two data files is CC BY 4.0 as stated above; it is not the licence of the
nnlesson code.
"""


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    table = []
    for name, (features, rows) in (("wine.csv", build_wine()), ("digits.csv", build_digits())):
        path = OUT / name
        digest = write_csv(path, features, rows)
        size = path.stat().st_size
        table.append(f"| `{name}` | {len(rows)} | {len(features) + 1} | {size} | `{digest}` |")
        print(f"{name}: {len(rows)} rows, {size} bytes, sha256 {digest}")
    (OUT / "README.md").write_text(README.format(table="\n".join(table)), encoding="utf-8")
    print(f"wrote {OUT / 'README.md'}")


if __name__ == "__main__":
    main()
