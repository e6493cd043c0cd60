"""Tests for score_envs.math.extraction: which final answer a response states."""

from __future__ import annotations

import pytest

from score_envs.math.extraction import MAX_TEXT_CHARS, extract_answer


def test_boxed_answer_is_extracted():
    assert extract_answer(r"so the answer is $\boxed{42}$.") == "42"


def test_boxed_answer_keeps_nested_braces():
    assert extract_answer(r"$\boxed{\frac{1}{2}}$") == r"\frac{1}{2}"


def test_escaped_braces_do_not_close_a_box():
    assert extract_answer(r"\boxed{\{1, 2\}}") == r"\{1, 2\}"


def test_last_box_wins():
    assert extract_answer(r"first \boxed{1}, then \boxed{2}") == "2"


def test_fbox_is_a_box():
    assert extract_answer(r"\fbox{7}") == "7"


def test_box_without_braces_takes_one_token():
    assert extract_answer(r"hence $\boxed 5$ is it") == "5"


def test_unclosed_last_box_falls_back_to_the_previous_closed_box():
    assert extract_answer(r"\boxed{3} and then \boxed{4") == "3"


def test_empty_box_is_skipped():
    assert extract_answer(r"\boxed{6} oops \boxed{ }") == "6"


def test_command_starting_with_boxed_is_not_a_box():
    assert extract_answer(r"Hence \boxedanswer{5} here") is None


def test_minerva_sentence_with_dollars():
    text = "Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct."
    assert extract_answer(text) == r"\frac{3}{4}"


def test_minerva_sentence_without_dollars_drops_the_final_period():
    text = "Final Answer: The final answer is 3.5. I hope it is correct."
    assert extract_answer(text) == "3.5"


def test_minerva_sentence_without_hope_clause_reads_to_end_of_line():
    assert extract_answer("The final answer is $x = 2$\nThanks") == "x = 2"


def test_box_inside_minerva_sentence_gives_the_box_content():
    text = "Final Answer: The final answer is $\\boxed{12}$. I hope it is correct."
    assert extract_answer(text) == "12"


def test_gsm8k_marker():
    assert extract_answer("3 + 4 = 7 apples\n#### 7") == "7"


def test_gsm8k_marker_reads_only_its_line():
    assert extract_answer("#### 1,000\nsome trailing note") == "1,000"


def test_latest_explicit_marker_wins_over_an_earlier_box():
    text = "Draft: \\boxed{3}.\nFinal Answer: The final answer is $5$. I hope it is correct."
    assert extract_answer(text) == "5"


def test_latest_explicit_marker_wins_over_an_earlier_gsm8k_marker():
    assert extract_answer("#### 4\nActually, \\boxed{8}") == "8"


def test_answer_phrase_is_a_fallback():
    assert extract_answer("We add them. The answer is 12. Done.") == "12"


def test_answer_colon_phrase_is_a_fallback():
    assert extract_answer("Work shown above.\n**Answer:** $x^2$") == "x^2"


def test_explicit_marker_beats_answer_phrase():
    assert extract_answer("The answer is 3, I think.\n\\boxed{4}") == "4"


def test_bare_short_response_is_its_own_answer():
    assert extract_answer("  $-\\frac{3}{4}$ ") == r"-\frac{3}{4}"


def test_bare_prose_is_not_an_answer():
    assert extract_answer("I do not know") is None


def test_number_dump_is_not_an_answer():
    assert extract_answer("1 2 3 4 5 6 7 8 9") is None


def test_last_number_in_prose_is_not_taken():
    assert extract_answer("We computed 3 and 7, then maybe 12\nso it goes") is None


def test_multiline_text_without_marker_has_no_answer():
    assert extract_answer("x = 2\ny = 3") is None


@pytest.mark.parametrize("value", [None, 42, b"\\boxed{1}"])
def test_non_text_has_no_answer(value):
    assert extract_answer(value) is None  # type: ignore[arg-type]


def test_long_response_is_searched_at_its_end():
    text = "x" * (3 * MAX_TEXT_CHARS) + r" \boxed{9}"
    assert extract_answer(text) == "9"


def test_box_before_the_search_window_is_not_seen():
    text = r"\boxed{9} " + "word " * MAX_TEXT_CHARS
    assert extract_answer(text) is None


def test_markers_that_start_before_the_last_box_lose_to_it():
    text = "Final Answer: The final answer is $3$. I hope it is correct.\n#### 3\nNo: \\boxed{4}"
    assert extract_answer(text) == "4"


def test_flat_box_ends_at_its_first_closing_brace():
    assert extract_answer(r"so $\boxed{12}}$ it is") == "12"
