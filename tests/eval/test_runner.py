"""The episode runner: per-episode seeding makes any subset of a run reproduce the full run."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest

import score_envs  # noqa: F401 - registers the envs
from score_envs.eval.runner import EpisodeRecord, run_episodes
from score_envs.metrics import compute_metrics
from score_envs.policies import NoisySolverPolicy, OraclePolicy, make_policy

SEED = 11


def test_oracle_is_always_right_on_every_family():
    env = gym.make("ScoreMath-v0")
    records = run_episodes(env, OraclePolicy(), episodes=150, seed=SEED)
    bad = [
        (r.task_id, r.reasons_per_turn, r.attempts[0])
        for r in records
        if not all(r.correct_per_turn)
    ]
    assert bad == []


def test_subset_of_indices_reproduces_the_same_episodes_as_the_full_run():
    env = gym.make("ScoreMath-v0")
    full = run_episodes(env, make_policy("noisy:p1=0.5,i2c=0.3,c2i=0.1"), episodes=30, seed=SEED)
    part = run_episodes(
        gym.make("ScoreMath-v0"),
        make_policy("noisy:p1=0.5,i2c=0.3,c2i=0.1"),
        episodes=[29, 3, 17],
        seed=SEED,
    )
    by_index = {r.index: r for r in full}
    for record in part:
        expected = by_index[record.index]
        assert (record.task_id, record.attempts, record.correct_per_turn) == (
            expected.task_id,
            expected.attempts,
            expected.correct_per_turn,
        )


def test_records_are_json_serialisable():
    env = gym.make("ScoreMath-v0")
    (record,) = run_episodes(env, OraclePolicy(), episodes=1, seed=SEED)
    data = json.loads(json.dumps(record.as_dict()))
    assert data["correct_per_turn"] == [True, True] and data["seed"] == SEED


def test_noisy_solver_rates_are_recovered_through_the_real_env_and_verifier():
    env = gym.make("ScoreMath-v0")
    policy = NoisySolverPolicy(p_first=0.6, p_wrong_to_right=0.3, p_right_to_wrong=0.1)
    records = run_episodes(env, policy, episodes=1500, seed=SEED)
    metrics = compute_metrics([r.outcome for r in records], confidence=0.999, seed=SEED)
    assert metrics.acc_t1.low <= 0.6 <= metrics.acc_t1.high
    assert metrics.delta_i2c.low <= 0.4 * 0.3 <= metrics.delta_i2c.high
    assert metrics.delta_c2i.low <= 0.6 * 0.1 <= metrics.delta_c2i.high


def test_episodes_must_be_positive():
    with pytest.raises(ValueError, match="episodes"):
        run_episodes(gym.make("ScoreMath-v0"), OraclePolicy(), episodes=0, seed=SEED)


def test_records_rebuild_from_their_json_form():
    env = gym.make("ScoreMath-v0")
    records = run_episodes(env, make_policy("noisy"), episodes=5, seed=SEED)
    rebuilt = [EpisodeRecord.from_dict(json.loads(json.dumps(r.as_dict()))) for r in records]
    assert rebuilt == records


def test_records_carry_the_policy_time_of_each_turn():
    (record,) = run_episodes(gym.make("ScoreMath-v0"), OraclePolicy(), episodes=1, seed=SEED)
    assert len(record.policy_seconds) == len(record.attempts) == 2
    assert all(0 <= s <= record.seconds for s in record.policy_seconds)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("index", -1, "index"),
        ("correct_per_turn", [1, 0], "correct_per_turn"),
        ("attempts", ["only one"], "attempts has 1 entries"),
        ("task_id", None, "task_id"),
    ],
)
def test_from_dict_names_the_bad_field(field, value, message):
    (record,) = run_episodes(gym.make("ScoreMath-v0"), OraclePolicy(), episodes=1, seed=SEED)
    data = record.as_dict()
    data[field] = value
    with pytest.raises(ValueError, match=message):
        EpisodeRecord.from_dict(data)


def test_from_dict_reports_a_missing_field():
    (record,) = run_episodes(gym.make("ScoreMath-v0"), OraclePolicy(), episodes=1, seed=SEED)
    data = record.as_dict()
    del data["task_id"]
    with pytest.raises(ValueError, match="lacks the field 'task_id'"):
        EpisodeRecord.from_dict(data)
