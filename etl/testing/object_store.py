"""A storage stand-in with S3's semantics, for proving publish and recovery crash-safe.

Local disk is kinder than S3: a directory rename is atomic there.  :class:`ObjectStore` keeps
objects as files under local bucket directories (so Spark reads and writes them as usual) but
offers only what S3 offers through :class:`etl.storage.Storage`:

* keys, not directories: a prefix exists while an object is under it, and empty directories are
  removed as S3 has none;
* no rename: ``move`` is a copy then a delete, two operations, and a crash between them leaves
  both objects;
* strong read-after-write consistency (S3's since December 2020): what was written is listed
  and read at once;
* ``create_text`` is a conditional put (``If-None-Match: *``), the one atomic create-once;
* one handle per bucket: a path in another bucket is refused, as S3A and EMRFS refuse it;
* every operation is counted (:attr:`ObjectStore.operations`, by kind in :attr:`counts`); a
  list or batch delete counts once per 1,000 keys, as S3 pages them; ``latency`` makes each
  request take that long, for benchmarks.

``crash_after(k)`` makes the store die after its k-th operation from then on: that operation
completes, it and every later call raise :class:`Crashed`, and nothing after it reaches storage,
as when a Glue worker dies.  :class:`Crashed` derives from ``BaseException`` so no ``except
Exception`` in the code under test can swallow it.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from etl.storage import Storage

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from etl.catalog_lookup import ResolvedTable
    from etl.connections import JdbcConnection

_PAGE = 1000


class Crashed(BaseException):
    """The process died here (injected by :meth:`ObjectStore.crash_after`)."""


@dataclasses.dataclass
class ObjectStore:
    """Buckets as directories under ``root``; see the module doc."""

    root: Path
    latency: float = 0.0
    """Seconds each request takes (S3's are tens of milliseconds), for benchmarks; requests
    from several threads wait at the same time, as S3's do."""
    operations: int = 0
    counts: Counter[str] = dataclasses.field(default_factory=Counter)
    _crash_at: int | None = None
    _dead: bool = False
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def crash_after(self, operations: int | None) -> None:
        """Die after ``operations`` more operations (``None``: never); resets the counters."""
        with self._lock:
            self.operations, self._dead = 0, False
            self.counts.clear()
            self._crash_at = operations

    def revive(self) -> None:
        """A new process: no crash pending, counters reset."""
        self.crash_after(None)

    def _count(self, kind: str, units: int = 1) -> None:
        """Account for an operation about to run; raise if the process is (now) dead."""
        with self._lock:
            if self._dead:
                raise Crashed(f"the process died before {kind}")
            if self._crash_at is not None and self.operations >= self._crash_at:
                self._dead = True
                raise Crashed(f"the process died after operation {self.operations}")
            self.operations += units
            self.counts[kind] += units
        if self.latency:
            time.sleep(self.latency)

    def bucket(self, uri: str) -> Storage:
        """The handle for the bucket holding ``uri`` (``file://<root>/<bucket>/...``)."""
        return _Bucket(self, self._bucket_dir(self._local(uri)))

    def _local(self, uri: str) -> Path:
        """The file behind ``uri``: keys are names, so no link is followed and ``..`` is
        resolved as text."""
        path = Path(os.path.normpath("/" + uri.removeprefix("file:").lstrip("/")))
        root = self._root()
        if path == root or not path.is_relative_to(root):
            raise ValueError(f"{uri} is not under the object store at {self.root}")
        return path

    def _root(self) -> Path:
        return Path(os.path.realpath(self.root))

    def _bucket_dir(self, path: Path) -> Path:
        return self._root() / path.relative_to(self._root()).parts[0]


class _Bucket:
    """One bucket of an :class:`ObjectStore`, as :class:`~etl.storage.Storage`."""

    def __init__(self, store: ObjectStore, directory: Path) -> None:
        self._store = store
        self._dir = directory

    def _path(self, uri: str) -> Path:
        path = self._store._local(uri)
        if path != self._dir and not path.is_relative_to(self._dir):
            raise ValueError(f"Wrong FS: {uri}, expected bucket {self._dir.name}")
        return path

    @staticmethod
    def _uri(path: Path) -> str:
        return f"file:{path}"

    def _objects(self, path: Path) -> list[Path]:
        if path.is_file():
            return [path]
        if not path.is_dir():
            return []
        return sorted(p for p in path.rglob("*") if p.is_file())

    def _prune(self, directory: Path) -> None:
        """Remove ``directory`` and its parents while empty: S3 has no empty prefixes."""
        while directory != self._dir and directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
            directory = directory.parent

    def list(self, prefix: str) -> list[str]:
        found = self._objects(self._path(prefix))
        self._store._count("list", max(1, math.ceil(len(found) / _PAGE)))
        return [self._uri(p) for p in found]

    def exists(self, uri: str) -> bool:
        self._store._count("head")
        return bool(self._objects(self._path(uri)))

    def read_text(self, uri: str) -> str:
        self._store._count("get")
        return self._path(uri).read_text(encoding="utf-8")

    def write_text(self, uri: str, text: str) -> None:
        self._store._count("put")
        path = self._path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.put")  # a PUT is atomic per object
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)

    def create_text(self, uri: str, text: str) -> bool:
        self._store._count("put-if-absent")
        path = self._path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            return False
        return True

    def move(self, source: str, target: str) -> None:
        """A copy and a delete: two operations, as on S3."""
        self._store._count("copy")
        src, dst = self._path(source), self._path(target)
        if not src.is_file():
            raise FileNotFoundError(f"NoSuchKey: {source}")
        dst.parent.mkdir(parents=True, exist_ok=True)
        temporary = dst.with_name(f".{dst.name}.copy")
        shutil.copyfile(src, temporary)
        temporary.replace(dst)  # the copied object appears whole
        self._store._count("delete")
        src.unlink()
        self._prune(src.parent)

    def delete(self, uri: str) -> None:
        self._store._count("delete")
        path = self._path(uri)
        if path.is_file():
            path.unlink()
            self._prune(path.parent)

    def delete_all(self, uris: Iterable[str]) -> None:
        paths = [self._path(uri) for uri in uris]
        for start in range(0, len(paths), _PAGE):
            self._store._count("delete-batch")
            batch = [path for path in paths[start : start + _PAGE] if path.is_file()]
            for path in batch:
                path.unlink()
            for parent in {path.parent for path in batch}:
                self._prune(parent)

    def delete_prefix(self, prefix: str) -> None:
        self.delete_all(self.list(prefix))
        path = self._path(prefix)
        if path.is_dir() and not self._objects(path):
            shutil.rmtree(path)  # empty directories only: nothing S3 would show
            self._prune(path.parent)


class ObjectStoreRuntime:
    """Any runtime, with its storage swapped for an :class:`ObjectStore`: everything else
    (Spark, connections, path mapping, commit) is the wrapped runtime's."""

    def __init__(self, runtime: Any, store: ObjectStore) -> None:
        self._runtime = runtime
        self.store = store
        self.name = runtime.name

    @property
    def spark(self) -> SparkSession:
        spark: SparkSession = self._runtime.spark
        return spark

    def start(self, job_name: str, argv: Sequence[str], arguments: Mapping[str, str]) -> None:
        self._runtime.start(job_name, argv, arguments)

    def connection(self, name: str) -> JdbcConnection:
        connection: JdbcConnection = self._runtime.connection(name)
        return connection

    def catalog_table(
        self, database: str, name: str, partition_expression: str | None = None
    ) -> ResolvedTable:
        table: ResolvedTable = self._runtime.catalog_table(database, name, partition_expression)
        return table

    def path(self, uri: str) -> str:
        path: str = self._runtime.path(uri)
        return path

    def storage(self, uri: str) -> Storage:
        return self.store.bucket(uri)

    def commit(self) -> None:
        self._runtime.commit()
