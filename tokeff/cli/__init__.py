"""The `tokeff` command: a thin typer + rich layer over the Python API. `base` holds what the
commands share (app, options, error handler, output writer, progress bar); each other module
holds the commands of one stage and registers them on `app` when imported."""

from __future__ import annotations

from importlib import import_module

import typer

from tokeff.cli.base import app, out
from tokeff.version import __version__

# Importing a command module registers its commands; this order is the order of `tokeff --help`.
for _module in ("measure", "listing", "pricing", "traffic", "report", "analysis"):
    import_module(f"tokeff.cli.{_module}")


def _version(value: bool) -> None:
    if value:
        out.print(f"tokeff {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print the version and exit.")) -> None:
    """tokeff: same-content token premiums, per language and tokenizer."""


def run() -> None:  # pragma: no cover - console entry point
    app()


__all__ = ["app", "run"]
