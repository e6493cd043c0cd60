"""The project's original grid-world Q-learner, with the minimum fixes that make it learn.

    python -m agents.gridworld_baseline --seed 1
    python -m agents.gridworld_baseline --env-kwargs '{"size": 6}' --total-episodes 600

It keeps the snippet's shape on purpose (a small Q-network on one-hot states of ScoreGridWorld-v0,
trained on the squared TD error ``(Q(s, a) - (r + gamma * max_a' Q(s', a')))**2``) so that the
diff to the original is the list below and nothing else. ``agents/dqn.py`` is the general agent
(Double-DQN targets, Huber loss, any env).

Defects of the original and their fixes:

1. **Greedy with no exploration.** It always took ``argmax_a Q(s, a)``. With a reward only at the
   goal, every Q-value starts near the same small number, the argmax is an arbitrary fixed action
   per cell, and the agent never tries anything else, so it may never see a reward at all.
   *Fix:* epsilon-greedy, epsilon decaying linearly from ``start_epsilon`` to ``end_epsilon``
   over the first ``exploration_fraction`` of the episodes.
2. **No replay.** It learned from each transition once, right after taking it; consecutive
   transitions are strongly correlated and the rare rewarded one is seen a single time.
   *Fix:* a replay buffer of ``buffer_size`` transitions sampled uniformly in batches of
   ``batch_size``.
3. **No step limit, so an episode could loop for ever.** A greedy policy that walks into a wall
   stays in place for ever, and the training loop waited for the goal. *Fix:* ScoreGridWorld-v0
   truncates every episode after ``max_steps`` moves (default ``4 * size``), and a truncated
   transition is not treated as terminal: the target still bootstraps from ``s'``.
4. **Bootstrapping from the network being trained.** The TD target used the same network whose
   weights the step changes, so the target moved with every update. *Fix:* a target network,
   copied from the online one every ``target_network_frequency`` gradient steps, computes
   ``max_a' Q(s', a')`` (with no gradient).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from agents.common import (
    COUNT,
    NON_NEGATIVE,
    POSITIVE,
    PROBABILITY,
    Evaluation,
    as_network_input,
    check_ranges,
    evaluate,
    make_raw_env,
    parse_env_kwargs,
    run_main,
    seed_everything,
)


@dataclass
class Args:
    env: str = "ScoreGridWorld-v0"
    """Gymnasium id of a grid world (ours are registered by `import score_envs`)"""
    env_kwargs: str = "{}"
    """JSON object of keyword arguments for gym.make, e.g. '{"size": 6}'"""
    seed: int = 1
    """Seed of random, numpy, torch and the env"""
    total_episodes: int = 150
    """Training episodes (each at most max_steps moves: fix 3)"""
    learning_rate: float = 1e-3
    """Adam step size"""
    gamma: float = 0.9
    """Discount factor: shorter paths to the goal are worth more"""
    start_epsilon: float = 1.0
    """Exploration probability at the first episode (fix 1)"""
    end_epsilon: float = 0.05
    """Exploration probability after the decay (fix 1)"""
    exploration_fraction: float = 0.5
    """Fraction of the episodes over which epsilon decays (fix 1)"""
    buffer_size: int = 10_000
    """Transitions kept for replay (fix 2)"""
    batch_size: int = 64
    """Transitions per gradient step (fix 2)"""
    learning_starts: int = 100
    """Transitions collected before the first gradient step (fix 2)"""
    target_network_frequency: int = 50
    """Gradient steps between copies into the target network (fix 4)"""
    hidden_size: int = 64
    """Width of the Q-network's hidden layer"""
    eval_episodes: int = 1
    """Greedy evaluation episodes after training (the grid is deterministic: one suffices)"""
    verbose: bool = True
    """Print progress"""

    def __post_init__(self) -> None:
        parse_env_kwargs(self.env_kwargs)
        check_ranges(
            self,
            {
                "seed": NON_NEGATIVE,
                "total_episodes": COUNT,
                "learning_rate": POSITIVE,
                "gamma": PROBABILITY,
                "start_epsilon": PROBABILITY,
                "end_epsilon": PROBABILITY,
                "exploration_fraction": PROBABILITY,
                "buffer_size": COUNT,
                "batch_size": COUNT,
                "learning_starts": NON_NEGATIVE,
                "target_network_frequency": COUNT,
                "hidden_size": COUNT,
                "eval_episodes": COUNT,
            },
        )


def make_grid_env(env_id: str, env_kwargs: str = "{}") -> gym.Env:
    """The grid world as the baseline reads it: a one-hot ``float32`` cell.

    The baseline is the grid world's own learner, not a general agent (that is ``agents/dqn.py``):
    it needs a ``Discrete`` observation (one cell index) and the four moves, ``Discrete(4)``.
    Any other env raises ``ValueError``, rather than training on a misread observation and
    printing a meaningless success rate.

    Example:
        >>> make_grid_env("ScoreGridWorld-v0", '{"size": 3}').observation_space.shape
        (9,)
    """
    env = make_raw_env(env_id, env_kwargs)
    observation_space, action_space = env.observation_space, env.action_space
    if not (
        isinstance(observation_space, spaces.Discrete)
        and isinstance(action_space, spaces.Discrete)
        and action_space.n == 4
    ):
        env.close()
        raise ValueError(
            f"gridworld_baseline needs a grid world such as ScoreGridWorld-v0 (Discrete cell "
            f"observation, Discrete(4) moves); env {env_id!r} has observation space "
            f"{observation_space} and action space {action_space}"
        )
    return as_network_input(env)


def make_envs(args: Args) -> tuple[gym.Env]:
    """The one env of ``args`` (:func:`make_grid_env`): the grid is deterministic, so training
    and greedy evaluation share it."""
    return (make_grid_env(args.env, args.env_kwargs),)


class QNetwork(nn.Module):
    """One-hot cell -> one Q-value per move, one hidden layer (the snippet's network)."""

    def __init__(self, num_cells: int, num_actions: int, hidden_size: int) -> None:
        super().__init__()
        self.network = nn.Sequential(
            nn.Linear(num_cells, hidden_size), nn.ReLU(), nn.Linear(hidden_size, num_actions)
        )

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        return self.network(states)


def td_target(
    rewards: torch.Tensor, terminations: torch.Tensor, next_q: torch.Tensor, gamma: float
) -> torch.Tensor:
    """``r + gamma * (1 - terminated) * max_a' Q_target(s', a')``, the original TD target.

    Example:
        >>> td_target(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 1.0]),
        ...           torch.tensor([[0.5, 2.0], [9.0, 9.0]]), gamma=0.9)
        tensor([1.8000, 1.0000])
    """
    return rewards + gamma * (1.0 - terminations) * next_q.max(dim=1).values


def epsilon_at(args: Args, episode: int) -> float:
    """Linear decay of the exploration probability over episodes (fix 1).

    Example:
        >>> epsilon_at(Args(total_episodes=100, exploration_fraction=0.5), 25)
        0.525
    """
    decay_episodes = max(1, int(args.exploration_fraction * args.total_episodes))
    fraction = min(episode / decay_episodes, 1.0)
    return args.start_epsilon + (args.end_epsilon - args.start_epsilon) * fraction


@dataclass
class TrainResult:
    """What a run produced.

    Attributes:
        q_network: The trained network.
        episode_returns: Return of every training episode (1.0 when it reached the goal).
        episode_lengths: Moves of every training episode.
        greedy: Greedy evaluation after training.
        seconds: Wall-clock time.
    """

    q_network: QNetwork
    episode_returns: list[float] = field(default_factory=list)
    episode_lengths: list[int] = field(default_factory=list)
    greedy: Evaluation | None = None
    seconds: float = 0.0


def train(args: Args, env: gym.Env | None = None) -> TrainResult:
    """Train the fixed baseline as ``args`` says."""
    started = time.perf_counter()
    torch.set_num_threads(1)
    seed_everything(args.seed)
    rng = np.random.default_rng(args.seed)
    if env is None:
        env = make_grid_env(args.env, args.env_kwargs)
    env.action_space.seed(args.seed)
    num_cells = int(np.prod(env.observation_space.shape))
    num_actions = int(env.action_space.n)
    q_network = QNetwork(num_cells, num_actions, args.hidden_size)
    target_network = QNetwork(num_cells, num_actions, args.hidden_size)
    target_network.load_state_dict(q_network.state_dict())
    optimizer = torch.optim.Adam(q_network.parameters(), lr=args.learning_rate)

    # Fix 2: the replay buffer, as plain arrays.
    states = np.zeros((args.buffer_size, num_cells), dtype=np.float32)
    next_states = np.zeros((args.buffer_size, num_cells), dtype=np.float32)
    actions = np.zeros(args.buffer_size, dtype=np.int64)
    rewards = np.zeros(args.buffer_size, dtype=np.float32)
    terminations = np.zeros(args.buffer_size, dtype=np.float32)
    stored = 0
    gradient_steps = 0
    result = TrainResult(q_network)

    for episode in range(args.total_episodes):
        state, _ = env.reset(seed=args.seed if episode == 0 else None)
        epsilon = epsilon_at(args, episode)
        done, episode_return, length = False, 0.0, 0
        while not done:  # ends: the env truncates after max_steps (fix 3)
            if rng.random() < epsilon:  # fix 1
                action = int(env.action_space.sample())
            else:
                with torch.no_grad():
                    action = int(q_network(torch.as_tensor(state)[None]).argmax().item())
            next_state, reward, terminated, truncated, _ = env.step(action)
            slot = stored % args.buffer_size
            states[slot], actions[slot], rewards[slot] = state, action, reward
            next_states[slot], terminations[slot] = next_state, float(terminated)
            stored += 1
            state, done = next_state, terminated or truncated
            episode_return += float(reward)
            length += 1

            if stored >= args.learning_starts:
                index = rng.integers(0, min(stored, args.buffer_size), size=args.batch_size)
                with torch.no_grad():  # fix 4: the target network, no gradient through it
                    targets = td_target(
                        torch.from_numpy(rewards[index]),
                        torch.from_numpy(terminations[index]),
                        target_network(torch.from_numpy(next_states[index])),
                        args.gamma,
                    )
                q_taken = q_network(torch.from_numpy(states[index]))
                q_taken = q_taken.gather(1, torch.from_numpy(actions[index])[:, None]).squeeze(1)
                loss = ((q_taken - targets) ** 2).mean()  # the original squared TD error
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                gradient_steps += 1
                if gradient_steps % args.target_network_frequency == 0:
                    target_network.load_state_dict(q_network.state_dict())
        result.episode_returns.append(episode_return)
        result.episode_lengths.append(length)
        if args.verbose and (episode + 1) % max(1, args.total_episodes // 10) == 0:
            recent = result.episode_returns[-20:]
            print(
                f"episode={episode + 1} charts/success_rate_20={np.mean(recent):.2f} "
                f"charts/length={length} charts/epsilon={epsilon:.3f}"
            )

    def greedy(observation: np.ndarray) -> int:
        with torch.no_grad():
            return int(q_network(torch.as_tensor(observation)[None]).argmax().item())

    result.greedy = evaluate(env, greedy, args.eval_episodes, seed=args.seed)
    result.seconds = time.perf_counter() - started
    if args.verbose:
        print(
            f"greedy: success {result.greedy.success_rate:.2f}, "
            f"{np.mean(result.greedy.lengths):.1f} moves; {result.seconds:.1f} s"
        )
    return result


def main(argv: list[str] | None = None) -> TrainResult:
    """``python -m agents.gridworld_baseline``: a bad flag ends with one error line, status 2."""
    return run_main(Args, make_envs, train, argv)


if __name__ == "__main__":
    main()
