"""The ``memnn`` console script: a thin shell over functions the tests call directly."""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .data import BABI_URL
from .settings import Settings, settings_problem

if TYPE_CHECKING:
    from .memnn.training.babi import Question

DESCRIPTION = "memnn: a live, writable Memory Network (Weston, Chopra & Bordes 2014) behind a REST API."


def main(argv: list[str] | None = None) -> int:
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"memnn: {settings_problem(error)}", file=sys.stderr)
        return 2
    parser = build_parser(settings)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args, settings) or 0)
    except (ValueError, FileNotFoundError) as error:
        print(f"memnn {args.command}: {error}", file=sys.stderr)
        return 2


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="memnn", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    default_data = settings.babi_dir / "en"

    train = commands.add_parser("train", help="train a model on bAbI and save a checkpoint")
    train.add_argument("--data", type=Path, default=default_data, help=f"bAbI directory (default {default_data})")
    train.add_argument("--tasks", default="1-20", help="tasks, as ranges and lists: 1-20, 1,2,6 (default 1-20)")
    train.add_argument("--out", type=Path, required=True, help="where to write the checkpoint")
    train.add_argument("--epochs", type=int, default=None, help="training epochs")
    train.add_argument("--seed", type=int, default=None, help="random seed (runs are deterministic on CPU)")
    train.add_argument("--dim", type=int, default=None, help="embedding dimension n")
    train.add_argument("--hidden", type=int, default=None, help="hidden units of the scorers")
    train.add_argument("--batch-size", type=int, default=None, help="questions per batch")
    train.add_argument("--lr", type=float, default=None, help="Adam learning rate")
    train.add_argument("--margin", type=float, default=None, help="margin γ of the ranking loss")
    train.add_argument(
        "--rename-rate", type=float, default=None, help="share of questions trained with entities renamed (default 0)"
    )
    train.add_argument("--beam", type=int, default=None, help="hop sequences O keeps at inference (default 1)")
    train.add_argument(
        "--world",
        type=int,
        default=0,
        help="also train on this many questions of the simulated world, drawn anew each epoch (default 0)",
    )
    train.add_argument("--world-seed", type=int, default=1, help="seed of the generated world questions (default 1)")
    train.add_argument(
        "--latest-mentions", action="store_true", help="O also ranks a fact's words from the bank's newest mention"
    )
    train.add_argument("--window", type=int, default=None, help="newest statements a training question reads (50)")
    train.add_argument(
        "--repeat", default=None, help="tasks trained on more than once an epoch, as TASK:TIMES,... (e.g. 17:3,19:3)"
    )
    train.add_argument("--no-write-time", action="store_true", help="ablation: train O without write-time features")
    train.add_argument("--name", default="memnn-babi-en", help="model name stored in the checkpoint")
    train.set_defaults(run=run_train)

    evaluate = commands.add_parser("eval", help="per-task accuracy of a checkpoint on bAbI")
    evaluate.add_argument("--model", type=Path, default=settings.model_path, help="checkpoint (default: shipped)")
    evaluate.add_argument("--data", type=Path, default=default_data, help=f"bAbI directory (default {default_data})")
    evaluate.add_argument("--tasks", default="1-20", help="tasks, as ranges and lists (default 1-20)")
    evaluate.add_argument("--split", default="test", choices=["train", "test"], help="which files (default test)")
    evaluate.add_argument("--json", action="store_true", help="print the results as one JSON document")
    evaluate.add_argument("--beam", type=int, default=None, help="hop sequences O keeps (default: the checkpoint's)")
    evaluate.add_argument(
        "--record", action="store_true", help="store the results in the checkpoint's metadata (version unchanged)"
    )
    evaluate.set_defaults(run=run_eval)

    serve = commands.add_parser("serve", help="run the REST API (migrates the database first unless told not to)")
    serve.add_argument("--host", default=settings.host, help=f"bind address (default {settings.host}, MEMNN_HOST)")
    serve.add_argument("--port", type=int, default=settings.port, help=f"port (default {settings.port}, MEMNN_PORT)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(run=run_serve)

    mcp = commands.add_parser(
        "mcp", help="serve the MCP tools over stdio, acting with the API key in MEMNN_API_KEY (for agents)"
    )
    mcp.set_defaults(run=run_mcp)

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema (Alembic)")
    migrate.add_argument("--database-url", default=settings.database_url, help="default MEMNN_DATABASE_URL")
    migrate.set_defaults(run=run_migrate)

    keys = commands.add_parser("keys", help="create, list and revoke API keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="KEYS_COMMAND")
    create = key_commands.add_parser("create", help="create a key and print it (it is shown only once)")
    create.add_argument("--name", required=True, help="a label for the key")
    create.add_argument("--scope", choices=["read", "write"], required=True, help="write includes read")
    create.add_argument("--banks", required=True, help="comma-separated bank names, or '*' for every bank")
    create.set_defaults(run=run_keys_create)
    key_commands.add_parser("list", help="list keys (never their secrets)").set_defaults(run=run_keys_list)
    revoke = key_commands.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(run=run_keys_revoke)

    world = commands.add_parser("world", help="the simulated world: generate stories, reproduce the paper's Table 3")
    world_commands = world.add_subparsers(dest="world_command", required=True, metavar="WORLD_COMMAND")
    generate = world_commands.add_parser("generate", help="write generated stories as bAbI files, a file per task")
    generate.add_argument("--kind", choices=["users", "long", "day", "mix"], default="mix", help="kind of story")
    generate.add_argument("--count", type=int, default=1000, help="questions (default 1000)")
    generate.add_argument("--seed", type=int, default=1, help="random seed (the same seed, the same stories)")
    generate.add_argument("--split", default="train", help="file name part: qaN_name_SPLIT.txt (default train)")
    generate.add_argument("--out", type=Path, required=True, help="folder to write to")
    generate.set_defaults(run=run_world_generate)
    table3 = world_commands.add_parser("table3", help="train and test on the paper's world, per Table 3 column")
    table3.add_argument("--statements", type=int, default=7000, help="statements to train on (default 7000)")
    table3.add_argument("--epochs", type=int, default=30, help="training epochs per column (default 30)")
    table3.add_argument("--seed", type=int, default=1, help="random seed")
    table3.set_defaults(run=run_world_table3)

    data = commands.add_parser("data", help="download the data sets the project trains and tests on")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="DATA_COMMAND")
    babi = data_commands.add_parser(
        "babi", help=f"download bAbI v1.2, check it and unpack it into MEMNN_BABI_DIR ({settings.babi_dir})"
    )
    babi.add_argument("--url", default=BABI_URL, help=f"where to download it from (default {BABI_URL})")
    babi.add_argument("--sha256", default=None, help="the archive's expected sha256, in hex: any other is refused")
    babi.set_defaults(run=run_data_babi)

    bank = commands.add_parser("bank", help="move a bank between databases as a JSON Lines file, streaming")
    bank_commands = bank.add_subparsers(dest="bank_command", required=True, metavar="BANK_COMMAND")
    export = bank_commands.add_parser(
        "export", help="write a bank as JSON Lines, as GET /banks/{bank}/export does, with a progress bar"
    )
    export.add_argument("bank", help="the bank's name")
    export.add_argument("--out", type=Path, default=None, help="the file to write (default: standard output)")
    export.add_argument("--database-url", default=settings.database_url, help="default MEMNN_DATABASE_URL")
    export.set_defaults(run=run_bank_export)
    load = bank_commands.add_parser(
        "import",
        help="load an export into an empty or new bank, as POST /banks/{bank}/import does (the same checks, "
        "MEMNN_MAX_IMPORT_* limits), in one transaction, with a progress bar",
    )
    load.add_argument("bank", help="the bank's name")
    load.add_argument("file", help="the JSON Lines file, or - for standard input")
    load.add_argument("--database-url", default=settings.database_url, help="default MEMNN_DATABASE_URL")
    load.set_defaults(run=run_bank_import)

    reembed = commands.add_parser("reembed", help="re-embed every memory stored under another model version")
    reembed.set_defaults(run=run_reembed)
    return parser


def run_train(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from .memnn import checkpoint
    from .memnn.training.babi import parse_repeat, parse_task_spec
    from .memnn.training.train import TrainConfig, train

    tasks = parse_task_spec(args.tasks)
    questions = _load_babi(args.data, tasks, "train", settings)
    generated = None
    if args.world:
        from .memnn.training.world.stories import world_data

        generated = world_data(questions, args.world, args.world_seed)
    overrides = {"epochs": args.epochs, "seed": args.seed, "batch_size": args.batch_size, "window": args.window}
    overrides |= {"learning_rate": args.lr, "margin": args.margin, "rename_rate": args.rename_rate}
    config = TrainConfig(**{k: v for k, v in overrides.items() if v is not None})
    if args.repeat:
        config.repeat = parse_repeat(args.repeat)
    model_options = {"dim": args.dim, "hidden": args.hidden, "beam": args.beam}
    model_config: dict[str, int | bool] = {k: v for k, v in model_options.items() if v is not None}
    if args.no_write_time:
        model_config["write_time"] = False
    if args.latest_mentions:
        model_config["latest_mentions"] = True
    bar = tqdm(total=0, unit="batch", leave=False, dynamic_ncols=True)

    def progress(step: int, total: int) -> None:
        if step == 1:
            bar.reset(total=total)
        bar.update(1)

    result = train(questions, model_config, config, progress=progress, log=tqdm.write, generated=generated)
    bar.close()
    metadata = {
        "tasks": tasks,
        "data": str(args.data),
        "world": {"questions": args.world, "seed": args.world_seed} if args.world else None,
        "train_config": vars(config),
        "questions": len(questions),
    } | result.metadata()
    saved = checkpoint.save(checkpoint.Checkpoint(result.model, result.vocabulary, args.name, metadata), args.out)
    print(
        f"saved {args.out} (version {saved}); best epoch {result.best_epoch}, "
        f"validation accuracy {100 * result.validation_accuracy:.1f}%, {result.seconds:.0f}s"
    )
    return 0


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    from .memnn import checkpoint
    from .memnn.training.babi import encode_questions, parse_task_spec
    from .memnn.training.evaluate import predict, results_json, results_table, summary, task_results

    loaded = checkpoint.load(args.model)
    questions = _load_babi(args.data, parse_task_spec(args.tasks), args.split, settings)
    examples = encode_questions(questions, loaded.vocabulary)
    predictions = predict(loaded.model, loaded.vocabulary, examples, beam=args.beam)
    results = task_results(questions, examples, predictions)
    if args.record:
        if args.beam is not None and args.beam != loaded.model.config.beam:
            raise ValueError("--record stores the checkpoint's own results: leave --beam out")
        loaded.metadata["test_results"] = summary(results) | {"data": str(args.data), "split": args.split}
        checkpoint.save(loaded, args.model)
    if args.json:
        print(results_json(results))
    else:
        print(f"{loaded.name} (version {loaded.version}) on {args.data}, {args.split} split\n")
        print(results_table(results))
    return 0


def _load_babi(data: Path, tasks: list[int], split: str, settings: Settings) -> list[Question]:
    """bAbI's questions, or a missing file's error with what to do about it."""
    from .data import babi_hint
    from .memnn.training.babi import load_tasks

    try:
        return load_tasks(data, tasks, split)
    except FileNotFoundError as error:
        raise FileNotFoundError(f"{error}: {babi_hint(settings.babi_dir)}, or pass --data") from None


def run_data_babi(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from .data import download_babi

    with tqdm(unit="B", unit_scale=True, desc="bAbI v1.2", leave=False, dynamic_ncols=True) as bar:

        def progress(received: int, total: int | None) -> None:
            bar.total = total
            bar.update(received - bar.n)

        digest = download_babi(settings.babi_dir, args.url, args.sha256, progress)
    if digest is None:
        print(f"bAbI v1.2 is already in {settings.babi_dir}: nothing to download")
    else:
        print(f"bAbI v1.2 is in {settings.babi_dir} (checked: en/ and en-10k/, 20 tasks each)")
        print(f"sha256 of {args.url}: {digest}" + ("" if args.sha256 else " (pass --sha256 to insist on it)"))
    return 0


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from .process_memory import tune_memory

    tune_memory()  # before anything imports numpy
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,  # the service logs each request itself, one JSON line (``app.api.access``)
        log_config=serve_log_config(),
    )
    return 0


def run_mcp(args: argparse.Namespace, settings: Settings) -> int:
    from .mcp import stdio
    from .process_memory import tune_memory

    tune_memory()  # before anything imports numpy: this process serves, as `memnn serve` does
    stdio.serve(settings)
    return 0


def serve_log_config() -> dict[str, Any]:
    """uvicorn's logging with its access line off and the service's in its place: ``memnn.access``
    writes one JSON object a line to stdout, the service's other messages go to stderr beside uvicorn's."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json_line"] = {"format": "%(message)s"}
    config["handlers"]["request_lines"] = {
        "formatter": "json_line",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["memnn"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"]["memnn.access"] = {"handlers": ["request_lines"], "level": "INFO", "propagate": False}
    return config


def run_world_generate(args: argparse.Namespace, settings: Settings) -> int:
    from .memnn.training.babi import format_lines
    from .memnn.training.world.stories import TASK_NAMES, generate, training_mix

    questions = (
        training_mix(args.count, args.seed) if args.kind == "mix" else generate(args.kind, args.count, args.seed)
    )
    args.out.mkdir(parents=True, exist_ok=True)
    for task in sorted({q.task for q in questions}):
        path = args.out / f"qa{task}_{TASK_NAMES[task]}_{args.split}.txt"
        path.write_text("\n".join(format_lines([q for q in questions if q.task == task])) + "\n", encoding="utf-8")
        print(f"{path}: {sum(q.task == task for q in questions)} questions")
    return 0


def run_world_table3(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from .memnn.training.world.table3 import reproduce, table

    with tqdm(total=0, unit="batch", leave=False, dynamic_ncols=True) as bar:

        def progress(step: int, total: int) -> None:
            if step == 1:
                bar.reset(total=total)
            bar.update(1)

        rows = reproduce(args.statements, args.epochs, args.seed, progress=progress, log=tqdm.write)
    print(table(rows))
    return 0


def run_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from .store.database import migrate

    migrate(args.database_url)
    print(f"migrated {args.database_url.split('@')[-1]} to the latest schema")
    return 0


def run_reembed(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from .memnn import checkpoint
    from .service import MemoryService
    from .store.database import make_engine, migrate, session_factory

    migrate(settings.database_url)
    service = MemoryService(checkpoint.load(settings.model_path), session_factory(make_engine(settings.database_url)))
    with tqdm(unit="bank", desc="re-embedding") as bar:
        touched = service.reembed_all(progress=bar.update)
    print(f"re-embedded {touched} memories under model version {service.model_version}")
    return 0


def run_bank_export(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from .bank_files import export_bank

    with tqdm(unit="row", unit_scale=True, desc=f"exporting {args.bank}", leave=False, dynamic_ncols=True) as bar:

        def progress(done: int, total: int | None) -> None:
            bar.total = total
            bar.update(done - bar.n)

        if args.out is None:
            count = export_bank(args.database_url, args.bank, sys.stdout.buffer, progress)
            sys.stdout.buffer.flush()
        else:
            with args.out.open("wb") as out:
                count = export_bank(args.database_url, args.bank, out, progress)
    print(f"exported {count} memories of bank {args.bank!r}" + (f" to {args.out}" if args.out else ""), file=sys.stderr)
    return 0


def run_bank_import(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from .bank_files import import_bank

    lines = None if args.file == "-" else _count_lines(Path(args.file))
    bar = tqdm(total=lines, unit="row", unit_scale=True, desc=f"importing {args.bank}", leave=False, dynamic_ncols=True)
    with bar:

        def progress(done: int, _: int | None) -> None:
            bar.update(done - bar.n)

        if args.file == "-":
            count = import_bank(settings, args.database_url, args.bank, sys.stdin.buffer, progress)
        else:
            with open(args.file, "rb") as source:
                count = import_bank(settings, args.database_url, args.bank, source, progress)
    print(f"imported {count} memories into bank {args.bank!r} at {args.database_url.split('@')[-1]}")
    return 0


def _count_lines(path: Path) -> int:
    """A progress bar's total: one pass at disk speed, before the import's own."""
    with path.open("rb") as source:
        return sum(block.count(b"\n") for block in iter(lambda: source.read(1 << 20), b""))


def _key_sessions(settings: Settings):  # type: ignore[no-untyped-def]
    from .store.database import make_engine, migrate, session_factory

    migrate(settings.database_url)
    return session_factory(make_engine(settings.database_url))


def run_keys_create(args: argparse.Namespace, settings: Settings) -> int:
    from .store import keys

    banks = [bank.strip() for bank in args.banks.split(",") if bank.strip()]
    with _key_sessions(settings).begin() as session:
        key = keys.create_key(session, args.name, args.scope, banks)
    print(key)
    print(f"created key {args.name!r} ({args.scope}: {', '.join(banks)}); it is not shown again", file=sys.stderr)
    return 0


def run_keys_list(args: argparse.Namespace, settings: Settings) -> int:
    from .store import keys

    with _key_sessions(settings)() as session:
        for key in keys.list_keys(session):
            state = "revoked" if key.revoked else "active"
            print(f"{key.id}\t{key.name}\t{key.scope}\t{','.join(key.banks)}\t{key.created_at}\t{state}")
    return 0


def run_keys_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from .store import keys

    with _key_sessions(settings).begin() as session:
        if not keys.revoke_key(session, args.id):
            raise ValueError(f"no active key with id {args.id}")
    print(f"revoked key {args.id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
