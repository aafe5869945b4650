"""A dump file: the store's tables in portable form as JSON Lines. IO: the file.

The first line says what the file is and how many rows each table holds; then one line per row,
``{"t": "items", "r": {...}}``, tables in ``portable.TABLES`` order (parents first). Either store
writes it (`watchbot store backup`) and `watchbot store copy --from FILE` loads it into either.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from bot.errors import StoreError
from bot.store.portable import DUMP_FORMAT, DUMP_VERSION, Row, table


class DumpWriter:
    """Writes a dump to ``path`` through a temporary file, renamed into place when complete."""

    def __init__(self, path: Path, counts: dict[str, int]) -> None:
        self.path = path
        self._tmp = path.with_name(path.name + ".part")
        self._file: IO[str] = self._tmp.open("w", encoding="utf-8")
        self._write({"format": DUMP_FORMAT, "version": DUMP_VERSION, "counts": counts})

    def rows(self, name: str, rows: Sequence[Row]) -> None:
        for r in rows:
            self._write({"t": name, "r": r})

    def close(self) -> None:
        self._file.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        """Drop the unfinished file (closing it may fail as the writes did: a full disk)."""
        with contextlib.suppress(OSError):
            self._file.close()
        self._tmp.unlink(missing_ok=True)

    def _write(self, value: dict[str, Any]) -> None:
        self._file.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n")


class DumpArchive:
    """A dump file read as a source of `store copy` (the reading half of ``ArchiveStore``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        try:
            with path.open(encoding="utf-8") as f:
                head = json.loads(f.readline() or "{}")
        except OSError as e:
            raise StoreError(f"{path}: cannot read it: {e.strerror or e}") from e
        except ValueError:  # UnicodeDecodeError too
            head = None
        if not isinstance(head, dict) or head.get("format") != DUMP_FORMAT:
            raise StoreError(f"{path}: not a watchbot dump (write one with `watchbot store backup FILE.jsonl`)")
        if head.get("version") != DUMP_VERSION:
            raise StoreError(f"{path}: dump version {head.get('version')} is not one this watchbot reads "
                             f"({DUMP_VERSION}): upgrade watchbot")
        self.counts: dict[str, int] = dict(head.get("counts") or {})

    def count(self, name: str) -> int:
        return int(self.counts.get(table(name).name, 0))

    def export(self, name: str, *, batch: int = 1000) -> Iterator[list[Row]]:
        found: list[Row] = []
        with self.path.open(encoding="utf-8") as f:
            f.readline()
            for number, line in enumerate(f, start=2):
                try:
                    entry = json.loads(line)
                except ValueError as e:
                    raise StoreError(f"{self.path}:{number}: not JSON ({e}); the dump is damaged") from e
                if entry.get("t") != name:
                    continue
                found.append(entry["r"])
                if len(found) >= batch:
                    yield found
                    found = []
        if found:
            yield found

    def snapshot(self) -> contextlib.AbstractContextManager[object]:
        return contextlib.nullcontext()

    def close(self) -> None:
        pass


def is_sqlite_file(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False
