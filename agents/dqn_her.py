"""DQN with hindsight experience replay (HER) on the goal-conditioned grid world.

    python -m agents.dqn_her --seed 1            # HER, 12x12 grid, random goal per episode
    python -m agents.dqn_her --seed 1 --no-her   # the same agent and budget without HER

On ScoreGridWorldGoal-v0 the reward is 1 only on the goal cell, drawn at random every episode.
On a 12 x 12 grid with a 48-move limit an exploring agent rarely stumbles onto the goal, so plain
DQN sees almost no reward and learns little. HER (Andrychowicz et al., 2017) stores every episode
a second time with goals it *did* reach: for each step ``t`` it draws ``her_k`` goals among the
cells achieved at steps ``t, t+1, ..., T-1`` (the "future" strategy) and scores the relabelled
transitions with the env's own ``compute_reward`` and ``compute_terminated``, which the env
guarantees ``step`` agrees with. Every episode then teaches how to reach *some* cells, and a
goal-conditioned Q-network generalises that to the goals it is asked for.

The Q-network reads the agent's cell and the goal cell, each as a one-hot row plus a one-hot
column (``4 * size`` inputs); targets are Double-DQN with the Huber loss, as in ``agents/dqn.py``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import nn

from agents.common import (
    COUNT,
    NON_NEGATIVE,
    POSITIVE,
    PROBABILITY,
    check_ranges,
    make_raw_env,
    parse_env_kwargs,
    run_main,
    seed_everything,
)

GOAL_KEYS = ("observation", "achieved_goal", "desired_goal")


@dataclass
class Args:
    env: str = "ScoreGridWorldGoal-v0"
    """Gymnasium id of a goal-conditioned grid world (Dict observation, compute_reward)"""
    env_kwargs: str = '{"size": 12}'
    """JSON object of keyword arguments for gym.make"""
    seed: int = 1
    """Seed of random, numpy, torch and the env"""
    her: bool = True
    """Relabel every episode with goals achieved later in it (--no-her: plain DQN)"""
    her_k: int = 4
    """Relabelled copies of each transition"""
    total_episodes: int = 600
    """Training episodes (HER solves the 12x12 grid in about 450; plain DQN does not)"""
    updates_per_episode: int = 16
    """Gradient steps after each episode"""
    learning_rate: float = 1e-3
    """Adam step size"""
    gamma: float = 0.95
    """Discount factor: nearer goals are worth more, so Q-values rank paths by length"""
    buffer_size: int = 200_000
    """Transitions kept in the replay buffer"""
    batch_size: int = 128
    """Transitions per gradient step"""
    start_epsilon: float = 1.0
    """Exploration probability at the first episode"""
    end_epsilon: float = 0.05
    """Exploration probability after the decay"""
    exploration_fraction: float = 0.3
    """Fraction of the episodes over which epsilon decays linearly"""
    target_network_frequency: int = 200
    """Gradient steps between copies into the target network"""
    hidden_size: int = 128
    """Width of the two hidden layers"""
    eval_episodes: int = 200
    """Greedy evaluation episodes (random goals, seeds unseen in training)"""
    verbose: bool = True
    """Print progress"""

    def __post_init__(self) -> None:
        parse_env_kwargs(self.env_kwargs)
        check_ranges(
            self,
            {
                "seed": NON_NEGATIVE,
                "her_k": NON_NEGATIVE,
                "total_episodes": COUNT,
                "updates_per_episode": COUNT,
                "learning_rate": POSITIVE,
                "gamma": PROBABILITY,
                "buffer_size": COUNT,
                "batch_size": COUNT,
                "start_epsilon": PROBABILITY,
                "end_epsilon": PROBABILITY,
                "exploration_fraction": PROBABILITY,
                "target_network_frequency": COUNT,
                "hidden_size": COUNT,
                "eval_episodes": COUNT,
            },
        )


def make_goal_env(env_id: str, env_kwargs: str = "{}") -> gym.Env:
    """A goal-conditioned grid world, checked: HER cannot relabel anything else.

    The agent reads ``observation``, ``achieved_goal`` and ``desired_goal`` from a ``Dict``
    observation, re-scores relabelled goals with the env's ``compute_reward`` and
    ``compute_terminated``, one-hot encodes cells with the env's ``size`` and picks one of
    ``Discrete`` moves. An env lacking any of these raises ``ValueError`` saying what is missing.

    Example:
        >>> make_goal_env("ScoreGridWorld-v0")
        Traceback (most recent call last):
        ...
        ValueError: dqn_her needs a goal-conditioned grid world such as ScoreGridWorldGoal-v0...
    """
    env = make_raw_env(env_id, env_kwargs)
    space, unwrapped = env.observation_space, env.unwrapped
    missing = []
    if not (isinstance(space, spaces.Dict) and all(key in space.spaces for key in GOAL_KEYS)):
        missing.append(f"a Dict observation holding {', '.join(GOAL_KEYS)} (it has {space})")
    missing += [
        f"a {method} method"
        for method in ("compute_reward", "compute_terminated")
        if not callable(getattr(unwrapped, method, None))
    ]
    if not isinstance(getattr(unwrapped, "size", None), int):
        missing.append("an int grid size attribute")
    if not isinstance(env.action_space, spaces.Discrete):
        missing.append(f"Discrete actions (it has {env.action_space})")
    if missing:
        env.close()
        raise ValueError(
            f"dqn_her needs a goal-conditioned grid world such as ScoreGridWorldGoal-v0; "
            f"env {env_id!r} lacks {'; '.join(missing)}"
        )
    return env


def make_envs(args: Args) -> tuple[gym.Env]:
    """The env of ``args`` (:func:`make_goal_env`); evaluation resets it with unseen seeds."""
    return (make_goal_env(args.env, args.env_kwargs),)


def encode(cells: np.ndarray, size: int) -> np.ndarray:
    """One-hot row and one-hot column of each ``(row, col)`` cell: shape ``(..., 2 * size)``.

    Example:
        >>> encode(np.array([1, 2]), 3).tolist()
        [0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    """
    cells = np.asarray(cells, dtype=np.int64)
    eye = np.eye(size, dtype=np.float32)
    return np.concatenate([eye[cells[..., 0]], eye[cells[..., 1]]], axis=-1)


def sample_future_goals(
    next_achieved: np.ndarray, k: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """HER's "future" strategy: for each step ``t``, ``k`` goals achieved at steps ``t..T-1``.

    ``next_achieved[t]`` is the cell reached by step ``t``. Returns ``(steps, goals)``: the index
    of the transition each relabelled copy belongs to, and its new goal.

    Example:
        >>> achieved = np.array([[0, 1], [0, 2]])
        >>> steps, goals = sample_future_goals(achieved, 2, np.random.default_rng(0))
        >>> steps.tolist(), goals[2:].tolist()
        ([0, 0, 1, 1], [[0, 2], [0, 2]])
    """
    length = len(next_achieved)
    steps = np.repeat(np.arange(length), k)
    # A uniform offset into the rest of the episode, the step itself included.
    future = steps + (rng.random(len(steps)) * (length - steps)).astype(np.int64)
    return steps, np.asarray(next_achieved)[future]


class QNetwork(nn.Module):
    """(cell, goal) encodings -> one Q-value per move."""

    def __init__(self, input_size: int, num_actions: int, hidden_size: int) -> None:
        super().__init__()
        self.network = nn.Sequential(
            nn.Linear(input_size, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, num_actions),
        )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.network(inputs)


@dataclass
class Transitions:
    """Replay storage: cells and goals as ints; encoded to one-hots when sampled."""

    capacity: int
    cells: np.ndarray = field(init=False)
    next_cells: np.ndarray = field(init=False)
    goals: np.ndarray = field(init=False)
    actions: np.ndarray = field(init=False)
    rewards: np.ndarray = field(init=False)
    terminations: np.ndarray = field(init=False)
    size: int = 0
    _next: int = 0

    def __post_init__(self) -> None:
        self.cells = np.zeros((self.capacity, 2), dtype=np.int64)
        self.next_cells = np.zeros((self.capacity, 2), dtype=np.int64)
        self.goals = np.zeros((self.capacity, 2), dtype=np.int64)
        self.actions = np.zeros(self.capacity, dtype=np.int64)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.terminations = np.zeros(self.capacity, dtype=np.float32)

    def add_batch(self, cells, actions, next_cells, goals, rewards, terminations) -> None:
        """Append transitions (arrays with one row per transition), overwriting the oldest."""
        index = (self._next + np.arange(len(actions))) % self.capacity
        self.cells[index], self.actions[index], self.next_cells[index] = cells, actions, next_cells
        self.goals[index], self.rewards[index] = goals, rewards
        self.terminations[index] = terminations
        self._next = int((self._next + len(actions)) % self.capacity)
        self.size = min(self.size + len(actions), self.capacity)


def store_episode(
    buffer: Transitions,
    env: gym.Env,
    cells: np.ndarray,
    actions: np.ndarray,
    next_cells: np.ndarray,
    goal: np.ndarray,
    her_k: int,
    rng: np.random.Generator,
) -> int:
    """Store an episode as played and, with ``her_k > 0``, its HER relabellings.

    Rewards and terminations of relabelled copies come from the env's vectorised
    ``compute_reward`` / ``compute_terminated``. Returns the number of transitions stored.
    """
    goals = np.repeat(goal[None], len(actions), axis=0)
    if her_k > 0:
        steps, new_goals = sample_future_goals(next_cells, her_k, rng)
        cells = np.concatenate([cells, cells[steps]])
        actions = np.concatenate([actions, actions[steps]])
        next_cells = np.concatenate([next_cells, next_cells[steps]])
        goals = np.concatenate([goals, new_goals])
    unwrapped = env.unwrapped
    rewards = unwrapped.compute_reward(next_cells, goals, None)
    terminations = unwrapped.compute_terminated(next_cells, goals, None)
    buffer.add_batch(cells, actions, next_cells, goals, rewards, terminations)
    return len(actions)


@dataclass
class TrainResult:
    """What a run produced.

    Attributes:
        q_network: The trained network.
        episode_successes: Whether each training episode reached its goal.
        eval_success_rate: Greedy success rate on unseen random goals.
        eval_mean_length: Mean moves of the greedy evaluation episodes.
        seconds: Wall-clock time.
    """

    q_network: QNetwork
    episode_successes: list[bool] = field(default_factory=list)
    eval_success_rate: float = 0.0
    eval_mean_length: float = 0.0
    seconds: float = 0.0


def train(args: Args, env: gym.Env | None = None) -> TrainResult:
    """Train DQN (+ HER when ``args.her``) as ``args`` says; ``env`` defaults to
    :func:`make_goal_env` of ``args``."""
    started = time.perf_counter()
    torch.set_num_threads(1)
    seed_everything(args.seed)
    rng = np.random.default_rng(args.seed)
    if env is None:
        env = make_goal_env(args.env, args.env_kwargs)
    size = int(env.unwrapped.size)
    num_actions = int(env.action_space.n)
    q_network = QNetwork(4 * size, num_actions, args.hidden_size)
    target_network = QNetwork(4 * size, num_actions, args.hidden_size)
    target_network.load_state_dict(q_network.state_dict())
    optimizer = torch.optim.Adam(q_network.parameters(), lr=args.learning_rate)
    buffer = Transitions(args.buffer_size)
    result = TrainResult(q_network)
    gradient_steps = 0

    def greedy(cell: np.ndarray, goal: np.ndarray) -> int:
        inputs = np.concatenate([encode(cell, size), encode(goal, size)])
        with torch.no_grad():
            return int(q_network(torch.from_numpy(inputs)[None]).argmax().item())

    decay = max(1, int(args.exploration_fraction * args.total_episodes))
    for episode in range(args.total_episodes):
        epsilon = args.start_epsilon + (args.end_epsilon - args.start_epsilon) * min(
            episode / decay, 1.0
        )
        obs, _ = env.reset(seed=args.seed if episode == 0 else None)
        goal = obs["desired_goal"].copy()
        cells, actions, next_cells = [], [], []
        done = False
        while not done:
            if rng.random() < epsilon:
                action = int(rng.integers(num_actions))
            else:
                action = greedy(obs["observation"], goal)
            next_obs, _, terminated, truncated, info = env.step(action)
            cells.append(obs["achieved_goal"])
            actions.append(action)
            next_cells.append(next_obs["achieved_goal"])
            obs, done = next_obs, terminated or truncated
        result.episode_successes.append(bool(info["is_success"]))
        store_episode(
            buffer,
            env,
            np.array(cells),
            np.array(actions),
            np.array(next_cells),
            goal,
            args.her_k if args.her else 0,
            rng,
        )

        for _ in range(args.updates_per_episode):
            index = rng.integers(0, buffer.size, size=args.batch_size)
            goals = encode(buffer.goals[index], size)
            inputs = torch.from_numpy(np.concatenate([encode(buffer.cells[index], size), goals], 1))
            next_inputs = torch.from_numpy(
                np.concatenate([encode(buffer.next_cells[index], size), goals], 1)
            )
            with torch.no_grad():
                next_actions = q_network(next_inputs).argmax(dim=1, keepdim=True)
                next_values = target_network(next_inputs).gather(1, next_actions).squeeze(1)
                targets = (
                    torch.from_numpy(buffer.rewards[index])
                    + args.gamma
                    * (1.0 - torch.from_numpy(buffer.terminations[index]))
                    * next_values
                )
            q_taken = q_network(inputs).gather(1, torch.from_numpy(buffer.actions[index])[:, None])
            loss = F.smooth_l1_loss(q_taken.squeeze(1), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            gradient_steps += 1
            if gradient_steps % args.target_network_frequency == 0:
                target_network.load_state_dict(q_network.state_dict())

        if args.verbose and (episode + 1) % max(1, args.total_episodes // 10) == 0:
            recent = result.episode_successes[-100:]
            print(
                f"episode={episode + 1} charts/success_rate_100={np.mean(recent):.2f} "
                f"charts/epsilon={epsilon:.3f} her={args.her}"
            )

    successes, lengths = [], []
    for episode in range(args.eval_episodes):
        obs, _ = env.reset(seed=args.seed + 1_000_000 + episode)
        done, steps = False, 0
        while not done:
            obs, _, terminated, truncated, info = env.step(
                greedy(obs["observation"], obs["desired_goal"])
            )
            steps += 1
            done = terminated or truncated
        successes.append(bool(info["is_success"]))
        lengths.append(steps)
    result.eval_success_rate = float(np.mean(successes))
    result.eval_mean_length = float(np.mean(lengths))
    result.seconds = time.perf_counter() - started
    if args.verbose:
        summary = {
            "her": args.her,
            "seed": args.seed,
            "eval_success_rate": result.eval_success_rate,
            "eval_mean_length": result.eval_mean_length,
            "seconds": round(result.seconds, 1),
        }
        print(json.dumps(summary))
    return result


def main(argv: list[str] | None = None) -> TrainResult:
    """``python -m agents.dqn_her``: a bad flag ends with one error line and status 2."""
    return run_main(Args, make_envs, train, argv)


if __name__ == "__main__":
    main()
