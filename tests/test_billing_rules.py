"""Lifecycles, peak hours and regions, each checked against figures worked out by hand here."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from tokeff.costs.peak import Peak, PeakRow, Traffic, peak_share
from tokeff.costs.pricing import cost, request_cost
from tokeff.costs.rates import Prices, RateCard, _load, load_rates
from tokeff.costs.workload import parse_workload
from tokeff.errors import RatesError, WorkloadError

# English 1,000 tokens, Japanese 1,500 for the same 800 English words, on o200k_base
RATIOS = pd.DataFrame([
    {"corpus": "toy", "domain": "x", "language": lang, "tokenizer": "o200k_base", "tokens": tokens, "chars": 1,
     "premium": tokens / 1000, "premium_low": tokens / 1000, "premium_high": tokens / 1000, "reference": "en",
     "tokens_per_1k_ref_words": tokens * 1.25, "signature": "sig"}
    for lang, tokens in (("en", 1000), ("ja", 1500))
])

RATES = """as_of: 2026-11-23
models:
  - {id: old, tier: small, provider: p, tokenizer: o200k_base, input: 1, output: 2, source: s, checked: 2026-11-01, default: true}
  - {id: going, tier: small, provider: p, tokenizer: o200k_base, input: 2, output: 4, source: s, checked: 2026-11-01, default: true}
  - {id: new, tier: small, provider: p, tokenizer: o200k_base, input: 3, output: 6, source: s, checked: 2026-11-01, default: true}
  - {id: cn, tier: small, provider: q, region: cn-mainland, currency: USD, tokenizer: o200k_base, input: 0.5, output: 0.5,
     source: s, checked: 2026-11-01, default: true}
lifecycles:
  - {models: [old], status: retired, date: 2026-07-24, replacement: new, source: https://p.example/deprecations, checked: 2026-12-01}
  - {models: [going], status: deprecated, date: 2026-12-20, replacement: new, source: https://p.example/deprecations, checked: 2026-12-01}
  - {models: [new, cn], status: current, source: https://p.example/models, checked: 2026-12-01}
"""


def _wl(**kw: object):  # type: ignore[no-untyped-def]
    base: dict[str, object] = {"name": "t", "corpus": "toy", "requests_per_month": 1000,
                               "input": {"english_words": 80}, "output": {"english_words": 40},
                               "languages": {"ja": 1.0}}
    base.update(kw)
    return parse_workload(base)


@pytest.fixture
def book(tmp_path: Path):  # type: ignore[no-untyped-def]
    p = tmp_path / "rates.yaml"
    p.write_text(RATES, encoding="utf-8")
    _load.cache_clear()
    return load_rates(p)


def test_a_retired_model_is_never_ranked(book) -> None:  # type: ignore[no-untyped-def]
    on = date(2026, 12, 3)
    df = cost(_wl(), None, RATIOS, rates=book, on=on)
    # defaults: `old` retired in July is left out with the reason; `cn` is another region's price list
    assert list(df.model) == ["going", "new"]
    skipped = df.attrs["skipped"]
    assert "retired on 2026-07-24" in skipped["old"] and "use new" in skipped["old"] and "cn" not in skipped
    going = df[df.model == "going"].iloc[0]
    assert going.lifecycle == "deprecated (retires 2026-12-20)" and going["rank"] == 1
    assert going.lifecycle_source == "https://p.example/deprecations" and going.lifecycle_checked == "2026-12-01"
    # 80 words -> 150 ja tokens in, 75 out: (150 x 2 + 75 x 4) / 1e6 per request, x 1,000 requests
    assert going.cost_per_month == pytest.approx((150 * 2 + 75 * 4) / 1e6 * 1000)
    # after its retirement date the deprecated model is retired too, though the file says `deprecated`
    later = cost(_wl(), None, RATIOS, rates=book, on=date(2026, 12, 21))
    assert list(later.model) == ["new"] and "retired on 2026-12-20" in later.attrs["skipped"]["going"]
    # named, a retired model is priced on request: no rank, a note saying why
    named = cost(_wl(), ["old", "new"], RATIOS, rates=book, on=on)
    old = named[named.model == "old"].iloc[0]
    assert pd.isna(old["rank"]) and pd.isna(old["tier_rank"]) and old.lifecycle == "retired (2026-07-24)"
    assert old.notes.startswith("retired (2026-07-24): not ranked, priced on request")
    assert named[named.model == "new"].iloc[0]["rank"] == 1  # ranked alone, though `old` is cheaper


def test_a_named_model_of_another_region_is_priced_and_says_so(book) -> None:  # type: ignore[no-untyped-def]
    df = cost(_wl(region="cn-mainland"), None, RATIOS, rates=book, on=date(2026, 12, 3))
    assert list(df.model) == ["cn"] and set(df.region) == {"cn-mainland"}
    named = cost(_wl(), ["cn"], RATIOS, rates=book, on=date(2026, 12, 3))
    assert "priced for region cn-mainland, not the workload's international" in named.notes.iloc[0]


@pytest.mark.parametrize("text, message", [
    ("  - {models: [new], status: deprecated, source: s, checked: 2026-12-01}\n", "needs `date`"),
    ("  - {models: [nope], status: current, source: s, checked: 2026-12-01}\n", "names 'nope', which has no row"),
    ("  - {models: [new], status: current, source: s, checked: 2026-12-01}\n"
     "  - {models: [new], status: current, source: s, checked: 2026-12-01}\n", "gives model 'new' twice"),
    ("  - {models: [new], status: gone, source: s, checked: 2026-12-01}\n", "lifecycles.0.status"),
])
def test_bad_lifecycles_name_the_entry(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "r.yaml"
    p.write_text("as_of: 2026-11-23\nmodels:\n  - {id: new, provider: p, tokenizer: null, input: 1, output: 1, "
                 "source: s, checked: 2026-11-01}\nlifecycles:\n" + text, encoding="utf-8")
    _load.cache_clear()
    with pytest.raises(RatesError, match=message):
        load_rates(p)


def test_every_shipped_model_has_a_dated_sourced_lifecycle() -> None:
    _load.cache_clear()
    book = load_rates()
    for mid in book:
        life = book.lifecycle(mid)
        assert life.source.startswith("http") and life.checked is not None, mid
    # nothing a plain `tokeff cost` compares is retired or retires within a month
    for m in book.defaults():
        life = book.lifecycle(m)
        assert life.state == "current" or (life.retires and (life.retires - date.today()).days > 30), m


def test_peak_share_by_hand() -> None:
    # DeepSeek's peak: 01:00-04:00 and 06:00-10:00 UTC, Mon-Fri = 7 h x 5 days of the 168-hour week
    peak = Peak.of(PeakRow(multiplier=Decimal(2), hours_utc=["01:00-04:00", "06:00-10:00"], source="s",
                           checked=date(2026, 12, 1)))
    assert peak_share(peak, None, date(2026, 12, 3)) == pytest.approx(35 / 168)
    # Tokyo (UTC+9), 80% of requests in 09:00-18:00 Mon-Fri: peak is 10:00-13:00 and 15:00-19:00 JST;
    # inside business hours 10-13 and 15-18 = 6 of 9 hours; 18:00-19:00 JST is outside them
    tokyo = Traffic(timezone="Asia/Tokyo", business_hours="09:00-18:00", business_share=0.8)
    expected = 0.8 * 6 / 9 + 0.2 * 5 / (168 - 45)
    assert peak_share(peak, tokyo, date(2026, 12, 3)) == pytest.approx(expected)
    # the request cost: that share at 2x
    card = RateCard(model="m", name="m", provider="deepseek", tokenizer=None, currency="USD",
                    standard=Prices(Decimal("0.66"), Decimal("1.98")), batch=None, origin="tokeff", source="s",
                    checked=date(2026, 10, 2), peak=peak)
    base = (1000 * 0.66 + 100 * 1.98) / 1e6
    assert request_cost(card, 1000, 100, peak_share=expected).cost == pytest.approx(base * (1 + expected))


@pytest.mark.parametrize("traffic, message", [
    ({"timezone": "Asia/Tokio"}, "not an IANA zone"),
    ({"timezone": "Asia/Tokyo", "business_hours": "9-18"}, "HH:MM-HH:MM"),
    ({"timezone": "Asia/Tokyo", "business_hours": "18:00-09:00"}, "end must be after the start"),
    ({"timezone": "Asia/Tokyo", "business_days": "mon-fry"}, "use mon..sun"),
    ({"timezone": "Asia/Tokyo", "business_share": 1.5}, "business_share"),
])
def test_bad_traffic_names_the_field(traffic: dict[str, object], message: str) -> None:
    with pytest.raises(WorkloadError, match=message):
        _wl(traffic=traffic)


def test_shipped_deepseek_rows_bill_peak_hours() -> None:
    _load.cache_clear()
    card = load_rates().card("deepseek-v4-pro")
    assert card.peak is not None and card.peak.multiplier == 2
    df = cost(_wl(traffic={"timezone": "Asia/Seoul"}), ["deepseek-v4-pro"], _deepseek_ratios(), on=date(2026, 12, 3))
    share = 0.8 * 6 / 9 + 0.2 * 5 / 123
    row = df.iloc[0]
    tin, tout = row.input_tokens, row.output_tokens
    assert row.cost_per_request == pytest.approx((tin * 0.66 + tout * 1.98) / 1e6 * (1 + share))
    assert f"{share:.0%} of requests in peak hours" in row.notes


def _deepseek_ratios() -> pd.DataFrame:
    return RATIOS.assign(tokenizer="deepseek-v4")


def test_costs_csv_rounds_money_to_the_minor_unit_and_tokens_to_integers() -> None:
    from tokeff.costs.money import for_export

    df = pd.DataFrame({"currency": ["KRW", "USD"], "cost_per_month": [1619985.6, 12.345], "language_tax": [-0.5, 0.004],
                       "cost_per_request": [0.81, 0.0000123], "input_tokens": [150.4, 2999.5]})
    out = for_export(df)
    assert list(out.cost_per_month) == [1619986.0, 12.35] and list(out.language_tax) == [-0.0, 0.0]
    assert list(out.cost_per_request) == [0.81, 0.0000123]  # a request costs a fraction of a cent: kept
    assert list(out.input_tokens) == [150, 3000] and str(out.input_tokens.dtype) == "Int64"


def test_one_hour_cache_writes_cost_twice_the_input_rate_on_claude() -> None:
    """claude-sonnet-5-5 (genai-prices: input 2, cache read 0.1, 5-minute write 2.5 USD per 1M):
    2,000 English tokens in, 75% an English cached prefix written 10,000 times a month out of
    100,000 requests; 1-hour writes bill the prefix at 2 x 2 = 4."""
    ratios = RATIOS.assign(tokenizer="claude-2-proxy")
    wl = _wl(requests_per_month=100_000, input={"english_tokens": 2000, "tokenizer": "claude-2-proxy"},
             output={"english_tokens": 0, "tokenizer": "claude-2-proxy"}, languages={"en": 1.0},
             cached_share=0.75, cache_writes_per_month=10_000)
    card = load_rates().card("claude-sonnet-5-5")
    assert (card.standard.input, card.standard.cached_input, card.standard.cache_write) == (2, Decimal("0.1"), Decimal("2.5"))
    short = cost(wl, ["claude-sonnet-5-5"], ratios, on=date(2026, 12, 3)).iloc[0]
    long = cost(wl.model_copy(update={"cache_ttl": "1h"}), ["claude-sonnet-5-5"], ratios, on=date(2026, 12, 3)).iloc[0]
    fresh, prefix = 500 * 2, 1500 * (0.9 * 0.1 + 0.1 * 2.5)  # 10% of requests write the prefix
    assert short.cost_per_request == pytest.approx((fresh + prefix) / 1e6)
    assert long.cost_per_request == pytest.approx((fresh + 1500 * (0.9 * 0.1 + 0.1 * 4)) / 1e6)
    assert "1-hour cache writes at 2x the input rate" in long.notes
    # a provider with no stated 1-hour rate: the write stays at its cache-write rate, and the row says so
    both = pd.concat([RATIOS, ratios])
    mini = cost(wl.model_copy(update={"cache_ttl": "1h"}), ["gpt-5.6-luna"], both, on=date(2026, 12, 3)).iloc[0]
    assert "no 1-hour cache-write rate known for openai" in mini.notes


def test_mainland_prices_in_cny_by_hand() -> None:
    """qwen-plus@cn-mainland: 0.8 / 2.0 CNY per 1M (Beijing), batch at half; 150 ja tokens in, 75 out."""
    _load.cache_clear()
    on = date(2026, 12, 3)
    card = load_rates().card("qwen-plus@cn-mainland")
    assert (card.currency, card.standard.input, card.standard.output) == ("CNY", Decimal("0.8"), Decimal("2.0"))
    ratios = RATIOS.assign(tokenizer="qwen2")
    df = cost(_wl(region="cn-mainland", currency="CNY", batch_share=0.5), ["qwen-plus@cn-mainland"], ratios, on=on)
    row = df.iloc[0]
    full = (150 * 0.8 + 75 * 2.0) / 1e6
    assert row.region == "cn-mainland" and row.currency == "CNY" and row.fx_date == ""
    assert row.cost_per_request == pytest.approx(0.5 * full + 0.5 * full / 2)


def test_data_residency_uplift_and_models_without_one() -> None:
    _load.cache_clear()
    on = date(2026, 12, 3)
    ratios = RATIOS.assign(tokenizer="gpt6-o200k-proxy")
    row = cost(_wl(data_residency="jp"), ["gpt-6-luna"], ratios, on=on).iloc[0]
    # 150 in, 75 out at 0.1 / 0.5, x 1.1 for processing in Japan
    assert row.cost_per_request == pytest.approx((150 * 0.1 + 75 * 0.5) / 1e6 * 1.1)
    assert row.region == "international (jp residency)" and "processed in jp at 1.1x" in row.notes
    # Anthropic documents US-only processing, not Japan: named, it is priced at its global rate with a note
    claude = cost(_wl(data_residency="jp"), ["claude-haiku-5-5"], RATIOS.assign(tokenizer="claude-2-proxy"), on=on).iloc[0]
    assert "no documented in-region processing in jp" in claude.notes
    with pytest.raises(WorkloadError, match="data_residency: no provider in the rates file documents"):
        cost(_wl(data_residency="mars"), ["gpt-6-luna"], ratios, on=on)


def test_the_cost_command_shows_a_deprecated_pick_with_its_date(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tokeff.cli import app

    wl = tmp_path / "w.yaml"
    wl.write_text("name: w\ncorpus: sample\nrequests_per_month: 1000\ninput: {english_words: 100}\n"
                  "output: {english_words: 50}\nlanguages: {ja: 1.0}\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["cost", str(wl), "-m", "gpt-4o-mini", "-m", "gpt-5.6-sol", "-m", "gpt-4"])
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    assert "small gpt-4o-mini ‡ deprecated (retires 2027-01-14)" in flat or date.today() >= date(2027, 1, 14)
    assert "‡ gpt-4: retired (2026-10-23), priced on request, not ranked" in flat
