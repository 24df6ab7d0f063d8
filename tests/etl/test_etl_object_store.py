"""The S3-semantics stand-in behaves like S3 where local disk is kinder (no Spark needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.testing.object_store import Crashed, ObjectStore


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    (tmp_path / "lake").mkdir()
    (tmp_path / "other").mkdir()
    return ObjectStore(tmp_path)


def uri(tmp_path: Path, key: str) -> str:
    return f"file://{tmp_path}/{key}"


def test_a_move_is_a_copy_and_a_delete_and_a_crash_between_leaves_both(
    store: ObjectStore, tmp_path: Path
) -> None:
    bucket = store.bucket(uri(tmp_path, "lake"))
    bucket.write_text(uri(tmp_path, "lake/staging/a"), "data")
    store.crash_after(1)  # the copy completes, the delete never runs
    with pytest.raises(Crashed):
        bucket.move(uri(tmp_path, "lake/staging/a"), uri(tmp_path, "lake/out/a"))
    assert (tmp_path / "lake/staging/a").read_text() == "data"
    assert (tmp_path / "lake/out/a").read_text() == "data"
    with pytest.raises(Crashed):  # a dead process does nothing more
        bucket.delete(uri(tmp_path, "lake/staging/a"))
    assert (tmp_path / "lake/staging/a").exists()
    store.revive()
    bucket.move(uri(tmp_path, "lake/out/a"), uri(tmp_path, "lake/final/a"))
    assert store.counts == {"copy": 1, "delete": 1}


def test_prefixes_exist_only_while_objects_are_under_them(
    store: ObjectStore, tmp_path: Path
) -> None:
    bucket = store.bucket(uri(tmp_path, "lake"))
    bucket.write_text(uri(tmp_path, "lake/a/b/c.json"), "{}")
    assert bucket.exists(uri(tmp_path, "lake/a")) and bucket.list(uri(tmp_path, "lake/a")) == [
        f"file:{tmp_path}/lake/a/b/c.json"
    ]
    bucket.delete(uri(tmp_path, "lake/a/b/c.json"))
    assert not (tmp_path / "lake/a").exists()  # no empty "directories" left behind
    assert bucket.list(uri(tmp_path, "lake/a")) == []


def test_create_once_and_one_bucket_per_handle(store: ObjectStore, tmp_path: Path) -> None:
    bucket = store.bucket(uri(tmp_path, "lake/x"))
    assert bucket.create_text(uri(tmp_path, "lake/lease"), "first")
    assert not bucket.create_text(uri(tmp_path, "lake/lease"), "second")
    assert bucket.read_text(uri(tmp_path, "lake/lease")) == "first"
    with pytest.raises(ValueError, match="Wrong FS"):
        bucket.exists(uri(tmp_path, "other/lease"))


def test_lists_and_batch_deletes_count_per_page(store: ObjectStore, tmp_path: Path) -> None:
    for i in range(1500):
        (tmp_path / "lake" / "many").mkdir(exist_ok=True)
        (tmp_path / "lake" / "many" / f"{i:04d}").write_text("x")
    bucket = store.bucket(uri(tmp_path, "lake"))
    listed = bucket.list(uri(tmp_path, "lake/many"))
    bucket.delete_all(listed)
    assert store.counts == {"list": 2, "delete-batch": 2}
    assert not (tmp_path / "lake" / "many").exists()
