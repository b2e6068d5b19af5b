"""Serving's precomputed tables, built once per model: serving never changes a model's weights."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TypeVar

from ..model import MemNN

Tables = TypeVar("Tables")


def once_per_model(build: Callable[[MemNN], Tables]) -> Callable[[MemNN], Tables]:
    """``build(model)``, computed on a model's first call and kept while the model lives."""
    built: weakref.WeakKeyDictionary[MemNN, Tables] = weakref.WeakKeyDictionary()

    def tables(model: MemNN) -> Tables:
        if model not in built:
            built[model] = build(model)
        return built[model]

    return tables
