"""Reading a team's own traffic into requests made of parts (system, user, assistant, tool, and
the response billed as output).

Formats, by extension: `.jsonl`/`.ndjson` one request per line in the OpenAI/Anthropic chat shape
(`{"messages": [{"role", "content"}...]}`, an optional top-level `system` (Anthropic), an
optional `response` (text or a message) as the output, else a last assistant turn is the output;
optional `usage` with reasoning tokens); `.txt` one prompt per line; `.csv`/`.parquet` with an
`input` column and an optional `output` column. Content may be text or a list of blocks (text,
tool_use, tool_result); tool calls' arguments count as tool parts.

Privacy: an error names the file and line (or row) and what is wrong, never the text."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokeff.corpora.textio import decode_utf8
from tokeff.errors import CorpusError, TrafficError

ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant", "tool": "tool",
         "function": "tool"}
CHAT = (".jsonl", ".ndjson")
TEXT = (".txt",)
TABLE = (".csv", ".parquet")


@dataclass(frozen=True)
class Part:
    """One piece of text of a request: its role (system, user, assistant, tool, or response for
    the output) and its text."""

    role: str
    text: str

    @property
    def output(self) -> bool:
        return self.role == "response"


@dataclass(frozen=True)
class Request:
    """One request: where it was read (`where`: file:line or file row n), its parts, the input
    messages it holds (for the providers' per-message framing), reasoning tokens from usage, and
    the content blocks with no text that were left out (images, documents)."""

    where: str
    parts: tuple[Part, ...]
    messages: int = 1
    names: int = 0
    reasoning_tokens: int = 0
    system_prefix: tuple[str, ...] = field(default=())  # the leading system texts (a cacheable prefix)
    skipped_blocks: int = 0  # images, documents: no text to count, so not in the table


def read_traffic(path: str | Path) -> list[Request]:
    """Every request of a traffic file (see the module docstring); TrafficError names file and line."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in CHAT + TEXT + TABLE:
        raise TrafficError(f"{p}: unknown traffic format; use .jsonl (chat), .txt (one prompt per line), "
                           ".csv or .parquet (input/output columns)")
    if p.is_dir():
        raise TrafficError(f"{p}: a folder, not a traffic file")
    requests = list(_table(p) if suffix in TABLE else _lines(p, suffix in CHAT))
    if not requests:
        raise TrafficError(f"{p}: no requests (the file is empty)")
    return requests


def _read_text(p: Path) -> str:
    """A UTF-8 file's text; invalid UTF-8 named by file and line (corpora.textio)."""
    try:
        return decode_utf8(p.read_bytes(), str(p))
    except CorpusError as exc:
        raise TrafficError(str(exc)) from None


def _decoded_lines(p: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of a UTF-8 file."""
    for n, line in enumerate(_read_text(p).split("\n"), 1):
        yield n, line[:-1] if line.endswith("\r") else line


def _lines(p: Path, chat: bool) -> Iterator[Request]:
    for n, line in _decoded_lines(p):
        if not line.strip():
            continue
        where = f"{p}:{n}"
        if not chat:
            yield Request(where, (Part("user", line),))
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TrafficError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        yield _chat(obj, where)


def _text(content: Any, where: str, what: str) -> list[tuple[str, str]]:
    """(kind, text) pieces of a content value: kind `text`, `tool`, or `skipped` for a block with no
    text to count (an image, a document)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [("text", content)]
    if not isinstance(content, list):
        raise TrafficError(f"{where}: {what} content is {_kind(content)}, not text or a list of blocks")
    pieces: list[tuple[str, str]] = []
    for i, block in enumerate(content, 1):
        if isinstance(block, str):
            pieces.append(("text", block))
            continue
        if not isinstance(block, dict):
            raise TrafficError(f"{where}: {what} block {i} is {_kind(block)}, not an object")
        kind = block.get("type")
        if kind == "text":
            if not isinstance(block.get("text"), str):
                raise TrafficError(f"{where}: {what} block {i} has no text")
            pieces.append(("text", block["text"]))
        elif kind == "tool_use":
            pieces.append(("tool", json.dumps(block.get("input", {}), ensure_ascii=False)))
        elif kind == "tool_result":
            pieces += [("tool", t) for _, t in _text(block.get("content"), where, f"{what} block {i}")]
        else:  # images, documents and other blocks carry no text to count
            pieces.append(("skipped", ""))
    return pieces


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), f"a {type(value).__name__}")


def _parts(pieces: list[tuple[str, str]], role: str) -> tuple[list[Part], int]:
    """Parts of `role` (tool pieces as tool parts) and the number of skipped blocks."""
    parts = [Part("tool" if k == "tool" else role, t) for k, t in pieces if k != "skipped"]
    return parts, len(pieces) - len(parts)


def _message(msg: Any, where: str, i: int) -> tuple[str, list[Part], bool, int]:
    """(role, parts, has a name, blocks skipped) of one message."""
    what = f"message {i}"
    if not isinstance(msg, dict):
        raise TrafficError(f"{where}: {what} is {_kind(msg)}, not an object with role and content")
    role = msg.get("role")
    if not isinstance(role, str):
        raise TrafficError(f"{where}: {what} role is {_kind(role)}; use one of {', '.join(ROLES)}")
    if role not in ROLES:
        raise TrafficError(f"{where}: {what} has an unknown role; use one of {', '.join(ROLES)}")
    kind = ROLES[role]
    parts, skipped = _parts(_text(msg.get("content"), where, what), kind)
    for call in msg.get("tool_calls") or []:
        fn = call.get("function", {}) if isinstance(call, dict) else {}
        args = fn.get("arguments", "") if isinstance(fn, dict) else ""
        parts.append(Part("tool", args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)))
    return kind, parts, isinstance(msg.get("name"), str), skipped


def _chat(obj: Any, where: str) -> Request:
    if not isinstance(obj, dict):
        raise TrafficError(f"{where}: a request is a JSON object with \"messages\", not {_kind(obj)}")
    messages = obj.get("messages")
    if not isinstance(messages, list) or not messages:
        raise TrafficError(f"{where}: no \"messages\" list (the chat shape is {{\"messages\": [{{\"role\", \"content\"}}]}})")
    parts: list[Part] = []
    count, names, skipped = 0, 0, 0
    if obj.get("system") is not None:  # Anthropic's top-level system prompt
        parts, skipped = _parts(_text(obj["system"], where, "system"), "system")
        count += 1
    read = [_message(m, where, i) for i, m in enumerate(messages, 1)]
    response = obj.get("response")
    parts_out: list[Part] = []
    if response is None and read[-1][0] == "assistant":
        _, last, _, dropped = read.pop()
        parts_out, skipped = [Part("response", p.text) for p in last], skipped + dropped
    elif response is not None:
        content = response.get("content") if isinstance(response, dict) else response
        parts_out, dropped = _parts(_text(content, where, "response"), "response")
        skipped += dropped
    for _, msg_parts, named, dropped in read:
        parts += msg_parts
        count += 1
        names += named
        skipped += dropped
    prefix = []
    for part in parts:
        if part.role != "system":
            break
        prefix.append(part.text)
    return Request(where, tuple(parts + parts_out), count, names, _reasoning(obj.get("usage"), where), tuple(prefix),
                   skipped)


def _reasoning(usage: Any, where: str) -> int:
    """Reasoning tokens from `usage` (OpenAI's completion_tokens_details / output_tokens_details, or
    a plain reasoning_tokens)."""
    if usage is None:
        return 0
    if not isinstance(usage, dict):
        raise TrafficError(f"{where}: usage is {_kind(usage)}, not an object")
    for holder in (usage, usage.get("completion_tokens_details"), usage.get("output_tokens_details")):
        if isinstance(holder, dict) and "reasoning_tokens" in holder:
            value = holder["reasoning_tokens"]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise TrafficError(f"{where}: usage reasoning_tokens is not a whole number of tokens")
            return value
    return 0


def _table(p: Path) -> Iterator[Request]:
    import pandas as pd

    if p.suffix.lower() == ".csv":
        text = _read_text(p)  # invalid UTF-8 named by line before pandas reads it
        try:
            df = pd.read_csv(io.StringIO(text), dtype=object, keep_default_na=False)
        except pd.errors.EmptyDataError:
            return
        except (ValueError, pd.errors.ParserError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise TrafficError(f"{p}: not a readable CSV file ({first})") from None
        header = 2  # row 1 is the header: data row i is line i + 2
    else:
        try:
            df = pd.read_parquet(p)
        except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
            raise TrafficError(f"{p}: not a readable Parquet file ({type(exc).__name__})") from None
        header = 1
    if "input" not in df.columns:
        raise TrafficError(f"{p}: no `input` column (a traffic table has input and, optionally, output)")
    has_output = "output" in df.columns
    for i in range(len(df)):
        where = f"{p}:{i + header}" if header == 2 else f"{p} row {i + 1}"
        parts = [Part("user", _cell(df["input"].iloc[i], where, "input"))]
        if has_output:
            out = _cell(df["output"].iloc[i], where, "output")
            if out:
                parts.append(Part("response", out))
        if parts[0].text or len(parts) > 1:
            yield Request(where, tuple(parts))


def _cell(value: object, where: str, column: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise TrafficError(f"{where}: {column} is invalid UTF-8") from None
    if not isinstance(value, str):
        raise TrafficError(f"{where}: {column} is {_kind(value)}, not text")
    return value
