"""Training: the paper's margin ranking loss with sampled negatives and strong supervision."""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch
from torch import Tensor

from ..features import EncodedQuestion, QuestionTensors, to_tensors
from ..model import MemNN, MemNNConfig, QuestionBatch, answer_candidates
from ..text import PAD_ID, Vocabulary, answer_parts
from .babi import Question, encode_questions, split_validation, words_of
from .evaluate import predict, task_results
from .renamed import rename_some

ANSWER_SIZES = 6  # the longest list R learns to answer with (what people carry, counted)


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = 2e-3
    margin: float = 1.0  # γ
    memory_negatives: int = 8  # sampled false memories (and STOP) per hop
    answer_negatives: int = 16  # sampled false answer words
    window: int = 50  # training reads the 50 most recent statements; evaluation reads them all
    validation_fraction: float = 0.1
    rename_rate: float = 0.0  # share of training questions with entities renamed to unseen words
    # tasks whose questions come that many times an epoch: the hardest to compose (bAbI's 17 and 19),
    # when generated data would otherwise crowd them out
    repeat: dict[int, int] = field(default_factory=dict)
    seed: int = 1
    threads: int = 2


@dataclass
class Generated:
    """Training data from a generator (the simulated world): questions drawn anew for every epoch,
    so a model never sees the same story twice; a fixed draw for validation; and the vocabulary to
    train with (words outside it are unseen words, known by their match ids alone)."""

    draw: Callable[[int], list[Question]]  # epoch -> that epoch's questions
    validation: list[Question]
    vocabulary: list[str]


@dataclass
class EpochLog:
    epoch: int
    loss: float
    validation_accuracy: float
    seconds: float


@dataclass
class TrainResult:
    model: MemNN
    vocabulary: Vocabulary
    best_epoch: int
    validation_accuracy: float
    log: list[EpochLog] = field(default_factory=list)
    seconds: float = 0.0

    def metadata(self) -> dict[str, object]:
        return {
            "best_epoch": self.best_epoch,
            "validation_accuracy": round(self.validation_accuracy, 4),
            "training_seconds": round(self.seconds, 1),
            "log": [asdict(entry) for entry in self.log],
        }


def margin_ranking_loss(
    scores: Tensor, target: Tensor, allowed: Tensor, negatives: int, margin: float, generator: torch.Generator
) -> Tensor:
    """Σ over sampled negatives f̄ of max(0, γ - s(target) + s(f̄)), per row -> (B,).

    ``scores`` (B, K); ``allowed`` (B, K) marks candidates that may be drawn as negatives.
    """
    eligible = allowed.clone()
    eligible[torch.arange(len(target)), target] = False
    drawn, drawn_ok = _sampled(scores, eligible, negatives, generator)
    hinge = (margin - scores.gather(1, target[:, None]) + scores.gather(1, drawn)).clamp(min=0)
    return torch.where(drawn_ok, hinge, torch.zeros_like(hinge)).sum(1)


def answer_words_loss(
    scores: Tensor, targets: Tensor, allowed: Tensor, negatives: int, margin: float, generator: torch.Generator
) -> Tensor:
    """R's ranking loss when an answer is a set of words (a list): each answer word beats sampled other
    words by the margin (the paper's loss, for each of the answer's words, averaged over them) -> (B,).
    ``scores`` (B, K), ``targets`` (B, K) True at the answer's words, ``allowed`` (B, K) the candidates."""
    drawn, drawn_ok = _sampled(scores, allowed & ~targets, negatives, generator)
    other = scores.gather(1, drawn).masked_fill(~drawn_ok, float("-inf"))  # (B, n)
    beaten = (margin - scores[:, :, None] + other[:, None, :]).clamp(min=0)  # (B, K, n): answer k vs other j
    return (beaten * targets[:, :, None]).sum((1, 2)) / targets.sum(1).clamp(min=1)


def _sampled(scores: Tensor, eligible: Tensor, count: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """``count`` negatives per row among ``eligible``, and whether each is one (rows may have fewer).

    The draw is uniform except that the highest-scoring false candidate is always among them:
    with ~170 answer words, a uniform draw of 16 rarely holds the one confusable answer
    ("no" for "yes"), and the margin would never be enforced where it matters."""
    rows = torch.arange(len(scores))
    noise = torch.rand(scores.shape, generator=generator).masked_fill(~eligible, -1.0)
    hardest = scores.detach().masked_fill(~eligible, float("-inf")).argmax(dim=1)
    noise[rows, hardest] += 2.0 * eligible[rows, hardest]
    drawn_noise, drawn = noise.topk(min(count, scores.shape[1]), dim=1)
    return drawn, drawn_noise >= 0


def batch_loss(
    model: MemNN,
    batch: QuestionTensors,
    candidates: Tensor,
    config: TrainConfig,
    generator: torch.Generator,
) -> Tensor:
    """Strong supervision: each hop's labelled fact (then STOP) against sampled ones, and R: the
    answer's words against sampled others, and (a model with answer sizes) the answer's size against
    the other sizes."""
    memories = model.memory_batch(batch.memory_words, batch.memory_matches, batch.memory_mask)
    question = QuestionBatch(batch.question_words, batch.question_matches)
    n_memories = batch.memory_mask.shape[1]
    n_support = (batch.supporting >= 0).sum(1)
    question_slot = model.question_slot(memories, question)
    total = torch.zeros(())
    for hop in range(batch.supporting.shape[1] + 1):
        active = n_support >= hop
        if not bool(active.any()):
            break
        target = batch.supporting[:, hop] if hop < batch.supporting.shape[1] else torch.full_like(n_support, -1)
        target = torch.where(hop >= n_support, n_memories, target)  # after the last fact: STOP
        scores = model.hop_scores(memories, question, batch.supporting[:, :hop], question_slot)
        allowed = torch.isfinite(scores)
        scores = scores.masked_fill(~allowed, 0.0)
        loss = margin_ranking_loss(scores, target, allowed, config.memory_negatives, config.margin, generator)
        total = total + loss[active].sum()
    # R: the vocabulary's words, then the words of the supporting facts no vocabulary holds (R must
    # learn to answer with a word it has never seen, known only by where it occurs)
    unseen = model.unseen_words(memories, batch.supporting)
    answer_scores, size_scores = model.answer_scores(memories, question, batch.supporting, candidates, unseen)
    allowed = torch.isfinite(answer_scores)
    answer_scores = answer_scores.masked_fill(~allowed, 0.0)
    targets = answer_targets(batch, candidates, unseen)
    if size_scores.shape[1]:
        answer_loss = answer_words_loss(
            answer_scores, targets, allowed, config.answer_negatives, config.margin, generator
        )
        size = (targets.sum(1) - 1).clamp(max=size_scores.shape[1] - 1)  # sizes 1.. at columns 0..
        every = torch.ones_like(size_scores, dtype=torch.bool)
        answer_loss = answer_loss + margin_ranking_loss(
            size_scores, size, every, size_scores.shape[1], config.margin, generator
        )
    else:  # one word: the first of the answer's
        first = targets.float().argmax(dim=1)
        answer_loss = margin_ranking_loss(
            answer_scores, first, allowed, config.answer_negatives, config.margin, generator
        )
    total = total + answer_loss.sum()
    return total / len(batch.answers)


def answer_targets(batch: QuestionTensors, candidates: Tensor, unseen: Tensor) -> Tensor:
    """(B, C + U) True at each question's answer words: vocabulary words by id, unseen ones by match id."""
    first, count = int(candidates[0]), len(candidates)
    targets = torch.zeros(len(batch.answers), count + unseen.shape[1], dtype=torch.bool)
    rows, items = torch.nonzero(batch.answers >= first, as_tuple=True)
    targets[rows, batch.answers[rows, items] - first] = True
    wanted = batch.answer_matches != PAD_ID  # (B, A)
    found = (unseen[:, None, :] == batch.answer_matches[:, :, None]) & wanted[:, :, None]  # (B, A, U)
    if not bool(found.any(2)[wanted].all()):
        raise ValueError("an unseen answer word is not among the words of its supporting facts")
    targets[:, count:] = found.any(1)
    if not bool(targets.any(1).all()):
        raise ValueError("a question whose answer R can never give (no vocabulary word, no word of its facts)")
    return targets


def task_batches(
    examples: list[EncodedQuestion],
    tasks: list[int],
    size: int,
    rng: random.Random,
    repeat: dict[int, int] | None = None,
) -> list[list[int]]:
    """Shuffled batches, each from one task (stories of one task have similar lengths); a task in
    ``repeat`` has its questions that many times in an epoch, each time in another order."""
    batches = []
    for task in sorted(set(tasks)):
        for _ in range((repeat or {}).get(task, 1)):
            indices = [i for i, t in enumerate(tasks) if t == task]
            rng.shuffle(indices)
            batches += [indices[i : i + size] for i in range(0, len(indices), size)]
    rng.shuffle(batches)
    return batches


def train(
    questions: list[Question],
    model_config: dict[str, int | bool],
    config: TrainConfig,
    progress: Callable[[int, int], None] | None = None,
    log: Callable[[str], None] = print,
    generated: Generated | None = None,
) -> TrainResult:
    """Train on ``questions`` with a validation split cut from them, and on ``generated`` questions
    if given (validated on their own fixed draw); keep the best epoch."""
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = random.Random(config.seed)
    generator = torch.Generator().manual_seed(config.seed)

    train_questions, valid_questions = split_validation(questions, config.validation_fraction)
    vocabulary = Vocabulary(words_of(train_questions) if generated is None else generated.vocabulary)
    model = MemNN(MemNNConfig.from_dict({"vocab_size": len(vocabulary), "answer_sizes": ANSWER_SIZES, **model_config}))
    model.set_answer_parts(torch.tensor(answer_parts(vocabulary, model.config.answer_parts)))
    renaming = random.Random(config.seed + 1)
    fixed_examples = encode_questions(
        rename_some(train_questions, config.rename_rate, vocabulary, renaming), vocabulary, config.window
    )
    if generated is not None:
        valid_questions = [*valid_questions, *generated.validation]
    valid_examples = encode_questions(valid_questions, vocabulary)
    candidates = answer_candidates(len(vocabulary))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, config.epochs))

    best_state, best_accuracy, best_epoch, history = copy.deepcopy(model.state_dict()), -1.0, 0, []
    for epoch in range(1, config.epochs + 1):
        epoch_started = time.perf_counter()
        model.train()
        epoch_questions = train_questions if generated is None else [*train_questions, *generated.draw(epoch)]
        train_examples = fixed_examples
        if generated is not None:
            drawn = rename_some(epoch_questions[len(train_questions) :], config.rename_rate, vocabulary, renaming)
            train_examples = [*fixed_examples, *encode_questions(drawn, vocabulary, config.window)]
        tasks = [q.task for q in epoch_questions]
        batches = task_batches(train_examples, tasks, config.batch_size, rng, config.repeat)
        running = 0.0
        for step, indices in enumerate(batches):
            batch = to_tensors([train_examples[i] for i in indices])
            loss = batch_loss(model, batch, candidates, config, generator)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            running += float(loss.detach())
            if progress:
                progress(step + 1, len(batches))
        schedule.step()
        predictions = predict(model, vocabulary, valid_examples)
        results = task_results(valid_questions, valid_examples, predictions)
        accuracy = sum(r.accuracy for r in results) / len(results)
        entry = EpochLog(epoch, running / len(batches), accuracy, time.perf_counter() - epoch_started)
        history.append(entry)
        worst = sorted(results, key=lambda r: r.accuracy)[:3]
        log(
            f"epoch {epoch}: loss {entry.loss:.3f}, validation accuracy {100 * accuracy:.1f}% "
            f"(weakest: {', '.join(f'{r.task}:{100 * r.accuracy:.0f}' for r in worst)}), {entry.seconds:.0f}s"
        )
        if accuracy > best_accuracy:
            best_state, best_accuracy, best_epoch = copy.deepcopy(model.state_dict()), accuracy, epoch
    model.load_state_dict(best_state)
    model.eval()
    return TrainResult(model, vocabulary, best_epoch, best_accuracy, history, time.perf_counter() - started)
