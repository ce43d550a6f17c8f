"""Quality checks for parallel corpora: scripts, untranslated text, duplicates, documents,
and whether the Traditional Chinese side really is Traditional (and not a mechanical
conversion of the Simplified side). Used by `tokeff corpora --check` and the tests."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from tokeff.corpora.corpus import Corpus

# What each language's side must contain (any of), per segment.
SCRIPTS: dict[str, re.Pattern[str]] = {
    "ja": re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]"),  # kana or kanji
    "ko": re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"),  # Hangul
    "zh": re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]"),  # Han
    "yue": re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]"),
    "th": re.compile(r"[\u0e00-\u0e7f]"),  # Thai (no spaces between words)
    "lo": re.compile(r"[\u0e80-\u0eff]"),  # Lao
    "km": re.compile(r"[\u1780-\u17ff]"),  # Khmer
    "my": re.compile(r"[\u1000-\u109f]"),  # Myanmar
    "hi": re.compile(r"[\u0900-\u097f]"),  # Devanagari
    "mr": re.compile(r"[\u0900-\u097f]"),
    "ne": re.compile(r"[\u0900-\u097f]"),
    "bn": re.compile(r"[\u0980-\u09ff]"),  # Bengali
    "ta": re.compile(r"[\u0b80-\u0bff]"),  # Tamil
    "te": re.compile(r"[\u0c00-\u0c7f]"),  # Telugu
    "si": re.compile(r"[\u0d80-\u0dff]"),  # Sinhala
    "ur": re.compile(r"[\u0600-\u06ff\u0750-\u077f]"),  # Arabic script
    "mn": re.compile(r"[\u0400-\u04ff]"),  # Cyrillic
}
# Languages written in Latin letters, where a missing translation cannot be told by its script:
# a segment of five words or more that is mostly English function words is untranslated.
LATIN_SCRIPT = {"vi", "id", "ms", "fil"}
ENGLISH_FUNCTION_WORDS = frozenset(
    "the a an and or but to of in on at for with from by is are was were be been it this that these those "
    "you your we our they their he she his her i my me please will would can could should have has had "
    "not do does did if as so".split())
KANA = re.compile(r"[\u3040-\u30ff]")
ENGLISH_RUN = re.compile(r"\b[a-z]+(?:'[a-z]+)?\s+[a-z]+(?:'[a-z]+)?\s+[a-z]+\b")
LATIN_WORDS = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def _code_or_name(text: str) -> bool:
    """True for segments that are code, JSON, paths, identifiers or names (no running prose)."""
    stripped = re.sub(r'"[a-z_]+"\s*:', "", text)  # JSON keys
    stripped = re.sub(r"`[^`]*`|https?://\S+|\S+@\S+|(?:/|\w+[/_.])\w[\w./-]*", "", stripped)
    return ENGLISH_RUN.search(stripped.lower()) is None


def _mostly_english(text: str) -> bool:
    words = [w.lower() for w in LATIN_WORDS.findall(text)]
    return len(words) >= 5 and sum(w in ENGLISH_FUNCTION_WORDS for w in words) / len(words) >= 0.35


@dataclass
class CheckReport:
    corpus: str
    problems: list[str] = field(default_factory=list)
    duplicates: dict[str, list[tuple[str, list[int]]]] = field(default_factory=dict)
    zh: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def duplicates(corpus: Corpus) -> dict[str, list[tuple[str, list[int]]]]:
    """Per language, each text that occurs more than once and its 1-based segment numbers."""
    out: dict[str, list[tuple[str, list[int]]]] = {}
    for lang, texts in corpus.texts.items():
        where: dict[str, list[int]] = defaultdict(list)
        for i, t in enumerate(texts, 1):
            where[t].append(i)
        dups = [(t, idx) for t, idx in where.items() if len(idx) > 1]
        if dups:
            out[lang] = dups
    return out


def script_problems(corpus: Corpus, reference: str = "en") -> list[str]:
    """Segments not in their language's script, or left as untranslated English prose."""
    problems = []
    ref = corpus.texts.get(reference)
    for lang, texts in corpus.texts.items():
        base = lang.split("-")[0]
        pattern = SCRIPTS.get(base)
        for i, t in enumerate(texts):
            if pattern is not None and not pattern.search(t) and not _code_or_name(t):
                problems.append(f"{lang} segment {i + 1}: no {base} script: {t[:60]!r}")
            if base in LATIN_SCRIPT and _mostly_english(t):
                problems.append(f"{lang} segment {i + 1}: reads as English (untranslated?): {t[:60]!r}")
            if base in ("ko", "zh") and KANA.search(t):
                problems.append(f"{lang} segment {i + 1}: holds Japanese kana: {t[:60]!r}")
            if ref is not None and lang != reference and t == ref[i] and not _code_or_name(t):
                problems.append(f"{lang} segment {i + 1}: identical to {reference} (untranslated?): {t[:60]!r}")
    return problems


def document_problems(corpus: Corpus) -> list[str]:
    """Documents must be contiguous runs of segments."""
    if not corpus.doc_ids:
        return []
    seen: set[str] = set()
    problems = []
    prev = None
    for i, d in enumerate(corpus.doc_ids):
        if d != prev and d in seen:
            problems.append(f"document {d!r} resumes at segment {i + 1} after other documents")
        seen.add(d)
        prev = d
    return problems


def zh_report(corpus: Corpus) -> dict[str, float]:
    """Shares of segments, via OpenCC (optional dependency):
    `hant_changed_by_t2s`: zh-Hant segments that change when converted to Simplified (a real
    Traditional side is near 1; only code-like segments stay the same);
    `hans_changed_by_t2s`: zh-Hans segments that hold Traditional characters (should be near 0);
    `hant_equals_s2t_of_hans`: zh-Hant segments that are exactly the character conversion of the
    zh-Hans one (a mechanical conversion is near 1; a Taiwan translation differs in wording).
    s2t is not used to test the Traditional side itself: it over-converts correct Taiwan forms
    (台 -> 臺, 占 -> 佔)."""
    if "zh-Hans" not in corpus.texts or "zh-Hant" not in corpus.texts:
        return {}
    try:
        import opencc
    except ImportError:
        return {}
    s2t, t2s = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")
    hans, hant = corpus.texts["zh-Hans"], corpus.texts["zh-Hant"]
    n = len(hans)
    return {
        "hant_changed_by_t2s": sum(t2s.convert(x) != x for x in hant) / n,
        "hans_changed_by_t2s": sum(t2s.convert(x) != x for x in hans) / n,
        "hant_equals_s2t_of_hans": sum(s2t.convert(x) == y for x, y in zip(hans, hant, strict=True)) / n,
    }


def check_corpus(corpus: Corpus, reference: str = "en") -> CheckReport:
    rep = CheckReport(corpus.name)
    rep.problems += script_problems(corpus, reference)
    rep.problems += document_problems(corpus)
    rep.duplicates = duplicates(corpus)
    rep.zh = zh_report(corpus)
    if rep.zh:
        if rep.zh["hant_changed_by_t2s"] < 0.80:
            rep.problems.append(f"zh-Hant looks Simplified: only {rep.zh['hant_changed_by_t2s']:.0%} of segments hold Traditional forms")
        if rep.zh["hans_changed_by_t2s"] > 0.05:
            rep.problems.append(f"zh-Hans holds Traditional forms on {rep.zh['hans_changed_by_t2s']:.0%} of segments")
        if rep.zh["hant_equals_s2t_of_hans"] > 0.25:
            rep.problems.append(f"zh-Hant is a mechanical conversion of zh-Hans on {rep.zh['hant_equals_s2t_of_hans']:.0%} of segments")
    return rep
