"""Corpora published on the Hugging Face hub, through `datasets.load_dataset`.

Two shapes are understood: one config per language with a `text` column and an `id` to align
on (openlanguagedata/flores_plus), and one table with a column per language (for example
facebook/flores' `sentence_<code>` columns). Offline, a hub id is refused before any request
is made (pass `online=True` / --online); local dataset folders and files always work."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokeff._util.settings import online_allowed
from tokeff.corpora.corpus import Column, Corpus, build_corpus
from tokeff.corpora.languages import normalize_language
from tokeff.corpora.loaders.table import cell_text, frame_to_corpus
from tokeff.errors import CorpusError, LanguageError, NetworkDisabledError

if TYPE_CHECKING:
    import pandas as pd

FLORES_PLUS = "openlanguagedata/flores_plus"
FLORES_CODES = {"en": "eng_Latn", "ja": "jpn_Jpan", "ko": "kor_Hang", "zh-Hans": "cmn_Hans",
                "zh-Hant": "cmn_Hant", "yue-Hant": "yue_Hant"}


def _load(path: str, config: str | None, split: str, online: bool | None) -> Any:
    import datasets

    if not online_allowed(online) and not Path(path).expanduser().exists():
        raise NetworkDisabledError(
            f"corpus {path!r} is on the Hugging Face hub and downloading is off; "
            "pass --online (or TOKEFF_ONLINE=1), or point at a local copy"
        )
    if not Path(path).expanduser().exists():
        _check_reachable(path)
    try:
        return datasets.load_dataset(path, config, split=split)
    except Exception as exc:  # datasets and huggingface_hub raise many kinds (no network, no such dataset...)
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
        raise CorpusError(f"{path}{':' + config if config else ''} [{split}]: could not be loaded ({type(exc).__name__}: "
                          f"{first}); check the name, the network, or point at a local copy") from exc


def _check_reachable(path: str) -> None:
    """One quick connection to the hub before `datasets` starts (it retries a dead network for
    tens of seconds): no network is one clear error at once."""
    import os
    import socket
    import urllib.parse

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    url = urllib.parse.urlsplit(endpoint)
    host, port = url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=10).close()
    except OSError as exc:
        raise CorpusError(f"{path}: could not be loaded: {host}:{port} cannot be reached ({exc}); check the "
                          "network, or point at a local copy of the dataset") from exc


def load_per_language(path: str, languages: Sequence[str], split: str = "devtest", *,
                      online: bool | None = None, codes: dict[str, str] | None = None) -> Corpus:
    """flores_plus shape: a config per language (`jpn_Jpan`...), rows aligned by `id`."""
    codes = codes or FLORES_CODES
    cols, doc_ids, domains, ids = [], None, None, None
    for tag in languages:
        lang = normalize_language(tag)
        config = codes.get(lang, tag)
        ds = _load(path, config, split, online)
        df = ds.to_pandas()
        if "text" not in df.columns:
            raise CorpusError(f"{path}:{config}: no `text` column (columns: {list(df.columns)})")
        if "id" in df.columns:
            df = df.sort_values("id", kind="stable")
            these = [int(x) for x in df["id"]]
            if ids is None:
                ids = these
            elif these != ids:
                raise CorpusError(f"{path}:{config} [{split}]: segment ids differ from {languages[0]}'s")
        if doc_ids is None and "url" in df.columns:
            doc_ids = [str(u) for u in df["url"]]
            domains = [str(d) for d in df["domain"]] if "domain" in df.columns else None
        where = f"{path}:{config} [{split}] row"
        cols.append(Column(lang, [cell_text(t, where, i + 1) for i, t in enumerate(df["text"])], where))
    name = path.rstrip("/").split("/")[-1]
    return build_corpus(f"{name}-{split}", cols, doc_ids=doc_ids, domains=domains, source=path)


def load_wide(path: str, config: str | None = None, split: str = "devtest", *, online: bool | None = None,
              languages: Sequence[str] | None = None) -> Corpus:
    """A dataset with a column per language (`sentence_eng_Latn` or plain tags)."""
    ds = _load(path, config, split, online)
    df: pd.DataFrame = ds.to_pandas()
    df = df.rename(columns={c: c[len("sentence_"):] for c in df.columns if str(c).startswith("sentence_")})
    if "URL" in df.columns and "doc_id" not in df.columns:
        df = df.rename(columns={"URL": "doc_id"})
    name = path.rstrip("/").split("/")[-1]
    return frame_to_corpus(df, f"{name}-{split}", f"{path} [{split}]", None, languages)


def load_hub(spec: str, languages: Sequence[str] | None, *, online: bool | None) -> Corpus:
    """`hf:ID[:config][:split]`; flores_plus-shaped datasets need `languages`."""
    parts = spec.split(":")
    path = parts[0]
    rest = parts[1:]
    split = rest.pop() if rest and rest[-1] in ("dev", "devtest", "train", "test", "validation") else "devtest"
    config = rest[0] if rest else None
    if config is None and (path.rstrip("/").endswith("flores_plus") or _is_per_language(path)):
        if not languages:
            raise LanguageError(f"{spec}: name the languages to load (--language en --language ja ...)")
        return load_per_language(path, languages, split, online=online)
    return load_wide(path, config, split, online=online, languages=languages)


def _is_per_language(path: str) -> bool:
    p = Path(path).expanduser()
    return p.is_dir() and any(d.is_dir() and "_" in d.name for d in p.iterdir())
