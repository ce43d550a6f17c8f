"""Language tags: BCP-47 everywhere, FLORES-style codes accepted and normalised.

`langcodes` does the parsing; tokeff only adds the rule that a script is kept where it tells
two written forms apart (zh-Hans vs zh-Hant) and dropped where it is the language's default
(jpn_Jpan -> ja, kor_Hang -> ko, eng_Latn -> en)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from tokeff.errors import LanguageError

# Macrolanguage members that FLORES and NTREX use but that users write as the macrolanguage
# (Mandarin -> zh, Standard Malay -> ms, Nepali (individual) -> ne, Halh Mongolian -> mn).
_MACRO = {"cmn": "zh", "zsm": "ms", "npi": "ne", "khk": "mn"}
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
    # FLORES-200's Asia-Pacific languages, and their plain tags
    "tha_Thai": "th", "vie_Latn": "vi", "ind_Latn": "id", "zsm_Latn": "ms", "tgl_Latn": "fil", "khm_Khmr": "km",
    "mya_Mymr": "my", "lao_Laoo": "lo", "hin_Deva": "hi", "ben_Beng": "bn", "tam_Taml": "ta", "tel_Telu": "te",
    "mar_Deva": "mr", "urd_Arab": "ur", "npi_Deva": "ne", "sin_Sinh": "si", "khk_Cyrl": "mn",
    "th": "th", "vi": "vi", "id": "id", "ms": "ms", "fil": "fil", "km": "km", "my": "my", "lo": "lo", "hi": "hi",
    "bn": "bn", "ta": "ta", "te": "te", "mr": "mr", "ur": "ur", "ne": "ne", "si": "si", "mn": "mn",
}

# Country codes people write for a language; a tag that is not a language gets the suggestion.
COUNTRY_NOT_LANGUAGE = {"jp": "ja", "kr": "ko", "cn": "zh-Hans", "tw": "zh-Hant", "hk": "zh-Hant", "vn": "vi",
                        "cz": "cs", "dk": "da", "gr": "el", "ua": "uk", "il": "he", "ir": "fa", "kh": "km",
                        "la": "lo", "mm": "my", "np": "ne", "lk": "si", "pk": "ur", "bd": "bn", "ph": "fil"}

# Language groups one `--language` can name; a group selects the members a corpus has (a tag
# named on its own must be there). Group names are looked up before language tags.
GROUPS: dict[str, tuple[str, ...]] = {
    "cjk": ("ja", "ko", "zh-Hans", "zh-Hant", "yue-Hant"),
    "sea": ("th", "vi", "id", "ms", "fil", "km", "my", "lo"),
    "south-asia": ("hi", "bn", "ta", "te", "mr", "ur", "ne", "si"),
}
GROUPS["apac"] = (*GROUPS["cjk"], *GROUPS["sea"], *GROUPS["south-asia"], "mn")
REGION_NAMES = {"cjk": "CJK", "sea": "Southeast Asia", "south-asia": "South Asia"}


def region_of(tag: str) -> str:
    """The display name of a language's region (CJK, Southeast Asia, South Asia), else "other"."""
    return next((REGION_NAMES[g] for g in REGION_NAMES if tag in GROUPS[g]), "other")


def order_by_region(premiums: dict[str, float]) -> list[str]:
    """Languages grouped by region (CJK, Southeast Asia, South Asia, other), each region's
    languages from the lowest premium to the highest: how a report lists 20+ languages."""
    rank = {name: i for i, name in enumerate([*REGION_NAMES.values(), "other"])}
    return sorted(premiums, key=lambda t: (rank[region_of(t)], premiums[t], t))


def did_you_mean(missing: Sequence[str], available: Sequence[str]) -> str:
    """The hint ` (did you mean ko?)` when a missing tag is a country code whose language is available
    (`kr` is a language, Kanuri, but meant Korean far more often)."""
    hints = [COUNTRY_NOT_LANGUAGE[m] for m in missing if COUNTRY_NOT_LANGUAGE.get(m) in available]
    return f" (did you mean {', '.join(hints)}?)" if hints else ""


def expand_languages(languages: Sequence[str] | None, available: Sequence[str], origin: str = "") -> list[str] | None:
    """Normalized tags, with each group name (`cjk`, `sea`, `south-asia`, `apac`) replaced by its
    members in `available`, in that order; None when `languages` is empty. Named tags are kept
    even when not available, so the caller says which one is missing; a group with no member in
    `available` is an error naming `origin`."""
    if not languages:
        return None
    out: list[str] = []
    for item in languages:
        group = GROUPS.get(item.strip().lower())
        if group is not None:
            members = [t for t in available if t in group]
            if not members:
                raise LanguageError(f"{origin + ': ' if origin else ''}no language of group {item!r} "
                                    f"({', '.join(group)}); it has {', '.join(available)}")
            out += members
        else:
            try:
                out.append(normalize_language(item))
            except LanguageError as exc:
                raise LanguageError(f"{exc}; or name a group: {', '.join(GROUPS)}") from exc
    return list(dict.fromkeys(out))


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
        hint = COUNTRY_NOT_LANGUAGE.get(raw.lower())
        raise LanguageError(f"language tag {raw!r} is not a known BCP-47 / FLORES language code"
                            + (f"; did you mean {hint}? ({raw} is a country code)" if hint else ""))
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
