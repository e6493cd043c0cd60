"""agents/score_mini/model.py: the cache changes nothing but speed; checkpoints round-trip."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from agents.score_mini.model import (  # noqa: E402
    ModelConfig,
    TinyDecoder,
    generate,
    load_policy,
    save_checkpoint,
)

SEED = 3


def test_cached_step_logits_equal_the_full_forward_pass(tiny_model):
    ids = torch.randint(0, 13, (4, 9), generator=torch.Generator().manual_seed(0))
    full, _ = tiny_model(ids)
    _, cache = tiny_model(ids[:, :6])
    stepped = []
    for position in range(6, 9):
        logits, cache = tiny_model(ids[:, position : position + 1], cache)
        stepped.append(logits[:, 0])
    assert torch.allclose(torch.stack(stepped, dim=1), full[:, 6:9], atol=1e-5)


def test_greedy_generation_picks_the_argmax_of_the_uncached_model(tiny_model):
    prefix = torch.randint(0, 13, (3, 6), generator=torch.Generator().manual_seed(1))
    out = generate(tiny_model, prefix, 4)
    ids = prefix
    for _ in range(4):
        logits, _ = tiny_model(ids)
        ids = torch.cat([ids, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    assert torch.equal(out, ids[:, 6:])


def test_sampling_with_the_same_generator_seed_repeats(tiny_model):
    prefix = torch.zeros(8, 6, dtype=torch.long)
    first = generate(
        tiny_model, prefix, 4, temperature=1.0, generator=torch.Generator().manual_seed(5)
    )
    again = generate(
        tiny_model, prefix, 4, temperature=1.0, generator=torch.Generator().manual_seed(5)
    )
    assert torch.equal(first, again)


def test_same_seed_gives_the_same_initial_weights():
    config = ModelConfig(d_model=32, n_layers=1, n_heads=2)
    torch.manual_seed(SEED)
    a = TinyDecoder(config).state_dict()
    torch.manual_seed(SEED)
    b = TinyDecoder(config).state_dict()
    assert all(torch.equal(a[key], b[key]) for key in a)


def test_checkpoint_round_trip_keeps_config_vocabulary_and_outputs(tiny_model, tokenizer, tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, tiny_model, tokenizer, {"trainer": "test"})
    loaded, loaded_tokenizer = load_policy(path)
    ids = torch.zeros(2, 6, dtype=torch.long)
    assert loaded.config == tiny_model.config
    assert loaded_tokenizer.alphabet == tokenizer.alphabet
    assert torch.equal(loaded(ids)[0], tiny_model(ids)[0])


def test_a_file_that_is_no_checkpoint_is_refused(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(1)}, path)
    with pytest.raises(ValueError, match="not a score_mini/1 checkpoint"):
        load_policy(path)


def test_sequences_longer_than_the_positions_are_refused(tiny_model):
    with pytest.raises(ValueError, match="max_len"):
        tiny_model(torch.zeros(1, 17, dtype=torch.long))


def test_width_must_split_into_heads():
    with pytest.raises(ValueError, match="multiple of n_heads"):
        ModelConfig(d_model=30, n_heads=4)
