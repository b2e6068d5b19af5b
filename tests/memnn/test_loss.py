"""R's losses for a set of answer words (a list): every answer word above the others by the margin,
and the answer's size above the other sizes."""

import torch

from app.memnn.training.train import answer_words_loss


def _loss(scores: list[float], answer: list[int]) -> float:
    row = torch.tensor([scores])
    targets = torch.zeros_like(row, dtype=torch.bool)
    targets[0, answer] = True
    allowed = torch.ones_like(targets)
    return float(answer_words_loss(row, targets, allowed, 8, 1.0, torch.Generator().manual_seed(0))[0])


def test_nothing_to_learn_when_every_answer_word_leads_every_other_by_the_margin():
    assert _loss([0.0, 3.5, 0.5, 2.5], [1]) == 0.0
    assert _loss([0.0, 3.5, 3.2, 2.0], [1, 2]) == 0.0  # a list: both its words ahead of the rest


def test_a_list_word_behind_another_word_costs_however_well_the_others_do():
    assert _loss([0.0, 3.5, 0.5, 2.8], [1]) > 0  # within the margin
    assert _loss([0.0, 3.5, 1.5, 2.0], [1, 2]) > 0  # the list's second word behind a word not in it


def test_each_answer_word_is_pushed_up_as_hard_as_a_single_answer_would_be():
    """A list's loss is the mean of its words' losses: a long list does not outweigh a one-word answer."""
    single = _loss([0.0, 0.5, 0.5, 0.5], [1])
    assert _loss([0.0, 0.5, 0.5, 0.5, 0.5], [1, 2]) == single
