"""The ``hf:`` adapter with a tiny randomly initialised GPT-2 built in the test (no download)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the hf extra (torch) is not installed")
transformers = pytest.importorskip("transformers", reason="the hf extra is not installed")
tokenizers = pytest.importorskip("tokenizers", reason="the hf extra is not installed")

import score_envs  # noqa: E402, F401 - registers the envs
from score_envs.core.task import Task  # noqa: E402
from score_envs.eval.runner import run_episodes  # noqa: E402
from score_envs.policies.hf_causal import HFCausalPolicy, parse_spec  # noqa: E402
from score_envs.policies.registry import build_policy  # noqa: E402

CHAT_TEMPLATE = (
    "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<assistant>{% endif %}"
)
TASK = Task("t", "What is 2 + 2?", "4", "arithmetic", 1)


def build_tiny_model(folder, *, chat_template=CHAT_TEMPLATE):
    """A byte-level BPE tokenizer trained on a few lines and a 1-layer GPT-2, saved to folder."""
    tokenizer = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<unk>", "</s>"],
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(
        ["What is 2 + 2? The final answer is $4$.", "Solve for x: 3x = 9", "<user><assistant>"],
        trainer=trainer,
    )
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="</s>", unk_token="<unk>"
    )
    if chat_template:
        fast.chat_template = chat_template
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=len(fast), n_positions=256, n_embd=16, n_layer=1, n_head=2
    )
    transformers.GPT2LMHeadModel(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return str(build_tiny_model(tmp_path_factory.mktemp("tiny-gpt2")))


def test_attempt_is_the_greedy_continuation_of_the_chat_template_prompt(tiny_model):
    policy = HFCausalPolicy(tiny_model, max_new_tokens=6)
    messages = [{"role": "user", "content": "What is 2 + 2?"}]
    policy.start_episode(TASK, np.random.default_rng(0))
    attempt = policy.next_attempt(messages)
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_model)
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_model)
    prompt = tokenizer("<user>What is 2 + 2?</s><assistant>", add_special_tokens=False)
    ids = torch.tensor([prompt["input_ids"]])
    # Greedy by hand: the argmax token, six times.
    with torch.no_grad():
        for _ in range(6):
            next_id = model(ids).logits[0, -1].argmax()
            ids = torch.cat([ids, next_id.view(1, 1)], dim=1)
    expected = tokenizer.decode(ids[0, len(prompt["input_ids"]) :], skip_special_tokens=True)
    assert attempt == expected


def test_tokenizer_without_template_uses_role_lines(tmp_path):
    folder = build_tiny_model(tmp_path / "plain", chat_template=None)
    policy = HFCausalPolicy(str(folder), max_new_tokens=2)
    ids = policy.prompt_ids([{"role": "user", "content": "hi"}])
    assert policy.tokenizer.decode(ids) == "user: hi\nassistant:"


def test_long_prompts_keep_their_last_tokens(tiny_model):
    policy = HFCausalPolicy(tiny_model, max_new_tokens=2, max_input_tokens=8)
    policy.start_episode(TASK, np.random.default_rng(0))
    messages = [{"role": "user", "content": "What is 2 + 2? " * 200}]
    assert len(policy.prompt_ids(messages)) > 256  # more than the model's positions
    assert isinstance(policy.next_attempt(messages), str)  # no position overflow


def test_episodes_through_the_env_are_deterministic(tiny_model):
    env = gym.make("ScoreMath-v0", families=["arithmetic"])
    policy = build_policy(f"hf:model={tiny_model},max_new_tokens=4")
    first = run_episodes(env, policy, episodes=2, seed=3)
    again = run_episodes(env, policy, episodes=2, seed=3)
    assert [r.attempts for r in first] == [r.attempts for r in again]
    assert all(len(r.attempts) == 2 for r in first)


def test_missing_model_directory_is_a_clear_value_error(tmp_path):
    with pytest.raises(ValueError, match="cannot load model"):
        HFCausalPolicy(str(tmp_path / "nothing-here"))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("max_new_tokens=4", "model=PATH"),
        ("model=x,max_new_tokens=lots", "int"),
        ("model=x,y", "KEY"),
    ],
)
def test_bad_specs_name_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_spec(spec)
