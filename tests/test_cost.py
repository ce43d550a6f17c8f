"""Costs checked against figures computed by hand here: tokens x rate, cached share, batch,
long-context tier, FX, conversion through measured ratios, margin, and the English pivot."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tokeff.cli import app
from tokeff.costs.fx import CurrencyError, Fx, load_fx
from tokeff.costs.pivot import pivot_break_even
from tokeff.costs.pricing import cost, request_cost
from tokeff.costs.rates import Prices, RateBook, RateCard, UnknownModelError, UnpricedModelError, _load, load_rates
from tokeff.costs.workload import Workload, WorkloadError, load_workload, parse_workload
from tokeff.errors import LanguageError

# A toy ratio table with round numbers: the corpus has 800 English words; English needs 1,000
# tokens on tokenizer A and 1,200 on B; Japanese 1,500 on A and 1,560 on B.
ROOT = Path(__file__).resolve().parents[1]
RATIOS = pd.DataFrame([
    {"corpus": "toy", "domain": "x", "language": "en", "tokenizer": "o200k_base", "tokens": 1000, "chars": 4000,
     "premium": 1.0, "premium_low": 1.0, "premium_high": 1.0, "reference": "en", "tokens_per_1k_ref_words": 1250.0,
     "signature": "sig"},
    {"corpus": "toy", "domain": "x", "language": "ja", "tokenizer": "o200k_base", "tokens": 1500, "chars": 1800,
     "premium": 1.5, "premium_low": 1.4, "premium_high": 1.6, "reference": "en", "tokens_per_1k_ref_words": 1875.0,
     "signature": "sig"},
    {"corpus": "toy", "domain": "x", "language": "en", "tokenizer": "llama3", "tokens": 1200, "chars": 4000,
     "premium": 1.0, "premium_low": 1.0, "premium_high": 1.0, "reference": "en", "tokens_per_1k_ref_words": 1500.0,
     "signature": "sig"},
    {"corpus": "toy", "domain": "x", "language": "ja", "tokenizer": "llama3", "tokens": 1560, "chars": 1800,
     "premium": 1.3, "premium_low": 1.25, "premium_high": 1.35, "reference": "en", "tokens_per_1k_ref_words": 1950.0,
     "signature": "sig"},
])


SERVED = date(2026, 8, 1)  # a day on which every model these tests name was still served


def _card(**kw: object) -> RateCard:
    std = Prices(Decimal("2"), Decimal("8"), Decimal("0.5"))
    base = dict(model="m", name="M", provider="p", tokenizer="o200k_base", currency="USD", standard=std,
                batch=std.scaled(Decimal("0.5")), origin="tokeff", source="s", checked=date(2026, 11, 1))
    base.update(kw)
    return RateCard(**base)  # type: ignore[arg-type]


def test_request_cost_by_hand() -> None:
    c = _card()
    # 1,000 input tokens, 40% cached; 500 output: (600 x 2 + 400 x 0.5 + 500 x 8) / 1e6
    assert request_cost(c, 1000, 500, cached_share=0.4).cost == pytest.approx(0.0054)
    # half the requests through batch at half price: 0.5 x 0.0054 + 0.5 x 0.0027
    assert request_cost(c, 1000, 500, cached_share=0.4, batch_share=0.5).cost == pytest.approx(0.00405)
    no_cache = _card(standard=Prices(Decimal("2"), Decimal("8")), batch=None)
    r = request_cost(no_cache, 1000, 500, cached_share=0.4, batch_share=0.5)
    assert r.cost == pytest.approx((1000 * 2 + 500 * 8) / 1e6) and "no cache rate" in r.notes and "no batch rate" in r.notes


def test_long_context_tier_matches_genai_prices() -> None:
    from genai_prices import Usage, calc_price

    card = load_rates().card("claude-sonnet-4-5")
    # below 200k prompt tokens: 3 / 15; above: every token at 6 / 22.5
    assert request_cost(card, 200_000, 1000).cost == pytest.approx((200_000 * 3 + 1000 * 15) / 1e6)
    assert request_cost(card, 250_000, 1000).cost == pytest.approx((250_000 * 6 + 1000 * 22.5) / 1e6)
    ts = datetime(2026, 11, 23, 12, tzinfo=UTC)
    for tin, cached in [(250_000, 0), (120_000, 50_000), (300_000, 100_000)]:
        gp = calc_price(Usage(input_tokens=tin, cache_read_tokens=cached, output_tokens=2000), "claude-sonnet-4-5",
                        provider_id="anthropic", genai_request_timestamp=ts)
        ours = request_cost(card, tin, 2000, cached_share=cached / tin).cost
        assert ours == pytest.approx(float(gp.total_price))


def test_genai_prices_batch_and_cache_agree() -> None:
    from genai_prices import Usage, calc_price

    card = load_rates().card("gpt-4o")
    ts = datetime(2026, 11, 23, 12, tzinfo=UTC)
    gp = calc_price(Usage(input_tokens=10_000, cache_read_tokens=4000, output_tokens=800), "gpt-4o",
                    provider_id="openai", genai_request_timestamp=ts, price_context={"processing": "batch"})
    assert request_cost(card, 10_000, 800, cached_share=0.4, batch_share=1.0).cost == pytest.approx(float(gp.total_price))
    # by hand: (6,000 x 2.5 + 4,000 x 1.25 + 800 x 10) / 1e6 = 0.028, halved in batch
    assert request_cost(card, 10_000, 800, cached_share=0.4).cost == pytest.approx(0.028)


def test_self_hosted_price_per_million() -> None:
    card = load_rates().card("llama-3.3-70b@self-hosted")
    # 2 GPUs x $2.50/h / 0.6 busy = $8.333/h; 12,000 prompt tok/s -> 43.2M tok/h
    assert float(card.standard.input) == pytest.approx(2 * 2.5 / 0.6 / (12_000 * 3600) * 1e6)
    assert float(card.standard.output) == pytest.approx(2 * 2.5 / 0.6 / (1_200 * 3600) * 1e6)


def _wl(**kw: object) -> Workload:
    base: dict[str, object] = {"name": "t", "corpus": "toy", "requests_per_month": 1000,
                               "input": {"english_words": 80}, "output": {"english_words": 40},
                               "languages": {"ja": 0.6, "en": 0.4}}
    base.update(kw)
    return parse_workload(base)


def test_workload_cost_by_hand() -> None:
    # priced on a day both models were served (Groq retired Llama 3.3 on 2026-08-16)
    df = cost(_wl(revenue_per_month=100.0, growth=10), ["gpt-4o-mini", "llama-3.3-70b@groq"], RATIOS, on=SERVED)
    mini = df[(df.model == "gpt-4o-mini") & (df.language == "ja")].iloc[0]
    # 80 English words x 1,500 ja tokens / 800 words = 150 tokens in; 40 words -> 75 out
    assert (mini.input_tokens, mini.output_tokens) == (pytest.approx(150), pytest.approx(75))
    per_req = (150 * 0.15 + 75 * 0.6) / 1e6
    assert mini.cost_per_request == pytest.approx(per_req)
    assert mini.cost_per_month == pytest.approx(per_req * 1000 * 0.6)
    en_req = (100 * 0.15 + 50 * 0.6) / 1e6  # 80 words -> 100 English tokens, 40 -> 50
    assert mini.english_cost_per_month == pytest.approx(en_req * 1000 * 0.6)
    assert mini.language_tax == pytest.approx((per_req - en_req) * 600)
    assert mini.cost_per_month_at_growth == pytest.approx(per_req * 600 * 10)
    assert mini.premium == 1.5 and mini.premium_low == 1.4
    llama = df[(df.model == "llama-3.3-70b@groq") & (df.language == "ja")].iloc[0]
    # llama3: 80 words x 1,560 / (1,200 x 1,000 / 1,500 = 800 words) = 156 in, 78 out at 0.59 / 0.79
    assert llama.cost_per_request == pytest.approx((156 * 0.59 + 78 * 0.79) / 1e6)
    assert mini["rank"] == 1 and llama["rank"] == 2
    total = per_req * 600 + en_req * 400
    assert mini.model_cost_per_month == pytest.approx(total)
    assert mini.gross_margin == pytest.approx((100 - total) / 100)
    assert mini.ratio_source.startswith("toy")


def test_size_units_and_cap() -> None:
    # 30 Japanese tokens of llama3 = 30 x 1,500 / 1,560 o200k ja tokens; 900 ja chars -> x 1,500 / 1,800
    df = cost(_wl(input={"tokens": 30, "tokenizer": "llama3", "language": "ja"},
                  output={"chars": 900, "language": "ja"}, output_cap_tokens=700, languages={"ja": 1.0}),
              ["gpt-4o-mini"], RATIOS)
    row = df.iloc[0]
    assert row.input_tokens == pytest.approx(30 * 1500 / 1560)
    assert row.output_tokens == 700  # 750 capped
    df = cost(_wl(input={"english_tokens": 200, "tokenizer": "llama3"}, languages={"ja": 1.0}), ["gpt-4o-mini"], RATIOS)
    assert df.iloc[0].input_tokens == pytest.approx(200 * 1500 / 1200)


def test_fx_by_hand(tmp_path: Path) -> None:
    fx = Fx(date(2026, 10, 30), "test", "USD", {"JPY": Decimal("150"), "EUR": Decimal("0.9")})
    usd = cost(_wl(), ["gpt-4o-mini"], RATIOS, fx=fx)
    jpy = cost(_wl(), ["gpt-4o-mini"], RATIOS, currency="JPY", fx=fx)
    assert jpy.cost_per_month.sum() == pytest.approx(usd.cost_per_month.sum() * 150)
    assert set(jpy.currency) == {"JPY"} and set(jpy.fx_date) == {"2026-10-30"}
    assert float(fx.rate("EUR", "JPY")) == pytest.approx(150 / 0.9)
    shipped = load_fx()
    assert shipped.base == "USD" and {"JPY", "KRW", "CNY", "HKD", "SGD", "EUR"} <= set(shipped.rates)
    with pytest.raises(CurrencyError, match="no FX rate for 'TWD'"):
        cost(_wl(), ["gpt-4o-mini"], RATIOS, currency="TWD", fx=fx)


def test_pivot_break_even_by_hand() -> None:
    p = pivot_break_even(_wl(), "gpt-4o", "gpt-4o-mini", "ja", RATIOS)
    # direct on gpt-4o: 150 in, 75 out; English: 100 in, 50 out
    direct = (150 * 2.5 + 75 * 10) / 1e6
    main_en = (100 * 2.5 + 50 * 10) / 1e6
    # translator gpt-4o-mini: ja prompt (150) -> English (100); English answer (50) -> ja (75)
    translate = (150 * 0.15 + 100 * 0.6) / 1e6 + (50 * 0.15 + 75 * 0.6) / 1e6
    assert p["direct_cost_per_request"] == pytest.approx(direct)
    assert p["pivot_cost_per_request"] == pytest.approx(main_en + translate)
    assert p["break_even_premium"] == pytest.approx((main_en + translate) / main_en)
    assert p["premium"] == 1.5 and p["cheaper"] == "pivot through English"


@pytest.mark.parametrize(("change", "message"), [
    ({"requests_per_month": -5}, "requests_per_month: Input should be greater than 0"),
    ({"requests_per_month": None}, "requests_per_month"),
    ({"input": {"english_words": 10, "chars": 5}}, "exactly one of"),
    ({"input": {"tokens": 10}}, "tokens needs `tokenizer`"),
    ({"languages": {"ja": 0.5}}, "add up to 0.5"),
    ({"cached_share": 1.5}, "cached_share"),
    ({"colour": "red"}, "colour: unknown key"),
])
def test_bad_workloads_name_the_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(WorkloadError, match=message):
        _wl(**change)


def test_bad_models_and_languages() -> None:
    with pytest.raises(UnknownModelError, match="unknown model 'gpt-9'"):
        cost(_wl(), ["gpt-9"], RATIOS)
    with pytest.raises(UnpricedModelError, match="no offline tokenizer"):
        cost(_wl(), ["kimi-k3.1-pro"], RATIOS)
    with pytest.raises(LanguageError, match="languages: no measured ratio for ko"):
        cost(_wl(languages={"ko": 1.0}), ["gpt-4o-mini"], RATIOS)
    with pytest.raises(WorkloadError, match="corpus: no measured ratios for corpus 'nope'"):
        cost(_wl(corpus="nope"), ["gpt-4o-mini"], RATIOS)


def test_rates_file_errors_and_aliases(tmp_path: Path) -> None:
    bad = tmp_path / "r.yaml"
    bad.write_text("as_of: 2026-11-23\nmodels:\n  - {id: x, provider: p, tokenizer: null, input: 1}\n", encoding="utf-8")
    with pytest.raises(Exception, match="model 'x'.*own rates need both input and output"):
        load_rates(bad)
    bad.write_text("as_of: 2026-11-23\nmodels:\n  - {id: x, provider: p, tokenizer: null, "
                   "genai_prices: {model: mistral-large-latest, provider: mistral}}\n", encoding="utf-8")
    _load.cache_clear()
    with pytest.raises(UnpricedModelError, match="resolves the alias 'mistral-large-latest' to 'mistral-large'"):
        load_rates(bad).card("x")
    bad.write_text("as_of: 2026-11-23\nmodels:\n  - {id: x, provider: p, tokenizer: null, "
                   "genai_prices: {model: no-such-model-zz, provider: openai}}\n", encoding="utf-8")
    _load.cache_clear()
    with pytest.raises(UnpricedModelError, match="genai-prices has no openai/no-such-model-zz"):
        load_rates(bad).card("x")
    good = tmp_path / "g.yaml"
    good.write_text("as_of: 2026-11-23\nmodels:\n  - {id: big-2411, provider: p, tokenizer: null, input: 2, output: 6,"
                    " source: s, checked: 2026-11-01}\naliases: {big-latest: big-2411}\n", encoding="utf-8")
    book: RateBook = load_rates(good)
    card = book.card("big-latest")
    assert card.model == "big-2411" and card.resolved == "big-2411" and card.standard.output == 6


def test_shipped_rates_cover_the_seed_systems() -> None:
    book = load_rates()
    assert len(list(book)) >= 40
    for m in book:
        card = book.card(m)  # every row prices
        assert card.standard.input >= 0 and card.source


def test_cost_cli(tmp_path: Path) -> None:
    wl = tmp_path / "w.yaml"
    wl.write_text("name: bot\ncorpus: sample\nrequests_per_month: 1000\ninput: {english_words: 100}\n"
                  "output: {english_words: 50}\nlanguages: {ja: 1.0}\ncurrency: JPY\n", encoding="utf-8")
    out = tmp_path / "c.csv"
    res = CliRunner().invoke(app, ["cost", str(wl), "-m", "gpt-4o", "-m", "llama-3.3-70b@groq", "--out", str(out),
                                   "--pivot-via", "gpt-4o-mini"])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert set(df.model) == {"gpt-4o", "llama-3.3-70b@groq"} and set(df.currency) == {"JPY"}
    # with the defaults, a model whose tokenizer is not here is left out of the pivot's measuring too
    res = CliRunner().invoke(app, ["cost", str(wl), "--pivot-via", "gpt-6-luna"], env={"TOKEFF_DATA_DIR": str(tmp_path)})
    assert res.exit_code == 0, res.output
    assert "pivot through English via gpt-6-luna" in res.output and "skipped" in res.output
    assert "breaks even at" in res.output
    assert load_workload(wl).languages == {"ja": 1.0}
    res = CliRunner().invoke(app, ["cost", str(wl), "-m", "gpt-9"])
    assert res.exit_code == 2 and "unknown model 'gpt-9'" in res.output
    res = CliRunner().invoke(app, ["models"])
    assert res.exit_code == 0 and "gpt-4o" in res.output


def test_own_rows_against_genai_prices_lists_disagreements() -> None:
    from tokeff.costs.compare import compare_with_genai_prices

    rows = compare_with_genai_prices(load_rates())
    assert len(rows) >= 20
    disagree = {r["model"]: r for r in rows if not r["agree"]}
    for r in disagree.values():
        print(f"{r['model']}: ours {r['ours']} vs genai-prices {r['genai_prices']} ({r.get('genai_prices_entry')})")
    # Known, checked (../shared/notes/pricing-sources.md): genai-prices prices Qwen-Plus only at
    # OpenRouter (0.26/0.78), DashScope's own rate is 0.40/1.20.
    assert disagree["qwen-plus"]["ours"] == (Decimal("0.4"), Decimal("1.2"))
    assert disagree["qwen-plus"]["genai_prices"] == (Decimal("0.26"), Decimal("0.78"))
    assert all(r["agree"] for r in rows if r["model"] in ("kimi-k2.6", "glm-4.6", "mistral-large-2512"))
    # cache and batch fields are compared too: DashScope bills Qwen-Max's cache hit at 20% of input
    # (0.32) and batch at half, where genai-prices' OpenRouter entry has 0.64 and no batch
    qmax = disagree["qwen-max"]
    assert qmax["differs"] == ["batch.cached_input", "batch.input", "batch.output", "cached_input"]
    assert qmax["ours_all"]["batch.input"] == Decimal("1.6") / 2 and qmax["genai_prices_all"]["cached_input"] == Decimal("0.64")


def test_latest_alias_never_resolves_silently_to_an_old_model() -> None:
    book = load_rates()
    card = book.card("mistral-large-latest")
    assert card.model == "mistral-large-2512" and card.resolved == "mistral-large-2512"
    assert card.standard.input == Decimal("0.5")  # not the old Mistral Large's 2/6


def test_public_api_names() -> None:
    import tokeff

    df = tokeff.cost(_wl(), ["gpt-4o-mini"], RATIOS)
    assert df.equals(cost(_wl(), ["gpt-4o-mini"], RATIOS))
    assert tokeff.pivot_break_even(_wl(), "gpt-4o", "gpt-4o-mini", "ja", RATIOS)["premium"] == 1.5


def test_review_fixes() -> None:
    # a ratio table with per-domain rows and a whole-corpus `mixed` row: the workload uses the whole
    by_domain = pd.concat([RATIOS.assign(domain="mixed"), RATIOS.assign(domain="a", tokens=RATIOS.tokens * 2)])
    assert cost(_wl(), ["gpt-4o-mini"], by_domain).equals(cost(_wl(), ["gpt-4o-mini"], RATIOS.assign(domain="mixed")))
    with pytest.raises(WorkloadError, match="domain: the ratio table has several rows"):
        cost(_wl(), ["gpt-4o-mini"], pd.concat([RATIOS.assign(domain="a"), RATIOS.assign(domain="b")]))
    # NaN and infinity are refused, naming the field
    with pytest.raises(WorkloadError, match="languages"):
        _wl(languages={"ja": float("nan")})
    with pytest.raises(WorkloadError, match="requests_per_month"):
        _wl(requests_per_month=float("inf"))
    # a model named twice is priced once
    twice = cost(_wl(revenue_per_month=100.0), ["gpt-4o-mini", "gpt-4o-mini"], RATIOS)
    once = cost(_wl(revenue_per_month=100.0), ["gpt-4o-mini"], RATIOS)
    assert twice.equals(once)
    # each row cites its own tokenizer's ratio signature; a size's language is named as its field
    both = cost(_wl(), ["gpt-4o-mini", "llama-3.3-70b@groq"], RATIOS.assign(signature=RATIOS.tokenizer + "-sig"))
    assert set(both.ratio_source) == {"toy (o200k_base-sig)", "toy (llama3-sig)"}
    with pytest.raises(LanguageError, match=r"input\.language: no measured ratio for ko"):
        cost(_wl(input={"tokens": 10, "tokenizer": "llama3", "language": "ko"}, languages={"ja": 1.0}),
             ["gpt-4o-mini"], RATIOS)
    with pytest.raises(UnknownModelError, match="did you mean gpt-4o-mini"):
        cost(_wl(), ["gpt4o-mini"], RATIOS)


def test_tiers_rank_like_with_like() -> None:
    """gpt-4o-mini (small, 150 in / 75 out at 0.15 / 0.60) and llama-3.3-70b@groq (mid, 156 / 78 at
    0.59 / 0.79): each is the cheapest of its own tier; overall the small one ranks first."""
    df = cost(_wl(), ["gpt-4o-mini", "llama-3.3-70b@groq"], RATIOS, on=SERVED)
    ja = df[df.language == "ja"].set_index("model")
    assert ja.at["gpt-4o-mini", "tier"] == "small" and ja.at["llama-3.3-70b@groq", "tier"] == "mid"
    assert ja.at["gpt-4o-mini", "rank"] == 1 and ja.at["llama-3.3-70b@groq", "rank"] == 2
    assert ja.at["gpt-4o-mini", "tier_rank"] == 1 and ja.at["llama-3.3-70b@groq", "tier_rank"] == 1
    only_mid = cost(_wl(), ["gpt-4o-mini", "llama-3.3-70b@groq"], RATIOS, tier="mid", on=SERVED)
    assert set(only_mid.model) == {"llama-3.3-70b@groq"}
    assert all(load_rates().card(m).tier in ("small", "mid", "frontier") for m in load_rates())  # every row classed


def test_defaults_skip_a_model_whose_tokenizer_is_not_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh install has no Gemma vocabulary (it is made by `tokeff tokenizers add gemma3`): the
    default comparison prices the others and says why Gemini is missing."""
    monkeypatch.setenv("TOKEFF_DATA_DIR", str(tmp_path))  # nothing made on this "machine"
    wl = _wl(corpus="sample")
    df = cost(wl)
    skipped = df.attrs["skipped"]
    assert "gemini-3.8-flash" in skipped and "gemma3" in skipped["gemini-3.8-flash"]
    assert "gemini-3.8-flash" not in set(df.model) and "gpt-6-luna" in set(df.model)
    assert set(df.lifecycle) == {"current"}  # the defaults are models their providers serve today
    res = CliRunner().invoke(app, ["cost", str(ROOT / "examples" / "ja-support-bot.yaml")])
    assert res.exit_code == 0, res.output
    assert "gemini-gemma3-proxy: missing" in res.output and "gemini-3.8-flash" in res.output
    flat = " ".join(res.output.split())  # the line as the terminal wraps it, unwrapped
    assert "cheapest per tier in ja: small qwen3.8-flash 13,208 JPY/month" in flat
    assert "frontier glm-5.3 † 161,671 JPY/month" in flat  # a proxy tokenizer, marked
    res = CliRunner().invoke(app, ["cost", str(ROOT / "examples" / "ja-support-bot.yaml"), "--tier", "small"])
    assert res.exit_code == 0 and "gpt-6-luna" in res.output and "gpt-6-astra" not in res.output
    assert "gemini-3.8-flash" not in res.output  # a mid model: not considered for the small tier
    res = CliRunner().invoke(app, ["cost", str(ROOT / "examples" / "ja-support-bot.yaml"), "--tier", "huge"])
    assert res.exit_code == 2 and "use one of small, mid, frontier" in res.output


def test_all_models_with_a_tokenizer_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEFF_DATA_DIR", str(tmp_path))
    df = cost(_wl(corpus="sample"), ["all"], tier="frontier")
    book = load_rates()
    # every frontier model of the workload's region (international) is priced or skipped with a reason
    assert set(df.model) | set(df.attrs["skipped"]) == {m for m in book if book.card(m).tier == "frontier"
                                                        and book.card(m).region != "cn-mainland"}
    assert set(df.tier) == {"frontier"} and len(set(df.model)) >= 10


def test_the_cache_minimum_decides_the_discount() -> None:
    """OpenAI caches prefixes of 1,024 tokens or more (model_rates.yaml cache_minimums). On the toy
    table ja needs 1,500 tokens per 800 English words: 1,000 words -> 1,875 in, half of it 937.5
    (under 1,024: billed at the input rate); 1,200 words -> 2,250 in, 1,125 cached (discounted)."""
    assert load_rates().cache_minimum("gpt-4o-mini").tokens == 1024  # type: ignore[union-attr]
    small = cost(_wl(input={"english_words": 1000}, cached_share=0.5, languages={"ja": 1.0}), ["gpt-4o-mini"], RATIOS)
    r = small.iloc[0]
    assert r.cached_tokens == 0 and "under the 1,024-token cache minimum" in r.notes
    assert r.cost_per_request == pytest.approx((1875 * 0.15 + 75 * 0.6) / 1e6)
    big = cost(_wl(input={"english_words": 1200}, cached_share=0.5, languages={"ja": 1.0}), ["gpt-4o-mini"], RATIOS)
    r = big.iloc[0]
    assert r.cached_tokens == pytest.approx(1125) and r.notes == ""
    assert r.cost_per_request == pytest.approx((1125 * 0.15 + 1125 * 0.075 + 75 * 0.6) / 1e6)
    # the shipped Japanese bot: a 629-token prefix is not cached on OpenAI (16% more than a discounted one)
    assert load_rates().cache_minimum("claude-haiku-4-5").tokens == 4096  # type: ignore[union-attr]


def test_an_english_cached_prefix_is_counted_in_english() -> None:
    """A system prompt in English with Japanese users: the cached half of 1,200 words is 750
    English tokens (1,000 per 800 words), the rest 1,125 Japanese tokens."""
    df = cost(_wl(input={"english_words": 1200}, cached_share=0.5, cached_language="en", languages={"ja": 1.0}),
              ["gpt-4o-mini"], RATIOS)
    r = df.iloc[0]
    assert r.input_tokens == pytest.approx(1125 + 750) and r.cached_tokens == 0  # 750 < 1,024: no discount
    assert r.cost_per_request == pytest.approx((1875 * 0.15 + 75 * 0.6) / 1e6)


def test_cache_writes_and_reasoning_by_hand() -> None:
    card = _card(standard=Prices(Decimal("3"), Decimal("15"), Decimal("0.3"), Decimal("3.75")))
    # 2,000 input tokens, 1,500 of them a cached prefix written by 10% of requests; 100 out + 400 reasoning
    r = request_cost(card, 2000, 100, cached_tokens=1500, cache_minimum=1024, write_share=0.1, reasoning_tokens=400)
    assert r.cost == pytest.approx((500 * 3 + 1500 * (0.9 * 0.3 + 0.1 * 3.75) + 500 * 15) / 1e6)
    # no cache-write rate (OpenAI): a write is billed at the input rate
    openai_like = _card(standard=Prices(Decimal("3"), Decimal("15"), Decimal("0.3")))
    r = request_cost(openai_like, 2000, 100, cached_tokens=1500, write_share=0.1)
    assert r.cost == pytest.approx((500 * 3 + 1500 * (0.9 * 0.3 + 0.1 * 3)) / 1e6 + 100 * 15 / 1e6)
    # reasoning of 400 English words: in Japanese by default (750 tokens), or in English (500)
    wl = dict(languages={"ja": 1.0}, reasoning={"english_words": 400})
    ja = cost(_wl(**wl), ["gpt-4o-mini"], RATIOS).iloc[0]
    en = cost(_wl(**wl, reasoning_language="en"), ["gpt-4o-mini"], RATIOS).iloc[0]
    assert (ja.reasoning_tokens, en.reasoning_tokens) == (pytest.approx(750), pytest.approx(500))
    assert ja.cost_per_request == pytest.approx((150 * 0.15 + (75 + 750) * 0.6) / 1e6)
    assert en.cost_per_request == pytest.approx((150 * 0.15 + (75 + 500) * 0.6) / 1e6)
    # the writes of a workload: 50,000 of 1,000,000 requests write the prefix
    w = cost(_wl(input={"english_words": 1200}, cached_share=0.5, languages={"ja": 1.0}, requests_per_month=1_000_000,
                 cache_writes_per_month=50_000), ["gpt-4o-mini"], RATIOS).iloc[0]
    assert w.cost_per_request == pytest.approx((1125 * 0.15 + 1125 * (0.95 * 0.075 + 0.05 * 0.15) + 75 * 0.6) / 1e6)


def test_qwen_batch_is_half_price() -> None:
    """Alibaba's Batch API bills 50% of real time (qwen-max, -plus, -turbo in Singapore)."""
    card = load_rates().card("qwen-plus")
    assert request_cost(card, 1000, 500, batch_share=1.0).cost == pytest.approx((1000 * 0.2 + 500 * 0.6) / 1e6)
    assert request_cost(card, 1000, 500, batch_share=0.5).cost == pytest.approx(
        0.5 * (1000 * 0.4 + 500 * 1.2) / 1e6 + 0.5 * (1000 * 0.2 + 500 * 0.6) / 1e6)


def test_pivot_threshold_agrees_with_the_verdict_under_the_cache_minimum() -> None:
    """1,200 English words in, half cached, on gpt-4o via gpt-4o-mini. English: 1,500 tokens in,
    750 cached (under the 1,024 minimum, so no discount), 50 out -> 4.25e-3 USD; translating costs
    (2,250 x 0.15 + 1,500 x 0.6 + 50 x 0.15 + 75 x 0.6) / 1e6 = 1.29e-3, so the pivot is 5.54e-3.
    Direct at premium 1.5: 2,250 in with 1,125 cached (discounted), 75 out -> 4.96875e-3: direct
    is cheaper although 1.5 > pivot / English = 1.30. Above p = 1.3653 the direct cost is
    3,312.5 p / 1e6, which reaches the pivot at p = 5,540 / 3,312.5 = 1.6725: that is the threshold."""
    p = pivot_break_even(_wl(input={"english_words": 1200}, cached_share=0.5), "gpt-4o", "gpt-4o-mini", "ja",
                         RATIOS)
    assert p["english_cost_per_request"] == pytest.approx(4.25e-3)
    assert p["pivot_cost_per_request"] == pytest.approx(5.54e-3)
    assert p["direct_cost_per_request"] == pytest.approx(4.96875e-3) and p["cheaper"] == "direct"
    assert p["break_even_premium"] == pytest.approx(5540 / 3312.5, abs=1e-6)
    assert (p["premium"] > p["break_even_premium"]) == (p["cheaper"] != "direct")


def test_the_readme_worked_examples_by_hand() -> None:
    """The README's figures, rebuilt from token counts made here with the real tokenizers on the
    support-chat texts, the rates in model_rates.yaml / genai-prices, and the ECB rate."""
    import tokeff

    texts = tokeff.load_corpus("support-chat").texts
    words = sum(len(t.split()) for t in texts["en"])

    def total(tokenizer: str, lang: str) -> int:
        tok = tokeff.get_tokenizer(tokenizer)
        return sum(len(tok.encode(t)) for t in texts[lang])

    on = date(2026, 12, 3)
    jpy, krw = float(load_fx().rate("USD", "JPY")), float(load_fx().rate("USD", "KRW"))
    peak = 0.8 * 6 / 9 + 0.2 * 5 / 123  # Tokyo and Seoul (UTC+9): 80% of requests in 09:00-18:00 on weekdays

    # Japanese support bot: 600 English words in (half a cached prefix), 120 out, 500,000 requests
    ja = cost(ROOT / "examples" / "ja-support-bot.yaml", ["qwen3.8-flash", "gpt-6-luna", "deepseek-flash"], on=on)
    ja = ja.set_index("model")

    def ja_month(tokenizer: str, fresh: float, cached: float, out: float, minimum: int = 0, at_peak: float = 0.0) -> float:
        tin, tout = 600 * total(tokenizer, "ja") / words, 120 * total(tokenizer, "ja") / words
        hit = tin / 2 if tin / 2 >= minimum else 0.0
        usd = ((tin - hit) * fresh + hit * cached + tout * out) / 1e6 * (1 + at_peak)
        return usd * jpy * 500_000

    # Qwen3.8-Flash (DashScope international 0.15 / 0.47, cache hit 0.016)
    assert ja.at["qwen3.8-flash", "cost_per_month"] == pytest.approx(ja_month("qwen3.5", 0.15, 0.016, 0.47))
    # GPT-6 Luna (0.1 / 0.5): the 629-token prefix is under OpenAI's 1,024 minimum, so no discount
    assert ja.at["gpt-6-luna", "cost_per_month"] == pytest.approx(ja_month("o200k_base", 0.1, 0.01, 0.5, 1024))
    # DeepSeek V4.1 Flash (0.15 / 0.60, hit 0.003), 2x at peak
    assert ja.at["deepseek-flash", "cost_per_month"] == pytest.approx(ja_month("deepseek-v4", 0.15, 0.003, 0.6, 0, peak))
    for model, figure in [("qwen3.8-flash", "13,208"), ("gpt-6-luna", "19,791"), ("deepseek-flash", "29,920")]:
        assert f"{ja.at[model, 'cost_per_month']:,.0f}" == figure  # the README's table
    assert f"{ja.at['deepseek-flash', 'cost_per_month'] / (1 + peak):,.0f}" == "19,410"  # the same, all off-peak

    # Korean RAG assistant: 3,000 English o200k tokens in, 80% an English cached prefix; 400 out; 2M requests
    ko = cost(ROOT / "examples" / "ko-rag-assistant.yaml", ["gpt-6-luna", "deepseek-flash", "qwen3.8-max"], on=on)
    ko = ko.set_index("model")
    en_o200k = total("o200k_base", "en")

    def ko_month(tokenizer: str, fresh: float, cached: float, out: float, at_peak: float = 0.0) -> float:
        prefix = 0.8 * 3000 * total(tokenizer, "en") / en_o200k
        rest = 0.2 * 3000 * total(tokenizer, "ko") / en_o200k
        tout = 400 * total(tokenizer, "ko") / en_o200k
        return (rest * fresh + prefix * cached + tout * out) / 1e6 * (1 + at_peak) * krw * 2_000_000

    assert ko.at["gpt-6-luna", "cost_per_month"] == pytest.approx(ko_month("o200k_base", 0.1, 0.01, 0.5))
    assert ko.at["deepseek-flash", "cost_per_month"] == pytest.approx(ko_month("deepseek-v4", 0.15, 0.003, 0.6, peak))
    assert ko.at["qwen3.8-max", "cost_per_month"] == pytest.approx(ko_month("qwen3.5", 2.0, 0.25, 6.0))
    for model, figure in [("gpt-6-luna", "1,040,494"), ("deepseek-flash", "2,328,423"), ("qwen3.8-max", "13,873,767")]:
        assert f"{ko.at[model, 'cost_per_month']:,.0f}" == figure  # the README's answer line


def test_a_cut_answer_is_noted_and_taxed_on_the_content_delivered() -> None:
    """400 English words out = 750 ja tokens on o200k_base, cut at a 600-token cap (80% of the
    answer delivered). The English comparison prices the same 80%: 500 x 0.8 = 400 tokens, so the
    tax is (150 x 0.15 + 600 x 0.6 - (100 x 0.15 + 400 x 0.6)) / 1e6, a third of the bill, not
    the 18% a full English answer would suggest."""
    df = cost(_wl(output={"english_words": 400}, output_cap_tokens=600, languages={"ja": 1.0}), ["gpt-4o-mini"], RATIOS)
    r = df.iloc[0]
    assert r.output_tokens == 600 and "answer cut at the 600-token output cap (80% of the content delivered)" in r.notes
    ja, en = (150 * 0.15 + 600 * 0.6) / 1e6, (100 * 0.15 + 400 * 0.6) / 1e6
    assert r.cost_per_request == pytest.approx(ja) and r.english_cost_per_request == pytest.approx(en)
    assert r.language_tax_share == pytest.approx((ja - en) / ja)


def test_a_request_over_the_context_window_is_not_priced() -> None:
    """gpt-4o holds 128,000 tokens (genai-prices): 100,000 English words are 125,000 English tokens
    (fits) but 187,500 Japanese ones (does not): the ja row is left out with the reason."""
    assert load_rates().card("gpt-4o").context_window == 128_000
    df = cost(_wl(input={"english_words": 100_000}, languages={"ja": 0.5, "en": 0.5}), ["gpt-4o", "gpt-4o-mini"], RATIOS)
    assert set(df[df.model == "gpt-4o"].language) == {"en"}
    assert df.attrs["skipped"]["gpt-4o (ja)"] == ("a request of 187,575 tokens exceeds its 128,000-token context window")
