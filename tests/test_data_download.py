"""Downloads against a local HTTP server on 127.0.0.1 that serves ../shared/data (a thread in the test)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mitigate.data import (
    ChecksumError,
    Download,
    DownloadError,
    download_dataset,
    download_file,
    get_spec,
    load_dataset,
    verify_dataset,
)


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with HTTP Range support (the standard handler ignores Range); records the ranges asked."""

    ranges: list[str] = []
    paths: list[str] = []
    honour_range = True

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        type(self).paths.append(self.path)
        header = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if header is None or not path.is_file() or not type(self).honour_range:
            return super().send_head()
        type(self).ranges.append(header)
        start = int(header.removeprefix("bytes=").split("-")[0])
        data = path.read_bytes()
        if start >= len(data):
            self.send_error(416, "Requested Range Not Satisfiable")
            return None
        self.send_response(206)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        handle = path.open("rb")
        handle.seek(start)
        return handle


def serve(folder: Path) -> Iterator[str]:
    RangeHandler.ranges, RangeHandler.paths, RangeHandler.honour_range = [], [], True
    handler = functools.partial(RangeHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def mirror(shared_data: Path) -> Iterator[str]:
    yield from serve(shared_data)


@pytest.mark.realdata
def test_download_file_verifies_and_renames_atomically(mirror: str, shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "ritter-twitter" / "pos.txt"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    dest = download_file(f"{mirror}/ritter-twitter/pos.txt", tmp_path / "pos.txt", sha256=digest, progress=False)
    assert dest.read_bytes() == source.read_bytes()
    assert not (tmp_path / "pos.txt.part").exists()
    assert RangeHandler.ranges == []


@pytest.mark.realdata
def test_download_resumes_a_partial_file_with_http_range(mirror: str, shared_data: Path, tmp_path: Path) -> None:
    source = (shared_data / "ritter-twitter" / "ner.txt").read_bytes()
    (tmp_path / "ner.txt.part").write_bytes(source[:10_000])
    digest = hashlib.sha256(source).hexdigest()
    dest = download_file(f"{mirror}/ritter-twitter/ner.txt", tmp_path / "ner.txt", sha256=digest, progress=True)
    assert RangeHandler.ranges == ["bytes=10000-"]
    assert dest.read_bytes() == source


@pytest.mark.realdata
def test_a_server_without_range_support_restarts_from_zero(mirror: str, shared_data: Path, tmp_path: Path) -> None:
    source = (shared_data / "ritter-twitter" / "pos.txt").read_bytes()
    (tmp_path / "pos.txt.part").write_bytes(b"stale bytes from another version")
    RangeHandler.honour_range = False
    digest = hashlib.sha256(source).hexdigest()
    download_file(f"{mirror}/ritter-twitter/pos.txt", tmp_path / "pos.txt", sha256=digest, progress=False)
    assert (tmp_path / "pos.txt").read_bytes() == source


@pytest.mark.realdata
def test_a_complete_part_file_is_finished_without_refetching(mirror: str, shared_data: Path, tmp_path: Path) -> None:
    source = (shared_data / "ritter-twitter" / "pos.txt").read_bytes()
    (tmp_path / "pos.txt.part").write_bytes(source)
    digest = hashlib.sha256(source).hexdigest()
    download_file(f"{mirror}/ritter-twitter/pos.txt", tmp_path / "pos.txt", sha256=digest, progress=False)
    assert (tmp_path / "pos.txt").read_bytes() == source  # the server answered 416: nothing left to fetch


@pytest.mark.realdata
def test_checksum_mismatch_deletes_the_download(mirror: str, tmp_path: Path) -> None:
    with pytest.raises(ChecksumError, match=r"sha256 mismatch for .*pos\.txt: expected 0+, but got [0-9a-f]{64}"):
        download_file(f"{mirror}/ritter-twitter/pos.txt", tmp_path / "pos.txt", sha256="0" * 64, progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.realdata
def test_http_error_and_offline_errors(mirror: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"could not download .*/nope\.txt: HTTP 404"):
        download_file(f"{mirror}/nope.txt", tmp_path / "nope.txt", progress=False)


def test_offline_error_says_where_to_copy_the_files(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"could not reach http://127\.0\.0\.1:9/x\.txt \(.*\); copy the files to "):
        download_file("http://127.0.0.1:9/x.txt", tmp_path / "x.txt", progress=False, timeout=2)
    with pytest.raises(DownloadError, match="or set MITIGATE_DATA to a folder that has them"):
        download_dataset("tpos", data_dir=tmp_path, mirror="http://127.0.0.1:9", progress=False)


@pytest.mark.realdata
def test_download_dataset_from_a_mirror_then_load_and_verify(mirror: str, tmp_path: Path) -> None:
    root = download_dataset("tweebank", data_dir=tmp_path, mirror=mirror, progress=False)
    assert root == tmp_path
    assert {check.status for check in verify_dataset("tweebank", data_dir=tmp_path)} == {"ok"}
    splits = load_dataset("tweebank", data_dir=tmp_path)
    assert (len(splits.train), len(splits.dev), len(splits.test)) == get_spec("tweebank").sizes
    assert len(RangeHandler.paths) == 3
    download_dataset("tweebank", data_dir=tmp_path, mirror=mirror, progress=False)
    assert len(RangeHandler.paths) == 3  # every file present with its checksum: nothing fetched again


@pytest.mark.realdata
def test_zip_archive_origin_is_extracted_and_verified(shared_data: Path, tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    with zipfile.ZipFile(served / "conll2000.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in ("train.txt", "test.txt"):
            archive.write(shared_data / "conll2000" / "conll2000" / name, f"conll2000/{name}")
    spec = get_spec("conll2000-chunk")
    for base in serve(served):
        origin = dataclasses.replace(spec.downloads[0], url=f"{base}/conll2000.zip")
        local = dataclasses.replace(spec, downloads=(origin,))
        root = download_dataset(local, data_dir=tmp_path / "data", progress=False)
    assert {check.status for check in verify_dataset("conll2000-chunk", data_dir=root)} == {"ok"}
    assert not (root / ".downloads").exists()
    assert len(load_dataset("conll2000-chunk", data_dir=root).test) == 2012


def test_zip_member_with_wrong_content_is_rejected(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    with zipfile.ZipFile(served / "pos.zip", "w") as archive:
        archive.writestr("pos.txt", "not the real file\n")
    spec = dataclasses.replace(
        get_spec("tpos"), downloads=(Download(url="", members=(("pos.txt", "ritter-twitter/pos.txt"),)),)
    )
    for base in serve(served):
        local = dataclasses.replace(spec, downloads=(dataclasses.replace(spec.downloads[0], url=f"{base}/pos.zip"),))
        with pytest.raises(ChecksumError, match=r"sha256 mismatch for pos\.txt in .*pos\.zip: expected c7a1c7a8"):
            download_dataset(local, data_dir=tmp_path / "data", progress=False)
    assert not (tmp_path / "data" / "ritter-twitter" / "pos.txt").exists()
