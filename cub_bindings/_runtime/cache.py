"""A content-addressed on-disk cache for compiled shims.

Each entry is one file named by the SHA-256 of its key. The file holds a small header
(magic, payload length, payload SHA-256) before the payload, so a truncated or corrupted
entry is detected on read, removed, and rebuilt by the caller. Writes go to a temporary
file in the same folder and are moved into place with ``os.replace``, which is atomic:
concurrent processes may both compile a missing entry, but a reader never sees half a file.
A writer killed mid-write leaves only its temporary file, removed by a later write to that
folder once it is an hour old.

Location: ``$CUB_COOP_CACHE_DIR/shims`` (default ``~/.cache/cub-coop/shims``).
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
import time
from pathlib import Path

_MAGIC = b"CUBCOOP1"
_HEADER = struct.Struct("<8sQ32s")  # magic, payload length, payload sha256
STALE_SECONDS = 3600  # a temporary file older than this is a killed writer's


def default_dir() -> Path:
    root = os.environ.get("CUB_COOP_CACHE_DIR")
    return (Path(root) if root else Path.home() / ".cache" / "cub-coop") / "shims"


def key_digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


class DiskCache:
    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory is not None else default_dir()
        self.hits = self.misses = self.corrupt = 0

    def path(self, digest: str) -> Path:
        return self.directory / digest[:2] / f"{digest}.bin"

    def get(self, digest: str) -> bytes | None:
        path = self.path(digest)
        try:
            blob = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        payload = _unpack(blob)
        if payload is None:
            self.corrupt += 1
            self.misses += 1
            try:
                path.unlink()
            except OSError:
                pass
            return None
        self.hits += 1
        return payload

    def put(self, digest: str, payload: bytes) -> Path:
        path = self.path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = _HEADER.pack(_MAGIC, len(payload), hashlib.sha256(payload).digest())
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(header + payload)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        _remove_stale(path.parent)
        return path


def _remove_stale(folder: Path) -> None:
    """Remove temporary files of writers killed before ``os.replace`` (SIGKILL, power loss):
    they are never entries, but would pile up. A live writer's file is seconds old."""
    cutoff = time.time() - STALE_SECONDS
    for tmp in folder.glob(".tmp-*"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        except OSError:  # another process removed it first
            pass


def _unpack(blob: bytes) -> bytes | None:
    if len(blob) < _HEADER.size:
        return None
    magic, length, digest = _HEADER.unpack_from(blob)
    payload = blob[_HEADER.size :]
    if magic != _MAGIC or length != len(payload) or hashlib.sha256(payload).digest() != digest:
        return None
    return payload
