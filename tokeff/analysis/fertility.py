"""Fertility: tokens per word, with a real word segmenter per language.

SECONDARY to the same-content premium. Fertility divides by words, and what a "word" is differs
between languages and segmenters (a Japanese short-unit word, a Korean morpheme and an English
space-delimited word are not the same amount of content), so fertility does not compare cost
across languages; the premium (tokens of the same segments vs English) does. Fertility says how
finely one tokenizer cuts one language's words, and is comparable across tokenizers for the
same language and segmenter.

Segmenters (all offline; their dictionaries and models ship inside the PyPI packages):

| languages | segmenter | unit |
|---|---|---|
| ja | SudachiPy + sudachidict_core, split mode A | short-unit word (UniDic SUW, as UD Japanese) |
| ko | kiwipiepy + kiwipiepy_model | morpheme (pass `segmenters={"ko": "whitespace"}` for eojeol) |
| zh-Hans, zh-Hant, yue, other zh | jieba (default dictionary, HMM on) | word |
| everything else | whitespace | space-delimited word |

A segmenter's output counts as a word when it contains at least one letter or number (Unicode
categories L* and N*): punctuation and symbols are not words, in any language. Each language's
segments are segmented once, whatever the number of tokenizers; token counts come from
`count_segments` (and its cache).
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

import pandas as pd

from tokeff._util.cache import CountCache
from tokeff.corpora.corpus import Corpus
from tokeff.errors import LanguageError, SegmenterUnavailableError, UsageError
from tokeff.study.counting import count_segments
from tokeff.tokenizers.tokenizer import Tokenizer

FERTILITY_COLUMNS = ["corpus", "language", "tokenizer", "words", "tokens", "fertility", "segmenter",
                     "segmenter_version", "unit"]
NOTE = ("fertility (tokens per word) is secondary: words are not the same unit across languages; "
        "compare languages with the same-content premium")

# Scripts written without spaces between words that no shipped segmenter handles.
_UNSEGMENTED = {"lo", "km", "my", "bo", "dz"}


@dataclass(frozen=True)
class Segmenter:
    """A word segmenter: `split(text)` gives its units; `words(text)` counts the real words."""

    name: str
    version: str
    unit: str
    split: Callable[[str], list[str]]

    def words(self, text: str) -> int:
        return sum(1 for w in self.split(text) if is_word(w))


def is_word(piece: str) -> bool:
    """A segmenter unit is a word when it has a letter or a number in it."""
    return any(unicodedata.category(c)[0] in "LN" for c in piece)


def _version(*packages: str) -> str:
    out = []
    for p in packages:
        try:
            out.append(f"{p} {version(p)}")
        except PackageNotFoundError:
            out.append(f"{p} ?")
    return ", ".join(out)


def _need(module: str, pip: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise SegmenterUnavailableError(f"fertility needs {pip}: pip install {pip} (or pip install 'tokeff[fertility]')")


def _whitespace() -> Segmenter:
    return Segmenter("whitespace", "str.split", "space-delimited word", str.split)


def _sudachi() -> Segmenter:
    _need("sudachipy", "sudachipy sudachidict_core")
    _need("sudachidict_core", "sudachidict_core")
    from sudachipy import Dictionary, SplitMode

    tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.A)
    lock = threading.Lock()  # a Sudachi tokenizer is not meant to be shared between threads

    def split(text: str) -> list[str]:
        out: list[str] = []
        with lock:
            for line in text.splitlines() or [text]:  # Sudachi limits one input's size; segments are lines
                out.extend(m.surface() for m in tokenizer.tokenize(line))
        return out

    return Segmenter("sudachipy-A", _version("sudachipy", "sudachidict_core"), "short-unit word (Sudachi A)", split)


def _kiwi() -> Segmenter:
    _need("kiwipiepy", "kiwipiepy")
    from kiwipiepy import Kiwi

    kiwi = Kiwi()  # the model is read from the kiwipiepy_model package, nothing is downloaded

    def split(text: str) -> list[str]:
        return [t.form for t in kiwi.tokenize(text)]

    return Segmenter("kiwipiepy", _version("kiwipiepy", "kiwipiepy_model"), "morpheme (Kiwi)", split)


def _jieba() -> Segmenter:
    _need("jieba", "jieba")
    import jieba

    jieba.setLogLevel(logging.WARNING)
    from tokeff._util.paths import cache_dir

    tok = jieba.Tokenizer()  # its own instance: the default dictionary, loaded once
    try:  # jieba caches its parsed dictionary; keep that beside tokeff's own cache
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        tok.tmp_dir = str(folder)
    except OSError:  # pragma: no cover - unwritable cache dir: jieba falls back to the temp dir
        pass

    def split(text: str) -> list[str]:
        return list(tok.lcut(text, HMM=True))

    return Segmenter("jieba", _version("jieba"), "word (jieba)", split)


def _pythainlp() -> Segmenter:
    _need("pythainlp", "pythainlp")
    from pythainlp.tokenize import word_tokenize

    def split(text: str) -> list[str]:  # newmm: dictionary-based maximal matching, offline
        return [w for w in word_tokenize(text, engine="newmm") if not w.isspace()]

    return Segmenter("pythainlp-newmm", _version("pythainlp"), "word (PyThaiNLP newmm)", split)


def _pyvi() -> Segmenter:
    _need("pyvi", "pyvi")
    from pyvi import ViTokenizer

    def split(text: str) -> list[str]:  # syllables of one word come joined with "_"
        return str(ViTokenizer.tokenize(text)).split()

    return Segmenter("pyvi", _version("pyvi"), "word (pyvi: syllables grouped into words)", split)


_FACTORIES: dict[str, Callable[[], Segmenter]] = {
    "whitespace": _whitespace, "sudachipy": _sudachi, "kiwipiepy": _kiwi, "jieba": _jieba,
    "pythainlp": _pythainlp, "pyvi": _pyvi,
}
_LOADED: dict[str, Segmenter] = {}
_LOCK = threading.Lock()


def get_segmenter(name: str) -> Segmenter:
    """A segmenter by name (whitespace, sudachipy, kiwipiepy, jieba, pythainlp, pyvi), loaded once per process."""
    if name not in _FACTORIES:
        raise LanguageError(f"unknown word segmenter {name!r}; known: {', '.join(_FACTORIES)}")
    with _LOCK:
        if name not in _LOADED:
            _LOADED[name] = _FACTORIES[name]()
        return _LOADED[name]


def default_segmenter(language: str) -> str:
    """The segmenter name for a BCP-47 tag."""
    base = language.split("-")[0].lower()
    if base == "ja":
        return "sudachipy"
    if base == "ko":
        return "kiwipiepy"
    if base in ("zh", "yue", "cmn", "wuu"):
        return "jieba"
    if base == "th":
        return "pythainlp"
    if base == "vi":  # spaces separate syllables, not words
        return "pyvi"
    if base in _UNSEGMENTED:
        raise LanguageError(f"no word segmenter for {language} (written without spaces); "
                            "pass segmenters={language!r: Segmenter(...)} to fertility()")
    return "whitespace"


def word_counts(corpus: Corpus, segmenters: Mapping[str, str | Segmenter] | None = None) -> pd.DataFrame:
    """Words per segment for every language of `corpus`, each language segmented once
    (columns: language, segment, words, segmenter, segmenter_version, unit)."""
    frames = []
    for lang, texts in corpus.texts.items():
        choice = (segmenters or {}).get(lang) or default_segmenter(lang)
        seg = choice if isinstance(choice, Segmenter) else get_segmenter(choice)
        frames.append(pd.DataFrame({
            "language": lang, "segment": range(len(texts)), "words": [seg.words(t) for t in texts],
            "segmenter": seg.name, "segmenter_version": seg.version, "unit": seg.unit,
        }))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["language", "segment", "words", "segmenter", "segmenter_version", "unit"])


def parse_segmenters(specs: Sequence[str] | None) -> dict[str, str]:
    """{language: segmenter name} from LANG=NAME strings (e.g. ko=whitespace for eojeol)."""
    from tokeff.corpora.languages import normalize_language

    pairs = [s.split("=", 1) for s in specs or []]
    bad = [s for s, p in zip(specs or [], pairs, strict=True) if len(p) != 2 or not p[0] or not p[1]]
    if bad:
        raise UsageError(f"--segmenter {bad[0]!r}: use LANG=NAME, e.g. ko=whitespace")
    return {normalize_language(k): v for k, v in pairs}


def fertility(corpus: str | Corpus | Sequence[str | Corpus],
              tokenizers: Sequence[str | Tokenizer] | str | Tokenizer, *,
              languages: Sequence[str] | None = None,
              segmenters: Mapping[str, str | Segmenter] | None = None,
              cache: bool | CountCache = True, online: bool | None = None) -> pd.DataFrame:
    """Tokens per word: one row per corpus x language x tokenizer (FERTILITY_COLUMNS).

    Secondary to the premium (see NOTE). `segmenters` overrides the segmenter of a language
    (a name from `get_segmenter` or a Segmenter)."""
    from tokeff.study.run import load_study, open_cache

    corpora, toks = load_study(corpus, tokenizers, None, languages=languages, online=online)
    store = open_cache(cache)
    rows = []
    for c in corpora:
        words = word_counts(c, segmenters)
        counts = count_segments([c], toks, cache=store)
        tok_totals = counts.groupby(["language", "tokenizer"], observed=True, sort=False)["tokens"].sum()
        for lang, wpart in words.groupby("language", sort=False):
            n_words = int(wpart["words"].sum())
            first = wpart.iloc[0]
            for tok in toks:
                n_tokens = int(tok_totals.loc[(lang, tok.id)])
                rows.append({
                    "corpus": c.name, "language": str(lang), "tokenizer": tok.id, "words": n_words,
                    "tokens": n_tokens, "fertility": n_tokens / n_words if n_words else float("nan"),
                    "segmenter": first["segmenter"], "segmenter_version": first["segmenter_version"],
                    "unit": first["unit"],
                })
    out = pd.DataFrame(rows, columns=FERTILITY_COLUMNS)
    out.attrs["note"] = NOTE
    return out
