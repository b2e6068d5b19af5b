"""O then R over one bank, for the service: the answer, its alternatives and the evidence hop by hop."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..model import MemNN, answer_candidates, answered
from .bank import BankView
from .encode import BankEncoder
from .scan import BankScan, ScanScratch, infer


@dataclass(frozen=True)
class Asked:
    """A question, and how to answer it."""

    text: str
    max_hops: int | None = None  # hops until STOP, or at most this many
    explain_top: int = 0  # > 0: also each hop's this many best memories, and STOP's score
    hashed: bool = False  # O scores only the memories the paper's word hashing finds (see ``BankScan``)
    alternatives: int = 4  # runner-up answers


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
    model: MemNN, encoder: BankEncoder, view: BankView, asked: Asked, scratch: ScanScratch | None = None
) -> ModelAnswer:
    """O over the bank's ``view`` (hops until STOP or ``asked.max_hops``), then R over the vocabulary
    (``encoder``'s, with the bank's unseen words).

    With ``asked.explain_top`` > 0 it also returns, for every hop taken, that many best memories of
    the hop given the hops before it, and the STOP score. ``scratch``: the bank's own, kept between
    its questions (see ``BankScan``).
    """
    vocabulary = encoder.vocabulary
    question = encoder.question(asked.text)
    candidates = answer_candidates(len(vocabulary))
    scan = BankScan(model, view, question, asked.hashed, scratch)
    result = infer(model, view, question, candidates, asked.max_hops, scan=scan)
    # R's candidates: the vocabulary, then the chosen memories' words that no vocabulary holds
    names = list(vocabulary.words[int(candidates[0]) :]) + encoder.words_of(result.unseen[0])
    scores = result.answer_scores[0]
    words = answered(scores, int(result.answer_sizes[0]))
    others = [int(i) for i in scores.argsort(descending=True)[: asked.alternatives + len(words)] if int(i) not in words]
    hops = [Hop(int(m), float(s)) for m, s in zip(result.chosen[0], result.hop_scores[0], strict=True) if int(m) >= 0]
    considered = _considered(scan, hops, asked.explain_top) if asked.explain_top else []
    runners_up = [(names[i], float(scores[i])) for i in others[: asked.alternatives]]
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
