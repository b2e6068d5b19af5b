"""`memnn data babi` against a bAbI archive served over HTTP on this machine (built at test time from
the shared copy: the repository holds no bAbI data), and the message wherever bAbI is missing."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest

from app.cli import main
from app.data import BABI_FOLDERS, missing_babi
from app.memnn.training.babi import load_task
from app.settings import PROJECT_ROOT

from .conftest import BABI_DIR
from .server import free_port

ARCHIVE_ROOT = "tasks_1-20_v1-2"
TEST_CLI = "tests/test_cli.py"  # the top folder of bAbI's own archive


@dataclass
class Served:
    folder: Path
    port: int
    requests: list[str] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def add(self, name: str, files: dict[str, bytes]) -> str:
        """A .tar.gz of ``files`` (archive path -> content), served as ``name``; its URL."""
        with tarfile.open(self.folder / name, "w:gz", compresslevel=1) as tar:
            for path, content in files.items():
                entry = tarfile.TarInfo(path)
                entry.size = len(content)
                tar.addfile(entry, io.BytesIO(content))
        return self.url(name)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A local HTTP server holding babi.tar.gz, bAbI v1.2's en/ and en-10k/ in the archive's layout."""
    folder = tmp_path_factory.mktemp("www")
    state = Served(folder, 0)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            state.requests.append(self.path)

    with tarfile.open(folder / "babi.tar.gz", "w:gz", compresslevel=1) as tar:
        for name in BABI_FOLDERS:
            tar.add(BABI_DIR / name, f"{ARCHIVE_ROOT}/{name}")
        # the shared copy lacks this one file of the archive: en/'s stands in, in the same format
        train3 = "qa3_three-supporting-facts_train.txt"
        if not (BABI_DIR / "en-10k" / train3).exists():
            tar.add(BABI_DIR / "en" / train3, f"{ARCHIVE_ROOT}/en-10k/{train3}")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(folder)))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    thread.join()


def _use(monkeypatch: pytest.MonkeyPatch, babi_dir: Path) -> Path:
    monkeypatch.setenv("MEMNN_BABI_DIR", str(babi_dir))
    return babi_dir


def test_it_downloads_checks_and_unpacks_bAbI_where_MEMNN_BABI_DIR_points(served, tmp_path, monkeypatch, capsys):
    babi_dir = _use(monkeypatch, tmp_path / "data" / "babi")
    assert main(["data", "babi", "--url", served.url("babi.tar.gz")]) == 0
    digest = hashlib.sha256((served.folder / "babi.tar.gz").read_bytes()).hexdigest()
    assert f"sha256 of {served.url('babi.tar.gz')}: {digest}" in capsys.readouterr().out
    assert missing_babi(babi_dir) is None and sorted(p.name for p in babi_dir.iterdir()) == ["en", "en-10k"]
    assert len(list((babi_dir / "en-10k").glob("qa*.txt"))) == 40
    assert load_task(babi_dir / "en", 20, "test") == load_task(BABI_DIR / "en", 20, "test")
    assert [p.name for p in babi_dir.parent.iterdir()] == ["babi"]  # no scratch folder left behind

    downloads = len(served.requests)
    assert main(["data", "babi", "--url", served.url("babi.tar.gz"), "--sha256", digest]) == 0
    assert "already in" in capsys.readouterr().out and len(served.requests) == downloads


def test_a_download_with_another_sha256_is_refused(served, tmp_path, monkeypatch, capsys):
    babi_dir = _use(monkeypatch, tmp_path / "babi")
    assert main(["data", "babi", "--url", served.url("babi.tar.gz"), "--sha256", "ab" * 32]) == 2
    assert f"not the {'ab' * 32} asked for" in capsys.readouterr().err
    assert not babi_dir.exists() and list(tmp_path.iterdir()) == []


def test_an_archive_that_is_not_complete_bAbI_is_refused(served, tmp_path, monkeypatch, capsys):
    task1 = (BABI_DIR / "en" / "qa1_single-supporting-fact_test.txt").read_bytes()
    url = served.add("partial.tar.gz", {f"{ARCHIVE_ROOT}/en/qa1_single-supporting-fact_test.txt": task1})
    babi_dir = _use(monkeypatch, tmp_path / "babi")
    assert main(["data", "babi", "--url", url]) == 2
    assert "no file qa1_*_train.txt under" in capsys.readouterr().err and not babi_dir.exists()

    garbled = {f"{ARCHIVE_ROOT}/{folder}/qa{t}_x_{split}.txt": task1 for folder in BABI_FOLDERS for t in range(1, 21)
               for split in ("train", "test")}  # fmt: skip
    garbled[f"{ARCHIVE_ROOT}/en/qa7_x_test.txt"] = b"1 Mary went home.\n2 Where is Mary?\thome\t9\n"
    assert main(["data", "babi", "--url", served.add("garbled.tar.gz", garbled)]) == 2
    assert "en/qa7_x_test.txt is not bAbI lines" in capsys.readouterr().err and not babi_dir.exists()


def test_an_archive_reaching_outside_its_folder_is_refused(served, tmp_path, monkeypatch, capsys):
    url = served.add("escape.tar.gz", {"../escaped.txt": b"out", f"{ARCHIVE_ROOT}/en/qa1_a_test.txt": b""})
    _use(monkeypatch, tmp_path / "deep" / "babi")
    assert main(["data", "babi", "--url", url]) == 2
    assert "'../escaped.txt', not a plain file inside it" in capsys.readouterr().err
    assert [p.name for p in tmp_path.rglob("*")] == ["deep"]


def test_an_unreachable_url_and_a_folder_in_use_say_what_to_do(served, tmp_path, monkeypatch, capsys):
    babi_dir = _use(monkeypatch, tmp_path / "babi")
    assert main(["data", "babi", "--url", f"http://127.0.0.1:{free_port()}/babi.tar.gz"]) == 2
    assert "Pass --url with a copy you can reach" in capsys.readouterr().err
    assert main(["data", "babi", "--url", served.url("nothing.tar.gz")]) == 2
    assert "nothing.tar.gz: HTTP 404" in capsys.readouterr().err

    babi_dir.mkdir()
    (babi_dir / "notes.txt").write_text("mine")
    assert main(["data", "babi", "--url", served.url("babi.tar.gz")]) == 2
    assert "move them away" in capsys.readouterr().err and (babi_dir / "notes.txt").read_text() == "mine"


def test_train_and_eval_without_bAbI_say_to_run_memnn_data_babi(tmp_path, monkeypatch, capsys):
    _use(monkeypatch, tmp_path / "nowhere")
    assert main(["eval", "--tasks", "1"]) == 2
    assert f"run `memnn data babi` to download bAbI v1.2 into MEMNN_BABI_DIR (now {tmp_path / 'nowhere'})" in (
        capsys.readouterr().err
    )
    assert main(["train", "--tasks", "1", "--out", str(tmp_path / "m.pt")]) == 2
    assert "memnn data babi" in capsys.readouterr().err and not (tmp_path / "m.pt").exists()


def test_the_tests_that_read_bAbI_say_so_too(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_cli.py::test_eval_json_has_the_documented_shape",
        ],
        cwd=PROJECT_ROOT,
        env=dict(os.environ, MEMNN_BABI_DIR=str(tmp_path / "nowhere")),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1 and "run `memnn data babi`" in run.stdout, run.stdout[-3000:]
