"""The language of one part of a request (a system prompt, a user turn, a tool result).

The script decides first, from the letters' Unicode names: any kana is Japanese (Japanese mixes
kana with Han), Hangul is Korean, Han alone is Chinese, written form told by hanzidentifier
(Simplified, Traditional, or `zh` when the characters are common to both), Thai is Thai. A part
with some letters of such a script is that language even when most letters are Latin (JSON keys
around Japanese values, English product names in a Korean sentence): the English-equivalent
estimate counts ASCII runs as they are, so nothing is lost. Other scripts, and Latin-only text,
go to py3langid (langid.py's model, offline in its wheel), restricted to the languages that
script writes; its answer is kept only when its normalised probability is at least
`MIN_PROBABILITY` and the part has at least `MIN_LATIN_LETTERS` letters. Otherwise, and for a
part with no letters at all, the answer is `und` (undetermined): tokeff refuses to guess."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

UNDETERMINED = "und"
MIN_PROBABILITY = 0.8
MIN_LATIN_LETTERS = 12
MIN_SCRIPT_LETTERS = 2  # letters of a CJK/Thai script that make the part that language

# script (start of the Unicode character name) -> language, when the script alone decides
_DECISIVE = [("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("HANGUL", "ko"), ("THAI", "th"), ("KHMER", "km"),
             ("LAO", "lo"), ("MYANMAR", "my"), ("SINHALA", "si"), ("TAMIL", "ta"), ("TELUGU", "te")]
# scripts several languages write: py3langid chooses among these
_SHARED = {"LATIN": ["en", "fr", "de", "es", "pt", "it", "nl", "vi", "id", "ms", "tl", "tr", "pl"],
           "DEVANAGARI": ["hi", "mr", "ne"], "BENGALI": ["bn", "as"], "ARABIC": ["ur", "ar", "fa"],
           "CYRILLIC": ["ru", "uk", "mn", "bg"]}
_TAGS = {"tl": "fil"}


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    if name.startswith("CJK") or name.startswith("KANGXI"):
        return "HAN"
    if name.startswith("FULLWIDTH LATIN") or name.startswith("HALFWIDTH KATAKANA"):
        return "KATAKANA" if "KATAKANA" in name else "LATIN"
    return name.split(" ", 1)[0]


def scripts(text: str) -> dict[str, int]:
    """Letters of `text` per script (the first word of their Unicode names; Han as HAN)."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            s = _script(ch)
            counts[s] = counts.get(s, 0) + 1
    return counts


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _classify(text: str, candidates: list[str]) -> str:
    ident = _identifier()
    ident.set_languages(candidates)
    lang, prob = ident.classify(text)
    return _TAGS.get(lang, lang) if prob >= MIN_PROBABILITY else UNDETERMINED


def _chinese(text: str) -> str:
    import hanzidentifier

    han = "".join(ch for ch in text if _script(ch) == "HAN")
    kind = hanzidentifier.identify(han)
    return {hanzidentifier.SIMPLIFIED: "zh-Hans", hanzidentifier.TRADITIONAL: "zh-Hant"}.get(kind, "zh")


def detect(text: str) -> str:
    """The language tag of one part (see the module docstring), or `und`."""
    counts = scripts(text)
    if not counts:
        return UNDETERMINED
    kana = counts.get("HIRAGANA", 0) + counts.get("KATAKANA", 0)
    if kana and kana + counts.get("HAN", 0) >= MIN_SCRIPT_LETTERS:  # one kana among Han: Japanese
        return "ja"
    for script, lang in _DECISIVE:
        if counts.get(script, 0) >= MIN_SCRIPT_LETTERS:
            return lang
    if counts.get("HAN", 0) >= MIN_SCRIPT_LETTERS:
        return _chinese(text)
    others = {s: n for s, n in counts.items() if s != "LATIN" and s in _SHARED}
    if others:
        script = max(others, key=lambda s: others[s])
        return _classify(text, _SHARED[script]) if others[script] >= MIN_SCRIPT_LETTERS else UNDETERMINED
    if counts.get("LATIN", 0) >= MIN_LATIN_LETTERS and len(counts) == 1:
        return _classify(text, _SHARED["LATIN"])
    return UNDETERMINED
