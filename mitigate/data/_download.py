"""Optional download of a registered dataset from its public origin: resumable, sha256-verified, atomic."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from tqdm.auto import tqdm

from mitigate.data._checksums_table import SHA256
from mitigate.data._paths import DATA_ENV_VAR, resolve_data_dir
from mitigate.data._registry import DatasetSpec, get_spec
from mitigate.data._verify import sha256_file

_CHUNK = 1 << 16


class DownloadError(OSError):
    """A file could not be fetched (no network, HTTP error); the message says where to copy the files instead."""


class ChecksumError(ValueError):
    """A downloaded file does not have the recorded sha256 (it is deleted, never kept)."""


def _unreachable(url: str, reason: object, folder: Path) -> DownloadError:
    return DownloadError(
        f"could not reach {url} ({reason}); copy the files to {folder} or set {DATA_ENV_VAR} "
        "to a folder that has them (same layout as ../shared/data)"
    )


def download_file(
    url: str,
    dest: str | Path,
    *,
    sha256: str | None = None,
    progress: bool = True,
    timeout: float = 30.0,
) -> Path:
    """Fetch ``url`` to ``dest``: resumes a ``dest.part`` left by an interrupted run (HTTP Range), shows a
    tqdm progress bar, checks ``sha256`` when given, then renames atomically. A ``dest`` that already has the
    expected checksum is kept as is.

    >>> try:
    ...     download_file("http://127.0.0.1:9/x", "/tmp/x", progress=False)
    ... except DownloadError as error:
    ...     print(str(error).split(" (")[0])
    could not reach http://127.0.0.1:9/x
    """
    if not isinstance(url, str) or not url:
        raise TypeError(f"Expected argument `url` to be a non-empty str, but got {url!r}.")
    dest = Path(dest)
    if dest.is_file() and sha256 is not None and sha256_file(dest) == sha256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset:  # the part file is already complete
            response = None
        else:
            raise DownloadError(f"could not download {url}: HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise _unreachable(url, reason, dest.parent) from error
    if response is not None:
        with response:
            resumed = offset > 0 and response.status == 206
            if not resumed:
                offset = 0
            length = response.headers.get("Content-Length")
            total = offset + int(length) if length is not None else None
            with (
                part.open("ab" if resumed else "wb") as out,
                tqdm(
                    total=total,
                    initial=offset,
                    unit="B",
                    unit_scale=True,
                    desc=dest.name,
                    disable=not progress,
                    leave=False,
                ) as bar,
            ):
                try:
                    for block in iter(lambda: response.read(_CHUNK), b""):
                        out.write(block)
                        bar.update(len(block))
                except OSError as error:
                    raise _unreachable(url, error, dest.parent) from error
    if sha256 is not None:
        actual = sha256_file(part)
        if actual != sha256:
            part.unlink()
            raise ChecksumError(
                f"sha256 mismatch for {url}: expected {sha256}, but got {actual}; the download was deleted."
            )
    os.replace(part, dest)
    return dest


def _extract(archive: Path, members: tuple[tuple[str, str], ...], root: Path) -> None:
    with zipfile.ZipFile(archive) as zipped:
        names = set(zipped.namelist())
        for member, relative in members:
            if member not in names:
                raise DownloadError(f"{archive} has no member {member!r}")
            data = zipped.read(member)
            expected = SHA256.get(relative)
            actual = hashlib.sha256(data).hexdigest()
            if expected is not None and actual != expected:
                raise ChecksumError(
                    f"sha256 mismatch for {member} in {archive}: expected {expected}, but got {actual}."
                )
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
                handle.write(data)
            os.replace(handle.name, target)


def _present(root: Path, relative: str) -> bool:
    path = root / relative
    expected = SHA256.get(relative)
    return path.is_file() and (expected is None or sha256_file(path) == expected)


def download_dataset(
    name: str | DatasetSpec,
    *,
    data_dir: str | Path | None = None,
    mirror: str | None = None,
    progress: bool = True,
) -> Path:
    """Download a registered dataset into the data folder (default: the user cache) and return that folder.

    Files already present with the recorded sha256 are skipped. ``mirror`` is the base URL of a server laid
    out like ``../shared/data``: files are then fetched from ``{mirror}/{relative path}`` instead of the public
    origin (zip archives are not needed there).

    >>> download_dataset("ewt-pos", data_dir="/tmp")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Dataset 'ewt-pos' cannot be downloaded: its train file is rebuilt ...
    """
    spec = name if isinstance(name, DatasetSpec) else get_spec(name)
    if not spec.downloads:
        raise ValueError(
            f"Dataset {spec.name!r} cannot be downloaded: {spec.no_download_reason}. "
            f"Copy its files ({', '.join(spec.files)}) under the data folder."
        )
    root = resolve_data_dir(data_dir)
    for item in spec.downloads:
        wanted = [(member, relative) for member, relative in item.members if not _present(root, relative)]
        if mirror is not None:
            relatives = [item.dest] if item.dest is not None else [relative for _, relative in wanted]
            for relative in relatives:
                if relative is not None and not _present(root, relative):
                    download_file(
                        f"{mirror.rstrip('/')}/{relative}",
                        root / relative,
                        sha256=SHA256.get(relative),
                        progress=progress,
                    )
        elif item.dest is not None:
            download_file(item.url, root / item.dest, sha256=SHA256.get(item.dest), progress=progress)
        elif wanted:
            archive = root / ".downloads" / Path(item.url).name
            download_file(item.url, archive, progress=progress)
            _extract(archive, tuple(wanted), root)
            archive.unlink()
            if not any(archive.parent.iterdir()):
                archive.parent.rmdir()
    return root

