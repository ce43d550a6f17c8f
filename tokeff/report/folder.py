"""The report's folder on disk: which folders a report may replace, the temporary folders a
killed build leaves, the atomic swap into place, and every file's sha256 for the manifest."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

from tokeff.errors import UsageError

MANIFEST = "manifest.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file in a report folder but the manifest, by name."""
    return {p.name: sha256(p) for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST}


def is_report(folder: Path) -> bool:
    """Whether `folder` holds a report tokeff wrote (a manifest.json naming a tokeff version)."""
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and "tokeff_version" in doc


def check_target(out: Path, force: bool) -> None:
    """Refuse a target whose replacement would lose something tokeff did not write."""
    target = out.resolve()
    here = Path.cwd().resolve()
    if target == here or target in here.parents:
        raise UsageError(f"--out {out}: that is the current folder (or one above it), which tokeff will not replace; "
                         "name a folder for the report, e.g. reports/latest")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UsageError(f"--out {out}: exists and is not a folder; tokeff will not replace it. Name a new folder.")
    if out.is_dir() and any(out.iterdir()) and not is_report(out) and not force:
        raise UsageError(f"--out {out}: a folder that is not a tokeff report (no manifest.json of tokeff's); a report "
                         "replaces its folder as a whole, so what is there would be deleted. Name an empty or new "
                         "folder, or pass --force to replace it.")


_TMP = "tokeff-tmp"  # .NAME.tokeff-tmp-PID-xxxx: a report being written; .NAME.tokeff-old-PID: the one it replaces


def temp_prefix(out: Path) -> str:
    """The name prefix of the temporary folder a build writes `out` into (see remove_stale)."""
    return f".{out.name}.{_TMP}-{os.getpid()}-"


def remove_stale(out: Path) -> list[Path]:
    """Remove the temporary folders that a killed `tokeff report` left beside `out` (their
    process is gone); a running build's folders are left alone."""
    removed = []
    for p in out.resolve().parent.glob(f".{out.name}.tokeff-*"):
        m = re.fullmatch(rf"\.{re.escape(out.name)}\.tokeff-(?:tmp|old)-(\d+)(?:-\w+)?", p.name)
        if m and p.is_dir() and not p.is_symlink() and not _alive(int(m.group(1))):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def swap_into_place(tmp: Path, out: Path) -> None:
    """Rename the finished directory over `out`; an older report is removed only afterwards."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.tokeff-old-{os.getpid()}")
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
