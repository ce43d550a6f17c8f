"""Every `tokeff` command is documented in the README and run by a CLI test; the analyses that
only the Python API tested before (diagnostics, fertility, context, proxy-check) are run here
through the CLI, their numbers checked against token counts summed by hand."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import tokeff
from tokeff.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _command_paths() -> list[str]:
    """Every leaf command, as typed after `tokeff` (`measure`, `cache info`, `tokenizers add`...);
    a group that runs without a subcommand (`tokenizers`) is a command too."""
    paths: list[str] = []

    def walk(cmd: Any, prefix: str) -> None:
        if hasattr(cmd, "commands"):  # a group (typer >= 0.28 vendors click: no isinstance check)
            if prefix and cmd.invoke_without_command:
                paths.append(prefix)
            for name, sub in cmd.commands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            paths.append(prefix)

    walk(typer.main.get_command(app), "")
    return paths


def test_the_command_list_is_what_we_think() -> None:
    assert set(_command_paths()) == {
        "measure", "count", "corpora", "models", "cost", "estimate", "traffic", "report", "verify", "diagnostics", "fertility",
        "context", "proxy-check", "tokenizers", "tokenizers add", "cache info", "cache clear"}


@pytest.mark.parametrize("command", _command_paths())
def test_every_command_is_in_the_readme(command: str) -> None:
    assert re.search(rf"tokeff {re.escape(command)}\b", (ROOT / "README.md").read_text(encoding="utf-8")), command


@pytest.mark.parametrize("command", _command_paths())
def test_every_command_is_run_by_a_cli_test(command: str) -> None:
    """A CLI test invokes `app` with the command's words first (`invoke(app, ["cache", "info"...`)."""
    words = command.split()
    pattern = r"invoke\(\s*app,\s*\[\s*" + r",\s*".join(f'"{re.escape(w)}"' for w in words) + r"\s*[,\]]"
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_*.py"))
    assert re.search(pattern, sources), f"no CLI test runs `tokeff {command}`"


def _tokens(tokenizer: str, texts: list[str]) -> int:
    tok = tokeff.get_tokenizer(tokenizer)
    return sum(len(tok.encode(t)) for t in texts)


def test_diagnostics_command(tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    res = runner.invoke(app, ["diagnostics", "-c", "sample", "-t", "o200k_base", "-l", "en", "-l", "ja", "--out", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    corpus = tokeff.load_corpus("sample")
    for lang in ("en", "ja"):
        row = df[df.language == lang].iloc[0]
        assert row.tokens == _tokens("o200k_base", corpus.texts[lang])
        assert row.round_trip_share == 1.0 and row.unknown_char_share == 0.0
        assert pd.isna(row.unk_rate)  # byte-level BPE has no unknown token
    assert "Tokenizer diagnostics" in res.output and "100.00%" in res.output


def test_fertility_command(tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    res = runner.invoke(app, ["fertility", "-c", "sample", "-t", "o200k_base", "-l", "ko",
                              "--segmenter", "ko=whitespace", "--segmenter", "en=whitespace", "--out", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out).set_index("language")
    texts = tokeff.load_corpus("sample").texts["ko"]
    words = sum(1 for t in texts for w in t.split() if any(unicodedata.category(c)[0] in "LN" for c in w))
    tokens = _tokens("o200k_base", texts)
    assert df.loc["ko", "words"] == words and df.loc["ko", "tokens"] == tokens
    assert df.loc["ko", "fertility"] == pytest.approx(tokens / words)
    assert "secondary" in res.output


def test_context_command(tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    res = runner.invoke(app, ["context", "-c", "sample", "-m", "mine=o200k_base:100_000", "-l", "ja",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    texts = tokeff.load_corpus("sample").texts
    premium = _tokens("o200k_base", texts["ja"]) / _tokens("o200k_base", texts["en"])
    ja = df[df.language == "ja"].iloc[0]
    assert ja.model == "mine" and ja.window == 100_000
    assert ja.effective_context == pytest.approx(100_000 / premium)
    for bad, words in [("mine=o200k_base:lots", "NAME=TOKENIZER:WINDOW"), ("mine=o200k_base:0", "NAME=TOKENIZER:WINDOW"),
                       ("no-such-model", "no known window")]:
        res = runner.invoke(app, ["context", "-c", "sample", "-m", bad])
        assert res.exit_code == 2 and words in res.output and "Traceback" not in res.output


def test_proxy_check_command(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    res = runner.invoke(app, ["proxy-check", "-p", "cl100k_base", "-a", "o200k_base", "-c", "sample", "-l", "ja",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    row = pd.read_csv(out).iloc[0]
    texts = tokeff.load_corpus("sample").texts
    proxy = _tokens("cl100k_base", texts["ja"]) / _tokens("cl100k_base", texts["en"])
    api = _tokens("o200k_base", texts["ja"]) / _tokens("o200k_base", texts["en"])
    assert row.language == "ja" and row.proxy_premium == pytest.approx(proxy) and row.api_premium == pytest.approx(api)
    assert row.premium_ratio == pytest.approx(proxy / api)
    assert row.premium_ratio_low < row.premium_ratio < row.premium_ratio_high
    res = runner.invoke(app, ["proxy-check", "-p", "o200k_base", "-a", "gpt-4o", "-c", "sample"])
    assert res.exit_code == 2 and "are the same tokenizer (o200k_base)" in res.output


def test_models_command() -> None:
    res = runner.invoke(app, ["models"])
    assert res.exit_code == 0 and "gpt-4o-mini" in res.output and "rates per 1M tokens" in res.output
    row = next(line for line in res.output.splitlines() if "gpt-4o-mini" in line)
    assert "small" in row and "128,000" in row  # its tier and genai-prices' context window


def test_an_unexpected_exception_is_one_line_and_a_trace_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("deep inside")

    monkeypatch.setattr("tokeff.study.counting.count_text", boom)
    res = runner.invoke(app, ["count", "hi", "-t", "o200k_base"])
    assert res.exit_code == 3 and "Traceback" not in res.output
    trace = Path(re.search(r"full trace in (\S+?)\. ", res.output.replace("\n", "")).group(1))  # type: ignore[union-attr]
    assert "ZeroDivisionError: deep inside" in trace.read_text(encoding="utf-8")
    trace.unlink()


def test_json_output_is_the_table(tmp_path: Path) -> None:
    """--json prints the same rows as --out, as one JSON list on standard output."""
    import json

    res = runner.invoke(app, ["measure", "-c", "sample", "-t", "o200k_base", "-l", "ja", "--resamples", "50", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["language"]: r for r in json.loads(res.stdout)}
    texts = tokeff.load_corpus("sample").texts
    assert rows["ja"]["premium"] == pytest.approx(_tokens("o200k_base", texts["ja"]) / _tokens("o200k_base", texts["en"]))
    res = runner.invoke(app, ["count", "会議は木曜日", "-t", "o200k_base", "--json"])
    assert json.loads(res.stdout) == [{"tokenizer": "o200k_base", "status": "exact",
                                       "tokens": _tokens("o200k_base", ["会議は木曜日"]), "characters": 6}]
    res = runner.invoke(app, ["proxy-check", "-p", "cl100k_base", "-a", "o200k_base", "-c", "sample", "-l", "ja", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)[0]["language"] == "ja"


def test_an_80_column_terminal_cuts_off_no_number_or_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import tokeff.cli.base as base

    monkeypatch.setattr(base.out, "width", 80)
    models = ["gpt-4o-mini", "llama-3.3-70b@self-hosted", "qwen-plus"]
    res = runner.invoke(app, ["cost", str(ROOT / "examples" / "ja-support-bot.yaml"), *[a for m in models for a in ("-m", m)]])
    assert res.exit_code == 0, res.output
    table = res.output.split("JPY (FX")[0]
    assert "…" not in table and all(m in table for m in models)
    assert max(len(line) for line in table.splitlines()) <= 80
    rows = [line.split() for line in table.splitlines() if line.strip().startswith("ja ")]
    assert len(rows) == 3 and all(re.fullmatch(r"[\d,]+", r[4]) and r[-1].endswith("%)") for r in rows)
    assert "--wide" in res.output
    wide = runner.invoke(app, ["cost", str(ROOT / "examples" / "ja-support-bot.yaml"), "-m", "qwen-plus", "--wide"])
    assert "premium [95% CI]" in wide.output


def test_estimate_command() -> None:
    """One Japanese prompt on gpt-4o-mini: its tokens; its English equivalent: its shared ASCII run
    ("3") as it is, the rest x exp(mean over support-chat and legal of log((English - shared) /
    native)), all counted here; and tokens x 0.15 (input) or 0.60 (output) USD per million."""
    import json
    import math

    from tokeff.analysis.density import shared_runs

    prompt = "会議は木曜日の午後3時に変更になりました。"
    res = runner.invoke(app, ["estimate", prompt, "-m", "gpt-4o-mini", "-c", "support-chat", "-c", "legal", "--json"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)[0]
    n = _tokens("o200k_base", [prompt])
    logs = []
    for name in ("support-chat", "legal"):
        texts = tokeff.load_corpus(name).texts
        shared = sum(_tokens("o200k_base", shared_runs(t)) for t in texts["ja"] if shared_runs(t))
        native = _tokens("o200k_base", texts["ja"]) - shared
        logs.append(math.log((_tokens("o200k_base", texts["en"]) - shared) / native))
    s = _tokens("o200k_base", shared_runs(prompt))
    assert shared_runs(prompt) == ["3"] and row["language"] == "ja" and row["tokens"] == n  # told from the kana
    assert row["english_equivalent_tokens"] == pytest.approx(s + (n - s) * math.exp(sum(logs) / 2))
    assert row["corpus"] == "support-chat, legal"
    assert row["english_equivalent_low"] < row["english_equivalent_tokens"] < row["english_equivalent_high"]
    assert row["cost_as_input"] == pytest.approx(n * 0.15 / 1e6) and row["cost_as_output"] == pytest.approx(n * 0.6 / 1e6)
    res = runner.invoke(app, ["estimate", "-", "-m", "gpt-4o-mini"], input=b"Hello there.\n")
    assert res.exit_code == 0 and "One en prompt of 12 characters" in res.output


def test_out_dash_writes_csv_to_standard_output() -> None:
    import io

    res = runner.invoke(app, ["cost", str(ROOT / "examples" / "ja-support-bot.yaml"), "-m", "gpt-4o-mini", "--out", "-",
                              "--json"])
    assert res.exit_code == 0, res.output
    csv_part = res.stdout.split("\n[")[0]  # the CSV, then --json's list
    table = pd.read_csv(io.StringIO(csv_part))
    assert list(table.model) == ["gpt-4o-mini"] and table.currency.iloc[0] == "JPY"
