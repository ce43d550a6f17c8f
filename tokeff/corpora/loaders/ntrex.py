"""NTREX-128: newstest2019-src.eng.txt plus newstest2019-ref.<code>.txt (CRLF) and
DOCUMENT_IDS.tsv (one document id per line)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tokeff.corpora.corpus import Corpus, build_corpus
from tokeff.corpora.languages import normalize_language
from tokeff.corpora.textio import read_columns, read_lines
from tokeff.errors import CorpusError, LanguageError


def load_ntrex(folder: str | Path, languages: Sequence[str] | None = None) -> Corpus:
    root = Path(folder)
    # the English source first, then the references
    files = sorted(root.glob("newstest2019-*.txt"), key=lambda f: (not f.name.startswith("newstest2019-src"), f.name))
    if not files:
        raise CorpusError(f"{root}: not an NTREX-128 folder (no newstest2019-*.txt files)")
    by_lang: dict[str, Path] = {}
    for f in files:
        parts = f.name[len("newstest2019-") : -len(".txt")].split(".")
        if len(parts) != 2 or parts[0] not in ("src", "ref"):
            continue  # only newstest2019-{src,ref}.<code>.txt
        try:
            tag = normalize_language(parts[1])
        except LanguageError as exc:
            raise CorpusError(f"{f}: file name is not newstest2019-(src|ref).<code>.txt: {exc}") from exc
        if tag in by_lang:
            raise CorpusError(f"{f} and {by_lang[tag]} are both language {tag}")
        by_lang[tag] = f
    cols = read_columns(by_lang, languages, str(root))
    ids_path = root / "DOCUMENT_IDS.tsv"
    doc_ids = None
    if ids_path.is_file():
        doc_ids = [r.split("\t")[0] for r in read_lines(ids_path)]
    return build_corpus("ntrex128", cols, doc_ids=doc_ids, domains=None, ids_origin=str(ids_path),
                        source=str(root), meta={"license": "CC-BY-SA-4.0", "domain": "news"})
