"""File operations through Hadoop's FileSystem API, so one code path serves ``file://``,
``s3://`` (EMRFS on Glue/EMR) and ``s3a://``: the same filesystem Spark itself writes with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class Storage:
    """A thin, typed wrapper over ``org.apache.hadoop.fs.FileSystem`` for one location."""

    def __init__(self, spark: SparkSession, uri: str) -> None:
        jvm: Any = spark.sparkContext._jvm
        self._jvm = jvm
        self._path_cls = jvm.org.apache.hadoop.fs.Path
        self._fs = self._path_cls(uri).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def exists(self, uri: str) -> bool:
        return bool(self._fs.exists(self._path_cls(uri)))

    def delete(self, uri: str) -> None:
        self._fs.delete(self._path_cls(uri), True)

    def children(self, uri: str) -> list[str]:
        """Direct children (files and directories) as URIs; ``[]`` when ``uri`` does not exist."""
        if not self.exists(uri):
            return []
        return [
            str(status.getPath().toString()) for status in self._fs.listStatus(self._path_cls(uri))
        ]

    def files(self, uri: str) -> list[str]:
        """Every file under ``uri``, recursively (``[]`` when it does not exist)."""
        found: list[str] = []
        pending = [uri]
        while pending:
            for child in self.children(pending.pop()):
                (pending if self.is_dir(child) else found).append(child)
        return sorted(found)

    def is_dir(self, uri: str) -> bool:
        return bool(self._fs.getFileStatus(self._path_cls(uri)).isDirectory())

    def move(self, source: str, target: str) -> None:
        """Rename ``source`` to ``target`` (which must not exist), creating parent directories."""
        target_path = self._path_cls(target)
        self._fs.mkdirs(target_path.getParent())
        if not self._fs.rename(self._path_cls(source), target_path):
            raise OSError(f"could not move {source} to {target}")

    def read_text(self, uri: str) -> str:
        stream = self._fs.open(self._path_cls(uri))
        buffer = self._jvm.java.io.ByteArrayOutputStream()
        self._jvm.org.apache.hadoop.io.IOUtils.copyBytes(stream, buffer, 4096, True)
        return str(buffer.toString("UTF-8"))

    def write_text(self, uri: str, text: str) -> None:
        """Write a new file atomically: a temporary sibling renamed into place (``uri`` must not
        exist; on S3 the object appears at once anyway)."""
        parent, _, name = uri.rstrip("/").rpartition("/")
        temporary = f"{parent}/_tmp.{name}"
        stream = self._fs.create(self._path_cls(temporary), True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()
        self.move(temporary, uri)
