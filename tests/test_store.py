import os

import pytest

from rag import store
from rag.errors import IndexDamagedError


@pytest.fixture()
def big_file(tmp_path, monkeypatch):
    """A file past the whole-digest limit (lowered, so the test stays small)."""
    monkeypatch.setattr(store, "WHOLE_DIGEST_LIMIT", 10_000)
    path = tmp_path / "vectors.npy"
    path.write_bytes(os.urandom(200_000))
    return path


def test_a_file_past_the_limit_is_checked_by_size_and_sampled_blocks(big_file):
    files = store.checksums(big_file.parent)
    assert files["vectors.npy"].startswith(store.SAMPLED)
    store.verify_files(big_file.parent, files)
    data = bytearray(big_file.read_bytes())
    data[0] ^= 0x01  # the first block is always sampled
    big_file.write_bytes(bytes(data))
    with pytest.raises(IndexDamagedError, match="vectors.npy fails its checksum"):
        store.verify_files(big_file.parent, files)
    big_file.write_bytes(bytes(data[:150_000]))
    with pytest.raises(IndexDamagedError, match="vectors.npy fails its checksum"):
        store.verify_files(big_file.parent, files)


def test_a_whole_digest_from_an_older_manifest_is_still_checked_whole(big_file):
    files = {"vectors.npy": store.sha256(big_file)}
    store.verify_files(big_file.parent, files)
    data = bytearray(big_file.read_bytes())
    data[len(data) // 2] ^= 0x01
    big_file.write_bytes(bytes(data))
    with pytest.raises(IndexDamagedError, match="vectors.npy fails its checksum"):
        store.verify_files(big_file.parent, files)


def test_small_files_keep_their_whole_sha256(tmp_path):
    (tmp_path / "a.json").write_text("{}")
    assert store.checksums(tmp_path) == {"a.json": store.sha256(tmp_path / "a.json")}
