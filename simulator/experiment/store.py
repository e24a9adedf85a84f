"""Writing results: atomic files, output-folder checks, ownership marker and lock.

Every folder this program writes (a run, compare or sweep folder) holds a marker,
``.axis-sim.json``, with its kind, whether it is complete, and the list of files the
program wrote there (sub-folders it owns under ``dirs``).  ``--force`` removes exactly
those files and nothing else, and refuses a non-empty folder without a marker.  A lock
(``.axis-sim.lock``, ``flock``) keeps a second writer out while one is at work.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import re
import socket
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy, pandas and yaml load on first use: `run.py --help` stays fast
    import pandas as pd


class OutputExists(Exception):
    """The output folder cannot be used (not empty without --force, not ours, locked): exit 2."""


class FolderIncomplete(Exception):
    """A folder whose writer did not finish (killed, interrupted): not to be read as results."""


MARKER = ".axis-sim.json"
LOCK = ".axis-sim.lock"
PROGRAM = "axis-sim"
#: Files that a sub-folder without its own marker (a sweep's ``tasks/``) may hold.
_OWNED_IN_DIRS = re.compile(r"^(p\d+-b\d+(\.parquet|\.failed\.json)|\..+\.tmp|.+\.bad-\d+|checksums\.sha256)$")
_TEMP = re.compile(r"^\..+\.tmp$")
_HELD: dict[str, int] = {}            # folder (real path) -> fd of its held lock


def read_marker(out: Path) -> dict | None:
    """The folder's marker, or None when there is none (or it is not ours)."""
    try:
        data = json.loads((Path(out) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("program") == PROGRAM else None


def _write_marker(out: Path, data: dict) -> None:
    path = Path(out) / MARKER
    tmp = new_temp(path)
    try:
        Path(tmp).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def claim(out: Path, kind: str, dirs: tuple[str, ...] = ()) -> None:
    """Mark ``out`` as a folder of this program, of ``kind``, not yet complete."""
    out = Path(out)
    _write_marker(out, {"program": PROGRAM, "kind": kind, "complete": False, "files": [],
                        "dirs": sorted(dirs)})
    parent = read_marker(out.parent)
    if parent is not None and out.name not in parent.get("dirs", []):
        parent["dirs"] = sorted([*parent.get("dirs", []), out.name])
        _write_marker(out.parent, parent)


def track(path: Path) -> None:
    """Record ``path`` in the marker of its folder (if the folder has one)."""
    path = Path(path)
    if path.name in (MARKER, LOCK):
        return
    marker = read_marker(path.parent)
    if marker is not None and path.name not in marker["files"]:
        marker["files"] = sorted([*marker["files"], path.name])
        _write_marker(path.parent, marker)


def mark_complete(out: Path, complete: bool = True) -> None:
    marker = read_marker(out)
    if marker is not None and marker.get("complete") != complete:
        marker["complete"] = complete
        _write_marker(out, marker)


def check_complete(out: Path, hint: str = "run it again with --force") -> None:
    """Refuse a folder whose marker says its writer did not finish."""
    marker = read_marker(out)
    if marker is not None and not marker.get("complete"):
        raise FolderIncomplete(f"{out} is incomplete: the {marker.get('kind', 'command')} that wrote it did "
                               f"not finish (interrupted or killed); {hint}")


def _safe_name(name) -> bool:
    return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\0" not in name


def clear_owned(out: Path) -> list[Path]:
    """Remove the files this program wrote in ``out`` (as its marker lists them), the
    temporary files it may have left, and the marker; other files stay.  Returns what
    was removed."""
    out = Path(out)
    marker = read_marker(out)
    if marker is None:
        return []
    removed = []
    for name in marker.get("files", []):
        path = out / name
        if _safe_name(name) and (path.is_symlink() or path.is_file()):
            path.unlink()
            removed.append(path)
    for name in marker.get("dirs", []):
        sub = out / name
        if not _safe_name(name) or sub.is_symlink() or not sub.is_dir():
            continue
        if read_marker(sub) is not None:
            removed += clear_owned(sub)
        else:
            for f in sub.iterdir():
                if _OWNED_IN_DIRS.match(f.name) and (f.is_file() or f.is_symlink()):
                    f.unlink()
                    removed.append(f)
        (sub / LOCK).unlink(missing_ok=True)
        try:
            sub.rmdir()
        except OSError:
            pass                       # it holds files that are not ours: they stay
    for f in out.iterdir():
        if _TEMP.match(f.name) and f.is_file():
            f.unlink()
            removed.append(f)
    (out / MARKER).unlink(missing_ok=True)
    return removed


def _lock_info() -> str:
    import sys
    from datetime import datetime, timezone
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                       "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else ""})


def lock_folder(out: Path) -> None:
    """Take the folder's writer lock (held until ``unlock_folder`` or the process ends).

    A second writer gets OutputExists naming the holder (pid, host, since, command)."""
    out = Path(out)
    key = os.path.realpath(out)
    if key in _HELD:
        return
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        try:
            holder = json.loads(os.pread(fd, 65536, 0).decode("utf-8", "replace") or "{}")
        except ValueError:
            holder = {}
        os.close(fd)
        who = (f"pid {holder.get('pid', '?')} on {holder.get('host', '?')} since {holder.get('since', '?')}"
               f" ({holder.get('command', '')})")
        raise OutputExists(f"{out} is in use by another axis-sim process: {who}; wait for it to finish or "
                           f"choose another --out") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, _lock_info().encode(), 0)
    _HELD[key] = fd


def unlock_folder(out: Path) -> None:
    fd = _HELD.pop(os.path.realpath(out), None)
    if fd is not None:
        os.close(fd)


def release_all() -> None:
    """Let go of every lock this process holds (the end of a command)."""
    for key in list(_HELD):
        os.close(_HELD.pop(key))


def _entries(out: Path) -> list[str]:
    return [p.name for p in out.iterdir() if p.name not in (LOCK,)]


def make_dir(out: Path) -> Path:
    """Create an output folder, or raise OutputExists with the reason (bad input, exit 2)."""
    if str(out) == "":
        raise OutputExists("--out is empty")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputExists(f"--out {out}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(out, os.W_OK):
        raise OutputExists(f"--out {out}: the folder is not writable")
    return out


def prepare_dir(path: str | Path, force: bool, kind: str = "run", dirs: tuple[str, ...] = (),
                exists_hint: str | None = None) -> Path:
    """Make ``path`` ready for a new result of ``kind``: create it, lock it, and with
    ``force`` remove what this program wrote there before; then mark it as ours.

    Refused (OutputExists, exit 2): a non-empty folder without ``force``; with ``force``, a
    non-empty folder this program did not write (no marker) or one of another kind."""
    out = Path(path)
    if out.is_symlink() and not out.is_dir():
        raise OutputExists(f"{out} exists and is not a folder")
    if out.exists() and not out.is_dir():
        raise OutputExists(f"{out} exists and is not a folder")
    if out.exists():
        check_reusable(out, force, kind, exists_hint)
    make_dir(out)
    lock_folder(out)
    if _entries(out):
        check_reusable(out, force, kind, exists_hint)     # again, now that we hold the lock
        clear_owned(out)
    claim(out, kind, dirs)
    return out


def check_reusable(out: Path, force: bool, kind: str, exists_hint: str | None = None) -> None:
    if not _entries(out):
        return
    if not force:
        raise OutputExists(exists_hint or f"{out} is not empty; use --force to overwrite or choose another --out")
    marker = read_marker(out)
    if marker is None:
        raise OutputExists(f"{out} is not empty and was not written by axis-sim (no {MARKER}); --force "
                           f"removes only this program's files, so nothing was removed; choose another --out")
    if marker.get("kind") != kind:
        raise OutputExists(f"{out} holds a {marker.get('kind')} folder, not a {kind} folder; --force does not "
                           f"replace one kind by another; choose another --out")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def new_temp(path: Path) -> str:
    """A temporary file beside ``path`` with the usual permissions (mkstemp makes it 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    return tmp


def _atomic(path: Path, write) -> None:
    tmp = new_temp(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    track(path)


def _clean(obj):
    import numpy as np
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return None if not math.isfinite(f) else f
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def write_text(path: Path, text: str) -> None:
    """Write atomically: a reader never sees half a file."""
    _atomic(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_json(path: Path, data) -> None:
    write_text(path, json.dumps(_clean(data), indent=2, sort_keys=False) + "\n")


def write_yaml(path: Path, data) -> None:
    import yaml
    write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    _atomic(Path(path), lambda tmp: frame.to_parquet(tmp, index=False))


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """A CSV for spreadsheets: no index column, full float precision."""
    _atomic(Path(path), lambda tmp: frame.to_csv(tmp, index=False))


def read_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))
