"""Fertility with real word segmenters (offline: the network is blocked by conftest), checked
against segmentations verified by hand; and the effective-context arithmetic."""

from __future__ import annotations

import pandas as pd
import pytest

import tokeff
from tokeff.analysis.context import KNOWN_WINDOWS, ContextWindow, effective_context
from tokeff.analysis.fertility import FERTILITY_COLUMNS, Segmenter, default_segmenter, fertility, get_segmenter, is_word
from tokeff.corpora.corpus import Column, build_corpus
from tokeff.errors import LanguageError
from tokeff.tokenizers.tokenizer import get_tokenizer

from .conftest import PARALLEL

# Segmentations checked by hand (punctuation is not a word).
HAND = {
    "en": (["The", "meeting", "has", "been", "moved", "to", "Thursday", "at", "3", "p.m."], 10),
    "ja": (["会議", "は", "木曜", "日", "の", "午後", "3", "時", "に", "変更", "に", "なり", "まし", "た", "。"], 14),
    "ko": (["회의", "가", "목요일", "오후", "3", "시", "로", "변경", "되", "었", "습니다", "."], 11),
    "zh-Hans": (["会议", "改", "到", "星期四", "下午", "3", "点", "。"], 7),
    "zh-Hant": (["會議", "改到", "星期四", "下午", "3", "點", "。"], 6),
}


@pytest.mark.parametrize("lang", list(HAND))
def test_segmentation_by_hand(lang: str) -> None:
    seg = get_segmenter(default_segmenter(lang))
    units, words = HAND[lang]
    assert seg.split(PARALLEL[lang]) == units
    assert seg.words(PARALLEL[lang]) == words


def test_fertility_by_hand() -> None:
    corpus = build_corpus("p", [Column(k, [v], k) for k, v in PARALLEL.items()])
    df = fertility(corpus, ["o200k_base", "llama3"])
    assert list(df.columns) == FERTILITY_COLUMNS and len(df) == 5 * 2
    for tid in ("o200k_base", "llama3"):
        tok = tokeff.get_tokenizer(tid)
        for lang, (_, words) in HAND.items():
            row = df[(df.tokenizer == tid) & (df.language == lang)].iloc[0]
            tokens = len(tok.encode(PARALLEL[lang]))
            assert (row.words, row.tokens) == (words, tokens)
            assert row.fertility == pytest.approx(tokens / words)
    # o200k_base: 14 tokens for the 14 Japanese words, so fertility exactly 1.0
    ja = df[(df.tokenizer == "o200k_base") & (df.language == "ja")].iloc[0]
    assert (ja.tokens, ja.words, ja.fertility) == (14, 14, 1.0)
    assert ja.segmenter == "sudachipy-A" and "sudachidict_core" in ja.segmenter_version
    assert set(df.segmenter) == {"whitespace", "sudachipy-A", "kiwipiepy", "jieba"}
    assert "secondary" in df.attrs["note"]


def test_words_segmented_once_per_language() -> None:
    calls: list[str] = []

    def split(text: str) -> list[str]:
        calls.append(text)
        return text.split()

    counting = Segmenter("counting", "1", "word", split)
    corpus = build_corpus("p", [Column("en", ["a b c", "d e"], "en"), Column("ja", ["x y", "z"], "ja")])
    df = fertility(corpus, ["o200k_base", "cl100k_base", "llama3"], segmenters={"en": counting, "ja": counting})
    assert len(calls) == 4  # 2 segments x 2 languages, not x 3 tokenizers
    assert list(df[df.language == "en"].words) == [5, 5, 5]


def test_korean_whitespace_option_and_unsegmented_languages() -> None:
    corpus = build_corpus("p", [Column("ko", [PARALLEL["ko"]], "ko")])
    df = fertility(corpus, "o200k_base", segmenters={"ko": "whitespace"})
    assert df.iloc[0].words == 5 and df.iloc[0].segmenter == "whitespace"  # 회의가 목요일 오후 3시로 변경되었습니다.
    with pytest.raises(LanguageError, match="no word segmenter for km"):
        default_segmenter("km")
    with pytest.raises(LanguageError, match="unknown word segmenter"):
        get_segmenter("mecab")


def test_is_word() -> None:
    assert is_word("p.m.") and is_word("3") and is_word("会議") and is_word("습니다")
    assert not is_word("。") and not is_word("—") and not is_word("...") and not is_word("🍣")


def test_effective_context_by_hand() -> None:
    ratios = pd.DataFrame({
        "corpus": ["c", "c", "c"], "domain": ["d"] * 3, "language": ["en", "ja", "ko"],
        "tokenizer": ["o200k_base", "o200k_base", "llama3"],
        "premium": [1.0, 1.6, 1.25], "premium_low": [1.0, 1.5, 1.2], "premium_high": [1.0, 1.7, 1.3],
        "tokens_per_1k_ref_words": [1250.0, 2000.0, 1600.0], "signature": ["s1", "s2", "s3"],
    })
    out = effective_context(ratios, {"m": ("o200k_base", 128_000)})
    assert list(out.language) == ["en", "ja"]  # llama3 rows belong to no given model
    ja = out[out.language == "ja"].iloc[0]
    assert ja.effective_context == pytest.approx(80_000)  # 128,000 / 1.6
    assert ja.effective_context_low == pytest.approx(128_000 / 1.7)
    assert ja.effective_context_high == pytest.approx(128_000 / 1.5)
    assert ja.english_words == pytest.approx(64_000)  # 128,000 tokens / 2 tokens per English word
    en = out[out.language == "en"].iloc[0]
    assert en.effective_context == 128_000 and en.english_words == pytest.approx(102_400)
    flagged = ratios.assign(excluded=[False, True, False])
    assert pd.isna(effective_context(flagged, {"m": ContextWindow("o200k_base", 128_000, "x")}).iloc[1].effective_context)


def test_known_windows_are_labelled() -> None:
    assert KNOWN_WINDOWS["gpt-4.1"].window == 1_047_576 and KNOWN_WINDOWS["gpt-4o"].window == 128_000
    assert KNOWN_WINDOWS["qwen-plus"].window == 131_072
    reg = tokeff.load_registry()
    for name, cw in KNOWN_WINDOWS.items():
        assert cw.source and reg.find(cw.tokenizer) is not None, name


def test_thai_and_vietnamese_segmenters() -> None:
    """Thai has no spaces between words (PyThaiNLP's newmm finds them); Vietnamese spaces separate
    syllables, which pyvi groups into words (sản phẩm = one word)."""
    th = "สวัสดีครับ ผมต้องการคืนสินค้า"  # written for this test: "Hello, I want to return an item"
    vi = "Xin chào, tôi muốn trả lại sản phẩm đã đặt mua hôm qua."  # "... return the product I ordered yesterday"
    corpus = build_corpus("p", [Column("th", [th], "th"), Column("vi", [vi], "vi")])
    df = fertility(corpus, "o200k_base").set_index("language")
    assert default_segmenter("th") == "pythainlp" and default_segmenter("vi") == "pyvi"
    assert df.at["th", "segmenter"] == "pythainlp-newmm" and df.at["th", "words"] == 6  # สวัสดี ครับ ผม ต้อง การคืน สินค้า
    assert df.at["vi", "segmenter"] == "pyvi" and df.at["vi", "words"] == 11  # 13 syllables, 2 two-syllable words
    assert len(vi.split()) == 13
    tok = get_tokenizer("o200k_base")
    assert df.at["th", "tokens"] == len(tok.encode(th)) and df.at["th", "fertility"] == len(tok.encode(th)) / 6
