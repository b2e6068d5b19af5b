"""What schemathesis needs to speak to memnn beyond its OpenAPI document (loaded by
``schemathesis.toml`` and by ``tests/api/test_fuzz.py``).

- ``application/x-ndjson``: an import body is JSON Lines; the document describes it as an array,
  one item per line, and this writes each item as a line.
- An import's lines must agree with one another (unique positions; each history holds versions 1
  to version - 1), which no schema states: a generated body meant to be valid is made so.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from schemathesis.generation import GenerationMode

IMPORT_PATH = "/banks/{bank}/import"
MAX_POSITION = 2**53 - 1  # app.store.tables.MAX_POSITION (this file runs without the app installed too)


@schemathesis.serializer("application/x-ndjson")
def json_lines(_context: Any, value: Any) -> bytes:
    items = value if isinstance(value, list) else [value]
    return "".join(json.dumps(item) + "\n" for item in items).encode()


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    operation = context.operation
    if operation is None or operation.path != IMPORT_PATH or case.meta is None:
        return case
    if case.meta.generation.mode is not GenerationMode.POSITIVE or not isinstance(case.body, list):
        return case
    taken: set[int] = set()
    for line in case.body:
        if not isinstance(line, dict):
            return case
        position = line.get("position", 0)
        while position in taken:
            position = (position + 1) % (MAX_POSITION + 1)
        taken.add(position)
        line["position"] = position
        history = line.get("history", [])
        for number, earlier in enumerate(history, 1):
            earlier["version"] = number
        line["version"] = len(history) + 1
    return case
