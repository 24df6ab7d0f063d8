"""The storage interface sinks, state and the publish journal use, with S3's semantics in mind.

S3 has objects under keys, not directories, and no rename: "moving" an object is a server-side
copy followed by a delete, and a crash between the two leaves both.  So the interface offers
only what S3 offers, and the code above it never relies on an atomic rename of a prefix:

* ``list(prefix)``: every object under a prefix (recursively, sorted).
* ``exists``, ``read_text``, ``write_text`` (replace), ``create_text`` (create once: ``False``
  when the object exists: S3's conditional ``If-None-Match: *`` put).
* ``move(source, target)``: one object; on S3 a copy then a delete.
* ``delete(uri)``: one object; ``delete_all(uris)``: many (S3's batch delete);
  ``delete_prefix(prefix)``: everything under a prefix.

:class:`HadoopStorage` serves ``file://``, ``s3://`` (EMRFS on Glue) and ``s3a://`` through
Hadoop's FileSystem, the file system Spark itself writes with.  One handle serves one bucket
(one file system), as EMRFS and S3A do: a path in another bucket needs its own handle, which
:meth:`etl.runtime.Runtime.storage` gives.  ``etl.testing.object_store`` has a stand-in with S3's
semantics that counts operations and can crash after any of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class Storage(Protocol):
    """Object operations on one bucket (or local file system); see the module doc."""

    def list(self, prefix: str) -> list[str]: ...

    def exists(self, uri: str) -> bool: ...

    def read_text(self, uri: str) -> str: ...

    def write_text(self, uri: str, text: str) -> None: ...

    def create_text(self, uri: str, text: str) -> bool: ...

    def move(self, source: str, target: str) -> None: ...

    def delete(self, uri: str) -> None: ...

    def delete_all(self, uris: Iterable[str]) -> None: ...

    def delete_prefix(self, prefix: str) -> None: ...


class HadoopStorage:
    """:class:`Storage` over ``org.apache.hadoop.fs.FileSystem`` for the file system of ``uri``."""

    def __init__(self, spark: SparkSession, uri: str) -> None:
        jvm: Any = spark.sparkContext._jvm
        self._jvm = jvm
        self._path_cls = jvm.org.apache.hadoop.fs.Path
        self._fs = self._path_cls(uri).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def list(self, prefix: str) -> list[str]:
        path = self._path_cls(prefix)
        if not self._fs.exists(path):
            return []
        if not self._fs.getFileStatus(path).isDirectory():
            return [str(path.toString())]
        found = []
        files = self._fs.listFiles(path, True)
        while files.hasNext():
            found.append(str(files.next().getPath().toString()))
        return sorted(found)

    def exists(self, uri: str) -> bool:
        return bool(self._fs.exists(self._path_cls(uri)))

    def read_text(self, uri: str) -> str:
        stream = self._fs.open(self._path_cls(uri))
        buffer = self._jvm.java.io.ByteArrayOutputStream()
        self._jvm.org.apache.hadoop.io.IOUtils.copyBytes(stream, buffer, 4096, True)
        return str(buffer.toString("UTF-8"))

    def write_text(self, uri: str, text: str) -> None:
        self._write(uri, text, overwrite=True)

    def create_text(self, uri: str, text: str) -> bool:
        """Create ``uri`` unless it exists.  Atomic on local and HDFS file systems; on S3 it is
        as atomic as the connector's create (S3A with conditional creates: yes)."""
        if self.exists(uri):
            return False
        try:
            self._write(uri, text, overwrite=False)
        except Exception as exc:  # FileAlreadyExistsException from the JVM: lost the race
            if "FileAlreadyExists" in str(exc):
                return False
            raise
        return True

    def _write(self, uri: str, text: str, *, overwrite: bool) -> None:
        stream = self._fs.create(self._path_cls(uri), overwrite)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()

    def move(self, source: str, target: str) -> None:
        target_path = self._path_cls(target)
        self._fs.mkdirs(target_path.getParent())
        if not self._fs.rename(self._path_cls(source), target_path):
            raise OSError(f"could not move {source} to {target}")

    def delete(self, uri: str) -> None:
        self._fs.delete(self._path_cls(uri), False)

    def delete_all(self, uris: Iterable[str]) -> None:
        for uri in uris:
            self.delete(uri)

    def delete_prefix(self, prefix: str) -> None:
        self._fs.delete(self._path_cls(prefix), True)
