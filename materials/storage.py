"""Where uploaded files live: one small interface, FileStore, over one directory (UPLOAD_DIR).

- A file is stored under the sha256 of its content (hex, no extension), so the same content
  uploaded twice is stored once, and no name a user gave ever becomes a path.
- A write goes to a temporary file in the same directory, is checked (its type, by content),
  then renamed into place: os.replace is atomic on one filesystem, so a reader sees either no
  file or the whole of it. The temporary file is removed whatever happens, so the directory
  holds nothing but stored files.
- Several app hosts share one directory (an NFS or SMB share mounted at the same UPLOAD_DIR):
  names are content hashes, so two hosts writing the same content write the same bytes under
  the same name, and the rename needs no lock.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from flask import current_app

CHUNK = 1024 * 1024
TEMP_PREFIX = ".upload-"
T = TypeVar("T")


@dataclass
class Stored:
    content_hash: str
    size: int


class FileStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, content_hash: str) -> Path:
        if len(content_hash) != 64 or any(c not in "0123456789abcdef" for c in content_hash):
            raise ValueError("not a content hash")
        return self.root / content_hash

    def put(self, stream: IO[bytes], check: Callable[[Path], T]) -> tuple[Stored, T]:
        """Store the stream's bytes; `check(temporary path)` runs before the file is kept (it
        raises to refuse it) and its answer is given back with the hash and size."""
        self.root.mkdir(parents=True, exist_ok=True)
        temp = self.root / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        digest, size = hashlib.sha256(), 0
        try:
            with open(temp, "xb") as out:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            found = check(temp)
            content_hash = digest.hexdigest()
            os.replace(temp, self.path(content_hash))  # the same content: the same bytes
        finally:
            temp.unlink(missing_ok=True)
        return Stored(content_hash, size), found

    def exists(self, content_hash: str) -> bool:
        return self.path(content_hash).is_file()

    def delete(self, content_hash: str) -> None:
        self.path(content_hash).unlink(missing_ok=True)


def store() -> FileStore:
    return FileStore(upload_dir())


def upload_dir() -> Path:
    configured: Any = current_app.config.get("UPLOAD_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"
