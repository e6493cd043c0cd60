"""MultipleChoiceView on the real math and code envs: grading, the documented MDP, composition."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from score_envs.core.task import Task
from score_envs.gridworld import GridWorldEnv
from score_envs.math.env import ScoreMathEnv
from score_envs.math.procedural import family_names
from score_envs.metrics import compute_metrics
from score_envs.wrappers.correction_bonus import CorrectionBonus
from score_envs.wrappers.multiple_choice import (
    MultipleChoiceView,
    argmax_accuracy,
    make_code_choice_env,
    make_math_choice_env,
    optimal_accuracy,
)

SEED = 2024
K = 4
EPISODES = 3000
# Three standard errors of an accuracy near 1/2 over EPISODES episodes: the tolerance of every
# "matches the documented figure" test below (a false alarm about 1 time in 370).
TOLERANCE = 3 * np.sqrt(0.25 / EPISODES)


def play(env: MultipleChoiceView, policy, episodes: int = EPISODES) -> list[list[bool]]:
    """Play seeded episodes; ``policy(obs, env)`` returns the action."""
    outcomes = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=SEED + episode)
        done = False
        while not done:
            obs, _, terminated, truncated, info = env.step(policy(obs, env))
            done = terminated or truncated
        outcomes.append(info["correct_per_turn"])
    return outcomes


def looks(obs: np.ndarray, turns: int = 2, k: int = K) -> np.ndarray:
    return obs[turns : turns + turns * k].reshape(turns, k)


def bayes_optimal(obs: np.ndarray, env: MultipleChoiceView) -> int:
    """Highest strength-weighted sum of the looks seen so far (unseen looks are zeros)."""
    return int(np.argmax(np.asarray(env.look_strengths) @ looks(obs)))


def accuracy(outcomes: list[list[bool]], turn: int) -> float:
    return float(np.mean([o[turn] for o in outcomes]))


@pytest.mark.parametrize("family", family_names())
def test_every_candidate_is_graded_by_the_math_verifier_as_its_kind(family):
    env = make_math_choice_env(families=[family])
    for seed in range(5):
        for action in range(K):
            _, info = env.reset(seed=seed)
            _, reward, _, _, info = env.step(action)
            assert reward == (1.0 if info["choice_kind"] == "reference" else 0.0), info["reason"]


def test_every_candidate_is_graded_by_the_code_sandbox_as_its_kind():
    env = make_code_choice_env()
    assert env.num_choices == 3
    reasons = set()
    for seed in range(4):
        for action in range(3):
            env.reset(seed=seed)
            _, reward, _, _, info = env.step(action)
            assert reward == (1.0 if info["choice_kind"] == "reference" else 0.0)
            reasons.add(info["reason"])
    assert "passed" in reasons and reasons - {"passed"}


def test_random_play_scores_one_over_k():
    rng = np.random.default_rng(SEED)
    outcomes = play(make_math_choice_env(), lambda obs, env: int(rng.integers(K)))
    for turn in (0, 1):
        assert abs(accuracy(outcomes, turn) - 1 / K) < TOLERANCE


def test_bayes_optimal_policy_reaches_the_documented_best_scores():
    env = make_math_choice_env()
    best_t1, best_t2 = env.optimal_accuracy()
    outcomes = play(env, bayes_optimal)
    assert abs(accuracy(outcomes, 0) - best_t1) < TOLERANCE
    assert abs(accuracy(outcomes, 1) - best_t2) < TOLERANCE


def test_second_look_makes_correction_without_feedback_possible():
    metrics = compute_metrics(play(make_math_choice_env(), bayes_optimal), n_bootstrap=200)
    assert metrics.delta_i2c.low > metrics.delta_c2i.high  # Δ > 0 beyond sampling noise


def test_repeating_the_first_answer_gives_no_correction():
    def repeat_first(obs, env):
        previous = obs[-K:]
        return int(np.argmax(previous)) if previous.any() else bayes_optimal(obs, env)

    outcomes = play(make_math_choice_env(), repeat_first, episodes=300)
    assert all(first == second for first, second in outcomes)


def test_hacking_policy_is_rarely_right_first_as_documented():
    def fail_first(obs, env):
        first_look = looks(obs)[0]
        return int(np.argmin(first_look)) if obs[0] == 1.0 else bayes_optimal(obs, env)

    outcomes = play(make_math_choice_env(), fail_first)
    assert abs(accuracy(outcomes, 0) - argmax_accuracy(K, 1.0, pick="worst")) < TOLERANCE


def test_observation_reveals_one_look_per_turn_and_the_previous_choice():
    env = make_math_choice_env()
    obs, _ = env.reset(seed=SEED)
    assert obs[:2].tolist() == [1.0, 0.0]
    assert looks(obs)[1].tolist() == [0.0] * K and obs[-K:].tolist() == [0.0] * K
    first_look = looks(obs)[0].copy()
    obs, *_ = env.step(2)
    assert obs[:2].tolist() == [0.0, 1.0]
    assert looks(obs)[0].tolist() == first_look.tolist()
    assert np.count_nonzero(looks(obs)[1]) == K
    assert obs[-K:].tolist() == [0.0, 0.0, 1.0, 0.0]
    obs, _, terminated, *_ = env.step(1)
    assert terminated and obs[:2].tolist() == [0.0, 0.0]
    assert obs[-K:].tolist() == [0.0, 1.0, 0.0, 0.0]


def test_same_seed_gives_same_candidates_and_looks():
    env = make_math_choice_env()
    obs_a, info_a = env.reset(seed=SEED)
    env.reset(seed=SEED + 1)
    obs_b, info_b = env.reset(seed=SEED)
    assert info_a["candidates"] == info_b["candidates"]
    assert obs_a.tolist() == obs_b.tolist()


def test_reference_position_varies_between_episodes():
    env = make_math_choice_env()
    positions = set()
    for seed in range(40):
        env.reset(seed=seed)
        positions.add(env.reference_choice)
    assert positions == set(range(K))


def test_task_with_too_few_distractors_is_padded_with_always_wrong_abstention():
    task = Task("custom/0", "What is 6 * 7?", "42", "arithmetic", 1, {"distractors": ("48",)})
    env = MultipleChoiceView(ScoreMathEnv())
    _, info = env.reset(seed=SEED, options={"task": task})
    assert sorted(info["candidates"]) == sorted(
        ["42", "48", *["I cannot determine the answer."] * 2]
    )
    abstain = info["candidates"].index("I cannot determine the answer.")
    _, reward, _, _, info = env.step(abstain)
    assert (reward, info["choice_kind"], info["reason"]) == (0.0, "abstain", "no_answer_found")


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_correction_bonus_gives_the_same_rewards_inside_or_outside_the_view(alpha):
    outside = CorrectionBonus(make_math_choice_env(), alpha=alpha)
    inside = MultipleChoiceView(CorrectionBonus(ScoreMathEnv(), alpha=alpha))
    rewards = {"outside": [], "inside": []}
    for name, env in (("outside", outside), ("inside", inside)):
        for seed in range(30):
            env.reset(seed=seed)
            right = env.get_wrapper_attr("reference_choice")
            wrong = (right + 1) % K
            for action in ((wrong, right), (right, wrong), (right, right))[seed % 3]:
                rewards[name].append(env.step(action)[1])
    assert rewards["outside"] == rewards["inside"]
    assert 1.0 + alpha in rewards["outside"] and -alpha in rewards["outside"]


def test_more_turns_need_one_look_strength_per_turn():
    with pytest.raises(ValueError, match="pass look_strengths"):
        MultipleChoiceView(ScoreMathEnv(max_turns=3))
    env = MultipleChoiceView(ScoreMathEnv(max_turns=3), look_strengths=(1.0, 0.5, 0.5))
    assert env.observation_space.shape == (3 + 3 * K + K,)
    assert len(env.optimal_accuracy()) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_choices": 1}, "num_choices must be an int >= 2"),
        ({"look_strengths": (1.0,)}, "one entry per turn"),
        ({"look_strengths": (1.0, -1.0)}, "look_strengths must hold numbers"),
        ({"look_strengths": "11"}, "look_strengths must be a sequence"),
    ],
)
def test_constructor_rejects_bad_arguments_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MultipleChoiceView(ScoreMathEnv(), **kwargs)


def test_env_without_turns_is_rejected():
    with pytest.raises(ValueError, match="self-correction env"):
        MultipleChoiceView(GridWorldEnv())


@pytest.mark.parametrize("action", [K, -1, True, "0"])
def test_invalid_action_is_rejected(action):
    env = make_math_choice_env()
    env.reset(seed=SEED)
    with pytest.raises(ValueError, match=r"action must be an int in 0\.\.3"):
        env.step(action)


@pytest.mark.parametrize(("k", "strength"), [(3, 0.7), (5, 1.5)])
@pytest.mark.parametrize("pick", ["best", "worst"])
def test_closed_form_accuracy_matches_monte_carlo(k, strength, pick):
    rng = np.random.default_rng(SEED)
    scores = rng.standard_normal((200_000, k))
    scores[:, 0] += strength
    chosen = scores.argmax(axis=1) if pick == "best" else scores.argmin(axis=1)
    assert abs(np.mean(chosen == 0) - argmax_accuracy(k, strength, pick=pick)) < 0.005


def test_optimal_accuracy_grows_with_each_informative_look():
    first, second, third = optimal_accuracy(4, (1.0, 1.0, 0.5))
    assert first < second < third


def test_gymnasium_checker_passes_with_only_the_wrapper_notice():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(make_math_choice_env(), skip_render_check=True)
    unexpected = [str(w.message) for w in caught if "wrapper applied" not in str(w.message)]
    assert unexpected == []
