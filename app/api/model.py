"""The model the service answers with."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from fastapi import APIRouter

from .deps import CheckpointDep, PrincipalDep
from .errors import responses
from .schemas import ModelInfo

router = APIRouter(tags=["model"])


@router.get("/model", response_model=ModelInfo, responses=responses(401))
def model_info(checkpoint: CheckpointDep, _: PrincipalDep) -> ModelInfo:
    """Name, version (content hash), size, hops, training run and recorded test accuracy."""
    metadata = dict(checkpoint.metadata)
    test = metadata.pop("test_results", None)
    metadata.pop("log", None)
    return ModelInfo(
        name=checkpoint.name,
        version=checkpoint.version,
        vocabulary_size=len(checkpoint.vocabulary),
        max_hops=checkpoint.model.config.max_hops,
        embedding_dim=checkpoint.model.config.dim,
        training=_without_paths(metadata),
        test_accuracy=_without_paths(test) if test is not None else None,
    )


def _without_paths(metadata: dict[str, Any]) -> dict[str, Any]:
    """The data sets a run used, by name: the training machine's directories are nobody's business."""
    return {key: PurePath(value).name if key == "data" else value for key, value in metadata.items()}
