"""A parallel corpus: aligned segments, segment i carrying the same content in every language,
with optional document id and domain per segment."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tokeff.corpora.languages import did_you_mean, expand_languages, normalize_language
from tokeff.errors import AlignmentError, CorpusError, LanguageError


@dataclass(frozen=True)
class Column:
    """One language's side of a corpus as read from a file: its texts and where they came
    from (file and the line number of the first segment), for error messages."""

    language: str
    texts: list[str]
    origin: str
    first_line: int = 1
    lines: Sequence[int] | None = None  # file line of each segment, when not one per line

    def line(self, index: int) -> int:
        if self.lines is not None:
            return self.lines[index]
        return self.first_line + index


class ContentDigest:
    """A corpus digest fed incrementally (so a streamed corpus gets the same digest as a loaded
    one): one sha256 per language and per column, each value followed by a newline, combined
    in sorted key order."""

    def __init__(self) -> None:
        self.parts: dict[str, hashlib._Hash] = {}

    def add(self, key: str, values: Iterable[str]) -> None:
        h = self.parts.get(key)
        if h is None:
            h = self.parts[key] = hashlib.sha256()
        vals = list(values)
        if vals:  # each value followed by a newline
            h.update("\n".join(vals).encode("utf-8"))
            h.update(b"\n")

    def hexdigest(self) -> str:
        outer = hashlib.sha256()
        for key in sorted(self.parts):
            outer.update(f"{key}:{self.parts[key].hexdigest()}\n".encode())
        return outer.hexdigest()


@dataclass(frozen=True)
class Corpus:
    """Aligned segments per language (BCP-47 tags), plus document ids and domains per segment."""

    name: str
    texts: dict[str, list[str]]
    doc_ids: list[str] | None = None
    domains: list[str] | None = None
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def languages(self) -> list[str]:
        return list(self.texts)

    def __len__(self) -> int:
        return len(next(iter(self.texts.values()))) if self.texts else 0

    def digest(self) -> str:
        """sha256 over languages, texts, document ids and domains: names this exact content."""
        d = ContentDigest()
        for lang, texts in self.texts.items():
            d.add(f"lang:{lang}", texts)
        for label, values in (("docs", self.doc_ids), ("domains", self.domains)):
            if values is not None:
                d.add(label, values)
        return d.hexdigest()

    def select(self, languages: Sequence[str] | None) -> Corpus:
        """The same corpus with only `languages` (tags or FLORES codes), in that order."""
        if not languages:
            return self
        wanted = expand_languages(languages, list(self.texts), f"corpus {self.name!r}") or []
        missing = [w for w in wanted if w not in self.texts]
        if missing:
            raise LanguageError(
                f"corpus {self.name!r} has no {', '.join(missing)}; it has {', '.join(self.texts)}"
                + did_you_mean(missing, list(self.texts))
            )
        return Corpus(self.name, {w: self.texts[w] for w in dict.fromkeys(wanted)}, self.doc_ids,
                      self.domains, self.source, self.meta)


def build_corpus(name: str, columns: Iterable[Column], *, doc_ids: Sequence[str] | None = None,
                 domains: Sequence[str] | None = None, ids_origin: str = "", source: str = "",
                 meta: dict[str, Any] | None = None) -> Corpus:
    """Check that columns line up and hold no empty segment, then make a Corpus.

    Errors name the file and the first bad line; nothing is truncated silently."""
    cols = list(columns)
    if not cols:
        raise CorpusError(f"{source or name}: no language files found")
    texts: dict[str, list[str]] = {}
    for col in cols:
        lang = normalize_language(col.language)
        if lang in texts:
            raise CorpusError(f"{col.origin}: language {lang} appears twice in corpus {name!r}")
        for i, t in enumerate(col.texts):
            if not t.strip():
                raise CorpusError(f"{col.origin}:{col.line(i)}: empty segment (segment {i + 1})")
        texts[lang] = col.texts
    base = max(cols, key=lambda c: len(c.texts))
    if not base.texts:
        raise CorpusError(f"{base.origin}: the corpus {name!r} has no segments")
    for col in cols:
        if len(col.texts) != len(base.texts):
            n = len(col.texts)
            raise AlignmentError(
                f"{base.origin}:{base.line(n)}: {len(base.texts)} segments here but "
                f"{n} in {col.origin}; segment {n + 1} has no counterpart in {col.origin}"
            )
    n = len(base.texts)
    for label, values in (("document ids", doc_ids), ("domains", domains)):
        if values is not None and len(values) != n:
            raise AlignmentError(
                f"{ids_origin or source}: {len(values)} {label} for {n} segments ({base.origin})"
            )
    return Corpus(name, texts, list(doc_ids) if doc_ids is not None else None,
                  list(domains) if domains is not None else None, source, dict(meta or {}))


def concat(name: str, parts: Sequence[Corpus], source: str = "") -> Corpus:
    """Join corpora with the same languages end to end (e.g. FLORES dev + devtest)."""
    langs = parts[0].languages
    for p in parts[1:]:
        if p.languages != langs:
            raise AlignmentError(f"{p.source}: languages {p.languages} differ from {langs}")
    texts = {lang: [t for p in parts for t in p.texts[lang]] for lang in langs}

    def joined(attr: str) -> list[str] | None:
        vals = [getattr(p, attr) for p in parts]
        if any(v is None for v in vals):
            return None
        return [x for v in vals for x in v]

    return Corpus(name, texts, joined("doc_ids"), joined("domains"), source, dict(parts[0].meta))


def pool(name: str, corpora: Sequence[Corpus]) -> Corpus:
    """One corpus made of several (their common languages), each segment keeping its document
    (prefixed by its corpus, so documents stay distinct bootstrap clusters) and domain."""
    common = [lang for lang in corpora[0].languages if all(lang in c.texts for c in corpora)]
    texts = {lang: [t for c in corpora for t in c.texts[lang]] for lang in common}
    docs = [f"{c.name}/{d}" for c in corpora for d in (c.doc_ids or [f"{i}" for i in range(len(c))])]
    domains = [d for c in corpora for d in (c.domains or [str(c.meta.get("domain", c.name))] * len(c))]
    return Corpus(name, texts, docs, domains, source="+".join(c.name for c in corpora),
                  meta={"pooled": [c.name for c in corpora]})
