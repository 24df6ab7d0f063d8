"""The `etl` library as Glue loads it: a zip for `--extra-py-files`.

Glue puts `--extra-py-files` archives on the job's Python path, so `import etl` works on Glue
without `--additional-python-modules` (which would fetch from PyPI, impossible without a NAT).
The archive holds only etl's runtime modules: pyspark and boto3 come with Glue, and
`etl.testing` (the pytest plugin and helpers) runs only on developers' machines. It is
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
NOT_SHIPPED = ("testing",)
"""etl subpackages that never run on Glue."""
_EPOCH = (1980, 1, 1, 0, 0, 0)


def etl_sources() -> list[Path]:
    """The etl runtime's source files, relative to the directory holding the package."""
    root = Path(etl.__file__).resolve().parent
    return sorted(
        p.relative_to(root.parent)
        for p in root.rglob("*")
        if p.is_file()
        and (p.suffix == ".py" or p.name == "py.typed")
        and "__pycache__" not in p.parts
        and p.relative_to(root).parts[0] not in NOT_SHIPPED
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


if __name__ == "__main__":
    # `python -m generator.rendering.package DIR`: the zip built with nothing but the standard
    # library, for interpreters holding only Glue's packages (the `packaged` nox sessions).
    import sys

    target = Path(sys.argv[1]) / ARCHIVE_NAME
    target.write_bytes(etl_archive())
    print(target)
