"""Adversarial answers: the grader must return (never raise, never hang) from any thread.

The design bound is 1 s per call; the harness allows 5 s per input so a loaded CI machine does not
make the test flaky. It detects hangs, it is not a speed benchmark.
"""

from __future__ import annotations

import logging
import random
import threading

import pytest

from score_envs.core.grading import Grade
from score_envs.math.equivalence import REASONS, check_equivalence
from score_envs.math.extraction import MAX_TEXT_CHARS
from score_envs.math.verifier import grade_answer

SECONDS_PER_INPUT = 5.0
REFUSED = {"too_large", "unparsable", "truncated"}

# name -> (response, reasons it may get against the references below)
HOSTILE: dict[str, tuple[str, set[str]]] = {
    "python power tower": (r"\boxed{9**9**9**9}", REFUSED),
    "latex power tower": (r"\boxed{9^{9^{9^9}}}", REFUSED),
    "ten to ten to ten": (r"\boxed{10^{10^{10}}}", REFUSED),
    "factorial of factorial": (r"\boxed{(10!)!}", REFUSED),
    "million factorial": (r"\boxed{1000000!}", REFUSED),
    "100k nested braces": ("\\boxed{" + "{" * 100_000 + "1" + "}" * 100_000 + "}", REFUSED),
    "30k nested braces": ("\\boxed{" + "{" * 30_000 + "1" + "}" * 30_000 + "}", REFUSED),
    "1 MB of digits": ("\\boxed{" + "9" * 1_000_000 + "}", REFUSED),
    "60k digits": ("#### " + "9" * 60_000, REFUSED),
    "huge fraction": ("\\boxed{\\frac{" + "7" * 5000 + "}{" + "3" * 5000 + "}}", REFUSED),
    "deep parentheses": ("\\boxed{" + "(" * 5000 + "1" + ")" * 5000 + "}", REFUSED),
    "expand bomb power": (r"\boxed{x^{99999}}", REFUSED | {"not_equivalent"}),
    "binomial expand bomb": (r"\boxed{(x+1)^{1000}}", REFUSED | {"not_equivalent"}),
    "cancelling bombs": (r"\boxed{(x+1)^{999}-(1+x)^{999}}", REFUSED | {"not_equivalent"}),
    "equation bomb": (r"\boxed{(x+y+z)^{1000} = 0}", REFUSED | {"not_equivalent"}),
    "exponential tower": (r"\boxed{e^{e^{e^{e^{10}}}}}", REFUSED),
    "tiny exponential": (r"\boxed{\pi + e^{-e^{10}}}", REFUSED | {"not_equivalent"}),
    "huge sine argument": (r"\boxed{\sin(10^{1000})}", REFUSED | {"not_equivalent"}),
    "huge binomial": (r"\boxed{\binom{10^{9}}{5 \cdot 10^{8}}}", REFUSED),
    "huge rational exponent": (r"\boxed{2^{\frac{10^{8}}{3}}}", REFUSED),
    "power of a huge power": (r"\boxed{(10^{300})^{(10^{300})}}", REFUSED),
    "many logs at high precision": (
        "\\boxed{x\\cdot 10^{-1200}+" + "+".join([r"\ln(x)"] * 60) + "}",
        REFUSED | {"not_equivalent"},
    ),
    "cyrillic look-alikes": ("\\boxed{х + у}", {"unparsable"}),
    "sign chain": ("\\boxed{" + "-" * 300 + "1}", REFUSED),
    "factorial chain": ("\\boxed{3" + "!" * 30 + "}", REFUSED),
    "many plus-minus": ("\\boxed{" + "\\pm 1" * 10 + "}", REFUSED),
    "wide matrix": ("\\boxed{\\begin{pmatrix}" + "&".join(["1"] * 70) + "\\end{pmatrix}}", REFUSED),
    "many irrational set items": (
        "\\boxed{" + ", ".join(f"\\sqrt{{{i}}}" for i in range(2, 60)) + "}",
        REFUSED | {"not_equivalent"},
    ),
    "unclosed boxes": ("\\boxed{" * 5000, {"no_answer_found"}),
    "long minerva answer": (
        "Final Answer: The final answer is " + "1+" * 30_000 + "1. I hope it is correct.",
        REFUSED,
    ),
    "pole": (r"\boxed{\tan(\pi/2)}", REFUSED | {"not_equivalent"}),
    "absolute value bars": ("\\boxed{" + "|" * 200 + "}", REFUSED),
    "over-long response": ("x" * (MAX_TEXT_CHARS + 1) + r"\boxed{5}", {"truncated"}),
}
SCALAR_REFERENCES = ["5", r"\frac{3}{4}", "(x+1)^2", r"\sqrt{2}"]
# Against a structured reference a scalar is refused by its structure before any arithmetic.
STRUCTURED_REFERENCES = ["(1, 2)", r"[1, \infty)", "y = 2x + 1", "-2, 3"]


def grade_in_thread(response: str, reference: str) -> Grade | BaseException | None:
    """Grade from a worker thread; None when it did not finish within the bound."""
    box: list[Grade | BaseException] = []

    def run() -> None:
        try:
            box.append(grade_answer(response, reference))
        except BaseException as error:  # the test reports whatever escapes
            box.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(SECONDS_PER_INPUT)
    return box[0] if box else None


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_answer_is_refused_from_a_worker_thread(name):
    response, allowed = HOSTILE[name]
    for reference in SCALAR_REFERENCES:
        grade = grade_in_thread(response, reference)
        assert grade is not None, f"{name} vs {reference!r} did not return"
        assert isinstance(grade, Grade), f"{name} vs {reference!r} raised {grade!r}"
        assert not grade.correct
        assert grade.reason in allowed, f"{name} vs {reference!r}: {grade.reason}"


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_answer_against_a_structured_reference_returns_incorrect(name):
    response, allowed = HOSTILE[name]
    for reference in STRUCTURED_REFERENCES:
        grade = grade_in_thread(response, reference)
        assert isinstance(grade, Grade), f"{name} vs {reference!r}: {grade!r}"
        assert not grade.correct
        assert grade.reason in allowed | {"not_equivalent"}, f"{name} vs {reference!r}"


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_answer_reason_is_a_documented_code(name):
    grade = grade_in_thread(HOSTILE[name][0], "5")
    assert isinstance(grade, Grade) and grade.reason in REASONS


def test_extracted_answer_in_the_grade_is_capped():
    grade = grade_in_thread("\\boxed{" + "9" * 50_000 + "}", "5")
    assert isinstance(grade, Grade) and grade.extracted is not None
    assert len(grade.extracted) <= 1000


def test_whole_hostile_batch_returns_from_one_worker_thread():
    box: list[object] = []

    def run() -> None:
        box.append([grade_answer(response, "5").reason for response, _ in HOSTILE.values()])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(SECONDS_PER_INPUT * len(HOSTILE))
    assert box and len(box[0]) == len(HOSTILE)  # type: ignore[arg-type]


FUZZ_ATOMS = [
    "1", "2", "0", "x", "y", "e", "i", r"\pi", r"\infty", "+", "-", "*", "/", "^", "!", "(", ")",
    "[", "]", "{", "}", r"\{", r"\}", ",", "=", "<", r"\le", r"\frac", r"\sqrt", r"\sin",
    r"\log", "_", "|", r"\pm", r"\cup", r"\text{ cm}", r"\%", r"\$", " ", "0.5", "10", "99",
    r"\binom", r"\begin{pmatrix}", r"\end{pmatrix}", "&", "\\\\", r"\in", r"\cdot", r"\ln",
    "e^", "3!", "1,000", "1e3", "−", "²", "√", "х",
]  # fmt: skip
FUZZ_REFERENCES = ["5", r"\frac34", "(x+1)^2", "(1,2)", r"[1,\infty)", "y=2x+1", "-2, 3", r"\sqrt2"]


def test_random_token_soup_never_hits_an_internal_error(caplog):
    rng = random.Random(20240917)
    reasons = set()
    with caplog.at_level(logging.ERROR, logger="score_envs.math.equivalence"):
        for _ in range(3000):
            text = "".join(rng.choice(FUZZ_ATOMS) for _ in range(rng.randint(1, 14)))
            reasons.add(check_equivalence(text, rng.choice([*FUZZ_REFERENCES, text]))[1])
    assert not caplog.records
    assert reasons <= set(REASONS)
