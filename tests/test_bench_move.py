"""The move benchmark at a tiny size: every step runs end to end (SQLite, PostgreSQL, SQLite), the
exports are identical, and it writes its section of BENCHMARKS.md, leaving the others as they were."""

from pathlib import Path

import pytest

from bench import move, sections

from .conftest import POSTGRES_ADMIN_URL


@pytest.mark.slow
def test_the_move_benchmark_writes_its_section(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(f"# Benchmarks\n\nhead\n\n## Ingest\n\nrows\n\n## {move.TITLE}\n\nold figures\n")
    move.main(["--statements", "1500", "--postgres-url", POSTGRES_ADMIN_URL, "--out", str(out)])
    head, written = sections.split(out.read_text())
    assert head == "# Benchmarks\n\nhead\n\n" and list(written) == ["Ingest", move.TITLE]
    section = written[move.TITLE]
    assert "old figures" not in section and "`python -m bench.move --statements 1500`" in section
    steps = [line for line in section.splitlines() if line.startswith("| ") and "`memnn bank" in line]
    assert len(steps) == 6 and "`memnn bank import b source.jsonl --database-url $SQLITE`" in steps[0]
    assert "identical, byte for byte" in section
