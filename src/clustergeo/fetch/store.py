"""Where downloads go: ``data/raw/<project>/``, with resumable pages and a provenance record.

A download of many pages (Nomis serves 25,000 rows per call; ArcGIS a few thousand features)
keeps each finished page under ``data/raw/<project>/.partial/<name>/`` as it arrives. A
download that is killed resumes from the pages it has, as long as the query is the same (its
digest is checked). Only when every page is in is the output written, atomically, and the
pages removed. ``provenance.json`` beside the outputs records, for every file, the exact URLs,
when they were fetched, the row count, the bytes and the SHA-256; a file whose provenance
matches its query is never downloaded again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clustergeo.io import atomic_path, file_sha256, write_json

__all__ = ["DownloadStore", "query_digest"]

PROVENANCE_FILE = "provenance.json"


def query_digest(parts: Sequence[object]) -> str:
    """A digest of everything that defines a download (URLs without secrets, settings)."""
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class DownloadStore:
    """The raw-data folder of one project."""

    root: Path

    @property
    def provenance_path(self) -> Path:
        """The project's provenance record."""
        return self.root / PROVENANCE_FILE

    def provenance(self) -> dict[str, Any]:
        """Every file's provenance entry, by file name."""
        if not self.provenance_path.exists():
            return {}
        try:
            data: dict[str, Any] = json.loads(self.provenance_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            return {}
        files = data.get("files") if isinstance(data, dict) else None
        return dict(files) if isinstance(files, dict) else {}

    def cached(self, name: str, digest: str) -> Path | None:
        """The file, when it exists, was made by this query and is unchanged since."""
        path = self.root / name
        entry = self.provenance().get(name)
        if not path.exists() or not entry or entry.get("query_digest") != digest:
            return None
        return path if entry.get("sha256") == file_sha256(path) else None

    def pages_dir(self, name: str, digest: str) -> Path:
        """The folder of a download's finished pages; cleared when the query changed."""
        folder = self.root / ".partial" / name
        marker = folder / "query_digest"
        if folder.exists() and (not marker.exists() or marker.read_text().strip() != digest):
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        marker.write_text(digest)
        return folder

    @staticmethod
    def page_path(folder: Path, index: int, suffix: str) -> Path:
        """Where page ``index`` of a download is kept."""
        return folder / f"page-{index:05d}{suffix}"

    @staticmethod
    def save_page(path: Path, body: bytes) -> None:
        """Keep a finished page (atomically, so a kill never leaves half a page)."""
        with atomic_path(path) as tmp:
            tmp.write_bytes(body)

    def finish(
        self,
        name: str,
        *,
        digest: str,
        source: str,
        urls: list[str],
        rows: int,
        extra: dict[str, Any] | None = None,
    ) -> Path:
        """Record a finished file's provenance and remove its pages."""
        path = self.root / name
        files = self.provenance()
        files[name] = {
            "source": source,
            "urls": urls,
            "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "rows": rows,
            "bytes": path.stat().st_size,
            "sha256": file_sha256(path),
            "query_digest": digest,
            **(extra or {}),
        }
        write_json({"files": dict(sorted(files.items()))}, self.provenance_path)
        shutil.rmtree(self.root / ".partial" / name, ignore_errors=True)
        partial_root = self.root / ".partial"
        if partial_root.exists() and not any(partial_root.iterdir()):
            partial_root.rmdir()
        return path
