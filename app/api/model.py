"""The model the service answers with."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import CheckpointDep
from ..schemas import ModelInfo

router = APIRouter(tags=["model"])


@router.get("/model", response_model=ModelInfo)
def model_info(checkpoint: CheckpointDep) -> ModelInfo:
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
        training=metadata,
        test_accuracy=test,
    )
