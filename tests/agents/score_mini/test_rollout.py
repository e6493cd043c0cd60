"""agents/score_mini/rollout.py: rollouts are graded like the env grades them, repeat for a seed,
and one update moves the policy but never the reference."""

from __future__ import annotations

import copy

import gymnasium as gym
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import score_envs  # noqa: E402, F401
from agents.score_mini.losses import Objective  # noqa: E402
from agents.score_mini.prompting import attempt_action  # noqa: E402
from agents.score_mini.rollout import (  # noqa: E402
    grade_outputs,
    policy_gradient_step,
    sample_rollouts,
    supervised_ids,
    turn_masks,
)
from agents.score_mini.tasks import make_task, sample_train_pairs  # noqa: E402


def _rollouts(model, tokenizer, seed):
    a, b = sample_train_pairs(np.random.default_rng(0), 16)
    generator = torch.Generator().manual_seed(seed)
    return sample_rollouts(model, tokenizer, a, b, temperature=1.0, generator=generator)


def test_same_seed_gives_the_same_rollouts(tiny_model, tokenizer):
    first, again = _rollouts(tiny_model, tokenizer, 4), _rollouts(tiny_model, tokenizer, 4)
    assert torch.equal(first.ids, again.ids) and first.second == again.second


def test_rollout_layout_is_problem_attempt_mark_attempt(tiny_model, tokenizer):
    rollouts = _rollouts(tiny_model, tokenizer, 0)
    text = tokenizer.decode(rollouts.ids[0].tolist())
    assert text[5] == "=" and text[10] == "|"
    assert text[6:10] == rollouts.first[0] and text[11:] == rollouts.second[0]


def test_training_grades_agree_with_the_env_step_reward():
    env = gym.make("ScoreMath-v0", families=["arithmetic"], difficulty=1)
    task = make_task(42)
    outputs = [task.answer.zfill(4), "0000", "12*3", task.answer.zfill(4)[::-1]]
    rewards = []
    for output in outputs:
        env.reset(seed=0, options={"task": task})
        rewards.append(env.step(attempt_action(output))[1])
    assert grade_outputs(outputs, [task.answer] * len(outputs)).tolist() == rewards


def test_turn_masks_cover_four_targets_each_and_never_the_mark():
    first, second = turn_masks(2)
    assert first.sum(1).tolist() == [4.0, 4.0] and second.sum(1).tolist() == [4.0, 4.0]
    assert (first * second).sum().item() == 0 and first[:, 9].sum() + second[:, 9].sum() == 0


def test_supervised_episodes_put_the_right_answer_in_attempt_two(tokenizer):
    ids = supervised_ids(tokenizer, [99], [99], ["1234"])
    assert tokenizer.decode(ids[0].tolist()) == "99*99=1234|9801"


def test_an_update_changes_the_policy_and_leaves_the_reference(tiny_model, tokenizer):
    reference = copy.deepcopy(tiny_model)
    before = copy.deepcopy(reference.state_dict())
    optimizer = torch.optim.Adam(tiny_model.parameters(), lr=1e-2)
    parts = policy_gradient_step(
        tiny_model,
        reference,
        optimizer,
        tokenizer,
        Objective(kl_first=0.1, kl_second=0.1),
        np.random.default_rng(0),
        torch.Generator().manual_seed(0),
        32,
        sample_train_pairs,
    )
    assert all(np.isfinite(value) for value in parts.values())
    assert all(torch.equal(before[k], v) for k, v in reference.state_dict().items())
    assert any(not torch.equal(before[k], v) for k, v in tiny_model.state_dict().items())
