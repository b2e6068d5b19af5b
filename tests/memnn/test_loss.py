"""R's answer-set loss: an answer's words above "nothing", "nothing" above every other word, margins."""

import torch

from app.memnn.training.train import answer_set_loss

NOTHING = 0  # the threshold word's column


def _loss(scores: list[list[float]], answer: list[int]) -> float:
    row = torch.tensor(scores)
    targets = torch.zeros_like(row, dtype=torch.bool)
    targets[0, answer] = True
    allowed = torch.ones_like(targets)
    return float(answer_set_loss(row, targets, NOTHING, allowed, 8, 1.0, torch.Generator().manual_seed(0))[0])


def test_nothing_to_learn_when_the_answer_leads_nothing_which_leads_the_rest_by_the_margin():
    assert _loss([[2.0, 3.5, 0.5, 0.0]], [1]) == 0.0
    assert _loss([[2.0, 3.5, 3.2, 0.0]], [1, 2]) == 0.0  # a list: both words above "nothing"
    assert _loss([[3.0, 1.5, 0.5, 0.0]], [NOTHING]) == 0.0  # the answer "nothing"


def test_every_order_that_answers_wrongly_costs():
    assert _loss([[3.5, 2.0, 0.5, 0.0]], [1]) > 0  # "nothing" above the answer: R would say nothing
    assert _loss([[2.0, 3.5, 2.5, 0.0]], [1]) > 0  # another word above "nothing": R would say it too
    assert _loss([[2.0, 3.5, 1.5, 0.0]], [1, 2]) > 0  # a list's word under "nothing": R would leave it out


def test_a_hard_question_pulls_its_answer_up_at_least_as_hard_as_it_pushes_nothing_up():
    """Many other words within the margin of "nothing" must not lift it above the answer: the answer's
    gradient up is at least "nothing"'s."""
    scores = torch.tensor([[1.0, 1.2, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]], requires_grad=True)
    targets = torch.zeros_like(scores, dtype=torch.bool)
    targets[0, 1] = True
    loss = answer_set_loss(scores, targets, NOTHING, torch.ones_like(targets), 8, 1.0, torch.Generator())
    loss.sum().backward()
    assert scores.grad is not None
    answer_up, nothing_up = -float(scores.grad[0, 1]), -float(scores.grad[0, NOTHING])
    assert answer_up >= nothing_up
