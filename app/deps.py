"""Typed dependencies: routes declare what they need in their signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .memnn.checkpoint import Checkpoint
from .service import MemoryService
from .settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_service(request: Request) -> MemoryService:
    service: MemoryService = request.app.state.service
    return service


def get_checkpoint(request: Request) -> Checkpoint:
    return get_service(request).checkpoint


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[MemoryService, Depends(get_service)]
CheckpointDep = Annotated[Checkpoint, Depends(get_checkpoint)]
