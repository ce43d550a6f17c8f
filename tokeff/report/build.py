"""Build the report directory (see the package docstring)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from tokeff._util.cache import CountCache
from tokeff._util.tableio import SCHEMA_VERSION, write_table
from tokeff.corpora.corpus import Corpus, pool
from tokeff.corpora.languages import order_by_region, region_of
from tokeff.corpora.loaders import load_corpora, resolve_spec, spec_path
from tokeff.costs.fx import fx_path, load_fx
from tokeff.costs.money import NO_MINOR_UNIT, for_export
from tokeff.costs.pricing import by_reason, cheapest_per_tier, cost, left_out
from tokeff.costs.rates import load_rates
from tokeff.costs.workload import Workload, load_workload, parse_workload
from tokeff.errors import UsageError, WorkloadError
from tokeff.report import charts
from tokeff.report.folder import (
    MANIFEST,
    check_target,
    file_hashes,
    remove_stale,
    sha256,
    swap_into_place,
    temp_prefix,
)
from tokeff.report.schemas import ratio_json_schema
from tokeff.report.workbook import write_workbook
from tokeff.study.run import DEFAULT_RESAMPLES, DEFAULT_SEED, resolve_tokenizers, run_study
from tokeff.study.signature import Signature
from tokeff.study.stats import Resampler
from tokeff.tokenizers.registry import load_registry
from tokeff.tokenizers.tokenizer import Tokenizer, availability
from tokeff.version import __version__

POOLED = "all-shipped"
Step = Callable[[str, int, int], None]
"""progress(label, done, total) for the report's stages."""


def default_workload() -> Workload:
    import yaml

    text = resources.files("tokeff.report").joinpath("default_workload.yaml").read_text(encoding="utf-8")
    return parse_workload(yaml.safe_load(text), "tokeff/report/default_workload.yaml")


def build_report(out_dir: str | os.PathLike[str] = "reports/latest", *,
                 corpora: Sequence[str] | None = None, tokenizers: Sequence[str] | None = None,
                 workload: str | os.PathLike[str] | Workload | None = None, models: Sequence[str] | None = None,
                 reference: str = "en", n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                 cache: bool = True, progress: Step | None = None, force: bool = False,
                 languages: Sequence[str] | None = None) -> Path:
    """Measure, price, chart and write the report directory atomically; returns its path.

    `out_dir` must be absent, empty or an earlier tokeff report (it is replaced as a whole);
    `force=True` also replaces a folder that is not a report. A file is never replaced.
    `languages` (tags or groups such as `apac`) keeps those languages of each corpus; the
    built-in workload then serves them in equal shares."""
    step = progress or (lambda label, done, total: None)
    out = Path(out_dir)
    check_target(out, force)
    book = load_rates()
    fx = load_fx()
    registry = load_registry()
    asked = {registry.get(t).id for t in tokenizers} if tokenizers else None
    model_ids = list(models) if models else _default_models(book, registry, asked)
    # the workload's price list and data residency decide which default models are compared
    wl = workload if isinstance(workload, Workload) else (load_workload(workload) if workload else default_workload())
    priced_on = datetime.now(UTC).date()
    cards, unavailable = [], {}
    for m in model_ids:
        card = book.card(m, priced_on)
        why = None if models else left_out(book, card, wl.region, wl.data_residency)
        if why is not None:
            if why:  # "": another region's row of a model, not this workload's to list
                unavailable[card.model] = why
            continue
        tok_id = registry.get(card.tokenizer).id if card.tokenizer else None
        if not models and asked is not None and tok_id not in asked:
            continue  # `-t A -t B` measures exactly those: the default models priced are the ones they serve
        here = availability(registry.get(card.tokenizer)) if card.tokenizer else NO_TOKENIZER
        if here == "offline" or models:  # an explicitly asked-for model must measure, or fail clearly
            cards.append(card)
        else:
            unavailable[card.model] = here
    tok_names = list(tokenizers) if tokenizers else [e.id for e in registry.defaults()]
    tok_names += [c.tokenizer for c in cards if c.tokenizer and c.tokenizer not in tok_names]
    toks = resolve_tokenizers(tok_names, registry)
    if not cards:
        raise UsageError(f"no model to price is served by the tokenizers {', '.join(t.id for t in toks)}; "
                         "name models with -m (tokeff models lists them)")

    step("loading corpora", 0, 4)
    loaded = load_corpora(corpora, [reference, *languages] if languages else None)
    specs = [resolve_spec(s) for s in corpora or ["shipped"]]
    measured: list[Corpus] = list(loaded)
    pooled_name = POOLED if not corpora or list(corpora) == ["shipped"] else "pooled"  # "all-shipped" only when it is
    if len(loaded) > 1:
        measured.append(pool(pooled_name, loaded))
    headline = pooled_name if len(loaded) > 1 else loaded[0].name
    beyond = _beyond_pool(loaded, measured[-1]) if len(loaded) > 1 else None
    if beyond is not None:  # languages only some corpora have (th, vi, id, hi): pooled over those corpora
        measured.append(beyond)
    given = workload is not None
    names = {c.name for c in measured}
    if wl.corpus not in names:
        if given:  # a user's workload is priced on its own corpus (a name or a SPEC), measured here too
            where = spec_path(wl.corpus)
            own = next((c for c in loaded if where is not None and spec_path(c.source) == where), None)
            if own is None:
                own = load_corpora([wl.corpus])[0]
                measured.append(own)
                specs.append(resolve_spec(wl.corpus))
            wl = wl.model_copy(update={"corpus": own.name})
        else:  # the built-in workload follows the corpora (and the languages asked for) of the report
            wl = wl.model_copy(update={"corpus": headline})
    if languages and not given:
        served = [x for x in next(c for c in measured if c.name == wl.corpus).languages if x != reference]
        wl = wl.model_copy(update={"name": f"support assistant in {', '.join(served)} (default)",
                                   "languages": {x: 1 / len(served) for x in served}})
    missing = [lang for lang in wl.languages if lang not in next(c for c in measured if c.name == wl.corpus).languages]
    if missing:
        raise WorkloadError(f"the workload {wl.name!r} needs {', '.join(missing)}, which corpus {wl.corpus!r} does not "
                            "have; give a corpus with those languages (-c) or a workload without them (--workload)")
    total = sum(len(c) * len(c.languages) for c in measured) * len(toks)
    done = 0

    def counted(label: str, n: int) -> None:
        nonlocal done
        done += n
        step(f"counting {label}", done, total)

    ratios = run_study(measured, toks, reference=reference, n_resamples=n_resamples, seed=seed,
                       cache=CountCache() if cache else None, progress=counted).table
    priced = [c.model for c in cards if c.tokenizer]
    costs = cost(wl, priced, ratios, rates=book, fx=fx, on=priced_on)
    left = {**{c.model: NO_TOKENIZER for c in cards if not c.tokenizer}, **unavailable}
    unmeasured = [f"{', '.join(ms)} ({why})" for why, ms in by_reason(left).items()]

    step("drawing charts", total, total)
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out)
    tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(out), dir=parent))
    try:
        # every chart marks a proxy tokenizer (and a model measured with one) with a dagger
        proxy = {t.id for t in toks if t.status != "exact"}
        marked = ratios.assign(tokenizer=[f"{t} †" if t in proxy else t for t in ratios["tokenizer"]])
        marked_costs = costs.assign(model=[f"{m} †" if st != "exact" else m
                                           for m, st in zip(costs["model"], costs["tokenizer_status"], strict=True)])
        chart_list = [
            charts.premium_heatmap(marked, headline, tmp),
            charts.chars_per_token(marked, headline, tmp),
            charts.cost_per_request(marked_costs, tmp),
        ]
        if len(loaded) > 1:
            first = f"{toks[0].id} †" if toks[0].id in proxy else toks[0].id
            chart_list.append(charts.domain_spread(marked, first, tmp, pooled_name))
        multipliers = _multipliers(ratios, headline, costs)
        manifest = _manifest(measured, toks, ratios, wl, model_ids, priced, book, fx, reference, n_resamples, seed, specs,
                         priced_on)
        step("writing files", total, total)
        write_table(ratios, tmp / "ratios.csv")
        write_table(ratios, tmp / "ratios.parquet")
        write_table(ratios, tmp / "ratios.json")
        write_table(for_export(costs), tmp / "costs.csv")
        write_table(multipliers, tmp / "multipliers.csv")
        write_table(multipliers, tmp / "multipliers.json")
        write_workbook(tmp / "costs.xlsx", costs, multipliers, wl, book, fx)
        (tmp / "ratios.schema.json").write_text(json.dumps(ratio_json_schema(), indent=1), encoding="utf-8")
        context = _context(ratios, costs, multipliers, chart_list, manifest, wl, headline, loaded, unmeasured, toks)
        (tmp / "index.html").write_text(_render("index.html.j2", context), encoding="utf-8")
        (tmp / "report.md").write_text(_render("report.md.j2", context), encoding="utf-8")
        manifest["files"] = file_hashes(tmp)  # every other file of the report, for `tokeff verify`
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
        os.chmod(tmp, 0o755)
        swap_into_place(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    step("done", total, total)
    return out


def _default_models(book: Any, registry: Any, asked: set[str] | None) -> list[str]:
    """The models a report prices when none are named: the rates file's defaults; with `-t`, the
    defaults those tokenizers serve, else every current model they serve (GPT-5.6 for o200k_base)."""
    defaults = book.defaults()
    if asked is None:
        return defaults

    def serves(m: str) -> bool:
        tok = book.rows[m].tokenizer
        return tok is not None and registry.get(tok).id in asked

    return [m for m in defaults if serves(m)] or [m for m in book if serves(m) and book.lifecycle(m).state == "current"]


def _render(template: str, context: dict[str, Any]) -> str:
    """Render a template; every value is escaped in HTML (names, corpus files and workloads are
    user text), and `<`/`>` are escaped in Markdown too (a viewer could render them as HTML)."""
    html = template.endswith(".html.j2")
    env = jinja2.Environment(loader=jinja2.PackageLoader("tokeff.report", "templates"), autoescape=html,
                             trim_blocks=True, lstrip_blocks=True,
                             finalize=None if html else _escape_markdown)
    return env.get_template(template).render(**context)


def _escape_markdown(value: Any) -> Any:
    return value.replace("<", "&lt;").replace(">", "&gt;") if isinstance(value, str) else value


def _multipliers(ratios: pd.DataFrame, corpus: str, costs: pd.DataFrame) -> pd.DataFrame:
    """One row per priced model and language of the headline corpus (beyond-cjk languages too):
    the model's provider, tier, lifecycle, tokenizer and its status (exact, proxy, api), the premium with its
    CI and tokens per 1,000 English words. The table a spreadsheet looks a model up in."""
    models = costs[["model", "provider", "tier", "lifecycle", "tokenizer", "tokenizer_status"]].drop_duplicates("model")
    rows = ratios[ratios["corpus"].isin([corpus, BEYOND])]
    rows = rows[~(rows["corpus"].eq(BEYOND) & rows["language"].isin(set(rows.loc[rows["corpus"] == corpus, "language"])))]
    merged = models.merge(rows, on="tokenizer", how="inner")
    out = pd.DataFrame({
        "schema_version": SCHEMA_VERSION,
        "model": merged["model"], "provider": merged["provider"], "tier": merged["tier"],
        "lifecycle": merged["lifecycle"], "tokenizer": merged["tokenizer"], "status": merged["tokenizer_status"],
        "corpus": merged["corpus"], "language": merged["language"], "reference": merged["reference"],
        "premium": merged["premium"].round(4), "premium_low": merged["premium_low"].round(4),
        "premium_high": merged["premium_high"].round(4),
        "tokens_per_1k_english_words": merged["tokens_per_1k_ref_words"].round(1),
        "signature": merged["signature"],
    })
    return out.reset_index(drop=True)


def _manifest(measured: list[Corpus], toks: list[Tokenizer], ratios: pd.DataFrame, wl: Workload,
              models: list[str], priced: list[str], book: Any, fx: Any, reference: str, n_resamples: int, seed: int,
              specs: list[str], priced_on: Any) -> dict[str, Any]:
    import genai_prices

    return {
        "tokeff_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "reference": reference,
        "bootstrap": {"method": "paired percentile bootstrap, clustered by document", "seed": seed,
                      "resamples": n_resamples},
        "corpus_specs": specs,
        "corpora": [{"name": c.name, "source": c.source, "digest": c.digest(), "segments": len(c),
                     "languages": c.languages, "license": c.meta.get("license", ""),
                     "pooled_from": c.meta.get("pooled")} for c in measured],
        "tokenizers": [{"id": t.id, "status": t.status, "backend": t.entry.backend, "fingerprint": t.fingerprint,
                        "files": [{"role": role, "package": f.package, "version": f.version, "path": f.path,
                                   "sha256": f.sha256} for role, f in sorted(t.entry.files.items())]}
                       for t in toks],
        "rates": {"file": Path(book.source).name, "path": book.source, "sha256": sha256(Path(book.source)),
                  "as_of": book.as_of.isoformat(), "genai_prices_version": genai_prices.__version__, "models": models,
                  "priced": priced, "priced_on": priced_on.isoformat()},
        "fx": {"date": fx.date.isoformat(), "source": fx.source, "path": str(fx_path()), "sha256": sha256(fx_path())},
        "workload": wl.model_dump(mode="json"),
        "rows": len(ratios),
    }


def answer_rows(costs: pd.DataFrame, reference: str) -> list[dict[str, Any]]:
    """The first screen's table: per language of the workload (its share of the requests) and
    tier, the cheapest model, its month, the same requests in English, and the language tax."""
    return [{"language": r["language"], "share": r["share"], "tier": r["tier"] or "-", "model": r["model"],
             "lifecycle": r["lifecycle"],
             "proxy": r["tokenizer_status"] != "exact", "month": r["cost_per_month"],
             "english": r["english_cost_per_month"], "tax": r["language_tax"], "tax_share": r["language_tax_share"],
             "premium": r["premium"], "low": r["premium_low"], "high": r["premium_high"], "tokenizer": r["tokenizer"]}
            for r in cheapest_per_tier(costs, reference).to_dict("records")]


BEYOND = "beyond-cjk"
NO_TOKENIZER = "no tokenizer known offline: the vocabulary is not public, or which one the model uses is not stated"


def _beyond_pool(loaded: list[Corpus], pooled: Corpus) -> Corpus | None:
    """The pool of the corpora that share languages the main pool lacks (the shipped corpora
    written in th, vi, id and hi as well as CJK), so a report covers those languages too."""
    extra = [lang for c in loaded for lang in c.languages if lang not in pooled.texts]
    if not extra:
        return None
    common = max(dict.fromkeys(extra), key=extra.count)  # the extra language most corpora share
    having = [c for c in loaded if common in c.texts]
    if len(having) < 2:
        return None
    return pool(BEYOND, having)


def _context(ratios: pd.DataFrame, costs: pd.DataFrame, multipliers: pd.DataFrame, chart_list: list[charts.Chart],
             manifest: dict[str, Any], wl: Workload, headline: str, loaded: list[Corpus], unmeasured: list[str],
             toks: list[Tokenizer]) -> dict[str, Any]:
    ref = manifest["reference"]
    head = ratios[(ratios["corpus"] == headline) & (ratios["language"] != ref)]
    cur = str(costs["currency"].iloc[0])
    answers = answer_rows(costs, ref)
    first = toks[0].id
    firsts = head[head["tokenizer"] == first]
    langs = order_by_region(dict(zip(firsts["language"], firsts["premium"], strict=True)))
    headline_premiums = firsts.set_index("language").loc[langs].reset_index()[
        ["language", "premium", "premium_low", "premium_high"]]
    order = [t.id for t in toks]
    table = head.pivot(index="language", columns="tokenizer", values="premium")[order].loc[langs]
    lows = head.pivot(index="language", columns="tokenizer", values="premium_low")[order]
    highs = head.pivot(index="language", columns="tokenizer", values="premium_high")[order]
    premium_rows = [{"language": lang, "region": region_of(lang),
                     "cells": [f"{table.loc[lang, t]:.2f} [{lows.loc[lang, t]:.2f}, {highs.loc[lang, t]:.2f}]"
                               for t in table.columns]} for lang in table.index]
    beyond = ratios[(ratios["corpus"] == BEYOND) & ~ratios["language"].isin([*langs, ref])]
    beyond_rows = []
    if len(beyond):
        b_first = beyond[beyond["tokenizer"] == first]
        for lang in order_by_region(dict(zip(b_first["language"], b_first["premium"], strict=True))):
            by_tok = {str(r["tokenizer"]): r for r in beyond[beyond["language"] == lang].to_dict("records")}
            cells = [f"{r['premium']:.2f} [{r['premium_low']:.2f}, {r['premium_high']:.2f}]"
                     if (r := by_tok.get(t)) is not None else "-" for t in order]
            beyond_rows.append({"language": lang, "region": region_of(lang), "cells": cells})
    regions = []  # per region: its languages' premium range on the headline tokenizer
    for name in dict.fromkeys(r["region"] for r in premium_rows):
        part = headline_premiums[[region_of(x) == name for x in headline_premiums["language"]]]
        top = part.loc[part["premium"].idxmax()]
        regions.append({"region": name, "n": len(part), "low": float(part["premium"].min()),
                        "high": float(part["premium"].max()), "highest": str(top["language"])})
    domain_rows = ratios[(ratios["tokenizer"] == first) & (ratios["language"] != ref)]
    domains = domain_rows.pivot(index="corpus", columns="language", values="premium")
    signatures = sorted(set(ratios["signature"]))
    table_signature = ""
    if len(head):  # what every row of the headline corpus shares (each tokenizer's part: Signatures)
        r = head.iloc[0]
        table_signature = Signature.of_row(r).format(corpus=str(r["corpus"]), corpus_digest=str(r["corpus_digest"]),
                                                     ci_unit=Resampler.unit_of(str(r["ci_method"])))
    return {
        "title": "tokeff language-cost report", "manifest": manifest, "workload": wl, "currency": cur,
        "headline": headline, "answers": answers, "headline_tokenizer": first,
        "headline_premiums": headline_premiums.to_dict("records"),
        "tokenizer_columns": list(table.columns), "premium_rows": premium_rows, "regions": regions,
        "beyond_rows": beyond_rows,
        "beyond_corpora": next((c["pooled_from"] for c in manifest["corpora"] if c["name"] == BEYOND), []),
        "domain_table": domains.round(2).reset_index().to_dict("records"), "domain_languages": list(domains.columns),
        "costs": costs.to_dict("records"), "charts": chart_list,
        "money": "{:,.0f}" if cur in NO_MINOR_UNIT else "{:,.2f}",
        "priced": list(dict.fromkeys(costs["model"])),
        "corpora": loaded, "unmeasured": unmeasured,
        "proxies": [t.id for t in toks if t.status != "exact"],
        "proxy_reasons": [(t.id, t.entry.proxy_reason or "") for t in toks if t.status == "proxy"],
        "tokenizers": toks, "signatures": signatures, "multipliers": multipliers.to_dict("records"),
        "fx_date": manifest["fx"]["date"], "rates_as_of": manifest["rates"]["as_of"],
        "table_signature": table_signature,
        "cost_signature": f"ratios {costs['ratio_source'].iloc[0]} | rates {manifest['rates']['file']} as of "
                          f"{manifest['rates']['as_of']} (genai-prices {manifest['rates']['genai_prices_version']})"
                          f" | FX {manifest['fx']['date']}",
    }
