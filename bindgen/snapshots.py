"""The checked-in IR snapshots: ``cub_bindings/ir/cub-<version>.json``, one per CUB release
(in the ``cub_bindings`` package Python imports: a checkout's or an installed wheel's)."""

from __future__ import annotations

import os
from pathlib import Path

from bindgen import ir
from bindgen.errors import BindgenError
from bindgen.resources import ir_dir


def path_for(version: str, directory: Path | None = None) -> Path:
    return (directory or ir_dir()) / f"cub-{version}.json"


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(x) for x in path.stem.removeprefix("cub-").split("."))


def checked_in(directory: Path | None = None) -> list[Path]:
    """Snapshot files, oldest CUB release first."""
    return sorted((directory or ir_dir()).glob("cub-*.json"), key=_version_key)


def newest(directory: Path | None = None) -> Path:
    directory = directory or ir_dir()
    files = checked_in(directory)
    if not files:
        raise BindgenError(f"no IR snapshot in {directory}: run `python -m bindgen scan` first")
    return files[-1]


def load(path: str | os.PathLike) -> ir.Snapshot:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise BindgenError(f"cannot read IR snapshot {path}: {exc.strerror}") from None
    try:
        return ir.from_json(text)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BindgenError(f"{path} is not an IR snapshot ({exc}); regenerate it with `python -m bindgen scan`") from None


def write(snapshot: ir.Snapshot, path: Path | None = None) -> tuple[Path, str]:
    """Write the snapshot; returns the path and "new", "updated" or "unchanged"."""
    path = path or path_for(snapshot.cub_version)
    text = ir.to_json(snapshot)
    if path.is_file():
        if path.read_text() == text:
            return path, "unchanged"
        status = "updated"
    else:
        status = "new"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)
    return path, status
