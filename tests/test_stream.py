"""Streaming measurement: the same numbers as in memory, chunk by chunk, with errors naming lines."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import tokeff
from tokeff.corpora.loaders import shipped_dir
from tokeff.errors import AlignmentError, CorpusError
from tokeff.study.stream import Totals, measure_stream

COLS = ["language", "tokenizer", "segments", "chars", "bytes", "tokens", "premium", "premium_low", "premium_high",
        "tokens_per_1k_ref_words", "ci_method", "clusters", "corpus_digest", "signature"]


def test_stream_equals_in_memory(tmp_path: Path) -> None:
    seen: list[Totals] = []
    out = tmp_path / "segs.parquet"
    streamed = measure_stream(shipped_dir() / "legal", ["o200k_base", "llama3"], chunk=37, segments_out=out,
                              progress=lambda t: seen.append(Totals(t.segments, t.bytes_read, dict(t.tokens))))
    whole = tokeff.measure("legal", ["o200k_base", "llama3"])
    pd.testing.assert_frame_equal(streamed[COLS], whole[COLS])
    assert [t.segments for t in seen] == [37, 74, 111, 148, 149]
    segs = pd.read_parquet(out)
    n = len(tokeff.load_corpus("legal"))
    assert len(segs) == n * 5 * 2 and segs["segment"].max() == n - 1
    final = whole.set_index(["language", "tokenizer"])["tokens"]
    assert seen[-1].tokens[("ja", "llama3")] == final[("ja", "llama3")]


def test_block_bootstrap_without_documents(tmp_path: Path) -> None:
    d = tmp_path / "legal"
    shutil.copytree(shipped_dir() / "legal", d)
    (d / "documents.tsv").unlink()
    (d / "corpus.yaml").write_text((d / "corpus.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    df = measure_stream(d, ["o200k_base"], languages=["ja"], chunk=50, block=10)
    row = df[df.language == "ja"].iloc[0]
    assert row.ci_method == "paired-cluster-bootstrap(block of 10 segments)" and row.clusters == 15  # 149 / 10
    assert "ci:cluster-block-of-10-segments" in row.signature


def test_stream_errors_name_the_line(tmp_path: Path) -> None:
    d = tmp_path / "legal"
    shutil.copytree(shipped_dir() / "legal", d)
    lines = (d / "ko.txt").read_text(encoding="utf-8").splitlines()
    (d / "ko.txt").write_text("\n".join(lines[:100]) + "\n", encoding="utf-8")
    with pytest.raises(AlignmentError, match=r"ko\.txt: ends before line 101"):
        measure_stream(d, ["o200k_base"], chunk=30)
    (d / "ko.txt").write_text("\n".join([*lines[:5], " ", *lines[6:]]) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"ko\.txt:6: empty segment"):
        measure_stream(d, ["o200k_base"], chunk=30)
    (d / "ko.txt").write_bytes(b"\n".join(x.encode() for x in lines[:7]) + b"\n\xff\xfe\n")
    with pytest.raises(CorpusError, match=r"ko\.txt:8: invalid UTF-8"):
        measure_stream(d, ["o200k_base"], chunk=30)


def test_stream_keeps_per_row_domains() -> None:
    streamed = measure_stream(shipped_dir() / "sample", ["o200k_base"], chunk=10)
    whole = tokeff.measure("sample", ["o200k_base"])
    pd.testing.assert_frame_equal(streamed[[*COLS, "domain"]], whole[[*COLS, "domain"]])


def test_stream_refuses_a_document_split_in_two(tmp_path: Path) -> None:
    d = tmp_path / "legal"
    shutil.copytree(shipped_dir() / "legal", d)
    rows = (d / "documents.tsv").read_text(encoding="utf-8").splitlines()
    first_doc = rows[1].split("\t")[0]
    ends = next(i for i, r in enumerate(rows[1:], 1) if r.split("\t")[0] != first_doc)  # its run ends before this
    rows[-1] = "\t".join([first_doc, *rows[-1].split("\t")[1:]])
    (d / "documents.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=rf"documents\.tsv:{len(rows)}: document {first_doc!r} starts again after "
                                          rf"other documents \(its segments before ended at line {ends}\)"):
        measure_stream(d, ["o200k_base"], chunk=40)


@pytest.mark.parametrize("chunk", [25, 30, 100, 1000])
def test_stream_misalignment_at_and_off_chunk_boundaries(tmp_path: Path, chunk: int) -> None:
    d = tmp_path / "legal"
    shutil.copytree(shipped_dir() / "legal", d)
    lines = (d / "ja.txt").read_text(encoding="utf-8").splitlines()
    (d / "ja.txt").write_text("\n".join(lines[:100]) + "\n", encoding="utf-8")
    with pytest.raises(AlignmentError, match=r"ja\.txt: ends before line 101 of the other"):
        measure_stream(d, ["o200k_base"], chunk=chunk)
    # an empty line on the first line another file lacks is named first, as the loader does
    zh = (d / "zh-Hans.txt").read_text(encoding="utf-8").splitlines()
    zh[100] = ""
    (d / "zh-Hans.txt").write_text("\n".join(zh) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"zh-Hans\.txt:101: empty segment"):
        measure_stream(d, ["o200k_base"], chunk=chunk)


@pytest.mark.parametrize("chunk", [3, 46, 1000])
def test_stream_names_extra_document_ids(tmp_path: Path, chunk: int) -> None:
    d = tmp_path / "sample"
    shutil.copytree(shipped_dir() / "sample", d)
    docs = d / "documents.tsv"
    rows = docs.read_text(encoding="utf-8").splitlines()
    docs.write_text("\n".join([*rows, rows[-1], rows[-1]]) + "\n", encoding="utf-8")
    with pytest.raises(AlignmentError, match=r"documents\.tsv: more document ids than segments"):
        measure_stream(d, ["o200k_base"], chunk=chunk)
    docs.write_text("\n".join(rows[:-2]) + "\n", encoding="utf-8")
    with pytest.raises(AlignmentError, match=r"documents\.tsv: fewer document ids than segments"):
        measure_stream(d, ["o200k_base"], chunk=chunk)
