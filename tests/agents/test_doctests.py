"""The examples in the agents' docstrings run (pytest collects doctests under score_envs/ only)."""

from __future__ import annotations

import doctest
import importlib

import pytest

torch = pytest.importorskip("torch")  # the `agents` extra; without it these tests skip


MODULES = [
    "agents.common",
    "agents.dqn",
    "agents.dqn_her",
    "agents.gridworld_baseline",
    "agents.reinforce",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
