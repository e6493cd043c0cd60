"""``hf:`` — a Hugging Face transformers causal language model as a policy (the ``hf`` extra).

Spec: ``hf:model=PATH[,max_new_tokens=N][,device=cpu][,max_input_tokens=N]``; ``hf:PATH`` is
short for ``hf:model=PATH``. ``PATH`` is a directory written by ``save_pretrained`` (model and
tokenizer) or a hub name already in the local cache: nothing is downloaded at run time unless
transformers itself is allowed to.

Each attempt renders the conversation with the tokenizer's chat template (``add_generation_prompt``)
or, for a tokenizer without one, as ``role: content`` lines ending in ``assistant:``; keeps the last
``max_input_tokens`` tokens (the end of the conversation holds the question being asked); and
decodes greedily (the paper evaluates greedily) for at most ``max_new_tokens`` tokens. Only the new
tokens are returned. The model is loaded once per policy instance: run ``hf:`` policies with
``--concurrency 1`` (or the ``process`` backend, one model per process).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from score_envs.core.task import Task
from score_envs.policies.spec_options import parse_options

INSTALL_HINT = "pip install 'score-envs[hf]'"

_OPTION_TYPES: dict[str, type] = {
    "model": str,
    "max_new_tokens": int,
    "device": str,
    "max_input_tokens": int,
}


class HFCausalPolicy:
    """Greedy decoding with a transformers causal LM, given the chat so far.

    Args:
        model: Path of a ``save_pretrained`` directory (or a cached hub name).
        max_new_tokens: Cap on each attempt's tokens.
        device: Torch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``).
        max_input_tokens: Keep at most this many prompt tokens (default: the model's context
            minus ``max_new_tokens``).
    """

    def __init__(
        self,
        model: str,
        *,
        max_new_tokens: int = 512,
        device: str = "cpu",
        max_input_tokens: int | None = None,
    ) -> None:
        if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            raise ValueError(f"hf: max_new_tokens must be a positive int, got {max_new_tokens!r}")
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise ValueError(f"hf: policies need transformers and torch: {INSTALL_HINT}") from None
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model)
            self.model = AutoModelForCausalLM.from_pretrained(model)
        except (OSError, ValueError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
            raise ValueError(f"hf: cannot load model {model!r}: {first_line}") from None
        self.model.to(device).eval()
        self._torch = torch
        self.device = device
        self.max_new_tokens = max_new_tokens
        context = getattr(self.model.config, "max_position_embeddings", None) or 2048
        self.max_input_tokens = max_input_tokens or max(1, context - max_new_tokens)
        self.name = f"hf:model={model}"
        self._lock = threading.Lock()

    def start_episode(self, task: Task, rng: np.random.Generator) -> None:
        """Nothing to set up: decoding is greedy and the task is not read."""

    def next_attempt(self, messages: Sequence[Mapping[str, str]]) -> str:
        """Generate the next assistant message for the conversation."""
        prompt_ids = self.prompt_ids(messages)[-self.max_input_tokens :]
        input_ids = self._torch.tensor([prompt_ids], device=self.device)
        pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = self.tokenizer.eos_token_id
        with self._lock, self._torch.no_grad():
            output = self.model.generate(
                input_ids,
                attention_mask=self._torch.ones_like(input_ids),
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                pad_token_id=pad,
            )
        new_tokens = output[0, input_ids.shape[1] :].tolist()
        return self.tokenizer.decode(new_tokens, skip_special_tokens=True)

    def prompt_ids(self, messages: Sequence[Mapping[str, str]]) -> list[int]:
        """Token ids of the prompt for ``messages`` (chat template, or ``role: content`` lines)."""
        chat = [{"role": str(m["role"]), "content": str(m["content"])} for m in messages]
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(
                chat, tokenize=False, add_generation_prompt=True
            )
        else:
            text = "".join(f"{m['role']}: {m['content']}\n" for m in chat) + "assistant:"
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def __repr__(self) -> str:
        return f"<HFCausalPolicy {self.name!r}>"


def parse_spec(text: str) -> dict[str, Any]:
    """The keyword arguments of an ``hf:`` spec (the part after the prefix).

    Example:
        >>> parse_spec("model=/models/tiny,max_new_tokens=64")
        {'model': '/models/tiny', 'max_new_tokens': 64}
        >>> parse_spec("/models/tiny")
        {'model': '/models/tiny'}
    """
    options = parse_options(text, _OPTION_TYPES, prefix="hf", bare_key="model")
    if "model" not in options:
        raise ValueError("hf spec needs model=PATH, e.g. hf:model=./checkpoints/tiny")
    return options


def policy_from_spec(text: str) -> HFCausalPolicy:
    """Build the policy of an ``hf:`` spec (the registry's factory; see the module doc)."""
    options = parse_spec(text)
    return HFCausalPolicy(options.pop("model"), **options)
