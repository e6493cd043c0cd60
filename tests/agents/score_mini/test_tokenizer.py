"""agents/score_mini/tokenizer.py: one id per character, round trips, bad input refused."""

from __future__ import annotations

import pytest

from agents.score_mini.tokenizer import ALPHABET, CharTokenizer


def test_round_trip_restores_every_character_of_the_alphabet():
    tokenizer = CharTokenizer()
    text = ALPHABET + "12*34=0408|0408"
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_every_character_gets_its_own_id():
    assert sorted(CharTokenizer().encode(ALPHABET)) == list(range(len(ALPHABET)))


def test_characters_outside_the_alphabet_are_refused_by_name():
    with pytest.raises(ValueError, match="'x'"):
        CharTokenizer().encode("12x34")


def test_ids_out_of_range_are_refused():
    with pytest.raises(ValueError, match="token id"):
        CharTokenizer().decode([0, 99])


def test_duplicate_characters_make_no_alphabet():
    with pytest.raises(ValueError, match="distinct"):
        CharTokenizer("0012")
