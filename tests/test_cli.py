"""The `tokeff` command end to end (typer's CliRunner), outputs read back and checked."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import tokeff
from tokeff.cli import app

from .conftest import PARALLEL

runner = CliRunner()


@pytest.mark.parametrize("ext", ["csv", "json", "parquet"])
def test_measure_writes_each_format(tmp_path: Path, ext: str) -> None:
    out = tmp_path / f"r.{ext}"
    res = runner.invoke(app, ["measure", "-c", "sample", "-t", "o200k_base", "-t", "gpt-4", "-l", "ja",
                              "--resamples", "100", "--out", str(out)])
    assert res.exit_code == 0, res.output
    if ext == "csv":
        df = pd.read_csv(out)
    elif ext == "parquet":
        df = pd.read_parquet(out)
    else:
        doc = json.loads(out.read_text(encoding="utf-8"))
        assert doc["schema_version"] == 1
        df = pd.DataFrame(doc["rows"])
    assert set(df.tokenizer) == {"o200k_base", "cl100k_base"} and set(df.language) == {"en", "ja"}
    api = tokeff.measure("sample", ["o200k_base", "cl100k_base"], languages=["ja"], n_resamples=100)
    for tid in ("o200k_base", "cl100k_base"):
        got = df[(df.tokenizer == tid) & (df.language == "ja")].iloc[0]
        want = api[(api.tokenizer == tid) & (api.language == "ja")].iloc[0]
        assert got.premium == pytest.approx(want.premium) and got.premium_high == pytest.approx(want.premium_high)
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left nothing behind


def test_measure_segments_and_domains(tmp_path: Path) -> None:
    seg = tmp_path / "seg.parquet"
    res = runner.invoke(app, ["measure", "-c", "sample", "-t", "llama3", "--by-domain", "--resamples", "50",
                              "--segments-out", str(seg)])
    assert res.exit_code == 0, res.output
    s = pd.read_parquet(seg)
    n = len(tokeff.load_corpus("sample"))
    assert len(s) == n * 5 and set(s.columns) >= {"segment", "language", "tokens", "doc_id", "domain"}
    assert "restaurant" in res.output and "mixed" in res.output


def test_count_command(tmp_path: Path) -> None:
    res = runner.invoke(app, ["count", PARALLEL["ja"], "-t", "o200k_base", "-t", "cl100k_base"])
    assert res.exit_code == 0, res.output
    lines = {ln.split("│")[1].strip(): ln for ln in res.output.splitlines() if "│" in ln}
    assert " 14 " in lines["o200k_base"] and " 22 " in lines["cl100k_base"]
    f = tmp_path / "t.txt"
    f.write_text(PARALLEL["ko"], encoding="utf-8")
    res = runner.invoke(app, ["count", "--file", str(f), "-t", "o200k_base"])
    assert res.exit_code == 0 and " 12 " in res.output
    res = runner.invoke(app, ["count", "-", "-t", "o200k_base"], input=PARALLEL["ko"].encode("utf-8"))
    assert res.exit_code == 0 and " 12 " in res.output  # standard input, same count as the file


@pytest.mark.parametrize(("args", "message"), [
    (["count", "", "-t", "o200k_base"], "empty"),
    (["count", "hi", "-t", "gpt4o"], "did you mean"),
    (["count"], "give either TEXT or --file"),
    (["measure", "-c", "nope", "-t", "o200k_base"], "corpus 'nope' not found"),
    (["measure", "-c", "sample", "-t", "o200k_base", "-l", "fr"], "has no fr"),
    (["measure", "-c", "sample", "-t", "o200k_base", "--out", "x.xlsx"], "unknown output format"),
])
def test_errors_exit_2_with_one_clear_line(args: list[str], message: str) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output


def test_invalid_utf8_file(tmp_path: Path) -> None:
    f = tmp_path / "bad.txt"
    f.write_bytes(b"ok\n\xff\n")
    res = runner.invoke(app, ["count", "--file", str(f), "-t", "o200k_base"])
    assert res.exit_code == 2 and "bad.txt:2: invalid UTF-8" in res.output


def test_tokenizers_and_corpora_listings() -> None:
    res = runner.invoke(app, ["tokenizers", "--verify"])
    assert res.exit_code == 0, res.output
    assert res.output.count("verified") >= 10 and "needs network" in res.output
    res = runner.invoke(app, ["corpora"])
    assert res.exit_code == 0 and "sample" in res.output and "CC-BY-4.0" in res.output


def test_cache_commands() -> None:
    runner.invoke(app, ["count", "x"])
    runner.invoke(app, ["measure", "-c", "sample", "-t", "o200k_base", "--resamples", "10"])
    res = runner.invoke(app, ["cache", "info"])
    assert res.exit_code == 0 and "counts for 1 tokenizers" in res.output
    res = runner.invoke(app, ["cache", "clear"])
    assert res.exit_code == 0 and "removed" in res.output
    assert "0 counts" in runner.invoke(app, ["cache", "info"]).output
