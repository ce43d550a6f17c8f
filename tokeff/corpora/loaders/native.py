"""tokeff's own corpus layout (corpora/<name>/): corpus.yaml + <tag>.txt + documents.tsv.
See corpora/FORMAT.md."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from tokeff._util.snapshot import load_snapshot, save_snapshot, snapshot_path
from tokeff._util.yamlio import FORBID, first_error, parse_yaml, read_text, validate
from tokeff.corpora.corpus import Column, Corpus, build_corpus, split_lines
from tokeff.errors import CorpusError


@dataclass(frozen=True)
class Manifest:
    """corpus.yaml (validated by pydantic; unknown keys are errors)."""

    __pydantic_config__ = FORBID

    name: str
    domain: str
    description: str
    languages: list[str]
    segments: int
    documents: int
    license: str
    provenance: str
    reference: str = "en"


def read_manifest(folder: Path) -> Manifest:
    path = folder / "corpus.yaml"
    if not path.is_file():
        raise CorpusError(f"{folder}: no corpus.yaml (see corpora/FORMAT.md)")
    text = read_text(path, CorpusError, "corpus manifest")
    snapshot = snapshot_path(text, "manifest", __file__)
    kept = load_snapshot(snapshot)
    if isinstance(kept, dict):
        try:
            return Manifest(**kept)
        except TypeError:
            pass
    raw = parse_yaml(text, str(path), CorpusError)
    from pydantic import ValidationError

    try:
        man = validate(Manifest, raw)
    except ValidationError as exc:
        raise CorpusError(f"{path}: {first_error(exc)}") from exc
    save_snapshot(snapshot, dataclasses.asdict(man))
    return man


def load_native(folder: str | Path) -> Corpus:
    """Read a corpus folder in tokeff's layout, checking it against its manifest."""
    folder = Path(folder)
    man = read_manifest(folder)
    cols = []
    for lang in man.languages:
        path = folder / f"{lang}.txt"
        if not path.is_file():
            raise CorpusError(f"{folder / 'corpus.yaml'}: languages lists {lang} but {path} is missing")
        cols.append(Column(lang, split_lines(path.read_bytes(), str(path)), str(path)))
    doc_ids = domains = None
    docs_path = folder / "documents.tsv"
    if docs_path.is_file():
        rows = split_lines(docs_path.read_bytes(), str(docs_path))
        header = rows[0].split("\t") if rows else []
        if not header or header[0] != "doc_id":
            raise CorpusError(f"{docs_path}:1: header must start with doc_id")
        doc_ids, domains = [], []
        for i, row in enumerate(rows[1:], 2):
            parts = row.split("\t")
            if len(parts) != len(header) or not parts[0]:
                raise CorpusError(f"{docs_path}:{i}: expected {len(header)} fields ({', '.join(header)})")
            doc_ids.append(parts[0])
            domains.append(parts[1] if len(parts) > 1 and parts[1] else man.domain)
    corpus = build_corpus(man.name, cols, doc_ids=doc_ids, domains=domains or None,
                          ids_origin=str(docs_path), source=str(folder),
                          meta={"domain": man.domain, "license": man.license, "description": man.description,
                                "provenance": man.provenance, "reference": man.reference})
    if corpus.domains is None:
        corpus = Corpus(corpus.name, corpus.texts, corpus.doc_ids, [man.domain] * len(corpus),
                        corpus.source, corpus.meta)
    where = folder / "corpus.yaml"
    if man.segments != len(corpus):
        raise CorpusError(f"{where}: segments says {man.segments} but the files hold {len(corpus)}")
    n_docs = len(set(corpus.doc_ids)) if corpus.doc_ids else 1
    if man.documents != n_docs:
        raise CorpusError(f"{where}: documents says {man.documents} but documents.tsv has {n_docs}")
    if man.name != folder.name:
        raise CorpusError(f"{where}: name {man.name!r} differs from the folder name {folder.name!r}")
    return corpus
