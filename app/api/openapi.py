"""The OpenAPI document, made to say exactly what the service accepts.

FastAPI derives the document from the types; the rules that depend on settings (lengths, counts)
or that no Python type states (a statement needs a word and no NUL; a query parameter holds a
JSON object; a field may be left out but never be null) are written in here, once, so that a
client or a fuzzer that follows the document is never refused.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ..settings import Settings
from ..store.filters import FILTER_KEY
from ..store.tables import MAX_POSITION, MAX_VERSION
from .validation import CONTENT_CHARACTER

NO_NUL = "^[^\\u0000]*$"
HAS_CONTENT = f"^[^\\u0000]*{CONTENT_CHARACTER}[^\\u0000]*$"  # what ``validation.check_text`` asks of a text
INT64 = 2**63


def openapi_document(app: FastAPI, settings: Settings) -> dict[str, Any]:
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas = document["components"]["schemas"]
    schemas |= {"JsonValue": _json_value(), "Metadata": _metadata(), "FilterMetadata": _filter_metadata()}
    statement = text_schema(settings.max_statement_chars)
    _describe_writes(schemas, settings, statement)
    _describe_questions(schemas, settings)
    _describe_listing(document["paths"]["/memories"], settings)
    _describe_import(document["paths"]["/banks/{bank}/import"]["post"], statement)
    return document


def text_schema(max_chars: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_chars, "pattern": HAS_CONTENT}


def _json_value() -> dict[str, Any]:
    """Any JSON value both databases store unchanged: no NUL in strings, integers within 64 bits."""
    value = {"$ref": "#/components/schemas/JsonValue"}
    return {
        "anyOf": [
            {"type": "string", "pattern": NO_NUL},
            {"type": "integer", "minimum": -INT64, "maximum": INT64 - 1},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
            {"type": "array", "items": value},
            {"type": "object", "additionalProperties": value, "propertyNames": {"pattern": NO_NUL}},
        ]
    }


def _metadata() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": {"$ref": "#/components/schemas/JsonValue"},
        "propertyNames": {"pattern": NO_NUL},
        "description": "A JSON object kept with the memory and returned as sent (at most MEMNN_MAX_METADATA_BYTES).",
    }


def _filter_metadata() -> dict[str, Any]:
    return {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"pattern": FILTER_KEY.pattern},
        "additionalProperties": {"type": "string", "pattern": NO_NUL},
        "description": "Metadata equality: each key must hold exactly this string.",
        "examples": [{"source": "chat"}],
    }


def _nullable(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}], "description": description}


def _describe_writes(schemas: dict[str, Any], settings: Settings, statement: dict[str, Any]) -> None:
    # ``statements`` and ``text`` may be left out, never sent as null (schemas.MemoriesIn)
    memories = schemas["MemoriesIn"]["properties"]
    memories["statements"] = {
        "type": "array",
        "items": statement,
        "minItems": 1,
        "maxItems": settings.max_statements_per_request,
        "description": memories["statements"]["description"],
    }
    memories["text"] = text_schema(settings.max_text_chars) | {"description": memories["text"]["description"]}
    memories["metadata"] = _nullable({"$ref": "#/components/schemas/Metadata"}, memories["metadata"]["description"])
    schemas["MemoriesIn"]["oneOf"] = [
        {"required": ["statements"], "not": {"required": ["text"]}},
        {"required": ["text"], "not": {"required": ["statements"]}},
    ]
    correction = schemas["CorrectionIn"]
    correction["properties"]["text"] = statement | {"description": correction["properties"]["text"]["description"]}
    correction["properties"]["metadata"] = _nullable(
        {"$ref": "#/components/schemas/Metadata"}, correction["properties"]["metadata"]["description"]
    )
    correction["minProperties"] = 1


def _describe_questions(schemas: dict[str, Any], settings: Settings) -> None:
    ask = schemas["AskIn"]["properties"]
    ask["question"] = text_schema(settings.max_question_chars) | {"description": ask["question"]["description"]}
    filters = schemas["FilterIn"]["properties"]
    filters["metadata"] = {"$ref": "#/components/schemas/FilterMetadata"}  # left out to match all, never null
    for moment in ("created_after", "created_before"):
        filters[moment] = _nullable({"type": "string", "format": "date-time"}, filters[moment]["description"])


def _describe_listing(path: dict[str, Any], settings: Settings) -> None:
    for method in ("get", "delete"):
        for parameter in path[method]["parameters"]:
            name, description = parameter["name"], parameter.get("description", "")
            if name == "metadata":
                parameter.pop("schema")
                parameter["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/FilterMetadata"}}}
            elif name in ("created_after", "created_before"):
                parameter["schema"] = {"type": "string", "format": "date-time", "description": description}
            elif name == "cursor":
                parameter["schema"] = {"type": "string", "pattern": f"^[0-9]{{1,{len(str(MAX_POSITION))}}}$"}
            elif name == "limit":
                parameter["schema"]["maximum"] = settings.max_list_limit


def _describe_import(operation: dict[str, Any], statement: dict[str, Any]) -> None:
    """The body is JSON Lines: each item of this array is one line (what ``GET /banks/{bank}/export``
    writes). Across lines, positions are unique and each history holds versions 1 to version - 1, in
    order: rules no schema states, so a line breaking them is a 422 naming it."""
    metadata = _nullable({"$ref": "#/components/schemas/Metadata"}, "The memory's metadata.")
    moment = {"type": "string", "format": "date-time"}
    version = {"type": "integer", "minimum": 1, "maximum": MAX_VERSION}
    earlier = {
        "type": "object",
        "additionalProperties": False,
        "required": ["version", "text", "metadata", "recorded_at"],
        "properties": {"version": version, "text": statement, "metadata": metadata, "recorded_at": moment},
    }
    line = {
        "type": "object",
        "additionalProperties": False,
        "required": ["position", "text", "created_at"],
        "properties": {
            "position": {"type": "integer", "minimum": 0, "maximum": MAX_POSITION},
            "text": statement,
            "metadata": metadata,
            "created_at": moment,
            "version": version | {"default": 1},
            "updated_at": _nullable(moment, "When it was last corrected."),
            "history": {"type": "array", "items": earlier, "description": "Earlier versions, oldest first."},
        },
    }
    lines = {"type": "array", "minItems": 1, "items": line, "description": operation["requestBody"]["description"]}
    operation["requestBody"]["content"] = {"application/x-ndjson": {"schema": lines}}
