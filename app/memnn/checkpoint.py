"""One-file checkpoints: weights, vocabulary, config and metadata; the content hash is the version.

The file holds only tensors, strings, numbers, lists and dicts, so it loads with
``torch.load(..., weights_only=True)`` and can never run code.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import torch

from .model import MemNN, MemNNConfig
from .text import Vocabulary

FORMAT = "memnn-checkpoint/1"


@dataclass
class Checkpoint:
    model: MemNN
    vocabulary: Vocabulary
    name: str
    metadata: dict[str, Any] = field(default_factory=dict)
    # the config as the file holds it: a setting added to MemNNConfig later (with a default that keeps
    # older models as they were) must not change an older file's version
    stored_config: dict[str, Any] | None = None

    @property
    def config(self) -> dict[str, Any]:
        return self.stored_config if self.stored_config is not None else self.model.config.to_dict()

    @cached_property
    def version(self) -> str:
        return content_hash(self.model.state_dict(), self.vocabulary.words, self.config)


def content_hash(state: dict[str, torch.Tensor], words: list[str], config: dict[str, int | bool]) -> str:
    """sha256 over the config, the vocabulary and every tensor's bytes in name order (12 hex).

    Metadata (timings, logs) is left out: the same weights are the same model version.
    """
    digest = hashlib.sha256()
    digest.update(json.dumps({"config": config, "vocabulary": words}, sort_keys=True).encode())
    for name in sorted(state):
        tensor = state[name].detach().contiguous().cpu()
        digest.update(name.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()[:12]


def save(checkpoint: Checkpoint, path: Path) -> str:
    """Write the checkpoint; returns its version."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "name": checkpoint.name,
        "config": checkpoint.config,
        "vocabulary": list(checkpoint.vocabulary.words),
        "state_dict": {k: v.detach().cpu() for k, v in checkpoint.model.state_dict().items()},
        "metadata_json": json.dumps(checkpoint.metadata, sort_keys=True),
    }
    torch.save(payload, path)
    return checkpoint.version


def load(path: Path) -> Checkpoint:
    payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a memnn checkpoint (expected format {FORMAT})")
    vocabulary = Vocabulary()
    for word in payload["vocabulary"][2:]:
        vocabulary.add(word)
    if vocabulary.words != payload["vocabulary"]:
        raise ValueError(f"{path}: the vocabulary does not start with the reserved words")
    model = MemNN(MemNNConfig.from_dict(payload["config"]))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return Checkpoint(model, vocabulary, payload["name"], json.loads(payload["metadata_json"]), payload["config"])
