"""Bank matrices saved to disk, so a restarted server has a large bank ready in about a second.

A snapshot stands for one exact state: it is used only when its bank id, write sequence and
model version all equal the database's and this process's, and is otherwise ignored (the bank
is rebuilt from its rows). Servers save their large, current matrices when they shut down.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from ..memnn.serving.bank import WordIndex
from ..memnn.serving.encode import BankEncoder
from .bank_matrix import BankMatrix

FORMAT = 2  # 2: no write positions (the rows' order is theirs)
ARRAYS = ("ids", "created", "candidate", "support", "heads")


def path_for(folder: Path, bank: str) -> Path:
    return folder / f"bank-{hashlib.sha256(bank.encode()).hexdigest()[:24]}.npz"


def save(folder: Path, bank: str, matrix: BankMatrix, model_version: str) -> Path:
    """Write the matrix's rows (atomically: a reader never sees half a file)."""
    n = matrix.size
    header = {
        "format": FORMAT,
        "bank": bank,
        "bank_id": matrix.bank_id,
        "write_sequence": matrix.write_sequence,
        "model_version": model_version,
        "size": n,
        "unseen": matrix.encoder.unseen_words(),
        "metadata_values": matrix.metadata_values,
    }
    words, starts, rows = matrix.index.to_arrays()
    arrays = {name: getattr(matrix, name)[:n] for name in ARRAYS}
    arrays |= {"tokens": matrix.tokens[: matrix.token_starts[n]], "token_starts": matrix.token_starts[: n + 1]}
    arrays |= {"index_words": words, "index_starts": starts, "index_rows": rows}
    arrays |= {f"metadata.{key}": codes[:n] for key, codes in matrix.metadata_codes.items()}
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, header=np.array(json.dumps(header)), **arrays)
        os.replace(temporary, path_for(folder, bank))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path_for(folder, bank)


def load(
    folder: Path, bank: str, bank_id: int, write_sequence: int, model_version: str, encoder: BankEncoder, match_len: int
) -> BankMatrix | None:
    """The saved matrix of exactly this state of the bank, or None."""
    path = path_for(folder, bank)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            header = json.loads(str(saved["header"]))
            current = (FORMAT, bank, bank_id, write_sequence, model_version)
            if tuple(header[k] for k in ("format", "bank", "bank_id", "write_sequence", "model_version")) != current:
                return None
            arrays = {name: saved[name] for name in saved.files if name != "header"}
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None  # unreadable or from another format: rebuilt from the rows instead
    n = int(header["size"])
    encoder.restore(header["unseen"])
    matrix = BankMatrix(bank_id, write_sequence, encoder, arrays["candidate"].shape[1], match_len)
    for name in ARRAYS:
        setattr(matrix, name, arrays[name])
    matrix.tokens, matrix.token_starts = arrays["tokens"], arrays["token_starts"]
    codes = {name.split(".", 1)[1]: codes for name, codes in arrays.items() if name.startswith("metadata.")}
    matrix.restore_metadata(codes, header["metadata_values"])
    matrix.index = WordIndex.from_arrays(
        match_len, n, arrays["index_words"], arrays["index_starts"], arrays["index_rows"]
    )
    matrix.size = n
    return matrix
