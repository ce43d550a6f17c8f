"""tokeff's own corpus layout (corpora/<name>/): corpus.yaml + <tag>.txt + documents.tsv.
See corpora/FORMAT.md."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from tokeff._util.snapshot import load_snapshot, save_snapshot, snapshot_path
from tokeff._util.yamlio import FORBID, first_error, parse_yaml, read_text, validate
from tokeff.corpora.corpus import Column, Corpus, build_corpus
from tokeff.corpora.textio import read_documents, read_lines
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
        cols.append(Column(lang, read_lines(path), str(path)))
    doc_ids = domains = None
    docs_path = folder / "documents.tsv"
    if docs_path.is_file():
        rows = list(read_documents(docs_path, man.domain))
        doc_ids, domains = [d for d, _ in rows], [dom for _, dom in rows]
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
