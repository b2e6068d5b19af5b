"""The tenants benchmark at a tiny size: it runs end to end against a real server and writes its section
of BENCHMARKS.md, leaving the other sections as they were."""

from pathlib import Path

import pytest

from bench import sections, tenants


@pytest.mark.slow
def test_the_tenants_benchmark_writes_its_section(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n\nhead\n\n## Ingest\n\nrows\n\n## Many tenants: the bounded cache\n\nold figures\n")
    tenants.main(["--banks", "60", "--statements", "20-40", "--cache-mb", "1", "--questions", "120", "--out", str(out)])
    head, written = sections.split(out.read_text())
    assert head == "# Benchmarks\n\nhead\n\n" and list(written) == ["Ingest", tenants.TITLE]
    assert written["Ingest"] == "## Ingest\n\nrows\n"
    section = written[tenants.TITLE]
    assert "old figures" not in section and "`python -m bench.tenants --banks 60 --statements 20-40" in section
    samples = [line.split(" | ") for line in section.splitlines() if line.startswith("| 1") or line.startswith("| 2")]
    assert len(samples) >= 2  # resident memory as the questions go on
    evictions = int(samples[-1][-1].strip(" |").replace(",", ""))
    assert evictions > 0  # 60 banks of 20 to 40 statements do not fit in 1 MB
    assert "a small bank's first question" in section and "target <= 3x" in section
