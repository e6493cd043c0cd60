"""A tiny decoder-only transformer with a key/value cache, and its one-file checkpoint.

Pre-norm blocks (attention + GELU MLP), learned positions, no dropout (the data is unlimited and
dropout would make sampling and log-probabilities disagree). The cache makes sampling cost one
position per new token instead of the whole prefix (4-5x faster here, DESIGN.md section 7), which
is what makes RL with hundreds of rollouts per step fit on a CPU.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from agents.score_mini.tokenizer import CharTokenizer

KVCache = list[tuple[torch.Tensor, torch.Tensor]]
"""Per layer, keys and values of the positions seen so far, each ``[batch, heads, time, dim]``."""

CHECKPOINT_FORMAT = "score_mini/1"


@dataclass(frozen=True)
class ModelConfig:
    """Shape of the model.

    Example:
        >>> ModelConfig(d_model=32, n_heads=2).head_dim
        16
    """

    vocab_size: int = 13
    max_len: int = 16
    d_model: int = 128
    n_layers: int = 3
    n_heads: int = 4

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model must be a multiple of n_heads, got {self.d_model} and {self.n_heads}"
            )

    @property
    def head_dim(self) -> int:
        """Width of one attention head."""
        return self.d_model // self.n_heads


class _Block(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.norm1 = nn.LayerNorm(config.d_model)
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model)
        self.proj = nn.Linear(config.d_model, config.d_model)
        self.norm2 = nn.LayerNorm(config.d_model)
        self.mlp = nn.Sequential(
            nn.Linear(config.d_model, 4 * config.d_model),
            nn.GELU(),
            nn.Linear(4 * config.d_model, config.d_model),
        )

    def forward(
        self, x: torch.Tensor, past: tuple[torch.Tensor, torch.Tensor] | None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        batch, time, width = x.shape
        heads, head_dim = self.config.n_heads, self.config.head_dim
        q, k, v = self.qkv(self.norm1(x)).split(width, dim=2)
        q, k, v = (t.view(batch, time, heads, head_dim).transpose(1, 2) for t in (q, k, v))
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        # With a cache the new positions are the last ones, so a causal mask is only needed when
        # several positions come at once (the prompt, or teacher forcing without a cache).
        if past is not None and time > 1:
            raise ValueError("with a cache, feed one new position at a time")
        attended = F.scaled_dot_product_attention(q, k, v, is_causal=past is None and time > 1)
        x = x + self.proj(attended.transpose(1, 2).reshape(batch, time, width))
        x = x + self.mlp(self.norm2(x))
        return x, (k, v)


class TinyDecoder(nn.Module):
    """Next-character logits for a batch of id sequences, optionally continuing from a cache.

    Example:
        >>> model = TinyDecoder(ModelConfig(d_model=16, n_layers=1, n_heads=2))
        >>> ids = torch.zeros(2, 5, dtype=torch.long)
        >>> logits, cache = model(ids)
        >>> step, _ = model(ids[:, :1], cache)
        >>> logits.shape, step.shape
        (torch.Size([2, 5, 13]), torch.Size([2, 1, 13]))
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.token_embedding = nn.Embedding(config.vocab_size, config.d_model)
        self.position_embedding = nn.Embedding(config.max_len, config.d_model)
        self.blocks = nn.ModuleList(_Block(config) for _ in range(config.n_layers))
        self.norm = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, config.vocab_size)

    def forward(
        self, ids: torch.Tensor, cache: KVCache | None = None
    ) -> tuple[torch.Tensor, KVCache]:
        """Logits ``[batch, time, vocab]`` for ``ids`` placed after the cached positions."""
        start = 0 if cache is None else cache[0][0].shape[2]
        if start + ids.shape[1] > self.config.max_len:
            raise ValueError(
                f"sequence of {start + ids.shape[1]} positions exceeds max_len "
                f"{self.config.max_len}"
            )
        positions = torch.arange(start, start + ids.shape[1], device=ids.device)
        x = self.token_embedding(ids) + self.position_embedding(positions)
        new_cache: KVCache = []
        for index, block in enumerate(self.blocks):
            x, kv = block(x, None if cache is None else cache[index])
            new_cache.append(kv)
        return self.head(self.norm(x)), new_cache


def generate(
    model: TinyDecoder,
    prefix: torch.Tensor,
    n_new: int,
    *,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Continue ``prefix`` (``[batch, time]`` ids) by ``n_new`` ids; temperature 0 is greedy.

    Example:
        >>> model = TinyDecoder(ModelConfig(d_model=16, n_layers=1, n_heads=2))
        >>> generate(model, torch.zeros(3, 6, dtype=torch.long), 4).shape
        torch.Size([3, 4])
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    out = []
    with torch.no_grad():
        logits, cache = model(prefix)
        for step in range(n_new):
            next_logits = logits[:, -1, :]
            if temperature == 0:
                token = next_logits.argmax(dim=-1)
            else:
                probs = torch.softmax(next_logits / temperature, dim=-1)
                token = torch.multinomial(probs, 1, generator=generator).squeeze(1)
            out.append(token)
            if step + 1 < n_new:
                logits, cache = model(token[:, None], cache)
    return torch.stack(out, dim=1)


def save_checkpoint(
    path: str | os.PathLike[str],
    model: TinyDecoder,
    tokenizer: CharTokenizer,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write one ``.pt`` file: the config, the vocabulary, the weights (and ``extra``)."""
    torch.save(
        {
            "format": CHECKPOINT_FORMAT,
            "config": dataclasses.asdict(model.config),
            "alphabet": tokenizer.alphabet,
            "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "extra": dict(extra or {}),
        },
        os.fspath(path),
    )


def load_policy(
    path: str | os.PathLike[str], device: str = "cpu"
) -> tuple[TinyDecoder, CharTokenizer]:
    """Load a checkpoint written by :func:`save_checkpoint`: the model (in eval mode) and vocab.

    Only tensors and plain data are read (``weights_only=True``), so a checkpoint cannot run code.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "m.pt"
        >>> save_checkpoint(path, TinyDecoder(ModelConfig(d_model=16, n_heads=2)), CharTokenizer())
        >>> model, tokenizer = load_policy(path)
        >>> model.config.d_model, tokenizer.vocab_size
        (16, 13)
    """
    data = torch.load(os.fspath(path), map_location=device, weights_only=True)
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{os.fspath(path)!r} is not a {CHECKPOINT_FORMAT} checkpoint")
    model = TinyDecoder(ModelConfig(**data["config"]))
    model.load_state_dict(data["state_dict"])
    model.to(device).eval()
    return model, CharTokenizer(data["alphabet"])
