"""What a student reads: every number in a lesson's text is printed by the lesson, and no text
names the documents the course was written from.

**Numbers.** A number with two or more significant digits in a lesson's prose (a markdown
cell of the lesson or of its solution notebook) must be backed by the lesson itself: it appears,
to the digits the text gives, in an output of the lesson or solution notebook, or in their code
(an input the student can see, such as ``lr=0.06``), or the cell's metadata says where it comes
from: quoted from the literature (with the source), or a bound that a claim test asserts on
every machine (for runs at the edge of divergence, whose exact digits nbval cannot compare)::

    "metadata": {"nnlesson": {"quoted": {"0.999": "Kingma & Ba 2015, the default beta2"},
                              "asserted": {"1.8": "tests/test_claims_residual_connections.py"}}}

Numbers with one significant digit (0.9, 1e-8, 200) are left alone: they are settings and round
figures, not measurements. Lesson and exercise numbers, years, and numbers inside links are not
claims. A test cannot read prose; it catches the measurement that no cell prints.

**Words.** Students never saw the course's source documents, so nothing they read says
"seed 001", "the seeds" or "the seed's page". A random seed stays "random seed".
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import nbformat
import pytest

from nnlesson.course import LESSONS

ROOT = Path(__file__).resolve().parents[1]

SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
POWER = re.compile(r"(\d+)([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)")  # 10⁻¹⁰, 4⁻²⁰: a power, written as such
NUMBER = re.compile(
    r"(?<![\w.\-−/])"                      # not the tail of a word, a version, a path or a range
    r"(?P<mantissa>\d{1,3}(?:,\d{3})+|\d+)(?P<fraction>\.\d+)?"
    r"(?:\s*(?:[eE](?P<exp>[-+−]?\d+)|\s*[×x·]\s*10\^?\{?(?P<exp2>[-+−]?\d+)\}?))?"
    r"(?![\w])"
)
NOT_CLAIMS = [
    re.compile(r"\b(?:lessons?|exercises?|cells?|questions?|steps? \d+ (?:to|and)|notebooks?|"
               r"figures?|hint|level|part|chapter|section|table|item)\s+$", re.I),
]
YEAR = re.compile(r"^(19|20)\d\d$")


def significant_digits(mantissa, fraction):
    digits = (mantissa.replace(",", "") + (fraction or "")[1:]).lstrip("0")
    if not fraction:
        digits = digits.rstrip("0")
    return len(digits) if digits else 1


def numbers_in(text):
    """(value, significant digits, matched text) for each number in a piece of text."""
    # a power such as 10⁻¹⁰ is a round figure (one significant digit), not a measurement
    text = POWER.sub(lambda m: "1e" + m.group(2).translate(SUPERSCRIPT), text)
    text = text.replace("−", "-")
    found = []
    for m in NUMBER.finditer(text):
        mantissa, fraction = m.group("mantissa"), m.group("fraction")
        exp = m.group("exp") or m.group("exp2")
        value = float(mantissa.replace(",", "") + (fraction or ""))
        if exp:  # (an exponent past float's range: a picture's base64 letters, not a claim)
            value = float(f"{value}e{int(exp.replace('−', '-'))}")
        found.append((value, significant_digits(mantissa, fraction), m.group(0), m.start()))
    return found


def prose(markdown):
    """The prose of a markdown cell: no link targets, HTML tags, inline code or math.

    Math is left out because it carries its own derivation (``$\\sqrt{0.9} \\approx 0.949$``):
    the reader can check it on the page.
    """
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", markdown, flags=re.S)  # math
    text = re.sub(r"^#+\s*\d+\s*·", "#", text, flags=re.M)     # a title's lesson number
    text = re.sub(r"\]\([^)]*\)", "]", text)             # link targets
    text = re.sub(r"<[^>]+>", " ", text)                  # HTML tags
    text = re.sub(r"`[^`]*`", " ", text)                  # inline code: inputs, shown as code
    return text


def output_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        for mime in ("text/plain", "text/markdown", "text/html"):
            data = out.get("data", {}).get(mime)
            if data:
                parts.append(data if isinstance(data, str) else "".join(data))
    # an embedded picture's base64 text is not a printed number
    return re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+", " ", "\n".join(parts))


def backed(value, digits, pool):
    """True if some number of the pool, rounded to ``digits`` significant digits, is ``value``."""
    for other in pool:
        if other == value:
            return True
        if other == 0 or value == 0 or math.isnan(other) or math.isinf(other):
            continue
        for candidate in (other, other * 100, other / 100):  # 0.385 printed, "38.5 %" written
            scale = 10 ** (digits - 1 - math.floor(math.log10(abs(candidate))))
            if round(candidate * scale) == round(value * scale):
                return True
    return False


def read(path):
    return nbformat.read(str(ROOT / path), as_version=4)


def lesson_pool(lesson):
    """Every number the lesson prints or shows as code (lesson and solution notebooks)."""
    pool = set()
    for path in (lesson.notebook, lesson.solution):
        if not (ROOT / path).is_file():
            continue
        for cell in read(path).cells:
            if cell.cell_type == "code":
                for text in (output_text(cell), cell.source):
                    pool.update(v for v, _, _, _ in numbers_in(text))
    return pool


def unbacked_numbers(lesson):
    pool = lesson_pool(lesson)
    problems = []
    for path in (lesson.notebook, lesson.solution):
        if not (ROOT / path).is_file():
            continue
        for index, cell in enumerate(read(path).cells):
            if cell.cell_type != "markdown":
                continue
            if cell.metadata.get("slideshow", {}).get("slide_type") == "notes":
                continue  # the teacher's notes: timings and advice, not the lesson's claims
            meta = cell.metadata.get("nnlesson", {})
            quoted = {**meta.get("quoted", {}), **meta.get("asserted", {})}
            text = prose(cell.source)
            for value, digits, matched, start in numbers_in(text):
                if digits < 2 or YEAR.match(matched) or matched in quoted:
                    continue
                before = text[max(0, start - 30):start]
                if any(rule.search(before) for rule in NOT_CLAIMS):
                    continue
                if not backed(value, digits, pool):
                    context = text[max(0, start - 40):start + len(matched) + 20]
                    problems.append(f"{path} cell {index}: {matched!r} in "
                                    f"\"...{' '.join(context.split())}...\"")
    return problems


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_every_number_in_a_lessons_text_is_printed_by_the_lesson(lesson):
    problems = unbacked_numbers(lesson)
    assert not problems, ("numbers in the text that no cell prints (print them in a checked "
                          "cell, or say where they come from in metadata.nnlesson.quoted or "
                          ".asserted):\n"
                          + "\n".join(problems))


def test_the_number_reader_itself():
    found = {m: (v, d) for v, d, m, _ in numbers_in(
        "lr 0.06, 3.16 times, 2.6e6 over 19 layers, 10⁻¹⁰, 4.0e-11, 1,000 runs, 38.5 %, 110")}
    assert found["3.16"] == (3.16, 3) and found["2.6e6"] == (2.6e6, 2)
    assert found["1e-10"] == (1e-10, 1)
    assert found["4.0e-11"] == (4.0e-11, 2) and found["1,000"] == (1000.0, 1)
    assert found["0.06"][1] == 1 and found["110"] == (110.0, 2) and found["19"] == (19.0, 2)
    assert backed(3.16, 3, {3.1623}) and not backed(3.16, 3, {3.2})
    assert backed(38.5, 3, {0.3852}) and backed(2.2, 2, {2.21})
    assert not backed(1.8, 2, {1.7, 1.86}) and backed(1.8, 2, {1.84})


STUDENT_NOTEBOOKS = sorted(p for folder in ("notebooks", "exercises", "solutions")
                           for p in (ROOT / folder).glob("*.ipynb"))
SOURCE_DOCUMENTS = re.compile(
    r"\bseeds?\s*\(?0\d\d|\bthe seeds\b|\bthe seed'?s\b|\bseed documents?\b|"
    r"\bcorrection to the seed|\bour copies\b|\bseeds? (?:say|says|teach|teaches)\b",
    re.I)
BARE_SEEDS = re.compile(r"(?<!random )(?<!Random )\bseeds?\b(?!\s*=)")


def student_text_of(path):
    nb = nbformat.read(str(path), as_version=4)
    for index, cell in enumerate(nb.cells):
        yield index, cell.cell_type, cell.source


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_notebook_names_the_source_documents(path):
    bad = []
    for index, kind, source in student_text_of(path):
        if SOURCE_DOCUMENTS.search(source):
            bad.append(f"cell {index}: {SOURCE_DOCUMENTS.search(source).group(0)!r}")
        elif kind == "markdown" and BARE_SEEDS.search(prose(source)):
            bad.append(f"cell {index}: 'seed' that is not a random seed: "
                       f"{BARE_SEEDS.search(prose(source)).group(0)!r}")
    assert not bad, "\n".join(bad)


PACKAGE_FILES = sorted((ROOT / "nnlesson").rglob("*.py"))
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("path", PACKAGE_FILES + DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_docstring_message_or_page_names_the_source_documents(path):
    text = path.read_text(encoding="utf-8")
    bad = [f"line {text.count(chr(10), 0, m.start()) + 1}: {m.group(0)!r}"
           for m in SOURCE_DOCUMENTS.finditer(text)]
    assert not bad, "\n".join(bad)
