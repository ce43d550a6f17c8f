"""Gemma 3/4's vocabulary, converted from llama.cpp's GGUF (tokeff.tokenizers.convert.gemma).

The GGUF (15.8 MB, inside llama-cpp-python's 77 MB source distribution) is never committed and
never downloaded by a test: tests that need it read TOKEFF_GEMMA_GGUF (the .gguf, with llama.cpp's
`.gguf.inp` / `.gguf.out` test files beside it) and skip when it is not set."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import CJK_SAMPLES, PARALLEL
from tokeff.cli import app
from tokeff.errors import HashMismatchError, NetworkDisabledError, TokenizerUnavailableError
from tokeff.tokenizers.convert import gemma
from tokeff.tokenizers.convert.gguf_vocab import CONTROL, USER_DEFINED, GGUFError, GGUFVocab, read_tests, read_vocab


@pytest.fixture(scope="module")
def gguf_path() -> Path:
    env = os.environ.get("TOKEFF_GEMMA_GGUF")
    if not env:
        pytest.skip("TOKEFF_GEMMA_GGUF is not set (path of ggml-vocab-gemma-4.gguf; see .ci/run)")
    path = Path(env)
    if not path.is_file():
        pytest.skip(f"TOKEFF_GEMMA_GGUF={env} does not exist")
    return path


@pytest.fixture(scope="module")
def vocab(gguf_path: Path) -> GGUFVocab:
    return gemma.verified_gguf(gguf_path.read_bytes(), str(gguf_path))


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory, gguf_path: Path) -> Path:
    return gemma.add_gemma(tmp_path_factory.mktemp("gemma3"), gguf_path)


@pytest.fixture(scope="module")
def hf(converted: Path):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(converted))


def _encode(tok, text: str) -> list[int]:  # type: ignore[no-untyped-def]
    return list(tok.encode(text, add_special_tokens=False).ids)


# --- with the real GGUF ---------------------------------------------------------------------

def test_gguf_facts(vocab: GGUFVocab, gguf_path: Path) -> None:
    assert gguf_path.stat().st_size == gemma.GGUF_SIZE
    assert vocab.model == "gemma4"
    assert len(vocab.tokens) == gemma.VOCAB_SIZE
    assert len(vocab.merges) == 514_906
    assert vocab.tokens[:4] == ["<pad>", "<eos>", "<bos>", "<unk>"]
    assert vocab.special_id("bos") == 2 and vocab.special_id("unknown") == 3
    assert vocab.metadata["tokenizer.ggml.add_space_prefix"] is False
    assert sum(t == CONTROL for t in vocab.token_types) == 17
    assert sum(t == USER_DEFINED for t in vocab.token_types) == 7


def test_conversion_is_pinned_and_reproducible(converted: Path, vocab: GGUFVocab) -> None:
    assert hashlib.sha256(converted.read_bytes()).hexdigest() == gemma.TOKENIZER_JSON_SHA256
    assert gemma.convert(vocab).encode() == converted.read_bytes()
    prov = json.loads((converted.parent / "provenance.json").read_text())
    assert prov["gguf_sha256"] == gemma.GGUF_SHA256
    assert prov["tokenizer_json_sha256"] == gemma.TOKENIZER_JSON_SHA256


def test_llama_cpp_expected_ids(hf, gguf_path: Path) -> None:  # type: ignore[no-untyped-def]
    """llama.cpp's own test for this vocabulary: ids made by the model's Hugging Face tokenizer."""
    inp, out = Path(f"{gguf_path}.inp"), Path(f"{gguf_path}.out")
    if not (inp.is_file() and out.is_file()):
        pytest.skip(f"{inp.name} / {out.name} are not beside {gguf_path}")
    tests = read_tests(inp.read_text(encoding="utf-8"), out.read_text(encoding="utf-8"))
    assert len(tests) == 46
    failures = [(text, ids, _encode(hf, text)) for text, ids in tests if _encode(hf, text) != ids]
    assert not failures, failures[:3]
    assert sum(len(ids) for _, ids in tests) == 362


def test_known_ids(hf) -> None:  # type: ignore[no-untyped-def]
    assert _encode(hf, "Hello world") == [9259, 1902]
    assert _encode(hf, " ") == [236743]
    assert _encode(hf, "\n") == [107] and _encode(hf, "\n\n") == [108]
    assert hf.encode("Hello world").ids == [2, 9259, 1902]  # <bos> only when asked for


def test_cjk_round_trip(hf) -> None:  # type: ignore[no-untyped-def]
    texts = [*CJK_SAMPLES, *PARALLEL.values(), "ｶﾀｶﾅ　全角スペース", "𠮷野家 🀄️ \x00\x7f\u200b", "한국어\r\n中文\t日本語"]
    for text in texts:
        ids = _encode(hf, text)
        assert hf.decode(ids, skip_special_tokens=False) == text


def test_control_tokens_are_text(hf) -> None:  # type: ignore[no-untyped-def]
    """tokeff counts text as text: `<bos>` or `<|turn>` typed in a text are not special tokens;
    the user-defined tokens are matched whole, as Gemma's own tokenizer does."""
    assert 2 not in _encode(hf, "<bos>")
    assert 105 not in _encode(hf, "<|turn>user")
    assert _encode(hf, "<|tool_call>x")[0] == 48


def _llama_cpp_bpe(vocab: GGUFVocab) -> Callable[[str], list[int]]:
    """A direct Python transcription of llama.cpp's tokenizer for `gemma4` (llama-vocab.cpp:
    user-defined tokens split out, spaces to "▁", text split into runs of newlines and the rest,
    a whole newline run taken as one token when it is one, lowest-rank merge first, byte fallback).
    Independent of the `tokenizers` library, it checks the conversion on any text."""
    ranks = {tuple(m.split(" ")): i for i, m in enumerate(vocab.merges)}
    ids = {t: i for i, t in enumerate(vocab.tokens)}
    user = sorted((t for t, ty in zip(vocab.tokens, vocab.token_types, strict=True) if ty == USER_DEFINED),
                  key=len, reverse=True)
    user_re = re.compile("(" + "|".join(map(re.escape, user)) + ")")

    def word(w: str) -> list[int]:
        if set(w) == {"\n"} and w in ids:
            return [ids[w]]
        syms = list(w)
        while len(syms) > 1:
            found = [(ranks[pair], i) for i, pair in enumerate(itertools.pairwise(syms)) if pair in ranks]
            if not found:
                break
            _, i = min(found)  # lowest rank, then leftmost
            syms[i:i + 2] = [syms[i] + syms[i + 1]]
        out: list[int] = []
        for s in syms:
            if s in ids:
                out.append(ids[s])
            else:
                out.extend(ids[f"<0x{b:02X}>"] for b in s.encode())
        return out

    def encode(text: str) -> list[int]:
        out: list[int] = []
        for part in user_re.split(text):
            if part in ids and part in user:
                out.append(ids[part])
                continue
            for w in re.findall(r"[^\n]+|\n+", part.replace(" ", "▁")):
                out.extend(word(w))
        return out

    return encode


def test_agrees_with_llama_cpp_algorithm(hf, vocab: GGUFVocab) -> None:  # type: ignore[no-untyped-def]
    from tokeff.corpora.loaders import load_corpus

    encode = _llama_cpp_bpe(vocab)
    corpus = load_corpus("sample")
    texts = [*CJK_SAMPLES, *PARALLEL.values(), "a\n\n\nb  c\n \n\t\tx", "<|\"|>quoted<|\"|> <|channel>"]
    for lang in corpus.languages:
        texts.extend(corpus.texts[lang])
    mismatched = [t for t in texts if _encode(hf, t) != encode(t)]
    assert not mismatched, mismatched[:3]


def test_loads_through_tokeff(converted: Path) -> None:
    from tokeff.tokenizers.entries import FileSource, TokenizerEntry
    from tokeff.tokenizers.tokenizer import Tokenizer

    entry = TokenizerEntry(id="gemma3-test", family="gemma", status="exact", backend="tokenizers",
                           files={"tokenizer_json": FileSource(path=str(converted), sha256=gemma.TOKENIZER_JSON_SHA256)})
    tok = Tokenizer(entry)
    assert tok.count(["Hello world", "会議は木曜日の午後3時に変更になりました。"])[0] == 2
    assert tok.decode(tok.encode(PARALLEL["ko"])) == PARALLEL["ko"]


def test_existing_target_is_reused(converted: Path) -> None:
    # up to date: returned as is, without looking for the GGUF at all
    assert gemma.add_gemma(converted.parent, "/nonexistent/file.gguf") == converted
    res = CliRunner().invoke(app, ["tokenizers", "add", "gemma3", "--from", "/nonexistent/file.gguf",
                                   "--out", str(converted.parent)])
    assert res.exit_code == 0 and res.output.strip() == f"wrote {converted}"


# --- without the GGUF: errors ---------------------------------------------------------------

def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(TokenizerUnavailableError, match=r"nope\.gguf does not exist.*pip download"):
        gemma.add_gemma(tmp_path / "out", tmp_path / "nope.gguf")


def test_offline_without_source_says_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKEFF_GEMMA_GGUF", raising=False)
    monkeypatch.setattr(gemma, "download_sdist", lambda dest: pytest.fail("must not download offline"))
    with pytest.raises(NetworkDisabledError) as err:
        gemma.add_gemma(tmp_path / "out")
    msg = str(err.value)
    assert "pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36" in msg
    assert "--online" in msg and "--sdist" in msg and "TOKEFF_GEMMA_GGUF" in msg
    assert not (tmp_path / "out").exists()


def test_wrong_file_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "ggml-vocab-gemma-4.gguf"
    fake.write_bytes(b"GGUF" + b"\0" * 60)
    with pytest.raises(HashMismatchError, match="Refusing to convert"):
        gemma.add_gemma(tmp_path / "out", fake)
    assert not (tmp_path / "out" / "tokenizer.json").exists()


def test_sdist_without_the_gguf(tmp_path: Path) -> None:
    import tarfile

    sdist = tmp_path / "llama_cpp_python-0.0.1.tar.gz"
    readme = tmp_path / "README.md"
    readme.write_text("x")
    with tarfile.open(sdist, "w:gz") as tar:
        tar.add(readme, arcname="llama_cpp_python-0.0.1/README.md")
    with pytest.raises(TokenizerUnavailableError, match="has no vendor/llama.cpp/models/ggml-vocab-gemma-4.gguf"):
        gemma.add_gemma(tmp_path / "out", sdist)
    (tmp_path / "broken.tar.gz").write_bytes(b"not a tarball")
    with pytest.raises(TokenizerUnavailableError, match="cannot read it as a source distribution"):
        gemma.add_gemma(tmp_path / "out", tmp_path / "broken.tar.gz")


def test_cli_error_exit_code(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["tokenizers", "add", "gemma3", "--from", str(tmp_path / "missing.gguf"),
                                   "--out", str(tmp_path)])
    assert res.exit_code == 2 and "missing.gguf does not exist" in res.output
    res = CliRunner().invoke(app, ["tokenizers", "add", "gemma9"])
    assert res.exit_code == 2 and "no recipe to make 'gemma9'; known: gemma3" in res.output


# --- the GGUF reader on a small file made here ----------------------------------------------

def _gguf(kv: list[tuple[str, int, object]]) -> bytes:
    def s(x: str) -> bytes:
        b = x.encode()
        return struct.pack("<Q", len(b)) + b

    out = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kv))
    for key, vtype, value in kv:
        out += s(key) + struct.pack("<I", vtype)
        if vtype == 8:
            out += s(str(value))
        elif vtype == 9:
            etype, items = value  # type: ignore[misc]
            out += struct.pack("<IQ", etype, len(items))
            for it in items:
                out += s(it) if etype == 8 else struct.pack({5: "<i", 6: "<f"}[etype], it)
        elif vtype == 7:
            out += struct.pack("<?", value)
        else:
            out += struct.pack("<I", value)
    return out


def test_reader_on_a_tiny_gguf() -> None:
    data = _gguf([
        ("general.architecture", 8, "gemma4"),
        ("tokenizer.ggml.model", 8, "gemma4"),
        ("tokenizer.ggml.tokens", 9, (8, ["<unk>", "a", "b", "ab"])),
        ("tokenizer.ggml.scores", 9, (6, [0.0, -1.0, -2.0, -3.0])),
        ("tokenizer.ggml.token_type", 9, (5, [2, 1, 1, 1])),
        ("tokenizer.ggml.merges", 9, (8, ["a b"])),
        ("tokenizer.ggml.unknown_token_id", 4, 0),
        ("tokenizer.ggml.add_bos_token", 7, False),
    ])
    v = read_vocab(data)
    assert v.tokens == ["<unk>", "a", "b", "ab"] and v.merges == ["a b"]
    assert v.scores == [0.0, -1.0, -2.0, -3.0] and v.token_types == [2, 1, 1, 1]
    assert v.special_id("unknown") == 0 and v.special_id("bos") is None
    assert v.metadata["general.architecture"] == "gemma4"
    with pytest.raises(GGUFError, match="byte-fallback tokens are missing"):
        gemma.convert(v)
    with pytest.raises(GGUFError, match="not a GGUF file"):
        read_vocab(b"PK\x03\x04" + data[4:], "x.zip")
    with pytest.raises(GGUFError, match="truncated"):
        read_vocab(data[:100], "cut.gguf")


def test_read_tests_pairs_texts_and_ids() -> None:
    inp = "a\n__ggml_vocab_test__\n\n__ggml_vocab_test__\n b\nc"
    assert read_tests(inp, "1 2\n\n3 4 5\n") == [("a", [1, 2]), ("", []), (" b\nc", [3, 4, 5])]
    with pytest.raises(GGUFError, match="2 texts but 1 lines"):
        read_tests("a\n__ggml_vocab_test__\nb", "1\n")
