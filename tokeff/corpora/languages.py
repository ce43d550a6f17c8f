"""Language tags: BCP-47 everywhere, FLORES-style codes accepted and normalised.

`langcodes` does the parsing; tokeff only adds the rule that a script is kept where it tells
two written forms apart (zh-Hans vs zh-Hant) and dropped where it is the language's default
(jpn_Jpan -> ja, kor_Hang -> ko, eng_Latn -> en)."""

from __future__ import annotations

from functools import lru_cache

from tokeff.errors import LanguageError

# Macrolanguage members that FLORES and NTREX use but that users write as the macrolanguage.
_MACRO = {"cmn": "zh"}
# Scripts that are the language's own default, though langcodes maximizes to another one.
_DEFAULT_SCRIPTS = {"ko": {"Hang", "Kore"}, "ja": {"Jpan"}}
# Region-only Chinese tags (NTREX's zho-CN / zho-TW) mean a script.
_ZH_REGION_SCRIPT = {"CN": "Hans", "SG": "Hans", "TW": "Hant", "HK": "Hant", "MO": "Hant"}


# langcodes' answers (through the rules above) for the tags of tokeff's own corpora, FLORES-200
# and NTREX-128, so that measuring them does not import langcodes' data (~60 ms a process);
# tests/test_corpora_loaders.py checks every entry against langcodes.
KNOWN_TAGS = {
    "en": "en", "ja": "ja", "ko": "ko", "zh": "zh", "zh-Hans": "zh-Hans", "zh-Hant": "zh-Hant",
    "yue-Hant": "yue-Hant", "eng_Latn": "en", "jpn_Jpan": "ja", "kor_Hang": "ko", "zho_Hans": "zh-Hans",
    "zho_Hant": "zh-Hant", "cmn_Hans": "zh-Hans", "cmn_Hant": "zh-Hant", "yue_Hant": "yue-Hant", "eng": "en",
    "jpn": "ja", "kor": "ko", "zho-CN": "zh-Hans", "zho-TW": "zh-Hant", "eng-US": "en-US", "en-US": "en-US",
    "zh-CN": "zh-Hans", "zh-TW": "zh-Hant",
}


@lru_cache(maxsize=512)
def normalize_language(tag: str) -> str:
    """Return the canonical BCP-47 tag for `tag` (`jpn_Jpan` -> `ja`, `cmn_Hans` -> `zh-Hans`,
    `zho-TW` -> `zh-Hant`, `yue_Hant` -> `yue-Hant`). Raises LanguageError if unparseable."""
    raw = tag.strip()
    if raw in KNOWN_TAGS:
        return KNOWN_TAGS[raw]
    return parse_language(raw)


def parse_language(raw: str) -> str:
    """`normalize_language` through langcodes, without the table of known tags."""
    import langcodes

    if not raw:
        raise LanguageError("empty language tag")
    try:
        lang = langcodes.Language.get(raw.replace("_", "-"), normalize=True)
    except (langcodes.tag_parser.LanguageTagError, ValueError) as exc:
        raise LanguageError(f"cannot parse language tag {raw!r}: {exc}") from exc
    if not lang.language or not lang.is_valid():
        raise LanguageError(f"language tag {raw!r} is not a known BCP-47 / FLORES language code")
    language = _MACRO.get(lang.language, lang.language)
    script = lang.script
    territory = lang.territory
    if language == "zh" and script is None and territory in _ZH_REGION_SCRIPT:
        script = _ZH_REGION_SCRIPT[territory]
        territory = None  # zho-TW says "Traditional script", which is what counts for tokens
    if script is not None and script in _DEFAULT_SCRIPTS.get(language, ()):
        script = None
    elif script is not None:
        default = langcodes.Language.get(language).maximize().script
        # Keep a script that is not the default (zh-Hant, yue-Hans) and always for Chinese
        # and Cantonese, whose two scripts are both in common use.
        if script == default and language not in ("zh", "yue"):
            script = None
    return "-".join(part for part in (language, script, territory) if part)


def language_name(tag: str) -> str:
    """English display name of a tag, e.g. 'Chinese (Simplified)'."""
    import langcodes

    return str(langcodes.Language.get(tag).display_name("en"))
