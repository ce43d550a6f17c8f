"""The commands that list or manage what tokeff holds: `tokenizers` (and `tokenizers add`),
`corpora`, `models` and `cache info|clear`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tokeff._util.cache import CountCache
from tokeff.cli.base import RegistryOpt, app, out
from tokeff.errors import TokeffError, UsageError
from tokeff.tokenizers.registry import load_registry
from tokeff.tokenizers.tokenizer import availability, get_tokenizer

tokenizers_app = typer.Typer(help="The tokenizer registry: list it, or make a tokenizer on this machine.",
                             invoke_without_command=True)
app.add_typer(tokenizers_app, name="tokenizers")
cache_app = typer.Typer(help="The on-disk cache of token counts.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


@tokenizers_app.callback()
def tokenizers_cmd(
    ctx: typer.Context,
    verify: Annotated[bool, typer.Option("--verify", help="Load each offline tokenizer and check its sha256 and a round trip.")] = False,
    registry: RegistryOpt = None,
) -> None:
    """List the registry: each tokenizer's models, status (exact/proxy/api), source, and whether it loads here."""
    if ctx.invoked_subcommand is not None:
        return
    reg = load_registry(registry)
    t = Table(title=f"Tokenizers in {reg.source}")
    for col in ("id", "status", "backend", "source", "here", "models"):
        t.add_column(col, overflow="fold")
    for e in reg:
        pins = {f"{f.package}=={f.version}" if f.package else f.path for f in e.files.values()}
        if e.fetch is not None:  # fetched once: say from where, not where the copy is kept
            pins = {f"{e.fetch.repo}@{e.fetch.revision[:12]} (fetched once)"}
        src = ", ".join(sorted(pins)) or (e.hub or "") or (f"{e.api.provider} API: {e.api.model}" if e.api else "")
        here = availability(e)
        if verify and here == "offline":
            try:
                tok = get_tokenizer(e.id, reg)
                sample = "日本語と한국어と中文 mixed text 123"
                here = "verified" if tok.decode(tok.encode(sample)) == sample else "ROUND-TRIP FAILED"
            except TokeffError as exc:  # one failing tokenizer is a row of the listing, not an error
                here = f"FAILED: {exc}"
        status = e.status + (" (default)" if e.default else "")
        t.add_row(e.id, status, e.backend, src, here, ", ".join(e.models[:4]) + (" ..." if len(e.models) > 4 else ""))
    out.print(t)


@tokenizers_app.command("add")
def tokenizers_add_cmd(
    name: Annotated[str, typer.Argument(help="The tokenizer to make or fetch: gemma3 (built from llama.cpp's GGUF), or a "
                                              "registry entry with a `fetch:` source (kimi-k2, solar-pro2, exaone-4.0, ...).")],
    source: Annotated[Path | None, typer.Option("--from", help="gemma3 only: llama-cpp-python 0.3.36's sdist, or ggml-vocab-gemma-4.gguf itself.")] = None,
    target: Annotated[Path | None, typer.Option("--out", help="gemma3 only: target directory (default: where the registry's entry looks).")] = None,
    online: Annotated[bool | None, typer.Option("--online", help="Allow the download (gemma3: pip fetches a 77 MB sdist; others: "
                                                                 "the provider's file over HTTPS); default: TOKEFF_ONLINE.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Make or fetch again even if the file is here and checks out.")] = False,
    registry: RegistryOpt = None,
) -> None:
    """Make a tokenizer that no package ships as is: build it from a file one does (gemma3), or
    fetch it once from the provider's published repository at a pinned revision, hash-checked."""
    if name == "gemma3":
        from tokeff.tokenizers.convert.gemma import add_gemma

        out.print(f"wrote {add_gemma(target, source, online=online, force=force)}")
        return
    if source is not None or target is not None:
        raise UsageError("--from and --out are for gemma3 only; a fetched tokenizer is kept where its registry entry says")
    reg = load_registry(registry)
    entry = reg.find(name)
    fetchable = sorted(e.id for e in reg if e.fetch is not None)
    if entry is None or entry.fetch is None:
        raise UsageError(f"no recipe to make {name!r}; known: gemma3, {', '.join(fetchable)}")
    from tokeff.tokenizers.fetch import fetch_tokenizer

    for path in fetch_tokenizer(entry, online=online, force=force).values():
        out.print(f"{entry.id}: {path}")


@app.command("corpora")
def corpora_cmd(
    check: Annotated[bool, typer.Option("--check", help="Also check scripts, untranslated text, duplicates and zh-Hant vs zh-Hans.")] = False,
) -> None:
    """List the corpora shipped with tokeff (written for tokeff; see corpora/FORMAT.md)."""
    from tokeff.corpora.checks import check_corpus
    from tokeff.corpora.loaders import load_corpus, shipped_manifests

    t = Table(title="Shipped corpora")
    for col in ("name", "domain", "segments", "documents", "languages", "license"):
        t.add_column(col)
    manifests = shipped_manifests()
    for name, m in manifests.items():
        t.add_row(name, m.domain, str(m.segments), str(m.documents), " ".join(m.languages), m.license)
    out.print(t)
    if not check:
        return
    failed = False
    for name in manifests:
        rep = check_corpus(load_corpus(name))
        ndup = sum(len(v) for v in rep.duplicates.values())
        zh = ", ".join(f"{k} {v:.0%}" for k, v in rep.zh.items())
        out.print(f"[bold]{name}[/]: {'ok' if rep.ok else f'{len(rep.problems)} problem(s)'}; "
                  f"{ndup} duplicated text(s); {zh}")
        for p in rep.problems:
            out.print(f"  problem: {p}", highlight=False)
        for lang, dups in rep.duplicates.items():
            for text, idx in dups:
                out.print(f"  duplicate {lang} at segments {idx}: {text[:70]!r}", highlight=False)
        failed = failed or not rep.ok
    if failed:
        raise typer.Exit(1)


@app.command("models")
def models_cmd(
    rates: Annotated[Path | None, typer.Option(help="Use this rates file.")] = None,
) -> None:
    """List the priced models: rates per million tokens, their date and source, and the tokenizer."""
    from tokeff.costs.rates import load_rates

    book = load_rates(rates)
    t = Table(title=f"Models in {book.source} (rates as of {book.as_of})")
    for col in ("model", "provider", "tier", "tokenizer", "input", "output", "cached", "batch", "context", "price tiers",
                "currency", "from", "checked"):
        t.add_column(col, justify="right" if col in ("input", "output", "cached", "context") else "left")
    for mid in book:
        c = book.card(mid)
        s = c.standard
        t.add_row(mid + (" *" if book.rows[mid].default else ""), c.provider, c.tier or "-", c.tokenizer or "(not public)",
                  f"{s.input:.4g}", f"{s.output:.4g}", "-" if s.cached_input is None else f"{s.cached_input:.4g}",
                  "yes" if c.batch else "-", f"{c.context_window:,}" if c.context_window else "-",
                  ", ".join(f">{a:,}" for a, _ in s.tiers) or "-",
                  c.currency, c.origin, c.checked.isoformat() if c.checked else "-")
    for alias, target in book.aliases.items():
        t.add_row(f"{alias} -> {target}", "", "", "", "", "", "", "", "", "", "", "alias", "")
    out.print(t)
    out.print("* default in `tokeff cost`; rates per 1M tokens")


@cache_app.command("info")
def cache_info() -> None:
    """Where the count cache is and how much it holds."""
    c = CountCache()
    s = c.stats()
    out.print(f"{c.path}: {s['entries']} counts for {s['tokenizers']} tokenizers, {s['bytes'] / 1e6:.1f} MB")


@cache_app.command("clear")
def cache_clear() -> None:
    """Delete every cached count, the ratio tables computed from them, and the validated
    registry/manifest snapshots."""
    from tokeff._util.snapshot import clear_snapshots

    c = CountCache()
    n = c.clear()
    k = clear_snapshots()
    out.print(f"removed {n} cached counts from {c.path} (and {k} validated-file snapshots)")
