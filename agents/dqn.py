"""DQN with Double-DQN targets and the Huber loss, for any env with Discrete actions.

Solves ScoreGridWorld-v0, CartPole-v1 and the multiple-choice views of the self-correction envs:

    python -m agents.dqn --env CartPole-v1 --seed 1      # the defaults are CartPole-v1's
    python -m agents.dqn --env ScoreGridWorld-v0 --env-kwargs '{"size": 8}' \
        --total-timesteps 20000 --exploration-fraction 0.5 --target-network-frequency 200
    python -m agents.dqn --env ScoreMathChoice-v0 --gamma 1 --total-timesteps 40000 \
        --exploration-fraction 0.5 --target-network-frequency 200 --eval-every 0

The pieces, in the order of Mnih et al. (2015) and van Hasselt et al. (2016): an epsilon-greedy
behaviour policy whose epsilon decays linearly, a replay buffer of past transitions sampled
uniformly, a target network copied from the online one every ``target_network_frequency`` steps,
and the Double-DQN target ``r + gamma * (1 - terminated) * Q_target(s', argmax_a Q_online(s', a))``
that picks the next action with the online network and values it with the target one, which
removes most of the max operator's over-estimation. Truncated episodes are bootstrapped (only
``terminated`` stops the bootstrap): a time limit is not a terminal state of the MDP.

DQN on CartPole-v1 is notorious for forgetting a solved task and relearning it; the step size
decays linearly to 0 and training stops once a periodic greedy evaluation averages
``stop_at_eval_return`` (475, the solved level). The final evaluation uses unseen seeds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from agents.common import (
    ANY_NUMBER,
    COUNT,
    NON_NEGATIVE,
    POSITIVE,
    PROBABILITY,
    Evaluation,
    Range,
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
    """JSON object of keyword arguments for gym.make, e.g. '{"size": 6}'"""
    correction_bonus: float = 0.0
    """If > 0, wrap the env in CorrectionBonus with this alpha (self-correction envs)"""
    seed: int = 1
    """Seed of random, numpy, torch and the env"""
    total_timesteps: int = 60_000
    """Environment steps of training"""
    learning_rate: float = 1e-3
    """Adam step size"""
    anneal_lr: bool = True
    """Decay the step size linearly to 0 over training (the last phase then stops drifting)"""
    buffer_size: int = 50_000
    """Transitions kept in the replay buffer"""
    gamma: float = 0.99
    """Discount factor (1.0 for the two-step self-correction views: the episode return)"""
    target_network_frequency: int = 100
    """Steps between updates of the target network"""
    tau: float = 1.0
    """Target update weight: 1.0 copies the online network, < 1 is Polyak averaging"""
    batch_size: int = 64
    """Transitions per gradient step"""
    start_epsilon: float = 1.0
    """Exploration probability at the start"""
    end_epsilon: float = 0.01
    """Exploration probability after the decay"""
    exploration_fraction: float = 0.1
    """Fraction of total_timesteps over which epsilon decays linearly"""
    learning_starts: int = 1_000
    """Steps of pure exploration before the first gradient step"""
    train_frequency: int = 1
    """Environment steps between training phases"""
    gradient_steps: int = 1
    """Gradient steps per training phase"""
    double_dqn: bool = True
    """Double-DQN targets (select with the online net, value with the target net)"""
    hidden_size: int = 128
    """Width of the two hidden layers"""
    max_grad_norm: float = 10.0
    """Gradient-norm clipping"""
    eval_episodes: int = 20
    """Greedy evaluation episodes after training"""
    eval_every: int = 5_000
    """Also evaluate greedily every this many steps (0: only at the end)"""
    stop_at_eval_return: float = 475.0
    """Stop once a periodic evaluation averages at least this (CartPole-v1's solved level)"""
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
                "total_timesteps": COUNT,
                "learning_rate": POSITIVE,
                "buffer_size": COUNT,
                "gamma": PROBABILITY,
                "target_network_frequency": COUNT,
                "tau": Range(0, 1, low_open=True),
                "batch_size": COUNT,
                "start_epsilon": PROBABILITY,
                "end_epsilon": PROBABILITY,
                "exploration_fraction": PROBABILITY,
                "learning_starts": NON_NEGATIVE,
                "train_frequency": COUNT,
                "gradient_steps": COUNT,
                "hidden_size": COUNT,
                "max_grad_norm": POSITIVE,
                "eval_episodes": COUNT,
                "eval_every": NON_NEGATIVE,
                "stop_at_eval_return": ANY_NUMBER,
                "threads": COUNT,
            },
        )


class QNetwork(nn.Module):
    """An MLP from the flat observation to one Q-value per action."""

    def __init__(self, observation_size: int, num_actions: int, hidden_size: int) -> None:
        super().__init__()
        self.network = nn.Sequential(
            nn.Linear(observation_size, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, num_actions),
        )

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        return self.network(observations)


class ReplayBuffer:
    """A ring buffer of transitions ``(s, a, r, s', terminated)`` sampled uniformly.

    Example:
        >>> buffer = ReplayBuffer(capacity=2, observation_size=1)
        >>> for step in range(3):
        ...     buffer.add(np.array([step]), 0, float(step), np.array([step + 1]), False)
        >>> len(buffer), sorted(buffer.rewards[: len(buffer)].tolist())
        (2, [1.0, 2.0])
    """

    def __init__(self, capacity: int, observation_size: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.observations = np.zeros((capacity, observation_size), dtype=np.float32)
        self.next_observations = np.zeros((capacity, observation_size), dtype=np.float32)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.terminations = np.zeros(capacity, dtype=np.float32)
        self._next = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(
        self,
        observation: np.ndarray,
        action: int,
        reward: float,
        next_observation: np.ndarray,
        terminated: bool,
    ) -> None:
        """Store one transition, overwriting the oldest when full."""
        i = self._next
        self.observations[i] = observation
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_observations[i] = next_observation
        self.terminations[i] = float(terminated)
        self._next = (i + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """A uniform batch (with replacement) as tensors."""
        index = rng.integers(0, self._size, size=batch_size)
        return {
            "observations": torch.from_numpy(self.observations[index]),
            "actions": torch.from_numpy(self.actions[index]),
            "rewards": torch.from_numpy(self.rewards[index]),
            "next_observations": torch.from_numpy(self.next_observations[index]),
            "terminations": torch.from_numpy(self.terminations[index]),
        }


def linear_schedule(start: float, end: float, duration: int, step: int) -> float:
    """``start`` moving linearly to ``end`` over ``duration`` steps, then ``end``.

    Example:
        >>> linear_schedule(1.0, 0.1, 10, 5), linear_schedule(1.0, 0.1, 10, 50)
        (0.55, 0.1)
    """
    if step >= duration:
        return end
    return start + (end - start) * step / duration


def td_targets(
    rewards: torch.Tensor,
    terminations: torch.Tensor,
    next_q_online: torch.Tensor,
    next_q_target: torch.Tensor,
    gamma: float,
    double_dqn: bool = True,
) -> torch.Tensor:
    """One-step TD targets for a batch.

    ``r + gamma * (1 - terminated) * Q_target(s', a*)`` with ``a* = argmax_a Q_online(s', a)``
    (Double DQN) or ``a* = argmax_a Q_target(s', a)`` (DQN: the target net's own maximum).

    Example:
        >>> online = torch.tensor([[1.0, 2.0]]); target = torch.tensor([[5.0, 3.0]])
        >>> r, done = torch.tensor([1.0]), torch.tensor([0.0])
        >>> td_targets(r, done, online, target, gamma=0.5)
        tensor([2.5000])
        >>> td_targets(r, done, online, target, gamma=0.5, double_dqn=False)
        tensor([3.5000])
    """
    if double_dqn:
        next_actions = next_q_online.argmax(dim=1, keepdim=True)
        next_values = next_q_target.gather(1, next_actions).squeeze(1)
    else:
        next_values = next_q_target.max(dim=1).values
    return rewards + gamma * (1.0 - terminations) * next_values


@dataclass
class TrainResult:
    """What a run produced: the greedy network and its measurements.

    Attributes:
        q_network: The trained online network.
        episode_returns: Return of every training episode (behaviour policy, with exploration).
        episode_end_steps: Environment step at which each training episode ended.
        evaluations: ``(step, Evaluation)`` pairs of the periodic and final greedy evaluations.
        stopped_at_step: The step at which a periodic evaluation reached
            ``stop_at_eval_return`` and training stopped, or None.
        seconds: Wall-clock time of training (evaluations included).
    """

    q_network: QNetwork
    episode_returns: list[float] = field(default_factory=list)
    episode_end_steps: list[int] = field(default_factory=list)
    evaluations: list[tuple[int, Evaluation]] = field(default_factory=list)
    stopped_at_step: int | None = None
    seconds: float = 0.0

    @property
    def final(self) -> Evaluation:
        """The evaluation after the last training step."""
        return self.evaluations[-1][1]


def greedy_policy(q_network: QNetwork):
    """The policy ``argmax_a Q(s, a)`` as a function of one flat observation."""

    def act(observation: np.ndarray) -> int:
        with torch.no_grad():
            q_values = q_network(torch.as_tensor(observation, dtype=torch.float32)[None])
        return int(q_values.argmax(dim=1).item())

    return act


def update(
    q_network: QNetwork,
    target_network: QNetwork,
    optimizer: torch.optim.Optimizer,
    batch: dict[str, torch.Tensor],
    args: Args,
) -> float:
    """One gradient step on the Huber loss between ``Q(s, a)`` and the TD targets."""
    with torch.no_grad():
        next_q_target = target_network(batch["next_observations"])
        next_q_online = q_network(batch["next_observations"]) if args.double_dqn else next_q_target
        targets = td_targets(
            batch["rewards"],
            batch["terminations"],
            next_q_online,
            next_q_target,
            args.gamma,
            args.double_dqn,
        )
    q_taken = q_network(batch["observations"]).gather(1, batch["actions"][:, None]).squeeze(1)
    loss = F.smooth_l1_loss(q_taken, targets)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(q_network.parameters(), args.max_grad_norm)
    optimizer.step()
    return loss.item()


def make_envs(args: Args) -> tuple[gym.Env, gym.Env]:
    """The training and the evaluation env of ``args`` (:func:`~agents.common.make_env`)."""
    return (
        make_env(args.env, args.env_kwargs, args.correction_bonus),
        make_env(args.env, args.env_kwargs, args.correction_bonus),
    )


def train(args: Args, env: gym.Env | None = None, eval_env: gym.Env | None = None) -> TrainResult:
    """Train DQN as ``args`` says; ``env``/``eval_env`` default to :func:`make_envs` of ``args``."""
    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    rng = np.random.default_rng(args.seed)
    if env is None:
        env = make_env(args.env, args.env_kwargs, args.correction_bonus)
    if eval_env is None:
        eval_env = make_env(args.env, args.env_kwargs, args.correction_bonus)
    env.action_space.seed(args.seed)
    observation_size = int(np.prod(env.observation_space.shape))
    num_actions = int(env.action_space.n)

    q_network = QNetwork(observation_size, num_actions, args.hidden_size)
    target_network = QNetwork(observation_size, num_actions, args.hidden_size)
    target_network.load_state_dict(q_network.state_dict())
    optimizer = torch.optim.Adam(q_network.parameters(), lr=args.learning_rate)
    buffer = ReplayBuffer(args.buffer_size, observation_size)
    act = greedy_policy(q_network)
    result = TrainResult(q_network)
    # Evaluation seeds are far from the training seeds so no evaluation task was trained on, and
    # the final evaluation uses other seeds than the periodic ones that may stop training.
    periodic_eval_seed, final_eval_seed = args.seed + 1_000_000, args.seed + 2_000_000

    observation, _ = env.reset(seed=args.seed)
    episode_return = 0.0
    for step in range(args.total_timesteps):
        epsilon = linear_schedule(
            args.start_epsilon,
            args.end_epsilon,
            int(args.exploration_fraction * args.total_timesteps),
            step,
        )
        if rng.random() < epsilon:
            action = int(env.action_space.sample())
        else:
            action = act(observation)
        next_observation, reward, terminated, truncated, _ = env.step(action)
        buffer.add(observation, action, float(reward), next_observation, terminated)
        episode_return += float(reward)
        observation = next_observation
        if terminated or truncated:
            result.episode_returns.append(episode_return)
            result.episode_end_steps.append(step + 1)
            episode_return = 0.0
            observation, _ = env.reset()

        if step >= args.learning_starts and step % args.train_frequency == 0:
            if args.anneal_lr:
                optimizer.param_groups[0]["lr"] = args.learning_rate * (
                    1.0 - step / args.total_timesteps
                )
            for _ in range(args.gradient_steps):
                update(
                    q_network, target_network, optimizer, buffer.sample(args.batch_size, rng), args
                )
        if step % args.target_network_frequency == 0:
            with torch.no_grad():
                for target, online in zip(
                    target_network.parameters(), q_network.parameters(), strict=True
                ):
                    target.mul_(1.0 - args.tau).add_(args.tau * online)

        if (
            args.eval_every
            and (step + 1) % args.eval_every == 0
            and step + 1 < args.total_timesteps
        ):
            evaluation = evaluate(eval_env, act, args.eval_episodes, periodic_eval_seed)
            result.evaluations.append((step + 1, evaluation))
            if args.verbose:
                print(
                    f"step={step + 1} charts/eval_return={evaluation.mean_return:.3f} "
                    f"charts/epsilon={epsilon:.3f} episodes={len(result.episode_returns)}"
                )
            # DQN on CartPole is known to oscillate between balancing and falling long after it
            # first solves the task; stopping there keeps the solved policy (as SB3's
            # StopTrainingOnRewardThreshold does). The final evaluation below uses new seeds.
            if evaluation.mean_return >= args.stop_at_eval_return:
                result.stopped_at_step = step + 1
                break

    final = evaluate(eval_env, act, args.eval_episodes, final_eval_seed)
    result.evaluations.append((result.stopped_at_step or args.total_timesteps, final))
    result.seconds = time.perf_counter() - started
    if args.verbose:
        print(
            f"final charts/eval_return={final.mean_return:.3f} over {args.eval_episodes} greedy "
            f"episodes, {len(result.episode_returns)} training episodes, {result.seconds:.1f} s"
        )
    return result


def main(argv: list[str] | None = None) -> TrainResult:
    """``python -m agents.dqn``: a bad flag ends with one ``agents.dqn: error:`` line, status 2."""
    return run_main(Args, make_envs, train, argv)


if __name__ == "__main__":
    main()
