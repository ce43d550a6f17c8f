"""Every corpus loader on real files, and a clear error for each kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import tokeff
from tokeff.corpora.languages import normalize_language
from tokeff.corpora.loaders import load_corpus, shipped_corpora
from tokeff.corpora.loaders.hub import load_hub
from tokeff.errors import AlignmentError, CorpusError, LanguageError, NetworkDisabledError

from .conftest import PARALLEL


@pytest.mark.parametrize(("code", "tag"), [("eng_Latn", "en"), ("jpn_Jpan", "ja"), ("kor_Hang", "ko"),
                                           ("zho_Hans", "zh-Hans"), ("cmn_Hans", "zh-Hans"), ("zho_Hant", "zh-Hant"),
                                           ("yue_Hant", "yue-Hant"), ("zho-TW", "zh-Hant"), ("zho-CN", "zh-Hans"),
                                           ("zh-Hant", "zh-Hant"), ("ko", "ko"), ("jpn", "ja")])
def test_language_codes_normalise(code: str, tag: str) -> None:
    assert normalize_language(code) == tag


def test_known_tags_are_what_langcodes_says() -> None:
    from tokeff.corpora.languages import KNOWN_TAGS, parse_language

    assert {tag: parse_language(tag) for tag in KNOWN_TAGS} == KNOWN_TAGS


def test_bad_language_tag() -> None:
    with pytest.raises(LanguageError):
        normalize_language("xx_123")


def test_shipped_sample_corpus() -> None:
    assert "sample" in shipped_corpora()
    c = load_corpus("sample")
    assert c.languages == ["en", "ja", "ko", "zh-Hans", "zh-Hant"]
    assert len(c) == len((Path(c.source) / "en.txt").read_text(encoding="utf-8").splitlines())
    assert c.doc_ids is not None and len(set(c.doc_ids)) >= 2
    assert c.meta["license"]


def _native(tmp_path: Path, texts: dict[str, list[str]], docs: list[str] | None = None) -> Path:
    d = tmp_path / "mini"
    d.mkdir()
    n = len(next(iter(texts.values())))
    docs = docs or ["d1"] * n
    (d / "corpus.yaml").write_text(
        "name: mini\ndomain: test\ndescription: t\nlanguages: [" + ", ".join(texts) + "]\n"
        f"segments: {n}\ndocuments: {len(set(docs))}\nlicense: CC0-1.0\nprovenance: written for tests\n",
        encoding="utf-8")
    for lang, lines in texts.items():
        (d / f"{lang}.txt").write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    (d / "documents.tsv").write_text("doc_id\tdomain\n" + "".join(f"{x}\ttest\n" for x in docs), encoding="utf-8")
    return d


def test_native_layout_roundtrip(tmp_path: Path) -> None:
    d = _native(tmp_path, {"en": ["Hello.", "Bye."], "ja": ["こんにちは。", "さようなら。"]}, ["a", "b"])
    c = load_corpus(str(d))
    assert c.texts["ja"] == ["こんにちは。", "さようなら。"]
    assert c.doc_ids == ["a", "b"] and c.domains == ["test", "test"]


def test_misaligned_native_names_file_and_line(tmp_path: Path) -> None:
    d = _native(tmp_path, {"en": ["a", "b", "c"], "ja": ["あ", "い", "う"]})
    (d / "ja.txt").write_text("あ\nい\n", encoding="utf-8")
    with pytest.raises(AlignmentError, match=r"en\.txt:3: 3 segments here but 2 in .*ja\.txt"):
        load_corpus(str(d))


def test_empty_segment_names_file_and_line(tmp_path: Path) -> None:
    d = _native(tmp_path, {"en": ["a", "b", "c"], "ja": ["あ", "い", "う"]})
    (d / "ja.txt").write_text("あ\n \nう\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"ja\.txt:2: empty segment"):
        load_corpus(str(d))


def test_invalid_utf8_names_file_and_line(tmp_path: Path) -> None:
    d = _native(tmp_path, {"en": ["a", "b", "c"], "ja": ["あ", "い", "う"]})
    (d / "ja.txt").write_bytes("あ\nい\n".encode() + b"\xe3\x81\n")
    with pytest.raises(CorpusError, match=r"ja\.txt:3: invalid UTF-8"):
        load_corpus(str(d))


def test_manifest_checks(tmp_path: Path) -> None:
    d = _native(tmp_path, {"en": ["a", "b"], "ja": ["あ", "い"]})
    y = (d / "corpus.yaml").read_text(encoding="utf-8")
    (d / "corpus.yaml").write_text(y.replace("segments: 2", "segments: 3"), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"corpus\.yaml: segments says 3 but the files hold 2"):
        load_corpus(str(d))
    (d / "corpus.yaml").write_text(y + "colour: red\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="colour: unknown key"):
        load_corpus(str(d))
    (d / "corpus.yaml").write_text("name: [\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="malformed YAML"):
        load_corpus(str(d))


def test_unknown_corpus_and_language() -> None:
    with pytest.raises(CorpusError, match="not found"):
        load_corpus("no-such-corpus")
    with pytest.raises(LanguageError, match="has no fr"):
        load_corpus("sample", ["en", "fr"])


def _write_table(path: Path, df: pd.DataFrame) -> None:
    suffix = path.suffix
    if suffix == ".parquet":
        df.to_parquet(path)
    elif suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in df.to_dict("records")), encoding="utf-8")
    elif suffix == ".tsv":
        df.to_csv(path, sep="\t", index=False, quoting=3)  # TSV: plain fields, no quoting
    else:
        df.to_csv(path, index=False)


@pytest.mark.parametrize("suffix", [".tsv", ".csv", ".jsonl", ".parquet"])
def test_table_formats(tmp_path: Path, suffix: str) -> None:
    df = pd.DataFrame({"eng_Latn": [PARALLEL["en"], 'He said "NA", then left.'],
                       "jpn_Jpan": [PARALLEL["ja"], "彼は「NA」と言って去った。"],
                       "doc_id": ["x", "y"], "note": ["ignored", "ignored"]})
    path = tmp_path / f"t{suffix}"
    _write_table(path, df)
    c = load_corpus(str(path))
    assert c.languages == ["en", "ja"]
    assert c.texts["en"][1] == 'He said "NA", then left.'
    assert c.doc_ids == ["x", "y"]


def test_table_empty_cell_names_line(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("en\tja\nHello\tこんにちは\nBye\t\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"t\.tsv column 'ja' line:3: empty segment"):
        load_corpus(str(path))
    path.write_bytes(b"en\tja\nHello\t\xff\n")
    with pytest.raises(CorpusError, match=r"t\.tsv:2: invalid UTF-8"):
        load_corpus(str(path))


def test_flores_layout(flores_dir: Path) -> None:
    dev = load_corpus(f"flores200:{flores_dir}:dev")
    assert len(dev) == 997
    assert set(dev.languages) == {"en", "ja", "ko", "zh-Hans", "zh-Hant", "yue-Hant"}
    assert dev.doc_ids is not None and dev.doc_ids[0].startswith("https://")
    both = load_corpus(f"flores200:{flores_dir}:both", ["en", "ja"])
    assert len(both) == 997 + 1012 and both.languages == ["en", "ja"]
    assert len(load_corpus(str(flores_dir))) == 1012  # a bare folder means devtest


def test_flores_misaligned_copy(flores_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "f"
    shutil.copytree(flores_dir, copy)
    lines = (copy / "dev" / "jpn_Jpan.dev").read_bytes().split(b"\n")
    (copy / "dev" / "jpn_Jpan.dev").write_bytes(b"\n".join(lines[:500]) + b"\n")
    with pytest.raises(AlignmentError, match=r"\.dev:501: 997 segments here but 500 in .*jpn_Jpan\.dev"):
        load_corpus(f"flores200:{copy}:dev", ["en", "ja"])


def test_ntrex_layout(ntrex_dir: Path) -> None:
    c = load_corpus(f"ntrex128:{ntrex_dir}")
    assert len(c) == 1997
    assert set(c.languages) == {"en", "ja", "ko", "zh-Hans", "zh-Hant"}
    assert not any("\r" in t for t in c.texts["ja"])  # CRLF stripped
    assert c.doc_ids is not None and len(set(c.doc_ids)) > 100
    assert load_corpus(str(ntrex_dir), ["en", "ko"]).languages == ["en", "ko"]


def _flores_plus_like(root: Path) -> None:
    """A local dataset shaped as openlanguagedata/flores_plus: a config per language."""
    langs = {"eng_Latn": "en", "jpn_Jpan": "ja", "kor_Hang": "ko"}
    lines = ["---", "configs:"]
    for code, tag in langs.items():
        (root / "devtest").mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"id": [2, 1], "text": [PARALLEL[tag] + " (2)", PARALLEL[tag]],
                      "url": ["u2", "u1"], "domain": ["wikinews", "wikinews"]}).to_parquet(
            root / "devtest" / f"{code}.parquet")
        lines += [f"- config_name: {code}", "  data_files:", "  - split: devtest", f"    path: devtest/{code}.parquet"]
    (root / "README.md").write_text("\n".join([*lines, "---", ""]), encoding="utf-8")


def test_datasets_loader_on_local_files(tmp_path: Path) -> None:
    root = tmp_path / "flores_plus"
    _flores_plus_like(root)
    c = load_corpus(f"hf:{root}:devtest", ["en", "ja", "ko"])
    assert c.texts["ja"] == [PARALLEL["ja"], PARALLEL["ja"] + " (2)"]  # aligned by id
    assert c.doc_ids == ["u1", "u2"]
    wide = tmp_path / "wide"
    wide.mkdir()
    pd.DataFrame({"sentence_eng_Latn": [PARALLEL["en"]], "sentence_kor_Hang": [PARALLEL["ko"]],
                  "URL": ["u"]}).to_parquet(wide / "data.parquet")
    w = load_hub(f"{wide}:train", None, online=False)
    assert w.languages == ["en", "ko"] and w.doc_ids == ["u"]


def test_hub_corpus_offline_is_refused() -> None:
    with pytest.raises(NetworkDisabledError, match="--online"):
        load_corpus("hf:openlanguagedata/flores_plus:devtest", ["en", "ja"])


def test_public_api_exports() -> None:
    assert tokeff.load_corpus is load_corpus


def test_id_and_url_columns_are_not_languages(tmp_path: Path) -> None:
    path = tmp_path / "ind.csv"
    path.write_text("id,url,en,ind_Latn\n1,u,The meeting was moved.,Rapat dipindahkan.\n", encoding="utf-8")
    c = load_corpus(str(path))
    assert c.languages == ["en", "id"] and c.texts["id"] == ["Rapat dipindahkan."]


def test_two_columns_for_one_language_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("en,ja,jpn_Jpan\nHi,やあ,やあ\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="'ja' and 'jpn_Jpan' are both language ja"):
        load_corpus(str(path))


def test_csv_rows_must_match_the_header(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("en,ja\nHello,こんにちは,extra\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"m\.csv:2: 3 fields, but the header has 2"):
        load_corpus(str(path))
    path.write_text('en,ja\n"Two\nlines",二行\nBye,\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"column 'ja' line:4: empty segment"):
        load_corpus(str(path))
    path.write_text("en,ja\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="has no segments"):
        load_corpus(str(path))


def test_bad_jsonl_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text('{"en": "a", "ja": "あ"}\n{"en": "b", "ja": \n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"b\.jsonl:2: not a JSON object"):
        load_corpus(str(path))


def test_same_corpus_name_twice_is_refused(tmp_path: Path) -> None:
    from tokeff.corpora.loaders import load_corpora

    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "data.tsv").write_text("en\tja\nHi\tやあ\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="two corpora are both named 'data'"):
        load_corpora([str(tmp_path / "a" / "data.tsv"), str(tmp_path / "b" / "data.tsv")])


def test_flores_stray_copies_and_colons(flores_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "with:colon"
    shutil.copytree(flores_dir, copy)
    shutil.copy(copy / "devtest" / "kor_Hang.devtest", copy / "devtest" / "jpn_Jpan.old.devtest")
    c = load_corpus(f"flores200:{copy}:devtest", ["en", "ja"])
    assert c.texts["ja"] == load_corpus(f"flores200:{flores_dir}:devtest", ["ja"]).texts["ja"]
    assert len(load_corpus(f"flores200:{copy}", ["ja"])) == 1012
    (copy / "devtest" / "notes.devtest").write_text("x\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"notes\.devtest: file name is not <language code>\.devtest"):
        load_corpus(f"flores200:{copy}:devtest")
