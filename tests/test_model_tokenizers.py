"""Every priced model and the registry agree on its tokenizer: a model the registry lists is priced
with that tokenizer (so `tokeff count -t MODEL` and `tokeff cost -m MODEL` count alike, offline),
and a model priced with a tokenizer that does not list it says why in its notes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import tokeff
from tokeff.cli import app
from tokeff.costs.rates import load_rates


def test_every_priced_models_tokenizer_exists_and_lists_it_or_says_why() -> None:
    reg = tokeff.load_registry()
    book = load_rates()
    unexplained = []
    for mid in book:
        row = book.rows[mid]
        listed = reg.find(mid)
        if listed is not None and listed.api is None:  # the registry maps this model offline
            assert row.tokenizer == listed.id, f"{mid}: rates say {row.tokenizer}, the registry maps it to {listed.id}"
        if row.tokenizer is None:
            assert "tokenizer unknown" not in (row.notes or "").lower() or listed is None, mid
            continue
        entry = reg.get(row.tokenizer)  # exists
        assert entry.api is None, f"{mid}: priced with a count API, which needs the network"
        base = mid.split("@")[0]  # llama-3.3-70b@groq: the model served by a host
        if base not in entry.models and row.tokenizer not in (row.notes or ""):
            unexplained.append(mid)
    assert unexplained == []


def test_qwen_aliases_and_deepseek_rows_are_on_the_vocabulary_they_serve() -> None:
    book = load_rates()
    assert {m: book.rows[m].tokenizer for m in ("qwen-plus", "qwen-flash", "qwen-max", "qwen3.5-plus", "qwen3.8-max")} == {
        "qwen-plus": "qwen2", "qwen-flash": "qwen2", "qwen-max": "qwen2", "qwen3.5-plus": "qwen3.5", "qwen3.8-max": "qwen3.5"}
    # DeepSeek V3 and V4 differ only in added tokens: ordinary text counts the same under both
    text = "会議は木曜日の午後3時に変更になりました。 회의가 목요일 오후 3시로 변경되었습니다. The meeting moved to 3 pm."
    assert tokeff.get_tokenizer("deepseek-v3").encode(text) == tokeff.get_tokenizer("deepseek-v4").encode(text)
    assert book.rows["deepseek-flash"].tokenizer == "deepseek-v4"


def test_claude_count_and_cost_use_the_same_tokenizer_offline() -> None:
    runner = CliRunner()
    text = "会議は木曜日の午後3時に変更になりました。"
    res = runner.invoke(app, ["count", text, "-t", "claude-sonnet-4-5", "--json"])
    assert res.exit_code == 0, res.output
    (row,) = json.loads(res.output)
    proxy = tokeff.get_tokenizer("claude-2-proxy")
    assert row["tokenizer"] == "claude-2-proxy" and row["status"] == "proxy"
    assert row["tokens"] == proxy.count([text])[0] == 23
    assert load_rates().card("claude-sonnet-4-5").tokenizer == "claude-2-proxy"
    res = runner.invoke(app, ["cost", str(Path(__file__).resolve().parents[1] / "examples" / "ko-rag.yaml"), "-m", "claude-sonnet-4-5", "--json"])
    assert res.exit_code == 0, res.output
    assert {r["tokenizer"] for r in json.loads(res.output)} == {"claude-2-proxy"}
    # the count API is still there, asked for by name
    assert tokeff.load_registry().get("claude-api.claude-sonnet-4-5").status == "api"
