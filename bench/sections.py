"""BENCHMARKS.md as sections ("## title" and what follows), so that each benchmark module writes its own
and leaves the others' as they are."""

from __future__ import annotations

import re
from pathlib import Path


def split(text: str) -> tuple[str, dict[str, str]]:
    """(what comes before the first section, each section by its title, in order, its heading included)."""
    parts = re.split(r"(?m)^(?=## )", text)
    head, sections = parts[0], {}
    for part in parts[1:]:
        sections[part.splitlines()[0][3:].strip()] = part.rstrip() + "\n"
    return head, sections


def replace(path: Path, title: str, section: str) -> None:
    """Write ``section`` (starting "## title") into ``path`` in place of the one of that title, or at the end."""
    head, sections = split(path.read_text() if path.exists() else "# Benchmarks\n\n")
    sections[title] = section.rstrip() + "\n"
    path.write_text(head.rstrip() + "\n\n" + "\n".join(sections.values()))


def others(path: Path, titles: set[str]) -> list[str]:
    """The sections of ``path`` with none of these titles: those another module wrote."""
    if not path.exists():
        return []
    return [section.rstrip() for title, section in split(path.read_text())[1].items() if title not in titles]
