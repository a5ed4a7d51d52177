"""A class graded in parts: ``--shard K/N`` picks a deterministic part, ``--merge`` joins them."""
import itertools
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nnlesson.tools.cli import main
from nnlesson.tools.exercises_build import make_exercise
from nnlesson.tools.grading import format_table, merge, read_json, shard_of

RELEASE = make_exercise(new_notebook(cells=[
    new_code_cell("import numpy as np\nfrom nnlesson.course.checks import Case, run_check\n\n"
                  "def check_double(fn):\n"
                  "    return run_check('check_double', fn, [Case('v', (np.ones(2),))], "
                  "lambda x: 2 * x)"),
    new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
    new_code_cell("check_double(double)"),
]))
BODIES = {"ann": "return 2 * x", "ben": "return x", "cem": "return x + x"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    folder = tmp_path_factory.mktemp("course")
    (folder / "release").mkdir()
    nbformat.write(RELEASE, str(folder / "release" / "01_double.ipynb"))
    for name, body in BODIES.items():
        nb = nbformat.from_dict(RELEASE)
        nb.cells[1].source = f"def double(x):\n    {body}"
        (folder / "class" / name).mkdir(parents=True)
        nbformat.write(nb, str(folder / "class" / name / "01_double.ipynb"))
    return folder


@pytest.fixture(scope="module")
def runs(course, tmp_path_factory):
    """Each run the tests below join, graded once: the whole class, its two halves, and the
    first third of another split. ``{name: (table, grades file)}``."""
    folder = tmp_path_factory.mktemp("runs")
    found = {}
    for name, args in {"all": [], "p1": ["--shard", "1/2"], "p2": ["--shard", "2/2"],
                       "q1": ["--shard", "1/3"]}.items():
        path = folder / f"{name}.json"
        code = main(["grade", str(course / "class"), "--release", str(course / "release"),
                     "--quiet", "--json", str(path), *args])
        assert code == 0
        found[name] = path
    return found


def test_shards_partition_the_class_and_merge_gives_the_whole_class(runs, capsys, tmp_path):
    capsys.readouterr()
    # each part holds its own students; together, every student once
    assert [len(read_json(runs[k])) for k in ("p1", "p2")] == [2, 1]
    assert main(["grade", "--merge", str(runs["p2"]), str(runs["p1"]),
                 "--csv", str(tmp_path / "merged.csv"),
                 "--json", str(tmp_path / "merged.json")]) == 0
    assert capsys.readouterr().out == format_table(read_json(runs["all"]))
    merged = read_json(tmp_path / "merged.json")
    assert merged == read_json(runs["all"])
    assert [(r.student, r.score, r.status) for r in merged] == [
        ("ann", "1/1", "passed"), ("ben", "0/1", "failed"), ("cem", "1/1", "passed")]
    info = json.loads(runs["p2"].read_text())["info"]["shard"]
    assert (info["index"], info["count"], info["submissions"]) == (2, 2, 3)
    assert (tmp_path / "merged.csv").read_text().splitlines()[0].startswith("student,path,")


def test_merge_refuses_parts_that_do_not_fit(runs, capsys, tmp_path):
    p1, p2, q1, whole = (str(runs[n]) for n in ("p1", "p2", "q1", "all"))
    with pytest.raises(ValueError, match="the grades of shard 2 of 2 are missing"):
        merge([p1])
    with pytest.raises(ValueError, match="shard 1 of 2 is given twice"):
        merge([p1, p1, p2])
    with pytest.raises(ValueError, match="come from different runs"):
        merge([p1, p2, q1])
    with pytest.raises(ValueError, match="not graded with --shard, unlike the other parts"):
        merge([whole, p1])
    with pytest.raises(ValueError, match="graded twice"):
        merge([whole, whole])
    (tmp_path / "other.json").write_text("[]")
    capsys.readouterr()
    assert main(["grade", "--merge", str(tmp_path / "other.json")]) == 2
    assert "is not a grades file written by 'nnlesson grade --json'" in capsys.readouterr().err


def test_separate_runs_merge_into_one_table(course, capsys, tmp_path):
    """One run per student (e.g. one container each): their files join like shards."""
    for name in ("cem", "ann"):
        assert main(["grade", str(course / "class" / name), "--release", str(course / "release"),
                     "--quiet", "--json", str(tmp_path / f"{name}.json")]) == 0
    assert capsys.readouterr().err == ""  # --quiet: no progress bar, no isolation line
    rows = merge([tmp_path / "cem.json", tmp_path / "ann.json"])
    assert [(r.student, r.score) for r in rows] == [("ann", "1/1"), ("cem", "1/1")]
    assert rows.info["merged"] == {"runs": 2}


def test_shard_of_is_a_balanced_deterministic_partition():
    keys = [f"student{i:02d}/06_adam_and_adamw.ipynb" for i in range(23)]
    for count in (1, 2, 5, 23, 30):
        parts = [sorted(keys[i] for i in shard_of(keys, k, count)) for k in range(1, count + 1)]
        assert sorted(itertools.chain(*parts)) == sorted(keys)  # every key exactly once
        sizes = [len(p) for p in parts]
        assert max(sizes) - min(sizes) <= 1
        shuffled = keys[7:] + keys[:7]  # another listing order, same shards
        assert [sorted(shuffled[i] for i in shard_of(shuffled, k, count))
                for k in range(1, count + 1)] == parts


@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/0"])
def test_bad_shard_argument(text, capsys):
    with pytest.raises(SystemExit) as info:
        main(["grade", "x", "--shard", text])
    assert info.value.code == 2
    assert "argument --shard: must be K/N with 1 <= K <= N" in capsys.readouterr().err
