"""Shared pieces of the miniature-SCoRe tests: a tiny untrained model, its vocabulary, a seed."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")  # the `agents` extra; without it these tests skip

SEED = 3


@pytest.fixture
def tokenizer():
    from agents.score_mini.tokenizer import CharTokenizer

    return CharTokenizer()


@pytest.fixture
def tiny_model():
    from agents.score_mini.model import ModelConfig, TinyDecoder

    torch.manual_seed(SEED)
    return TinyDecoder(ModelConfig(d_model=32, n_layers=1, n_heads=2)).eval()
