"""The `api` backend (Anthropic / Gemini count-tokens endpoints) against a local mock server on
127.0.0.1 that speaks both request shapes, checks headers and key, and counts deterministically:
tokens(text) = ceil(UTF-8 bytes / 3) (at least 1), plus a fixed per-message overhead for
Anthropic. No test reaches the network (conftest allows loopback only)."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import tokeff
import tokeff.tokenizers.tokenizer
from tokeff._util.cache import CountCache
from tokeff.analysis.proxy_check import PROXY_CHECK_COLUMNS, compare_proxy_to_api
from tokeff.corpora.corpus import Column, build_corpus
from tokeff.errors import NetworkDisabledError, RegistryError, TokenizerUnavailableError
from tokeff.study.counting import count_segments, count_texts
from tokeff.tokenizers.backends import api_backend
from tokeff.tokenizers.backends.api_backend import ApiCountError, CountOnlyError
from tokeff.tokenizers.entries import API_COUNT_METHOD, fingerprint_of
from tokeff.tokenizers.registry import parse_registry
from tokeff.tokenizers.tokenizer import Tokenizer, availability

from .conftest import CJK_SAMPLES, PARALLEL

KEY = "sk-test-SECRET-0123456789abcdef"
ANTHROPIC_OVERHEAD = 7

EN = ["The train leaves at 9:15 from platform 3.", "Please keep your ticket until you exit.",
      "Thank you for your patience.", "Our office is closed on Monday, December 28."]
JA = ["電車は3番線から9時15分に発車します。", "改札を出るまで切符をお持ちください。",
      "ご理解いただきありがとうございます。", "当事務所は12月28日(月)は休業いたします。"]


def tokens_of(text: str) -> int:
    return max(1, math.ceil(len(text.encode("utf-8")) / 3))


class MockApi:
    """State of the mock: every request seen, and scripted answers served before normal ones."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.script: list[tuple[int, dict[str, str], Any]] = []
        self.always: tuple[int, dict[str, str], Any] | None = None
        self.fail_texts: set[str] = set()  # answered 500
        self.answered: list[str] = []  # texts answered with a count
        self.url = ""

    @property
    def n(self) -> int:
        with self.lock:
            return len(self.requests)

    def texts(self) -> list[str]:
        out = []
        for path, _, body in self.requests:
            if path.endswith("/v1/messages/count_tokens"):
                out.append(body["messages"][0]["content"])
            else:
                out.append(body["contents"][0]["parts"][0]["text"])
        return out


class Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        api: MockApi = self.server.api
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        headers = {k.lower(): v for k, v in self.headers.items()}
        text = body["messages"][0]["content"] if "messages" in body else body["contents"][0]["parts"][0]["text"]
        with api.lock:
            api.requests.append((self.path, headers, body))
            scripted = api.script.pop(0) if api.script else api.always
            if scripted is None and text in api.fail_texts:
                scripted = (500, {}, {"error": {"message": "boom"}})
            elif scripted is None:
                api.answered.append(text)
        if scripted is not None:
            self._send(scripted[0], scripted[2], scripted[1])
            return
        if headers.get("content-type") != "application/json":
            self._send(400, {"error": {"message": "content-type must be application/json"}})
        elif self.path == "/v1/messages/count_tokens":
            if headers.get("x-api-key") != KEY:  # echoes what it got, as a careless server might
                self._send(401, {"type": "error", "error": {"type": "authentication_error",
                                                            "message": f"invalid x-api-key {headers.get('x-api-key')}"}})
            elif headers.get("anthropic-version") != "2023-06-01":
                self._send(400, {"error": {"message": "anthropic-version header is required"}})
            else:
                (msg,) = body["messages"]
                assert msg["role"] == "user" and body["model"]
                self._send(200, {"input_tokens": tokens_of(msg["content"]) + ANTHROPIC_OVERHEAD})
        elif self.path.startswith("/v1beta/models/") and self.path.endswith(":countTokens"):
            if headers.get("x-goog-api-key") != KEY:
                self._send(400, {"error": {"code": 400, "message": f"API key not valid: {headers.get('x-goog-api-key')}",
                                           "status": "INVALID_ARGUMENT"}})
            else:
                self._send(200, {"totalTokens": tokens_of(body["contents"][0]["parts"][0]["text"])})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})


@pytest.fixture
def mock_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockApi]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    api = MockApi()
    server.api = api  # type: ignore[attr-defined]
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("TOKEFF_ANTHROPIC_BASE_URL", api.url)
    monkeypatch.setenv("TOKEFF_GEMINI_BASE_URL", api.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv("TOKEFF_ANTHROPIC_RATE_PER_S", "500")  # the registry's 4/s and 10/s would slow the tests
    monkeypatch.setenv("TOKEFF_GEMINI_RATE_PER_S", "500")
    monkeypatch.setattr(api_backend, "BACKOFF_BASE_S", 0.01)
    monkeypatch.setattr(api_backend, "TIMEOUT_S", 2.0)
    monkeypatch.setattr(tokeff.tokenizers.tokenizer, "_CACHE", {})  # no backend shared with another test's server
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


def fresh(name: str, online: bool = False) -> Tokenizer:
    """A new Tokenizer (nothing loaded, nothing memoised) for a shipped registry name."""
    return Tokenizer(tokeff.load_registry().get(name), online=online)


TEXTS = [*PARALLEL.values(), *CJK_SAMPLES]


@pytest.mark.parametrize("name", ["claude-api", "gemini-api"])
def test_counts_are_the_servers_minus_overhead(mock_api: MockApi, name: str) -> None:
    tok = fresh(name)
    assert tok.status == "api"
    assert tok.count(TEXTS) == [tokens_of(t) for t in TEXTS]
    assert tok.count([]) == [] and tok.count([""]) == [0]
    # one probe for the overhead, then each distinct text once
    sent = mock_api.texts()
    assert sent[0] == api_backend.PROBE and sorted(sent[1:]) == sorted(TEXTS)
    path, headers, body = mock_api.requests[0]
    if name == "claude-api":
        assert path == "/v1/messages/count_tokens" and body["model"] == "claude-sonnet-4-5"
        assert headers["anthropic-version"] == "2023-06-01" and headers["x-api-key"] == KEY
        assert tok.backend.overhead == ANTHROPIC_OVERHEAD  # type: ignore[attr-defined]
    else:
        assert path == "/v1beta/models/gemini-2.5-flash:countTokens" and "key=" not in path
        assert tok.backend.overhead == 0  # type: ignore[attr-defined]
    n = mock_api.n
    assert tok.count(TEXTS[:3]) == [tokens_of(t) for t in TEXTS[:3]]
    assert mock_api.n == n  # memoised in the process


def test_model_name_selects_the_model(mock_api: MockApi) -> None:
    tok = tokeff.get_tokenizer("claude-api.claude-haiku-4-5")
    assert tok.id == "claude-api.claude-haiku-4-5"
    assert tokeff.get_tokenizer("claude-haiku-4-5").id == "claude-2-proxy"  # a bare model name stays offline
    assert tok.fingerprint != tokeff.get_tokenizer("claude-api").fingerprint
    assert tok.count(["hello"]) == [tokens_of("hello")]
    assert {body["model"] for _, _, body in mock_api.requests} == {"claude-haiku-4-5"}
    assert tokeff.get_tokenizer("gemini-api.gemini-2.5-pro").count(["x"]) == [1]
    assert mock_api.requests[-1][0] == "/v1beta/models/gemini-2.5-pro:countTokens"


def test_cache_means_a_second_run_sends_nothing(mock_api: MockApi, tmp_path: Any) -> None:
    cache = CountCache(tmp_path / "c.sqlite")
    first = fresh("claude-api")
    assert count_texts(first, [*TEXTS, TEXTS[0]], cache) == [tokens_of(t) for t in [*TEXTS, TEXTS[0]]]
    sent = mock_api.n
    assert sent == len(TEXTS) + 1  # the probe, then each distinct text once
    second = fresh("claude-api")  # a new run: new process state, same cache
    assert count_texts(second, TEXTS, cache) == [tokens_of(t) for t in TEXTS]
    assert mock_api.n == sent and not second.loaded  # no request, not even the probe
    assert first.fingerprint == second.fingerprint == tokeff.load_registry().get("claude-api").fingerprint()



def test_fingerprint_is_stable_and_separates_overridden_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = tokeff.load_registry().get("claude-api")
    monkeypatch.delenv("TOKEFF_ANTHROPIC_BASE_URL", raising=False)
    real = entry.fingerprint()
    assert real == fingerprint_of("api", {"provider": "anthropic", "model": "claude-sonnet-4-5",
                                          "count": API_COUNT_METHOD}, None)
    monkeypatch.setenv("TOKEFF_ANTHROPIC_BASE_URL", "https://api.anthropic.com/")  # the default, spelt differently
    assert entry.fingerprint() == real
    monkeypatch.setenv("TOKEFF_ANTHROPIC_BASE_URL", "http://127.0.0.1:9")  # a mock never fills the real cache
    assert entry.fingerprint() != real


def test_429_with_retry_after_is_retried(mock_api: MockApi) -> None:
    tok = fresh("gemini-api")
    tok.count(["warm up"])  # overhead measured
    mock_api.script.append((429, {"Retry-After": "0.3"}, {"error": {"code": 429, "message": "quota"}}))
    start = time.monotonic()
    assert tok.count(["会議は木曜日"]) == [tokens_of("会議は木曜日")]
    assert time.monotonic() - start >= 0.3  # waited as told
    assert mock_api.texts()[-2:] == ["会議は木曜日", "会議は木曜日"]


def test_gemini_retry_delay_and_5xx_then_success(mock_api: MockApi) -> None:
    tok = fresh("claude-api")
    mock_api.script += [
        (503, {}, {"error": {"message": "overloaded"}}),
        (429, {}, {"error": {"message": "slow down", "details": [{"retryDelay": "0.2s"}]}}),
    ]
    start = time.monotonic()
    assert tok.count(["ok"]) == [1]
    assert time.monotonic() - start >= 0.2


def test_persistent_500_fails_after_bounded_tries(mock_api: MockApi) -> None:
    mock_api.always = (500, {}, {"error": {"message": "internal error"}})
    tok = fresh("claude-api")
    with pytest.raises(ApiCountError, match=r"still failed after 5 tries \(last: HTTP 500: internal error\)"):
        tok.count(["a text"])
    assert mock_api.n == api_backend.MAX_TRIES == 5


def test_persistent_500_in_a_threaded_batch_stops_early(mock_api: MockApi) -> None:
    tok = fresh("gemini-api")
    tok.count(["warm up"])
    mock_api.always = (502, {}, "bad gateway")
    with pytest.raises(ApiCountError, match=r"after 5 tries.*HTTP 502.*of 20 texts of this batch"):
        tok.count([f"text {i}" for i in range(20)])
    assert mock_api.n <= 1 + 20 * 5


def test_a_failed_batch_keeps_what_was_counted(mock_api: MockApi) -> None:
    tok = fresh("claude-api")
    texts = [f"segment {i}" for i in range(12)]
    mock_api.fail_texts = {texts[5]}
    with pytest.raises(ApiCountError, match="boom"):
        tok.count(texts)
    mock_api.fail_texts = set()
    assert tok.count(texts) == [tokens_of(t) for t in texts]
    assert sorted(mock_api.answered) == sorted([api_backend.PROBE, *texts])  # nothing counted twice


def test_no_key_names_the_variable(mock_api: MockApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(TokenizerUnavailableError, match="set ANTHROPIC_API_KEY to count"):
        fresh("claude-api").count(["x"])
    monkeypatch.delenv("GEMINI_API_KEY")
    with pytest.raises(TokenizerUnavailableError, match="set GEMINI_API_KEY or GOOGLE_API_KEY"):
        fresh("gemini-api").count(["x"])
    assert availability(tokeff.load_registry().get("gemini-api")) == "api: needs GEMINI_API_KEY or GOOGLE_API_KEY"
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)  # the second name works too
    assert fresh("gemini-api").count(["x"]) == [1]
    assert mock_api.n == 2  # the probe and "x"; nothing was sent without a key


def test_the_key_never_appears_in_errors(mock_api: MockApi, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "sk-WRONG-key-that-must-not-leak-42"
    monkeypatch.setenv("ANTHROPIC_API_KEY", wrong)
    with pytest.raises(ApiCountError) as err:
        fresh("claude-api").count(["x"])
    text = f"{err.value} {err.value!r} {err.value.__cause__!r} {err.value.__context__!r}"
    assert "HTTP 401" in text and "check ANTHROPIC_API_KEY" in text
    assert wrong not in text and "<redacted>" in text  # the server echoed it; we did not
    monkeypatch.setenv("GEMINI_API_KEY", wrong)
    with pytest.raises(ApiCountError) as err2:
        fresh("gemini-api").count(["x"])
    assert wrong not in str(err2.value) and "HTTP 400" in str(err2.value)
    tok = fresh("claude-api")
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    tok.count(["y"])
    assert KEY not in repr(tok) and KEY not in repr(tok.backend)


def test_offline_refuses_a_remote_base_url_without_connecting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.delenv("TOKEFF_ANTHROPIC_BASE_URL", raising=False)
    monkeypatch.setenv("TOKEFF_GEMINI_BASE_URL", "https://proxy.example.com/gemini")
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    for name, where in (("claude-api", "https://api.anthropic.com"), ("gemini-api", "https://proxy.example.com")):
        with pytest.raises(NetworkDisabledError, match=f"{where}.*network use is off; pass --online") as err:
            fresh(name).count(["x"])
        assert KEY not in str(err.value)
    assert availability(tokeff.load_registry().get("claude-api")) == "api: key set, needs --online"
    # online, plain http to a remote host is refused before connecting (the key would travel in clear)
    monkeypatch.setenv("TOKEFF_ANTHROPIC_BASE_URL", "http://proxy.example.com")
    with pytest.raises(TokenizerUnavailableError, match="plain http"):
        fresh("claude-api", online=True).count(["x"])


def test_encode_and_decode_are_refused(mock_api: MockApi) -> None:
    tok = fresh("claude-api")
    with pytest.raises(CountOnlyError, match="token counts only"):
        tok.encode("hello")
    with pytest.raises(CountOnlyError, match="token counts only"):
        tok.decode([1, 2])
    assert mock_api.n == 0


def test_rate_limit_spaces_requests(mock_api: MockApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEFF_GEMINI_RATE_PER_S", "40")
    tok = fresh("gemini-api")
    start = time.monotonic()
    tok.count([f"t{i}" for i in range(10)])  # the probe + 10 requests, 4 threads
    assert mock_api.n == 11
    assert time.monotonic() - start >= 10 / 40 * 0.95
    monkeypatch.delenv("TOKEFF_ANTHROPIC_RATE_PER_S")
    monkeypatch.delenv("TOKEFF_GEMINI_RATE_PER_S")
    assert fresh("claude-api").backend.rate_per_s == 4.0  # type: ignore[attr-defined]
    assert fresh("gemini-api").backend.rate_per_s == 10.0  # type: ignore[attr-defined]
    monkeypatch.setenv("TOKEFF_GEMINI_RATE_PER_S", "fast")
    with pytest.raises(TokenizerUnavailableError, match="TOKEFF_GEMINI_RATE_PER_S"):
        fresh("gemini-api").count(["x"])


def test_measure_end_to_end(mock_api: MockApi) -> None:
    corpus = build_corpus("mini", [Column("en", EN, "en"), Column("ja", JA, "ja")],
                          doc_ids=["a", "a", "b", "b"], domains=["travel"] * 4)
    df = tokeff.measure(corpus, ["claude-api", "o200k_base"], n_resamples=50)
    row = df[(df.tokenizer == "claude-api") & (df.language == "ja")].iloc[0]
    assert row.status == "api"
    assert row.tokens == sum(tokens_of(t) for t in JA)
    assert row.premium == pytest.approx(sum(tokens_of(t) for t in JA) / sum(tokens_of(t) for t in EN))
    assert row.tokenizer_fingerprint == tokeff.load_registry().get("claude-api").fingerprint()
    sent = mock_api.n
    assert sent == 1 + len(EN) + len(JA)
    tokeff.tokenizers.tokenizer._CACHE.clear()
    again = tokeff.measure(corpus, ["claude-api"], n_resamples=50)  # same default cache dir
    assert mock_api.n == sent
    assert again[again.language == "ja"].premium.iloc[0] == row.premium


def test_compare_proxy_to_api(mock_api: MockApi) -> None:
    corpus = build_corpus("mini", [Column("en", EN, "en"), Column("ja", JA, "ja")], doc_ids=["a", "a", "b", "b"])
    proxy, api = tokeff.get_tokenizer("o200k_base"), fresh("claude-api")
    segs = count_segments([corpus], [proxy, api])
    check = compare_proxy_to_api(segs, proxy="o200k_base", api="claude-api", n_resamples=100)
    assert list(check.columns) == PROXY_CHECK_COLUMNS and len(check) == 1
    row = check.iloc[0]
    prem_p = sum(proxy.count(JA)) / sum(proxy.count(EN))
    prem_a = sum(tokens_of(t) for t in JA) / sum(tokens_of(t) for t in EN)
    assert row.language == "ja" and row.corpus == "*"
    assert row.proxy_premium == pytest.approx(prem_p) and row.api_premium == pytest.approx(prem_a)
    assert row.premium_ratio == pytest.approx(prem_p / prem_a)
    assert row.premium_ratio_low <= row.premium_ratio <= row.premium_ratio_high
    two = compare_proxy_to_api(segs[segs.tokenizer == "o200k_base"], segs[segs.tokenizer == "claude-api"],
                               per_corpus=True, n_resamples=0)
    assert two.iloc[0].corpus == "mini" and two.iloc[0].premium_ratio == pytest.approx(row.premium_ratio)
    with pytest.raises(ValueError, match="name the proxy one"):
        compare_proxy_to_api(segs)


def test_registry_validation_of_api_entries() -> None:
    base = "tokenizers:\n  - id: x-api\n    family: f\n    status: api\n    backend: api\n"
    reg = parse_registry(base + "    api: {provider: google, model: gemini-2.5-flash}\n", "r.yaml")
    spec = reg.get("x-api").api
    assert spec is not None and spec.key_env == ["GEMINI_API_KEY", "GOOGLE_API_KEY"] and spec.rate_per_s == 10
    with pytest.raises(RegistryError, match=r"r\.yaml:2: tokenizer entry 'x-api': .*backend api needs api"):
        parse_registry(base, "r.yaml")
    with pytest.raises(RegistryError, match=r"entry 'x-api': api\.provider: .*got 'openai'"):
        parse_registry(base + "    api: {provider: openai, model: m}\n", "r.yaml")
    with pytest.raises(RegistryError, match=r"entry 'x-api': api\.colour: unknown key"):
        parse_registry(base + "    api: {provider: google, model: m, colour: red}\n", "r.yaml")
    with pytest.raises(RegistryError, match=r"entry 'x-api': api\.rate_per_s"):
        parse_registry(base + "    api: {provider: google, model: m, rate_per_s: 0}\n", "r.yaml")
    with pytest.raises(RegistryError, match="backend api needs status api"):
        parse_registry(base.replace("status: api", "status: exact") + "    api: {provider: google, model: m}\n", "r.yaml")
    with pytest.raises(RegistryError, match="status api needs backend api"):
        parse_registry("tokenizers:\n  - id: y\n    family: f\n    status: api\n    backend: sentencepiece\n"
                       "    files: {model: {path: /x.model}}\n", "r.yaml")
