"""`memnn data babi`: download bAbI v1.2 from its public home, check it and unpack it where
MEMNN_BABI_DIR points; and the message everything that reads bAbI gives when it is not there.

The check is the layout the project reads: `en/` and `en-10k/`, each with a train and a test file
for every one of the 20 tasks, each file parsed as bAbI lines holding at least one question.
Nothing is put in place until the whole archive has passed it.
"""

from __future__ import annotations

import hashlib
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

# the archive the bAbI page (research.facebook.com/downloads/babi) links to
BABI_URL = "http://www.thespermwhale.com/jaseweston/babi/tasks_1-20_v1-2.tar.gz"
BABI_FOLDERS = ("en", "en-10k")
BABI_TASKS = range(1, 21)
CHUNK_BYTES = 1 << 16


def babi_hint(babi_dir: Path) -> str:
    """What to do when bAbI is missing: the same words from every command and the tests."""
    return f"run `memnn data babi` to download bAbI v1.2 into MEMNN_BABI_DIR (now {babi_dir})"


def missing_babi(babi_dir: Path) -> str | None:
    """Why ``babi_dir`` cannot serve bAbI's English tasks (`en/`), or None when it can."""
    folder = babi_dir / "en"
    if not any(folder.glob("qa*_*_t*.txt")):
        return f"bAbI is not in {babi_dir} (no qa*.txt files in {folder}): {babi_hint(babi_dir)}"
    return None


def babi_problems(root: Path) -> list[str]:
    """Every way ``root`` differs from a complete bAbI v1.2 copy; empty when it is one."""
    from .memnn.training.babi import parse_lines, task_file

    problems: list[str] = []
    for folder in BABI_FOLDERS:
        for task in BABI_TASKS:
            for split in ("train", "test"):
                try:
                    path = task_file(root / folder, task, split)
                except FileNotFoundError as error:
                    problems.append(f"{folder}/: {error}")
                    continue
                try:
                    questions = parse_lines(path.read_text(encoding="utf-8").splitlines(), task)
                except (ValueError, KeyError) as error:
                    problems.append(f"{folder}/{path.name} is not bAbI lines ({error!r})")
                    continue
                if not questions:
                    problems.append(f"{folder}/{path.name} holds no question")
    return problems


def download_babi(
    babi_dir: Path,
    url: str = BABI_URL,
    sha256: str | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> str | None:
    """Download the archive at ``url``, check it (``sha256`` if given, then the layout) and unpack it
    into ``babi_dir``. Returns the archive's sha256, or None when ``babi_dir`` already held bAbI.
    ``progress(bytes so far, total or None)`` follows the download."""
    if not babi_problems(babi_dir):
        return None
    if babi_dir.exists() and any(babi_dir.iterdir()):
        raise ValueError(
            f"{babi_dir} holds files but not a complete bAbI v1.2 copy ({babi_problems(babi_dir)[0]}): move them "
            "away, or set MEMNN_BABI_DIR to an empty or new folder"
        )
    babi_dir.parent.mkdir(parents=True, exist_ok=True)
    # unpacked beside its destination, so that putting it in place is a rename on one file system
    with tempfile.TemporaryDirectory(dir=babi_dir.parent, prefix=".babi-download-") as scratch:
        archive = Path(scratch) / "babi.tar.gz"
        digest = _download(url, archive, progress)
        if sha256 is not None and digest != sha256.strip().lower():
            raise ValueError(f"{url} has sha256 {digest}, not the {sha256} asked for: nothing was unpacked")
        root = _unpacked_root(archive, Path(scratch) / "unpacked")
        problems = babi_problems(root)
        if problems:
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            raise ValueError(f"{url} is not bAbI v1.2: {problems[0]}{more}; nothing was unpacked")
        babi_dir.mkdir(exist_ok=True)
        for entry in sorted(root.iterdir()):
            entry.rename(babi_dir / entry.name)
    return digest


def _download(url: str, archive: Path, progress: Callable[[int, int | None], None] | None) -> str:
    digest = hashlib.sha256()
    received = 0
    try:
        with urllib.request.urlopen(url, timeout=60) as response, archive.open("wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            while chunk := response.read(CHUNK_BYTES):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if progress is not None:
                    progress(received, total)
    except (urllib.error.URLError, OSError, ValueError) as error:
        if isinstance(error, urllib.error.HTTPError):
            reason: object = f"HTTP {error.code} {error.reason}"
        else:
            reason = getattr(error, "reason", None) or error
        raise ValueError(
            f"could not download {url}: {reason}. Pass --url with a copy you can reach "
            "(another mirror, or file:///path/to/tasks_1-20_v1-2.tar.gz)"
        ) from None
    return digest.hexdigest()


def _unpacked_root(archive: Path, destination: Path) -> Path:
    """Unpack ``archive`` (plain files and folders inside it only) and find the folder holding `en/`."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                parts = PurePosixPath(member.name).parts
                if not (member.isfile() or member.isdir()) or member.name.startswith("/") or ".." in parts:
                    raise ValueError(
                        f"the archive holds {member.name!r}, not a plain file inside it: nothing was unpacked"
                    )
            safe: dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(destination, members=members, **safe)
    except tarfile.TarError as error:
        raise ValueError(
            f"the download is not a tar archive ({error}): is the URL bAbI's tasks_1-20_v1-2.tar.gz?"
        ) from None
    for candidate in [destination, *sorted(p for p in destination.iterdir() if p.is_dir())]:
        if (candidate / "en").is_dir():
            return candidate
    raise ValueError("the archive holds no en/ folder: is it bAbI's tasks_1-20_v1-2.tar.gz?")
