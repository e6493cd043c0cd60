"""score_envs/policies/torch_tiny.py: a miniature checkpoint plays ScoreMath-v0 through the
Policy protocol, answering exactly what the model decodes greedily."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import score_envs  # noqa: E402, F401
from agents.score_mini.model import (  # noqa: E402
    ModelConfig,
    TinyDecoder,
    generate,
    save_checkpoint,
)
from agents.score_mini.prompting import attempt_action  # noqa: E402
from agents.score_mini.tasks import make_task  # noqa: E402
from agents.score_mini.tokenizer import CharTokenizer  # noqa: E402
from score_envs.policies.base import Policy  # noqa: E402
from score_envs.policies.torch_tiny import (  # noqa: E402
    TorchTinyPolicy,
    parse_spec,
    policy_from_spec,
)


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    model = TinyDecoder(ModelConfig(d_model=32, n_layers=1, n_heads=2)).eval()
    path = tmp_path / "tiny.pt"
    save_checkpoint(path, model, CharTokenizer())
    return path, model


def test_policy_plays_a_whole_episode_through_the_env(checkpoint):
    path, _ = checkpoint
    policy = policy_from_spec(str(path))
    env = gym.make("ScoreMath-v0", families=["arithmetic"], difficulty=1)
    task = make_task(5)
    _, info = env.reset(seed=0, options={"task": task})
    policy.start_episode(task, np.random.default_rng(0))
    terminated = False
    while not terminated:
        _, _, terminated, _, info = env.step(policy.next_attempt(info["messages"]))
    assert isinstance(policy, Policy) and len(info["correct_per_turn"]) == 2


def test_policy_answers_with_the_models_greedy_decode(checkpoint):
    path, model = checkpoint
    policy = TorchTinyPolicy(str(path))
    messages = [{"role": "user", "content": "Problem:\nCompute $12 \\times 34$.\n\nSolution:"}]
    tokenizer = CharTokenizer()
    expected = generate(model, torch.tensor([tokenizer.encode("12*34=")]), 4)[0].tolist()
    assert policy.next_attempt(messages) == attempt_action(tokenizer.decode(expected))


def test_spec_forms():
    assert parse_spec("a/b.pt") == {"path": "a/b.pt"}
    assert parse_spec("path=a.pt,device=cpu") == {"path": "a.pt", "device": "cpu"}


@pytest.mark.parametrize("spec", ["", "path=a.pt,colour=red", "device=cpu", "path=a,path=b"])
def test_malformed_specs_are_refused(spec):
    with pytest.raises(ValueError, match="torch spec"):
        parse_spec(spec)


def test_a_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="cannot load checkpoint"):
        policy_from_spec(str(tmp_path / "missing.pt"))


def test_torch_spec_runs_a_leaderboard_eval_through_the_registry(checkpoint, tmp_path, capsys):
    from score_envs.cli import main
    from score_envs.eval.results import read_results

    path, _ = checkpoint
    problems = tmp_path / "products.jsonl"  # GSM8K format: what the miniature model reads
    problems.write_text(
        "".join(
            json.dumps({"question": f"Compute ${a} \\times {b}$.", "answer": f"#### {a * b}"})
            + "\n"
            for a, b in ((12, 34), (56, 78), (90, 11))
        )
    )
    out = tmp_path / "tiny.jsonl"
    argv = ["eval", "--policy", f"torch:{path}", "--episodes", "3", "--out", str(out)]
    assert main([*argv, "--env-opt", f"dataset_path={problems}"]) == 0
    assert sorted(read_results(out).records) == [0, 1, 2]
    assert "| tiny |" in capsys.readouterr().out
