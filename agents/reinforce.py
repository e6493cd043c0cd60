"""REINFORCE with a learned baseline and an entropy bonus, for any env with Discrete actions.

Reaches a 100-episode mean return >= 475 on CartPole-v1 and learns the multiple-choice views:

    python -m agents.reinforce --env CartPole-v1 --seed 1
    python -m agents.reinforce --env ScoreMathChoice-v0 --gamma 1 --total-episodes 20000

The policy-gradient snippet this replaces acted greedily (so it never explored and its gradient
estimate was meaningless), regressed the logits onto the returns with an MSE loss (which is not a
policy gradient) and reused the last episode's action for every step. Here, following Williams
(1992) and Sutton & Barto (2018, section 13.4):

- actions are **sampled** from the policy ``pi(a | s) = softmax(logits(s))``;
- the loss is ``-mean_t[log pi(a_t|s_t) * (G_t - b(s_t))] - entropy_coef * mean_t[H(pi(.|s_t))]``
  where ``G_t`` is the discounted return from step ``t`` of the action actually taken at ``t``;
- the **baseline** ``b(s) = V(s)`` is a value network fitted to ``G_t`` by least squares. It does
  not bias the gradient (``E[grad log pi(a|s) * b(s)] = 0``) but removes most of its variance; the
  advantages ``G_t - V(s_t)`` are detached, so the policy loss never trains the baseline;
- the **entropy bonus** keeps the policy from collapsing onto one action before it has learned;
- an episode cut by a time limit (CartPole's 500 steps) is bootstrapped with ``V(s_T)``, since
  the time limit is not a terminal state.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical

from agents.common import (
    COUNT,
    NON_NEGATIVE,
    POSITIVE,
    PROBABILITY,
    Evaluation,
    check_ranges,
    evaluate,
    make_env,
    parse_env_kwargs,
    run_main,
    seed_everything,
)


@dataclass
class Args:
    env: str = "CartPole-v1"
    """Gymnasium id of the environment (ours are registered by `import score_envs`)"""
    env_kwargs: str = "{}"
    """JSON object of keyword arguments for gym.make"""
    correction_bonus: float = 0.0
    """If > 0, wrap the env in CorrectionBonus with this alpha (self-correction envs)"""
    seed: int = 1
    """Seed of random, numpy, torch and the env"""
    total_episodes: int = 1_500
    """Training episodes"""
    episodes_per_update: int = 4
    """Episodes collected for each gradient step"""
    learning_rate: float = 2e-3
    """Adam step size of the policy (annealed linearly to 0 when anneal_lr)"""
    value_learning_rate: float = 5e-3
    """Adam step size of the baseline (value network)"""
    anneal_lr: bool = True
    """Decay both step sizes linearly to 0 over training"""
    gamma: float = 0.99
    """Discount factor (1.0 for the two-step self-correction views: the episode return)"""
    entropy_coef: float = 0.01
    """Weight of the entropy bonus"""
    normalize_advantages: bool = True
    """Scale each batch's advantages to zero mean and unit variance"""
    hidden_size: int = 64
    """Width of the two hidden layers of the policy and value networks"""
    max_grad_norm: float = 1.0
    """Gradient-norm clipping"""
    eval_episodes: int = 100
    """Evaluation episodes after training (sampled and greedy actions)"""
    threads: int = 1
    """torch CPU threads (small networks run fastest on one)"""
    verbose: bool = True
    """Print progress"""

    def __post_init__(self) -> None:
        parse_env_kwargs(self.env_kwargs)
        check_ranges(
            self,
            {
                "correction_bonus": NON_NEGATIVE,
                "seed": NON_NEGATIVE,
                "total_episodes": COUNT,
                "episodes_per_update": COUNT,
                "learning_rate": POSITIVE,
                "value_learning_rate": POSITIVE,
                "gamma": PROBABILITY,
                "entropy_coef": NON_NEGATIVE,
                "hidden_size": COUNT,
                "max_grad_norm": POSITIVE,
                "eval_episodes": COUNT,
                "threads": COUNT,
            },
        )


def mlp(input_size: int, output_size: int, hidden_size: int) -> nn.Sequential:
    """Two tanh hidden layers (smooth, which suits policy gradients)."""
    return nn.Sequential(
        nn.Linear(input_size, hidden_size),
        nn.Tanh(),
        nn.Linear(hidden_size, hidden_size),
        nn.Tanh(),
        nn.Linear(hidden_size, output_size),
    )


def discounted_returns(
    rewards: Sequence[float], gamma: float, bootstrap_value: float = 0.0
) -> np.ndarray:
    """``G_t = r_t + gamma * G_{t+1}`` backwards from ``G_T = bootstrap_value``.

    ``bootstrap_value`` is 0 for an episode that terminated and ``V(s_T)`` for one cut by a
    time limit.

    Example:
        >>> discounted_returns([1.0, 0.0, 2.0], gamma=0.5).tolist()
        [1.5, 1.0, 2.0]
        >>> discounted_returns([1.0], gamma=0.5, bootstrap_value=4.0).tolist()
        [3.0]
    """
    returns = np.zeros(len(rewards), dtype=np.float64)
    running = float(bootstrap_value)
    for t in range(len(rewards) - 1, -1, -1):
        running = float(rewards[t]) + gamma * running
        returns[t] = running
    return returns


def advantages_from(
    returns: torch.Tensor, baselines: torch.Tensor, normalize: bool
) -> torch.Tensor:
    """``G_t - b(s_t)``, detached from the baseline's graph, optionally standardised.

    Example:
        >>> advantages_from(torch.tensor([3.0, 1.0]), torch.tensor([1.0, 1.0]), False)
        tensor([2., 0.])
    """
    advantages = (returns - baselines).detach()
    if normalize and advantages.numel() > 1:
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    return advantages


def policy_loss(
    log_probs: torch.Tensor,
    advantages: torch.Tensor,
    entropies: torch.Tensor,
    entropy_coef: float,
) -> torch.Tensor:
    """``-mean(log pi(a_t|s_t) * A_t) - entropy_coef * mean(H_t)``: minimised by gradient descent.

    Example:
        >>> lp = torch.log(torch.tensor([0.5, 0.25]))
        >>> round(policy_loss(lp, torch.tensor([1.0, -1.0]), torch.zeros(2), 0.1).item(), 4)
        -0.3466
    """
    return -(log_probs * advantages).mean() - entropy_coef * entropies.mean()


@dataclass
class TrainResult:
    """What a run produced.

    Attributes:
        policy: The trained policy network (observation -> logits).
        episode_returns: Return of every training episode (sampled actions).
        sampled: Evaluation with sampled actions (the policy as trained).
        greedy: Evaluation with the most probable action.
        seconds: Wall-clock time of training and evaluation.
    """

    policy: nn.Module
    episode_returns: list[float] = field(default_factory=list)
    sampled: Evaluation | None = None
    greedy: Evaluation | None = None
    seconds: float = 0.0


def sampling_policy(policy: nn.Module, generator: torch.Generator):
    """Sample ``a ~ pi(. | s)`` for one flat observation, with its own seeded generator."""

    def act(observation: np.ndarray) -> int:
        with torch.no_grad():
            probs = torch.softmax(policy(torch.as_tensor(observation, dtype=torch.float32)), -1)
        return int(torch.multinomial(probs, 1, generator=generator).item())

    return act


def greedy_policy(policy: nn.Module):
    """The most probable action for one flat observation."""

    def act(observation: np.ndarray) -> int:
        with torch.no_grad():
            return int(policy(torch.as_tensor(observation, dtype=torch.float32)).argmax().item())

    return act


def make_envs(args: Args) -> tuple[gym.Env, gym.Env]:
    """The training and the evaluation env of ``args`` (:func:`~agents.common.make_env`)."""
    return (
        make_env(args.env, args.env_kwargs, args.correction_bonus),
        make_env(args.env, args.env_kwargs, args.correction_bonus),
    )


def train(args: Args, env: gym.Env | None = None, eval_env: gym.Env | None = None) -> TrainResult:
    """Train REINFORCE as ``args`` says; envs default to :func:`make_envs` of ``args``."""
    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    if env is None:
        env = make_env(args.env, args.env_kwargs, args.correction_bonus)
    if eval_env is None:
        eval_env = make_env(args.env, args.env_kwargs, args.correction_bonus)
    observation_size = int(np.prod(env.observation_space.shape))
    policy = mlp(observation_size, int(env.action_space.n), args.hidden_size)
    value = mlp(observation_size, 1, args.hidden_size)
    policy_optimizer = torch.optim.Adam(policy.parameters(), lr=args.learning_rate)
    value_optimizer = torch.optim.Adam(value.parameters(), lr=args.value_learning_rate)
    updates = max(1, args.total_episodes // args.episodes_per_update)
    result = TrainResult(policy)

    observation, _ = env.reset(seed=args.seed)
    for update in range(updates):
        if args.anneal_lr:
            fraction = 1.0 - update / updates
            policy_optimizer.param_groups[0]["lr"] = fraction * args.learning_rate
            value_optimizer.param_groups[0]["lr"] = fraction * args.value_learning_rate
        observations, actions, returns = [], [], []
        for _ in range(args.episodes_per_update):
            episode_observations, episode_actions, rewards = [], [], []
            done = False
            while not done:
                with torch.no_grad():
                    logits = policy(torch.as_tensor(observation, dtype=torch.float32))
                action = int(Categorical(logits=logits).sample().item())
                episode_observations.append(observation)
                episode_actions.append(action)
                observation, reward, terminated, truncated, _ = env.step(action)
                rewards.append(float(reward))
                done = terminated or truncated
            bootstrap = 0.0
            if truncated and not terminated:
                with torch.no_grad():
                    bootstrap = float(value(torch.as_tensor(observation, dtype=torch.float32)))
            observations.extend(episode_observations)
            actions.extend(episode_actions)
            returns.extend(discounted_returns(rewards, args.gamma, bootstrap))
            result.episode_returns.append(sum(rewards))
            observation, _ = env.reset()

        batch_observations = torch.as_tensor(np.array(observations), dtype=torch.float32)
        batch_actions = torch.as_tensor(actions)
        batch_returns = torch.as_tensor(np.array(returns), dtype=torch.float32)
        baselines = value(batch_observations).squeeze(1)
        distribution = Categorical(logits=policy(batch_observations))
        loss = policy_loss(
            distribution.log_prob(batch_actions),
            advantages_from(batch_returns, baselines, args.normalize_advantages),
            distribution.entropy(),
            args.entropy_coef,
        )
        policy_optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(policy.parameters(), args.max_grad_norm)
        policy_optimizer.step()

        value_loss = ((baselines - batch_returns) ** 2).mean()
        value_optimizer.zero_grad()
        value_loss.backward()
        nn.utils.clip_grad_norm_(value.parameters(), args.max_grad_norm)
        value_optimizer.step()

        if args.verbose and (update + 1) % max(1, updates // 20) == 0:
            recent = result.episode_returns[-100:]
            print(
                f"episodes={len(result.episode_returns)} charts/mean_return_100="
                f"{np.mean(recent):.2f} losses/value={value_loss.item():.3f} "
                f"losses/entropy={distribution.entropy().mean().item():.3f}"
            )

    eval_seed = args.seed + 1_000_000
    generator = torch.Generator().manual_seed(args.seed)
    result.sampled = evaluate(
        eval_env, sampling_policy(policy, generator), args.eval_episodes, eval_seed
    )
    result.greedy = evaluate(eval_env, greedy_policy(policy), args.eval_episodes, eval_seed)
    result.seconds = time.perf_counter() - started
    if args.verbose:
        print(
            f"final {args.eval_episodes}-episode mean return: sampled "
            f"{result.sampled.mean_return:.2f}, greedy {result.greedy.mean_return:.2f}; "
            f"{result.seconds:.1f} s"
        )
    return result


def main(argv: list[str] | None = None) -> TrainResult:
    """``python -m agents.reinforce``: a bad flag ends with one error line and status 2."""
    return run_main(Args, make_envs, train, argv)


if __name__ == "__main__":
    main()
