"""The sentence encoders' tables encode exactly as the encoders do."""

import numpy as np
import torch

from app.memnn.model import MemNN, MemNNConfig
from app.memnn.serving.sentence_tables import sentence_tables
from app.memnn.text import PAD_ID, UNK_ID


def test_tables_encode_as_the_sentence_encoders() -> None:
    torch.manual_seed(0)
    model = MemNN(MemNNConfig(vocab_size=30, dim=8, hidden=16, match_len=4)).eval()
    rng = np.random.default_rng(0)
    words = rng.integers(2, 30, size=(50, 14))
    lengths = rng.integers(1, 15, size=50)
    words[np.arange(14)[None] >= lengths[:, None]] = PAD_ID
    words[rng.random(words.shape) < 0.15] = UNK_ID  # unseen words: they shift the bins of the rest
    words[words[:, 0] == PAD_ID, 0] = 5
    words[0] = PAD_ID  # nothing known at all
    tables = sentence_tables(model)
    with torch.no_grad():
        for table, encoder in [
            (tables.question, model.encode_question),
            (tables.candidate, model.encode_candidate),
            (tables.support, model.encode_support),
        ]:
            expected = encoder(torch.from_numpy(words)).numpy()
            np.testing.assert_allclose(table.encode(words), expected, atol=1e-5)
