"""What every `tokeff` command shares: the typer app, the two consoles, the options several
commands take, and the one error handler, output writer, progress bar and table printer."""

from __future__ import annotations

import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from tokeff._util.settings import redact
from tokeff.errors import TokeffError, UsageError

if TYPE_CHECKING:
    import pandas as pd

out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def fail(message: object) -> typer.Exit:
    """Print one `error:` line; the caller raises the returned exit (code 2)."""
    err.print(f"[bold red]error:[/] {escape(redact(str(message)))}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _write_trace(exc: BaseException) -> str:
    """Write the full trace of an unexpected exception to a file; return its path."""
    fd, path = tempfile.mkstemp(prefix="tokeff-trace-", suffix=".txt")
    with open(fd, "w", encoding="utf-8") as f:
        f.write(redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__))))
    return path


# typer's own exits and usage errors (typer >= 0.28 vendors click, so they are not click's classes)
_TYPER_EXCEPTIONS: tuple[type[BaseException], ...] = (
    typer.Exit, typer.Abort, next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"))


class TokeffGroup(TyperGroup):
    """The one error handler: a TokeffError (or an OSError such as a full disk or a read-only
    folder) is one `error:` line and exit 2; an unexpected exception is one line naming the
    file its trace was written to, exit 3; Ctrl-C is `interrupted`, exit 130. No traceback
    reaches the terminal."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _TYPER_EXCEPTIONS:
            raise
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except TokeffError as exc:
            raise fail(exc) from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise fail(f"{where}{exc.strerror or exc}") from None
        except Exception as exc:  # the last line of defence
            try:
                trace = f"; full trace in {_write_trace(exc)}"
            except OSError:
                trace = ""
            err.print(f"[bold red]internal error:[/] {type(exc).__name__}{trace}. Please report it.",
                      highlight=False, soft_wrap=True)
            raise typer.Exit(3) from None


app = typer.Typer(cls=TokeffGroup, help="What a language really costs on each LLM tokenizer, measured on parallel text.",
                  no_args_is_help=True, add_completion=True)

# Options shared by several commands (one definition, one help text).
CorpusOpt = Annotated[list[str] | None, typer.Option(
    "--corpus", "-c", help="Corpus SPEC (repeatable): a shipped name, a folder, flores200:DIR[:split], ntrex128:DIR, "
    "a table file, hf:ID. Default: every shipped corpus.")]
TokenizerOpt = Annotated[list[str] | None, typer.Option(
    "--tokenizer", "-t", help="Tokenizer id, model name or path (repeatable). Default: the registry's defaults.")]
LanguageOpt = Annotated[list[str] | None, typer.Option(
    "--language", "-l", help="Language tag or FLORES code to keep (repeatable). Default: all.")]
ReferenceOpt = Annotated[str, typer.Option(help="Reference language of the premium.")]
OnlineOpt = Annotated[bool | None, typer.Option(
    "--online", help="Allow network use (hub tokenizers and corpora, providers' count APIs); default: TOKEFF_ONLINE.")]
RegistryOpt = Annotated[Path | None, typer.Option(help="Use this tokenizer registry file.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the table as JSON (a list of rows) on standard output instead.")]


def out_option(what: str) -> Any:
    """The --out/-o option of a command that writes one table."""
    return typer.Option("--out", "-o", help=f"Write {what} here (.csv, .json or .parquet; - for CSV on standard output).")


def check_outputs(outputs: dict[str, Path | None], inputs: Sequence[str | Path | None] = (),
                  corpora: Sequence[str] | None = None, *, folder: bool = False) -> None:
    """Refuse, before any work, outputs that would lose a file: an output that is a folder, two
    outputs naming one file, and an output that is an input (or lies inside an input folder,
    such as a corpus's). `outputs` maps an option name to its path; `corpora` are corpus SPECs.
    `folder=True`: the outputs are folders replaced as a whole, so no input may lie inside them."""
    from tokeff.corpora.loaders import spec_path

    given = {name: Path(p) for name, p in outputs.items() if p is not None and str(p) != "-"}
    read = [Path(p).resolve() for p in inputs if p is not None]
    read += [p for p in (spec_path(c) for c in corpora or ["shipped"]) if p is not None]
    seen: dict[Path, str] = {}
    for name, path in given.items():
        target = path.resolve()
        if target.is_dir() and not folder:
            raise UsageError(f"{name} {path}: a folder; name a file (.csv, .json or .parquet)")
        if target in seen:
            raise UsageError(f"{seen[target]} and {name} both name {path}; the second would overwrite the first")
        seen[target] = name
        for src in read:
            how = ("is the input" if target == src else "is inside the input" if src in target.parents
                   else "holds the input" if folder and target in src.parents else None)
            if how:
                raise UsageError(f"{name} {path}: {how} {src}; writing there would overwrite what tokeff reads. "
                                 "Name another file or folder.")


def write_output(frame: pd.DataFrame, path: Path | None, what: str = "rows") -> None:
    """Write a table atomically (tokeff._util.tableio.write_table, imported only when something is
    written) and say so on stderr; `-` is CSV on standard output; nothing when `path` is None."""
    if path is None:
        return
    if str(path) == "-":  # --out -: the table as CSV on standard output
        sys.stdout.write(frame.to_csv(index=False))
        return
    from tokeff._util.tableio import write_table

    write_table(frame, path)
    err.print(f"wrote {len(frame)} {what} to {path}")


class Bar:
    """A progress bar on stderr (drawn only on a terminal): `step` for counting callbacks
    (label, segments done since the last call), `update` for known totals, `describe` for text."""

    def __init__(self, progress: Progress, task: Any) -> None:
        self._progress, self._task = progress, task

    def step(self, label: str, n: int) -> None:
        self._progress.update(self._task, advance=n, description=label)

    def update(self, label: str, done: int, total: int) -> None:
        self._progress.update(self._task, description=label, completed=done, total=total)

    def describe(self, text: str) -> None:
        self._progress.update(self._task, description=text)


@contextmanager
def progress(label: str, total: int | None = None, *, bar: bool = True) -> Iterator[Bar]:
    """The one progress bar: description, bar, done/total and elapsed time (`bar=False`: only
    the description, which the caller keeps current, and the elapsed time)."""
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    if not bar:
        columns = [columns[0], columns[-1]]
    shown = Progress(*columns, console=err, transient=True, disable=not err.is_terminal)
    with shown:
        yield Bar(shown, shown.add_task(label, total=total))


def read_stdin() -> str:
    """Standard input as text, read as bytes so invalid UTF-8 is named like a file's; its last
    line break dropped (echo adds one)."""
    from tokeff.corpora.textio import decode_utf8

    text = decode_utf8(sys.stdin.buffer.read(), "standard input")
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def print_json(rows: pd.DataFrame | list[dict[str, Any]]) -> None:
    """Rows as one JSON list on standard output (floats with every digit, NaN as null), for `--json`."""
    import json

    if not isinstance(rows, list):
        from tokeff._util.tableio import records

        rows = records(rows)
    sys.stdout.write(json.dumps(rows, ensure_ascii=False, allow_nan=False) + "\n")


def print_frame(title: str, frame: pd.DataFrame, floats: dict[str, str]) -> None:
    """Print a DataFrame as a table; `floats` maps a column to its format (missing values: -)."""
    table = Table(title=title)
    for col in frame.columns:
        table.add_column(col, justify="right" if col in floats or frame[col].dtype.kind in "iu" else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*[(floats[c].format(v) if c in floats and v == v else ("-" if c in floats else str(v)))
                        for c, v in zip(frame.columns, row, strict=True)])
    out.print(table)
