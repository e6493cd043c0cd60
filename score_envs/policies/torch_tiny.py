"""``torch:`` - a miniature-SCoRe checkpoint (``agents/score_mini``) as a policy.

Spec: ``torch:PATH`` or ``torch:path=PATH[,device=cpu]``. ``PATH`` is a ``.pt`` file written by
``agents.score_mini.model.save_checkpoint`` (config, vocabulary and weights in one file; loaded
with ``weights_only=True``, so a checkpoint cannot run code). Each attempt renders the chat in the
miniature's compact form (``"12*34=0418|"``, see ``agents.score_mini.prompting``), decodes four
characters greedily, and answers in the paper's final-answer sentence.

The tiny model only reads 2-digit x 2-digit multiplication problems and its own earlier attempts;
other conversations raise ``ValueError``. torch and the ``agents`` package of the repository
(which holds the model code and is not part of the installed ``score_envs`` distribution) are
imported when a policy is built, never when this module is imported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from score_envs.core.task import Task
from score_envs.policies.spec_options import parse_options

INSTALL_HINT = "pip install 'score-envs[agents]' and run from the score-envs repository root"

_OPTIONS = ("path", "device")


class TorchTinyPolicy:
    """Greedy decoding with a miniature-SCoRe checkpoint, given the chat so far.

    Args:
        path: The checkpoint (``.pt``).
        device: Torch device (``"cpu"``, ``"cuda"``).
    """

    def __init__(self, path: str, *, device: str = "cpu") -> None:
        try:
            import torch

            from agents.score_mini.model import generate, load_policy
            from agents.score_mini.prompting import attempt_action, model_input
            from agents.score_mini.tasks import ANSWER_DIGITS
        except ImportError as exc:
            raise ValueError(
                f"torch: policies need torch and agents.score_mini ({exc}): {INSTALL_HINT}"
            ) from None
        try:
            self.model, self.tokenizer = load_policy(path, device=device)
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ValueError(f"torch: cannot load checkpoint {path!r}: {first_line}") from None
        self._torch = torch
        self._generate = generate
        self._attempt_action = attempt_action
        self._model_input = model_input
        self._answer_chars = ANSWER_DIGITS
        self.device = device
        self.name = f"torch:{path}"

    def start_episode(self, task: Task, rng: np.random.Generator) -> None:
        """Nothing to set up: decoding is greedy and the task is not read."""

    def next_attempt(self, messages: Sequence[Mapping[str, str]]) -> str:
        """Generate the next attempt for the conversation (``info["messages"]``)."""
        ids = self.tokenizer.encode(self._model_input(messages))
        prefix = self._torch.tensor([ids], dtype=self._torch.long, device=self.device)
        output = self._generate(self.model, prefix, self._answer_chars, temperature=0.0)
        return self._attempt_action(self.tokenizer.decode(output[0].tolist()))

    def __repr__(self) -> str:
        return f"<TorchTinyPolicy {self.name!r}>"


def parse_spec(text: str) -> dict[str, Any]:
    """The keyword arguments of a ``torch:`` spec (the part after the prefix).

    Example:
        >>> parse_spec("results/score_mini/score.pt")
        {'path': 'results/score_mini/score.pt'}
        >>> parse_spec("path=m.pt,device=cuda")
        {'path': 'm.pt', 'device': 'cuda'}
    """
    text = text.strip()
    if not text.startswith(tuple(f"{key}=" for key in _OPTIONS)):
        if not text:
            raise ValueError(
                "torch spec needs a checkpoint path, e.g. torch:results/score_mini/score.pt"
            )
        return {"path": text}
    options = parse_options(text, dict.fromkeys(_OPTIONS, str), prefix="torch", bare_key="path")
    empty = [key for key, value in options.items() if not value]
    if empty:
        raise ValueError(f"torch spec: {empty[0]} needs a value, got {text!r}")
    if "path" not in options:
        raise ValueError("torch spec needs path=CHECKPOINT, e.g. torch:path=score.pt,device=cpu")
    return options


def policy_from_spec(text: str) -> TorchTinyPolicy:
    """Build the policy of a ``torch:`` spec (the registry's factory; see the module doc)."""
    options = parse_spec(text)
    return TorchTinyPolicy(options.pop("path"), **options)
