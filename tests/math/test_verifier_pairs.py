"""The hand-labelled answer pairs (tests/data/verifier_pairs.jsonl) and our verdict on each.

Labels are mathematical truth, written by hand; where a documented convention decides instead
(units, degree and percent signs dropped on one side), the entry says so in ``note``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from score_envs.math.equivalence import check_equivalence

PAIRS_PATH = Path(__file__).resolve().parents[1] / "data" / "verifier_pairs.jsonl"
PAIRS = [json.loads(line) for line in PAIRS_PATH.read_text(encoding="utf-8").splitlines() if line]
REQUIRED_CATEGORIES = {
    "integer", "decimal_fraction", "mixed_number", "percent", "thousands", "units", "degrees",
    "money", "text_wrappers", "latex_spacing", "assignment", "radicals", "float_vs_exact",
    "constants", "polynomial", "implicit_multiplication", "unicode", "tuple", "set", "interval",
    "union", "equation", "inequality", "matrix", "complex", "trig_log", "powers",
    "factorial_binomial", "infinity", "negative_forms", "structure_mismatch", "malformed",
    "task_family_forms",
}  # fmt: skip


def test_labelled_set_has_at_least_300_pairs():
    assert len(PAIRS) >= 300


def test_every_pair_has_the_documented_fields():
    fields = {"predicted", "reference", "equivalent", "category"}
    assert all(fields <= set(pair) <= fields | {"note"} for pair in PAIRS)


def test_every_pair_field_has_the_right_type():
    assert all(
        isinstance(pair["predicted"], str)
        and isinstance(pair["reference"], str)
        and isinstance(pair["equivalent"], bool)
        for pair in PAIRS
    )


def test_every_required_category_is_covered():
    assert REQUIRED_CATEGORIES <= {pair["category"] for pair in PAIRS}


def test_both_labels_are_well_represented():
    positives = sum(pair["equivalent"] for pair in PAIRS)
    assert 100 <= positives <= len(PAIRS) - 100


@pytest.mark.parametrize(
    "pair", PAIRS, ids=[f"{i}-{pair['category']}" for i, pair in enumerate(PAIRS, start=1)]
)
def test_verifier_agrees_with_the_label(pair):
    verdict, reason = check_equivalence(pair["predicted"], pair["reference"])
    assert verdict is pair["equivalent"], reason
