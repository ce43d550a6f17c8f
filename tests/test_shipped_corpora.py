"""The project's own corpora: aligned, in the right scripts, Traditional Chinese written for
Taiwan rather than converted, no untranslated prose, duplicates reported."""

from __future__ import annotations

import statistics

import opencc
import pytest

import tokeff
from tokeff.corpora.checks import check_corpus, duplicates
from tokeff.corpora.corpus import Column, build_corpus
from tokeff.corpora.loaders import load_corpus, shipped_corpora, shipped_manifests

LANGS = ["en", "ja", "ko", "zh-Hans", "zh-Hant"]
APAC = ["th", "vi", "id", "hi"]
EXTENDED = ["support-chat", "ecommerce", "business-email"]
SHIPPED = shipped_corpora()


def test_at_least_six_workload_domains_of_120_segments() -> None:
    big = {m.domain for name, m in shipped_manifests().items() if name != "sample" and m.segments >= 120}
    assert len(big) >= 6, big


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_corpus_is_aligned_and_clean(name: str) -> None:
    c = load_corpus(name)  # checks counts, alignment, empty segments, manifest
    assert c.languages[:5] == LANGS and set(c.languages[5:]) <= set(APAC)
    if name in EXTENDED:
        assert set(c.languages[5:]) == set(APAC)  # extended for Asia-Pacific beyond CJK
    assert c.doc_ids is not None and len(set(c.doc_ids)) >= 3
    assert c.meta["license"] == "CC-BY-4.0" and "written for tokeff" in c.meta["provenance"]
    rep = check_corpus(c)
    assert rep.ok, rep.problems
    assert rep.zh["hant_changed_by_t2s"] >= 0.8 and rep.zh["hant_equals_s2t_of_hans"] <= 0.25


@pytest.mark.parametrize("name", [n for n in SHIPPED if n != "sample"])
def test_segment_lengths_look_like_traffic_not_uniform_sentences(name: str) -> None:
    lengths = [len(t) for t in load_corpus(name).texts["en"]]
    assert statistics.pstdev(lengths) / statistics.mean(lengths) > 0.3
    assert min(lengths) < 0.5 * statistics.median(lengths) < max(lengths) / 2


def test_default_study_measures_every_shipped_corpus() -> None:
    df = tokeff.measure(None, ["o200k_base"], n_resamples=20)
    assert set(df.corpus) == set(SHIPPED)
    assert set(LANGS) <= set(df.language) <= set(LANGS) | set(APAC)


def _mini(**texts: list[str]) -> tokeff.Corpus:
    return build_corpus("mini", [Column(k.replace("_", "-"), v, k) for k, v in texts.items()])


def test_checks_catch_bad_translations() -> None:
    s2t = opencc.OpenCC("s2t")
    hans = ["这是一个软件测试。", "请联系客服。", "我们会尽快处理您的订单。", "谢谢您的耐心等待。"]
    en = ["This is a software test.", "Please contact support.", "We will process your order soon.", "Thanks for waiting."]
    mechanical = check_corpus(_mini(en=en, zh_Hans=hans, zh_Hant=[s2t.convert(x) for x in hans]))
    assert any("mechanical conversion" in p for p in mechanical.problems)
    simplified = check_corpus(_mini(en=en, zh_Hans=hans, zh_Hant=hans))
    assert any("zh-Hant looks Simplified" in p for p in simplified.problems)
    untranslated = check_corpus(_mini(en=en[:2], ja=["テストです。", "Please contact support."]))
    assert any("ja segment 2" in p for p in untranslated.problems)
    kana_in_ko = check_corpus(_mini(en=en[:1], ko=["테스트です"]))
    assert any("kana" in p for p in kana_in_ko.problems)
    code_ok = check_corpus(_mini(en=['{"id": "A-1"}'], ja=['{"id": "A-1"}']))
    assert code_ok.ok


def test_duplicates_are_reported() -> None:
    c = _mini(en=["Thanks!", "OK.", "Thanks!"], ja=["ありがとう！", "了解です。", "ありがとう！"])
    assert duplicates(c) == {"en": [("Thanks!", [1, 3])], "ja": [("ありがとう！", [1, 3])]}


def test_checks_know_the_apac_scripts() -> None:
    en = ["Please contact support for a refund.", "Your order has shipped and will arrive on Friday."]
    good = check_corpus(_mini(en=en, th=["กรุณาติดต่อฝ่ายบริการลูกค้าเพื่อขอคืนเงิน", "คำสั่งซื้อของคุณจัดส่งแล้ว"],
                              hi=["रिफ़ंड के लिए कृपया सहायता से संपर्क करें।", "आपका ऑर्डर भेज दिया गया है।"],
                              vi=["Vui lòng liên hệ bộ phận hỗ trợ để được hoàn tiền.", "Đơn hàng của bạn đã được gửi đi."]))
    assert good.ok, good.problems
    bad = check_corpus(_mini(en=en, th=["Please contact support for a refund.", "คำสั่งซื้อของคุณจัดส่งแล้ว"],
                             hi=["Kripya refund ke liye support se sampark karein.", "आपका ऑर्डर भेज दिया गया है।"],
                             id=["Silakan hubungi dukungan untuk pengembalian dana.",
                                 "Your order has shipped and it will arrive on Friday."]))
    assert any(p.startswith("th segment 1: no th script") for p in bad.problems)
    assert any(p.startswith("hi segment 1: no hi script") for p in bad.problems)  # Hinglish in Latin letters
    assert any(p.startswith("id segment 2: reads as English") for p in bad.problems)
    assert len(bad.problems) == 4  # and th segment 1 is also identical to English
