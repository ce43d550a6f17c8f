"""tokeff traffic: reading, language of each part, exact counts, framing, cached prefixes, costs
and the language tax, all checked against counts from the real tokenizers and rates computed here."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tokeff.analysis.density import fit, shared_runs
from tokeff.cli import app
from tokeff.corpora.langid import detect
from tokeff.costs.rates import load_rates
from tokeff.tokenizers.tokenizer import get_tokenizer
from tokeff.traffic.cost import TRAFFIC_COLUMNS, traffic_cost
from tokeff.traffic.reader import read_traffic

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "traffic-support.jsonl"
runner = CliRunner()


def _example() -> list[dict]:
    return [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()]


def test_example_reads_as_twenty_requests_with_system_user_and_response() -> None:
    reqs = read_traffic(EXAMPLE)
    raw = _example()
    assert len(reqs) == 20
    for req, obj in zip(reqs, raw, strict=True):
        assert [p.role for p in req.parts] == ["system", "user", "response"]
        assert req.parts[1].text == obj["messages"][1]["content"] and req.parts[2].text == obj["response"]
        assert req.messages == 2 and req.system_prefix == (obj["messages"][0]["content"],)
    assert len({r.system_prefix for r in reqs}) == 1


def test_language_of_each_part() -> None:
    assert detect("会議は木曜日の午後3時に変更になりました。") == "ja"
    assert detect('{"order_id": 5, "status": "発送済み"}') == "ja"  # one kana among Han, keys in ASCII
    assert detect("회의가 목요일 오후 3시로 변경되었습니다.") == "ko"
    assert detect("会议改到星期四下午3点。") == "zh-Hans" and detect("會議改到星期四下午3點。") == "zh-Hant"
    assert detect("中文") == "zh"  # characters common to both written forms: not guessed
    assert detect("Please change the delivery address of my order.") == "en"
    assert detect("Thanks!") == "und" and detect("12345") == "und"  # too short, no letters: not guessed
    langs = [detect(p.text) for r in read_traffic(EXAMPLE) for p in r.parts]
    assert (langs.count("en"), langs.count("ja"), langs.count("ko")) == (24, 20, 16)


def test_example_costs_are_the_hand_counts_times_the_rates() -> None:
    """gpt-4o-mini on the example: tokens per part from o200k_base here, OpenAI's framing (3 per
    message, 3 for the reply: 20 x (2 x 3 + 3)), no cache (the 57-token system prompt is under
    the 1,024-token minimum), cost = tokens x rate / 1e6."""
    tok = get_tokenizer("o200k_base")
    card = load_rates().card("gpt-4o-mini")
    rin, rout = float(card.standard.input), float(card.standard.output)
    df = traffic_cost(read_traffic(EXAMPLE), ["gpt-4o-mini"], requests_per_month=100_000)
    assert list(df.columns[: len(TRAFFIC_COLUMNS)]) == TRAFFIC_COLUMNS
    raw = _example()
    system = sum(tok.count([o["messages"][0]["content"]])[0] for o in raw)
    users = sum(tok.count([o["messages"][1]["content"]])[0] for o in raw)
    answers = sum(tok.count([o["response"]])[0] for o in raw)
    by_part = df.groupby("parts")["tokens"].sum()
    assert (by_part["system"], by_part["user"], by_part["response"], by_part["framing"]) == (system, users, answers, 180)
    expected = ((system + users + 180) * rin + answers * rout) / 1e6
    assert df["cost"].sum() == pytest.approx(expected, rel=1e-12)
    sys_row = df[df["parts"] == "system"].iloc[0]
    assert sys_row["cost"] == pytest.approx(system * rin / 1e6, rel=1e-12) and sys_row["language_tax"] == 0
    assert "under the 1,024-token cache minimum" in sys_row["note"] and sys_row["cached_tokens"] == 0
    assert df["cost_per_month"].sum() == pytest.approx(expected / 20 * 100_000, rel=1e-12)
    framing = df[df["parts"] == "framing"].iloc[0]
    assert "OpenAI Cookbook" in framing["note"] and framing["language_tax"] == 0
    # each Japanese part's English equivalent: shared ASCII runs as they are, the rest x the fitted ratio
    ja = df[(df["parts"] == "user") & (df["language"] == "ja")].iloc[0]
    texts = [o["messages"][1]["content"] for o in raw if detect(o["messages"][1]["content"]) == "ja"]
    n = sum(tok.count(texts))
    s = sum(sum(tok.count(shared_runs(t))) for t in texts if shared_runs(t))
    from tokeff.traffic.cost import shipped_corpora

    ratio = fit(shipped_corpora(), tok, "ja").ratio
    assert ja["tokens"] == n and ja["english_equivalent_tokens"] == pytest.approx(s + (n - s) * ratio)
    assert ja["english_equivalent_low"] < ja["english_equivalent_tokens"] < ja["english_equivalent_high"]
    price = ja["cost"] / ja["tokens"]
    assert price == pytest.approx(rin / 1e6) and ja["english_equivalent_cost"] == pytest.approx(
        ja["english_equivalent_tokens"] * rin / 1e6)
    assert ja["language_tax"] == pytest.approx(ja["cost"] - ja["english_equivalent_cost"]) and ja["language_tax"] > 0


def test_a_repeated_long_system_prompt_is_a_cached_prefix(tmp_path: Path) -> None:
    """Three requests share a system prompt above OpenAI's 1,024-token minimum: the first pays the
    input rate (OpenAI has no cache-write rate), the other two the cached-input rate."""
    prompt = " ".join(f"Rule {i}: answer the customer about order number {1000 + i} politely." for i in range(120))
    lines = [{"messages": [{"role": "system", "content": prompt}, {"role": "user", "content": q}]}
             for q in ("注文はいつ届きますか？", "返品したいです。", "請求書をください。")]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    tok, card = get_tokenizer("o200k_base"), load_rates().card("gpt-4o-mini")
    t = tok.count([prompt])[0]
    assert t >= 1024
    df = traffic_cost(read_traffic(path), ["gpt-4o-mini"])
    row = df[df["parts"] == "system"].iloc[0]
    assert row["cached_tokens"] == 2 * t
    expected = (t * float(card.standard.input) + 2 * t * float(card.standard.cached_input or 0)) / 1e6
    assert row["cost"] == pytest.approx(expected, rel=1e-12)
    assert math.isnan(df["cost_per_month"].iloc[0])  # no volume given


def test_a_planted_secret_never_leaves_the_traffic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-PLANTED-traffic-0123456789abcdef"
    cache = tmp_path / "cache"
    monkeypatch.setenv("TOKEFF_CACHE_DIR", str(cache))
    good = tmp_path / "logs.jsonl"
    good.write_text(json.dumps({"messages": [{"role": "user", "content": f"APIキーは{secret}です。"}],
                                "response": f"{secret} を受け取りました。"}, ensure_ascii=False) + "\n", encoding="utf-8")
    outputs = [tmp_path / f"o.{ext}" for ext in ("csv", "json", "parquet")]
    seen = []
    for o in outputs:
        res = runner.invoke(app, ["traffic", str(good), "-m", "gpt-4o-mini", "--out", str(o)])
        assert res.exit_code == 0, res.output
        seen.append(res.output)
    res = runner.invoke(app, ["traffic", str(good), "-m", "gpt-4o-mini", "--json"])
    seen.append(res.output)
    bad = tmp_path / "bad.jsonl"  # the secret on a line that is not JSON, and in an unknown role
    bad.write_text(f'{{"messages": [{{"role": "user", "content": "{secret}"}}\n', encoding="utf-8")
    role = tmp_path / "role.jsonl"
    role.write_text(json.dumps({"messages": [{"role": secret, "content": secret}]}) + "\n", encoding="utf-8")
    for f in (bad, role):
        res = runner.invoke(app, ["traffic", str(f), "-m", "gpt-4o-mini"])
        assert res.exit_code == 2 and f"{f.name}:1:" in res.output.replace("\n", "")
        seen.append(res.output)
    assert all(secret not in s and "PLANTED" not in s for s in seen)
    for path in [*outputs, *cache.rglob("*")]:
        if path.is_file():
            data = path.read_bytes()
            assert secret.encode() not in data and b"PLANTED" not in data, path
    assert any(p.name == "counts.sqlite" for p in cache.rglob("*"))  # the counts were cached, as hashes


def test_csv_and_text_traffic(tmp_path: Path) -> None:
    pd.DataFrame({"input": ["注文はいつ届きますか？", "Where is my parcel?"], "output": ["明日届きます。", ""]}).to_csv(
        tmp_path / "t.csv", index=False)
    reqs = read_traffic(tmp_path / "t.csv")
    assert [[p.role for p in r.parts] for r in reqs] == [["user", "response"], ["user"]]
    assert reqs[1].where.endswith("t.csv:3")
    pd.DataFrame({"input": ["注文はいつ届きますか？"], "output": [None]}).to_parquet(tmp_path / "t.parquet")
    (req,) = read_traffic(tmp_path / "t.parquet")
    assert [p.role for p in req.parts] == ["user"] and req.where.endswith("t.parquet row 1")
    (tmp_path / "t.txt").write_text("一つ目の質問です。\n\nsecond prompt here\n", encoding="utf-8")
    reqs = read_traffic(tmp_path / "t.txt")
    assert [r.parts[0].text for r in reqs] == ["一つ目の質問です。", "second prompt here"]
    assert reqs[1].where.endswith("t.txt:3")


def test_cli_takes_the_volume_from_a_workload(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text("name: w\nrequests_per_month: 5000\ninput: {english_words: 10}\n"
                                     "output: {english_words: 10}\n", encoding="utf-8")
    res = runner.invoke(app, ["traffic", str(EXAMPLE), "-m", "gpt-4o-mini", "--workload", str(tmp_path / "w.yaml"),
                              "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    total = sum(r["cost"] for r in rows)
    assert sum(r["cost_per_month"] for r in rows) == pytest.approx(total / 20 * 5000)
    assert {r["requests_per_month"] for r in rows} == {5000}


def test_anthropic_shape_tools_and_reasoning(tmp_path: Path) -> None:
    """Top-level system, content blocks, a tool_use and a tool_result, an OpenAI tool call and usage
    reasoning tokens: each text is its own part, reasoning is billed at the output rate, and
    framing counts the input messages (OpenAI's rule, 3 each + 3)."""
    line = {"system": [{"type": "text", "text": "You are a shop assistant."}],
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "在庫はありますか？"}, {"type": "image", "source": {}}]},
                {"role": "assistant", "content": [{"type": "tool_use", "input": {"sku": "A-1"}}]},
                {"role": "user", "content": [{"type": "tool_result", "content": '{"stock": 3}'}]},
                {"role": "assistant", "content": None, "tool_calls": [{"function": {"arguments": '{"q": "在庫"}'}}]},
                {"role": "tool", "content": "在庫は3点です。", "name": "lookup"}],
            "response": {"role": "assistant", "content": "はい、3点ございます。"},
            "usage": {"completion_tokens_details": {"reasoning_tokens": 40}}}
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    (req,) = read_traffic(path)
    assert [(p.role, p.text) for p in req.parts] == [
        ("system", "You are a shop assistant."), ("user", "在庫はありますか？"), ("tool", '{"sku": "A-1"}'),
        ("tool", '{"stock": 3}'), ("tool", '{"q": "在庫"}'), ("tool", "在庫は3点です。"),
        ("response", "はい、3点ございます。")]
    assert (req.messages, req.names, req.reasoning_tokens, req.skipped_blocks) == (6, 1, 40, 1)
    df = traffic_cost([req], ["gpt-4o-mini"])
    card = load_rates().card("gpt-4o-mini")
    reasoning = df[df["parts"] == "reasoning"].iloc[0]
    assert reasoning["tokens"] == 40 and reasoning["cost"] == pytest.approx(40 * float(card.standard.output) / 1e6)
    assert df[df["parts"] == "framing"].iloc[0]["tokens"] == 6 * 3 + 1 + 3
    tok = get_tokenizer("o200k_base")
    assert df["tokens"].sum() == sum(tok.count([p.text for p in req.parts])) + 22 + 40


def test_parts_without_an_english_equivalent_are_not_guessed(tmp_path: Path) -> None:
    """French (no parallel corpus has it): exact tokens and cost, no English equivalent and no tax;
    `OK` (too short to tell): the same; digits only: language-neutral, its own English equivalent;
    Indonesian (Latin script: its ASCII is its own words, nothing shared): tokens x the fitted ratio."""
    texts = ["Bonjour, je voudrais annuler ma commande numéro 5521.", "OK", "5521",
             "Saya ingin membatalkan pesanan saya nomor 5521 karena alamatnya salah."]
    path = tmp_path / "t.txt"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    df = traffic_cost(read_traffic(path), ["gpt-4o-mini"]).set_index("language")
    tok = get_tokenizer("o200k_base")
    assert set(df.index) == {"fr", "und", "id", ""}
    fr = df.loc["fr"]
    assert math.isnan(fr["english_equivalent_tokens"]) and math.isnan(fr["language_tax"])
    assert "no English-equivalent model for fr" in fr["note"]
    rate = float(load_rates().card("gpt-4o-mini").standard.input)
    assert fr["cost"] == pytest.approx(tok.count([texts[0]])[0] * rate / 1e6)
    und = df.loc["und"]  # "OK" and "5521": one row; OK refuses, so the row has no English equivalent
    assert und["tokens"] == sum(tok.count(texts[1:3])) and math.isnan(und["english_equivalent_tokens"])
    from tokeff.traffic.cost import shipped_corpora

    n = tok.count([texts[3]])[0]
    assert df.loc["id", "english_equivalent_tokens"] == pytest.approx(n * fit(shipped_corpora(), tok, "id").ratio)
    only_digits = traffic_cost(read_traffic(_one(tmp_path, "5521")), ["gpt-4o-mini"])
    row = only_digits[only_digits["parts"] == "user"].iloc[0]
    assert row["english_equivalent_tokens"] == row["tokens"] and row["language_tax"] == 0


def _one(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "one.txt"
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_a_cached_prefix_is_written_once_at_the_write_rate(tmp_path: Path) -> None:
    """claude-sonnet-4-5 (Claude 2 tokenizer as its labelled proxy): the shared system prompt's first
    use is billed at the cache-write rate, the two later ones at the cache-read rate, the user turns
    at the input rate; no framing (Anthropic does not document a per-message count)."""
    prompt = " ".join(f"Rule {i}: answer the customer about order number {1000 + i} politely." for i in range(120))
    users = ("注文はいつ届きますか？", "返品したいです。", "請求書をください。")
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps({"system": prompt, "messages": [{"role": "user", "content": u}]},
                                       ensure_ascii=False) + "\n" for u in users), encoding="utf-8")
    tok = get_tokenizer("claude-2-proxy")
    t = tok.count([prompt])[0]
    assert t >= 1024
    df = traffic_cost(read_traffic(path), ["claude-sonnet-4-5"]).set_index("parts")
    assert "framing" not in df.index and df.loc["system", "tokenizer_status"] == "proxy"
    assert df.loc["system", "cached_tokens"] == 2 * t
    p = load_rates().card("claude-sonnet-4-5").standard
    assert p.cache_write is not None and p.cached_input is not None and p.cache_write > p.input > p.cached_input
    write, read, rin = float(p.cache_write), float(p.cached_input), float(p.input)
    assert df.loc["system", "cost"] == pytest.approx((t * write + 2 * t * read) / 1e6, rel=1e-12)
    assert df.loc["user", "cost"] == pytest.approx(sum(tok.count(list(users))) * rin / 1e6, rel=1e-12)


def test_traffic_defaults_are_served_models_of_the_international_list() -> None:
    from tokeff.costs.rates import load_rates
    from tokeff.traffic.cost import pick_models

    book = load_rates()
    cards = pick_models(book, None)
    assert cards and all((c.region or "international") == "international" for c in cards)
    assert all(book.lifecycle(c.model).ranked for c in cards)
    assert {c.model for c in pick_models(book, None, "cn-mainland")} <= {m for m in book if m.endswith("@cn-mainland")}


def test_traffic_bills_deepseeks_peak_hours_like_a_workload() -> None:
    """The same requests on deepseek-flash: 2x in peak hours, for the share the traffic profile
    gives (Tokyo office hours: 0.8 x 6/9 + 0.2 x 5/123) or, without one, 35 of the week's 168 hours."""
    from tokeff.costs.peak import Traffic
    from tokeff.traffic.cost import traffic_cost
    from tokeff.traffic.reader import read_traffic

    requests = read_traffic(ROOT / "examples" / "traffic-support.jsonl")
    flat = traffic_cost(requests, ["deepseek-flash"])
    tokyo = traffic_cost(requests, ["deepseek-flash"], traffic=Traffic(timezone="Asia/Tokyo"))
    base = flat.cost.sum() / (1 + 35 / 168)
    assert tokyo.cost.sum() == pytest.approx(base * (1 + 0.8 * 6 / 9 + 0.2 * 5 / 123))
    assert all("of requests in peak hours" in n for n in tokyo.note)
