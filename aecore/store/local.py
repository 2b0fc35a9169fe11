"""Blobs as files in one folder: ``<id>.safetensors``, written atomically and durably.

A write goes to ``.<id>.<random>.tmp`` (created exclusively), is fsynced, renamed over the final
name, and the folder is fsynced so the rename itself survives a power cut. A crash at any point
leaves either nothing under the final name or the whole file; temporaries are swept at start-up.
A shared volume (NFS, a mounted bucket with POSIX rename) is this same class on another path.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Iterable

from .base import BlobStore, CorruptModel, check_id, is_valid_id

SUFFIX = ".safetensors"
TMP_SUFFIX = ".tmp"


class LocalBlobStore(BlobStore):
    """Files under ``root`` (created on first use, mode 0700: the weights are the owners')."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path(self, key: str) -> Path:
        """The file of ``key``; the key is checked first, so no path is built from user input."""
        return self.root / f"{check_id(key, 'model id')}{SUFFIX}"

    # the write's steps are methods so a test can crash between them
    def _write_temp(self, key: str, data: bytes) -> Path:
        tmp = self.root / f".{key}.{secrets.token_hex(4)}{TMP_SUFFIX}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        return tmp

    def _rename(self, tmp: Path, final: Path) -> None:
        os.replace(tmp, final)

    def _sync_dir(self) -> None:
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def put(self, key: str, data: bytes) -> None:
        final = self.path(key)
        tmp = self._write_temp(key, data)
        try:
            self._rename(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._sync_dir()

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError as exc:
            raise CorruptModel("the model's file is missing on the server") from exc
        except OSError as exc:
            raise CorruptModel(f"the model's file cannot be read ({exc.strerror})") from exc

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def keys(self) -> Iterable[tuple[str, float]]:
        for p in self.root.glob(f"*{SUFFIX}"):
            key = p.name[:-len(SUFFIX)]
            if is_valid_id(key):
                try:
                    yield key, p.stat().st_mtime
                except FileNotFoundError:  # deleted meanwhile
                    continue

    def sweep_temporaries(self, older_than_s: float = 0.0) -> int:
        """Remove ``.*.tmp`` files older than ``older_than_s`` (a live write elsewhere is young)."""
        import time
        n, now = 0, time.time()
        for p in self.root.glob(f".*{TMP_SUFFIX}"):
            try:
                if now - p.stat().st_mtime >= older_than_s:
                    p.unlink()
                    n += 1
            except FileNotFoundError:
                continue
        return n
