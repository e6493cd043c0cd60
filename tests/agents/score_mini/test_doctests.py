"""The examples in the miniature's docstrings run (pytest collects doctests under score_envs/)."""

from __future__ import annotations

import doctest
import importlib

import pytest

torch = pytest.importorskip("torch")

MODULES = [
    "agents.score_mini.tokenizer",
    "agents.score_mini.tasks",
    "agents.score_mini.prompting",
    "agents.score_mini.model",
    "agents.score_mini.losses",
    "agents.score_mini.rollout",
    "agents.score_mini.naive_rl",
    "agents.score_mini.pair_sft",
    "agents.score_mini.score",
    "agents.score_mini.evaluate",
    "agents.score_mini.run",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
