"""Closed tokenizers counted through their providers' count-tokens endpoints (registry status
`api`): Anthropic's `POST /v1/messages/count_tokens` and Gemini's `POST
/v1beta/models/{model}:countTokens`. The APIs return counts only, so `encode`/`decode` raise
`CountOnlyError`.

Overhead. Anthropic counts a whole request: the text plus a fixed framing of the user message
(role markers and the like), so `input_tokens` of a one-word text is several tokens more than
the word. Since the premium is a ratio of sums, an uncorrected constant inflates every short
segment and pulls every premium toward 1. Once per backend (per model and process, and only when
something is not already cached) we count a one-letter probe, "a", which is a single token in
every byte-level BPE and SentencePiece vocabulary, and take `overhead = count("a") - 1`. Every
text's count is then `count(text) - overhead`. The same is done for Gemini (whose countTokens
is expected to have no framing, so its overhead measures 0; if it ever adds one, it is removed
the same way). Boundary effects between the framing and the text's first token are the same for
the probe and for real text (both begin with a letter after the same framing), so they cancel. A
count that is not above the overhead for a non-empty text is an error, not a guess. The method
is part of the tokenizer's fingerprint (`registry.API_COUNT_METHOD`), so cached counts are only
reused under the same method.

Network. A base URL on 127.0.0.1 / localhost (tests, local mocks) is always allowed; any other
needs `--online` / TOKEFF_ONLINE=1, checked before any connection. The base URL is overridable
with TOKEFF_ANTHROPIC_BASE_URL / TOKEFF_GEMINI_BASE_URL (tests, proxies); keys are sent only over
https, except to loopback.

Keys. Read from the environment (`api.key_env`: ANTHROPIC_API_KEY; GEMINI_API_KEY, then
GOOGLE_API_KEY) when a request is made; never stored on disk, never logged, sent as a header
(never in a URL), and scrubbed from any text an error carries.

Rate and retries. Requests start at most `rate_per_s` per second (registry; override with
TOKEFF_ANTHROPIC_RATE_PER_S / TOKEFF_GEMINI_RATE_PER_S), from at most `threads` (<= 8) threads.
HTTP 429 and 5xx and connection failures are retried with exponential backoff (Retry-After, or
Gemini's retryDelay, when given; a 429 pauses every thread), at most MAX_TRIES tries per text,
then a clear error. Other HTTP errors (400, 401, 403, 404) fail at once."""

from __future__ import annotations

import functools
import json
import os
import random
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from tokeff._util.settings import redact
from tokeff.errors import ApiCountError, CountOnlyError, NetworkDisabledError, TokenizerUnavailableError
from tokeff.tokenizers.backends.http import (
    RateLimiter,
    Retryable,
    gemini_retry_delay,
    is_loopback,
    key_from_env,
    retry_after,
)
from tokeff.tokenizers.entries import API_BASE_URLS, TokenizerEntry, api_base_url

# Module-level so tests (and impatient users) can shorten them; read at call time.
MAX_TRIES = 5
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 20.0
RETRY_AFTER_MAX_S = 60.0
TIMEOUT_S = 30.0
PROBE = "a"  # one token in every byte-level vocabulary: count(PROBE) - 1 is the framing overhead

ANTHROPIC_VERSION = "2023-06-01"


@dataclass(frozen=True)
class Provider:
    key: str  # registry name
    name: str  # as in messages
    rate_env: str  # overrides the registry's rate_per_s

    @property
    def base_env(self) -> str:
        return API_BASE_URLS[self.key][1]


PROVIDERS = {
    "anthropic": Provider("anthropic", "Anthropic", "TOKEFF_ANTHROPIC_RATE_PER_S"),
    "google": Provider("google", "Gemini", "TOKEFF_GEMINI_RATE_PER_S"),
}


def describe_availability(entry: TokenizerEntry) -> str:
    """For `tokeff tokenizers`: what this api entry needs here (never the key itself)."""
    assert entry.api is not None
    names = " or ".join(entry.api.key_env)
    try:
        key = key_from_env(entry.api.key_env)
    except ApiCountError:
        return f"api: {names} is malformed"
    if key is None:
        return f"api: needs {names}"
    base = api_base_url(entry.api.provider)
    return "api: key set, local base URL" if is_loopback(base) else "api: key set, needs --online"


class ApiBackend:
    """Counts through one provider's count-tokens endpoint for one model (see module doc)."""

    def __init__(self, entry_id: str, provider: str, model: str, key_env: Sequence[str], *,
                 rate_per_s: float, threads: int = 4, online: bool = False, base_url: str | None = None,
                 timeout: float | None = None) -> None:
        if provider not in PROVIDERS:
            raise TokenizerUnavailableError(f"{entry_id}: unknown count API provider {provider!r}")
        self.id = entry_id
        self.provider = provider
        self.model = model
        self.key_env = list(key_env)
        prov = PROVIDERS[provider]
        self.label = f"{prov.name} count API"
        self.base_url = (base_url or api_base_url(provider)).rstrip("/")
        scheme = urllib.parse.urlsplit(self.base_url).scheme
        if scheme not in ("http", "https"):
            raise TokenizerUnavailableError(f"{entry_id}: base URL {self.base_url!r} is not http(s) ({prov.base_env})")
        local = is_loopback(self.base_url)
        if not local and not online:
            raise NetworkDisabledError(
                f"{entry_id}: counts through the {self.label} at {self.base_url}, and network use is "
                "off; pass --online (or set TOKEFF_ONLINE=1) to send the texts to the provider"
            )
        if not local and scheme != "https":
            raise TokenizerUnavailableError(
                f"{entry_id}: refusing to send an API key over plain http to {self.base_url} ({prov.base_env})"
            )
        if key_from_env(self.key_env) is None:
            raise TokenizerUnavailableError(
                f"{entry_id}: set {' or '.join(self.key_env)} to count with the {self.label} "
                "(keys are read from the environment only)"
            )
        env_rate = os.environ.get(prov.rate_env)
        if env_rate:
            try:
                rate_per_s = float(env_rate)
            except ValueError:
                rate_per_s = -1.0
            if not 0 < rate_per_s <= 1000:
                raise TokenizerUnavailableError(f"{prov.rate_env}={env_rate!r}: expected requests per second > 0")
        self.rate_per_s = rate_per_s
        self.threads = max(1, min(int(threads), 8))
        self.timeout = timeout
        self._limiter = RateLimiter(rate_per_s)
        self._overhead: int | None = None
        self._overhead_lock = threading.Lock()
        self._memo: dict[str, int] = {}  # text -> tokens
        self._raw: dict[str, int] = {}  # text -> the API's count, kept even when its batch fails
        # no proxy for loopback (a system proxy must not see local test traffic); system proxies otherwise
        handlers = [urllib.request.ProxyHandler({})] if local else []
        self._opener = urllib.request.build_opener(*handlers)

    @classmethod
    def from_entry(cls, entry: TokenizerEntry, *, online: bool) -> ApiBackend:
        assert entry.api is not None
        a = entry.api
        return cls(entry.id, a.provider, a.model, a.key_env, rate_per_s=a.rate_per_s, threads=a.threads,
                   online=online)

    def __repr__(self) -> str:  # never the key
        return f"ApiBackend({self.id!r}, provider={self.provider!r}, model={self.model!r}, base_url={self.base_url!r})"

    # -- the Backend protocol ---------------------------------------------------------------

    def count(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text: the API's count minus the framing overhead (module doc). Each
        distinct text is sent once per process; the empty text is 0 without a request."""
        todo = [t for t in dict.fromkeys(texts) if t and t not in self._memo]
        if todo:
            overhead = self.overhead
            raws = self._count_raw([t for t in todo if t not in self._raw])
            self._raw.update(raws)
            for text in todo:
                raw = self._raw[text]
                n = raw - overhead
                if n < 1:
                    raise ApiCountError(
                        f"{self.id}: the {self.label} counted {raw} tokens for a {len(text)}-character text, "
                        f"not more than the {overhead}-token message overhead measured with a one-letter probe; "
                        "the API's framing seems to depend on the text, so no count is guessed"
                    )
                self._memo[text] = n
        return [self._memo[t] if t else 0 for t in texts]

    def encode(self, text: str) -> list[int]:
        raise CountOnlyError(f"{self.id}: the {self.label} gives token counts only; it cannot encode text "
                             "(use count, or a local tokenizer for token ids)")

    def decode(self, ids: Sequence[int]) -> str:
        raise CountOnlyError(f"{self.id}: the {self.label} gives token counts only; it cannot decode token ids")

    # -- overhead ------------------------------------------------------------------------------

    @property
    def overhead(self) -> int:
        """Tokens the API adds around any text: count(PROBE) - 1, measured once."""
        if self._overhead is None:
            with self._overhead_lock:
                if self._overhead is None:
                    raw = self._count_raw([PROBE])[PROBE]
                    if raw < 1:
                        raise ApiCountError(f"{self.id}: the {self.label} counted {raw} tokens for the "
                                            f"one-letter probe {PROBE!r}; expected at least 1")
                    self._overhead = raw - 1
        return self._overhead

    # -- requests ------------------------------------------------------------------------------

    def _count_raw(self, texts: Sequence[str]) -> dict[str, int]:
        """The API's own counts of `texts`, a few threads at a time, rate-limited and retried.
        If one text fails, the others stop; those already counted are kept in `self._raw`, so
        a retry in the same process sends only the rest."""
        stop = threading.Event()
        if self.threads == 1 or len(texts) == 1:
            out = {}
            for t in texts:
                out[t] = self._raw[t] = self._count_one(t, stop)
            return out
        with ThreadPoolExecutor(max_workers=min(self.threads, len(texts)),
                                thread_name_prefix=f"tokeff-{self.provider}") as pool:
            futures: list[Future[int]] = [pool.submit(self._count_one, t, stop) for t in texts]
            for t, f in zip(texts, futures, strict=True):
                f.add_done_callback(functools.partial(self._keep, t))
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = next((f for f in futures if f in done and f.exception() is not None), None)
            if failed is not None:
                stop.set()  # the others stop at their next wait; queued ones never start
                for f in futures:
                    f.cancel()
                exc = failed.exception()
                assert exc is not None
                counted = sum(1 for f in futures if f.done() and not f.cancelled() and f.exception() is None)
                raise ApiCountError(f"{exc} ({counted} of {len(texts)} texts of this batch were counted "
                                    "before it; they are kept for a retry in this process, but only a "
                                    "complete batch goes to the on-disk cache)") from None
            return {t: f.result() for t, f in zip(texts, futures, strict=True)}

    def _keep(self, text: str, future: Future[int]) -> None:
        if not future.cancelled() and future.exception() is None:
            self._raw[text] = future.result()

    def _request(self, text: str) -> tuple[str, dict[str, Any], dict[str, str]]:
        key = key_from_env(self.key_env)
        if key is None:  # unset since the backend was made
            raise TokenizerUnavailableError(f"{self.id}: set {' or '.join(self.key_env)} to count with the {self.label}")
        headers = {"content-type": "application/json"}
        if self.provider == "anthropic":
            url = f"{self.base_url}/v1/messages/count_tokens"
            body: dict[str, Any] = {"model": self.model, "messages": [{"role": "user", "content": text}]}
            headers |= {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}
        else:
            model = urllib.parse.quote(self.model, safe="-._")
            url = f"{self.base_url}/v1beta/models/{model}:countTokens"
            body = {"contents": [{"parts": [{"text": text}]}]}
            headers["x-goog-api-key"] = key
        return url, body, headers

    def _parse(self, payload: Any) -> int:
        field = "input_tokens" if self.provider == "anthropic" else "totalTokens"
        value = payload.get(field) if isinstance(payload, dict) else None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ApiCountError(f"{self.id}: the {self.label} answered without a count ({field}): "
                                f"{self._scrub(json.dumps(payload)[:200])}")
        return value

    def _count_one(self, text: str, stop: threading.Event) -> int:
        last = ""
        tries = MAX_TRIES
        for attempt in range(1, tries + 1):
            if stop.is_set():
                raise ApiCountError(f"{self.id}: stopped (another request of the batch failed)")
            self._limiter.wait(stop)
            if stop.is_set():
                raise ApiCountError(f"{self.id}: stopped (another request of the batch failed)")
            try:
                return self._post_once(text)
            except Retryable as exc:
                last = exc.what
                if attempt == tries:
                    break
                backoff = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
                delay = min(RETRY_AFTER_MAX_S, exc.wait_s) if exc.wait_s is not None else backoff
                if exc.throttled:
                    self._limiter.pause(delay)
                stop.wait(delay)
        raise ApiCountError(f"{self.id}: the {self.label} at {self.base_url} still failed after {tries} tries "
                            f"(last: {last}); try again later or lower the rate "
                            f"({PROVIDERS[self.provider].rate_env})")

    def _post_once(self, text: str) -> int:
        url, body, headers = self._request(text)
        req = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST")
        try:
            with self._opener.open(req, timeout=self.timeout or TIMEOUT_S) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            detail, delay_hint = self._error_detail(exc)
            what = f"HTTP {status}{': ' + detail if detail else ''}"
            if status == 429 or status >= 500:
                wait_s = retry_after(exc.headers.get("Retry-After") if exc.headers is not None else None)
                raise Retryable(what, delay_hint if wait_s is None else wait_s, throttled=status == 429) from None
            hint = ""
            if status in (401, 403):
                hint = f" (check {' or '.join(self.key_env)})"
            elif status == 404:
                hint = f" (is {self.model!r} a model of this provider?)"
            raise ApiCountError(f"{self.id}: the {self.label} refused the request: {what}{hint}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise Retryable(f"cannot reach {self.base_url}: {self._scrub(str(reason))}", None, throttled=False) from None
        try:
            payload = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiCountError(f"{self.id}: the {self.label} answered with something that is not JSON: "
                                f"{self._scrub(raw[:200].decode('utf-8', 'replace'))!r}") from None
        return self._parse(payload)

    def _error_detail(self, exc: urllib.error.HTTPError) -> tuple[str, float | None]:
        """The error's message (scrubbed, shortened) and Gemini's retryDelay if it gives one."""
        try:
            raw = exc.read()[:2000]
        except Exception:  # a body we cannot read only loses detail
            return "", None
        text = raw.decode("utf-8", "replace")
        delay = None
        try:
            payload = json.loads(text)
        except json.JSONDecodeError:
            payload = None
        err = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(err, dict):
            if err.get("message"):
                text = str(err["message"])
            delay = gemini_retry_delay(err)
        return self._scrub(" ".join(text.split())[:300]), delay

    def _scrub(self, text: str) -> str:
        """`text` without the API key (nor any key-like value the environment holds for it)."""
        for name in self.key_env:
            value = os.environ.get(name, "").strip()
            if value:
                text = text.replace(value, "<redacted>")
        return redact(text)
