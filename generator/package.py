"""The `etl` library as Glue loads it: a zip for `--extra-py-files`.

Glue puts `--extra-py-files` archives on the job's Python path, so `import etl` works on Glue
without `--additional-python-modules` (which would fetch from PyPI, impossible without a NAT).
The archive holds only etl's pure-Python sources: pyspark and boto3 come with Glue. It is
byte-for-byte deterministic (sorted entries, fixed timestamps and modes), so its S3 object
changes exactly when the code does.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import etl
from generator import __version__

ARCHIVE_NAME = f"glueprint_etl-{__version__}.zip"
_EPOCH = (1980, 1, 1, 0, 0, 0)


def etl_sources() -> list[Path]:
    """The etl package's source files, relative to the directory holding the package."""
    root = Path(etl.__file__).resolve().parent
    return sorted(
        p.relative_to(root.parent)
        for p in root.rglob("*")
        if p.is_file()
        and (p.suffix == ".py" or p.name == "py.typed")
        and "__pycache__" not in p.parts
    )


def etl_archive() -> bytes:
    """The zip Glue imports etl from."""
    base = Path(etl.__file__).resolve().parent.parent
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative in etl_sources():
            info = zipfile.ZipInfo(relative.as_posix(), date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (base / relative).read_bytes())
    return buffer.getvalue()
