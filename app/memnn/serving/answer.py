"""O then R over one bank, for the service: the answer, its alternatives and the evidence hop by hop."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..model import MemNN, answer_candidates, answered
from ..text import Vocabulary, no_answer_column
from .bank import BankView
from .encode import BankEncoder
from .scan import BankScan, FactMatches, ScoreRows, infer


@dataclass
class Hop:
    memory: int  # the memory's row in the view O read (``ModelAnswer.naming`` turns rows into ids)
    score: float


@dataclass
class HopCandidates:
    """What O weighed at one hop: its best memories (the chosen one among them) and STOP."""

    hop: int
    candidates: list[Hop]
    stop_score: float


@dataclass
class ModelAnswer:
    words: list[str]  # R's answer: every word it scored above "nothing", best first (["nothing"] if none)
    score: float  # s_R of the best of them
    alternatives: list[tuple[str, float]]
    hops: list[Hop]
    considered: list[HopCandidates] = field(default_factory=list)  # filled when asked to explain

    @property
    def answer(self) -> str:
        """The answer as one string: a list's words joined by commas, as bAbI writes them."""
        return ",".join(self.words)

    def naming(self, ids: np.ndarray) -> ModelAnswer:
        """The same answer with each memory named by ``ids[row]`` instead of its row of the view."""

        def named(hop: Hop) -> Hop:
            return Hop(int(ids[hop.memory]), hop.score)

        considered = [HopCandidates(c.hop, [named(h) for h in c.candidates], c.stop_score) for c in self.considered]
        return ModelAnswer(self.words, self.score, self.alternatives, [named(h) for h in self.hops], considered)

    def memories(self) -> list[int]:
        """Every memory the answer names: the evidence, then each hop's candidates."""
        return [h.memory for h in self.hops] + [h.memory for c in self.considered for h in c.candidates]


@torch.no_grad()
def answer(
    model: MemNN,
    vocabulary: Vocabulary,
    encoder: BankEncoder,
    view: BankView,
    question: str,
    max_hops: int | None = None,
    alternatives: int = 4,
    explain_top: int = 0,
    hashed: bool = False,
    score_rows: ScoreRows | None = None,
    fact_matches: FactMatches | None = None,
) -> ModelAnswer:
    """O over the bank (hops until STOP or ``max_hops``), then R over the vocabulary.

    ``explain_top`` > 0 also returns, for every hop taken, the ``explain_top`` best memories
    of that hop given the hops before it, and the STOP score. ``hashed``: O scores only the
    memories the paper's word hashing finds (see ``BankScan``). ``score_rows`` and ``fact_matches``: the
    bank's own, kept between its questions (see ``BankScan``).
    """
    asked = encoder.question(question)
    candidates = answer_candidates(len(vocabulary))
    scan = BankScan(model, view, asked, hashed, score_rows, fact_matches)
    result = infer(model, view, asked, candidates, max_hops, scan=scan)
    # R's candidates: the vocabulary, then the chosen memories' words that no vocabulary holds
    names = list(vocabulary.words[int(candidates[0]) :]) + encoder.words_of(result.unseen[0])
    scores = result.answer_scores[0]
    words = answered(scores, no_answer_column(vocabulary, model.config.answer_sets))
    others = [int(i) for i in scores.argsort(descending=True)[: alternatives + len(words)] if int(i) not in words]
    hops = [Hop(int(m), float(s)) for m, s in zip(result.chosen[0], result.hop_scores[0], strict=True) if int(m) >= 0]
    considered = _considered(scan, hops, explain_top) if explain_top else []
    runners_up = [(names[i], float(scores[i])) for i in others[:alternatives]]
    return ModelAnswer([names[i] for i in words], float(scores[words[0]]), runners_up, hops, considered)


def _considered(scan: BankScan, hops: list[Hop], top: int) -> list[HopCandidates]:
    chosen = torch.tensor([[h.memory for h in hops]], dtype=torch.long)
    considered = []
    for hop in range(len(hops)):
        scores = scan.hop_scores(chosen[:, :hop])[0]  # (N + 1,), STOP last
        memory_scores = scores[:-1]
        ranked = memory_scores.topk(min(top, len(memory_scores))).indices
        best = [Hop(int(i), float(memory_scores[i])) for i in ranked if torch.isfinite(memory_scores[i])]
        considered.append(HopCandidates(hop + 1, best, float(scores[-1])))
    return considered
