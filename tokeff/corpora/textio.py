"""Reading corpus text files, one way for every loader and the stream: strict UTF-8 (a leading
BOM dropped, invalid bytes named by file and line), one segment per line (LF ends a line; one CR
before it is dropped, so CRLF files such as NTREX's read the same), and tokeff's documents.tsv.
`line_batches` reads a file a chunk of lines at a time (the stream keeps one chunk in memory);
`read_lines` is the same reader over the whole file."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path

from tokeff.corpora.corpus import Column
from tokeff.corpora.languages import did_you_mean, expand_languages
from tokeff.errors import CorpusError, LanguageError


def decode_utf8(data: bytes, origin: str) -> str:
    """Decode a whole text strictly (a leading BOM is dropped); an error names the file and line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CorpusError(f"{origin}:{line}: invalid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    return text[1:] if text.startswith("\ufeff") else text


def line_batches(path: Path, size: int) -> Iterator[list[str]]:
    """The lines of a UTF-8 file, `size` at a time (see the module docstring)."""
    first = True
    try:
        with open(path, encoding="utf-8", newline="\n") as f:
            while raw := list(islice(f, size)):
                if first and raw[0].startswith("\ufeff"):
                    raw[0] = raw[0][1:]
                first = False
                lines = [t[:-1] if t.endswith("\n") else t for t in raw]
                yield [t[:-1] if t.endswith("\r") else t for t in lines]
    except UnicodeDecodeError as exc:
        with open(path, "rb") as fb:  # the slow path, only to name the line
            offset = 0
            for n, line in enumerate(fb, 1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as bad:
                    raise CorpusError(f"{path}:{n}: invalid UTF-8 ({bad.reason} at byte {offset + bad.start})") from exc
                offset += len(line)
        raise CorpusError(f"{path}: invalid UTF-8 ({exc.reason})") from exc


def read_lines(path: Path) -> list[str]:
    """Every line of a UTF-8 file (see the module docstring); the whole file is decoded at once,
    which is twice as fast as `line_batches` and splits the same way."""
    try:
        text = decode_utf8(path.read_bytes(), str(path))
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror})") from exc
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [t[:-1] if t.endswith("\r") else t for t in lines]


def read_documents(path: Path, default_domain: str) -> Iterator[tuple[str, str]]:
    """(doc_id, domain) of each segment from a documents.tsv (header `doc_id<TAB>domain`; an
    empty domain is `default_domain`), read a chunk at a time; errors name the line."""
    lineno = 0
    header: list[str] | None = None
    for batch in line_batches(path, 10_000):
        for row in batch:
            lineno += 1
            if header is None:
                header = row.split("\t")
                if header[0] != "doc_id":
                    raise CorpusError(f"{path}:1: header must start with doc_id")
                continue
            parts = row.split("\t")
            if len(parts) != len(header) or not parts[0]:
                raise CorpusError(f"{path}:{lineno}: expected {len(header)} fields ({', '.join(header)})")
            yield parts[0], (parts[1] if len(parts) > 1 and parts[1] else default_domain)
    if header is None:
        raise CorpusError(f"{path}:1: header must start with doc_id")


def read_columns(files: dict[str, Path], languages: Sequence[str] | None, origin: str) -> list[Column]:
    """One Column per wanted language from one-segment-per-line files keyed by language tag
    (all of them, in file order, when `languages` is None)."""
    wanted = expand_languages(languages, list(files), origin) or list(files)
    missing = [w for w in wanted if w not in files]
    if missing:
        raise LanguageError(f"{origin}: no file for {', '.join(missing)}; has {', '.join(files)}"
                            + did_you_mean(missing, list(files)))
    return [Column(lang, read_lines(files[lang]), str(files[lang])) for lang in wanted]
