"""Opening text files (gzip-transparent, strict UTF-8) and writing files atomically.

Readers everywhere in structnlp go through :func:`iter_lines` so that a non-UTF-8 byte
is reported with the file name and line number instead of a bare ``UnicodeDecodeError``;
the path ``"-"`` is standard input, read the same way (the command-line tools rely on it).
Writers go through :func:`atomic_write` so that a crash never leaves half a file.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from structnlp.errors import STDIN, CorpusFormatError

PathLike = str | os.PathLike


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def open_binary(path: PathLike) -> IO[bytes]:
    """Open ``path`` for reading bytes, decompressing gzip transparently (by magic bytes).

    >>> import gzip, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"   # no .gz suffix: the bytes decide
    >>> _ = p.write_bytes(gzip.compress(b"rash"))
    >>> with open_binary(p) as fh:
    ...     fh.read()
    b'rash'
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, expected a file")
    return gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")


def _source(path: PathLike) -> contextlib.AbstractContextManager[IO[bytes]]:
    """The byte stream to read (``"-"``: standard input, left open when done)."""
    if str(path) == STDIN:
        return contextlib.nullcontext(sys.stdin.buffer)
    return open_binary(path)


def iter_lines(path: PathLike) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` pairs, 1-based, without the trailing newline.

    Streams the file (never loads it whole); ``"-"`` reads standard input. Raises
    :class:`CorpusFormatError` naming the file (or "standard input") and line on bytes that
    are not UTF-8 or on a corrupt gzip stream.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_text("one\\ntwo\\n", encoding="utf-8")
    >>> list(iter_lines(p))
    [(1, 'one'), (2, 'two')]
    """
    lineno = 0
    with _source(path) as fh:
        try:
            for lineno, raw in enumerate(fh, start=1):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise CorpusFormatError(
                        path, lineno, f"not valid UTF-8 (byte {exc.start}: {raw[exc.start:exc.start + 1]!r});"
                        " re-encode it as UTF-8"
                    ) from None
                if lineno == 1 and text.startswith("\ufeff"):
                    text = text[1:]
                yield lineno, text.rstrip("\r\n")
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise CorpusFormatError(path, lineno + 1, f"cannot read compressed data ({exc})") from None


def read_text(path: PathLike) -> str:
    """Read a whole (small) UTF-8 file (``"-"``: standard input), gzip-transparent, with clear errors."""
    return "\n".join(line for _, line in iter_lines(path))


def default_mode(path: Path, *, directory: bool = False) -> int:
    """The mode a plain ``open(path, "w")`` (or ``mkdir``) would give: the old one's, else less the umask.

    Temporary files and folders are private (0o600 / 0o700); what replaces ``path`` gets this.

    >>> import os, pathlib, tempfile
    >>> new = pathlib.Path(tempfile.mkdtemp()) / "model"
    >>> umask = os.umask(0o022)
    >>> modes = default_mode(new), default_mode(new, directory=True)
    >>> _ = os.umask(umask)
    >>> [oct(m) for m in modes]
    ['0o644', '0o755']
    """
    if path.exists():
        return path.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


@contextlib.contextmanager
def atomic_write(path: PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    r"""Write ``path`` via a temporary file in the same folder, renamed into place on success.

    Readers never see a partial file; on an exception the temporary file is removed and
    the old file (if any) is left untouched.

    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels.txt"
    >>> with atomic_write(p) as fh:
    ...     _ = fh.write("allergy\n")
    >>> try:
    ...     with atomic_write(p) as fh:
    ...         _ = fh.write("half a fi")
    ...         raise KeyboardInterrupt
    ... except KeyboardInterrupt:
    ...     pass
    >>> p.read_text(), sorted(f.name for f in p.parent.iterdir())
    ('allergy\n', ['labels.txt'])
    """
    # "a" or "r" would open the new, empty temporary file, which then replaced the old content
    if mode not in ("w", "wt", "wb"):
        raise ValueError(f"atomic_write writes a whole new file: mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    if path.is_dir():  # else the rename fails later, naming the temporary file
        raise IsADirectoryError(f"{path}: is a directory, expected a file name to write")
    blocking = next((p for p in path.parents if p.exists()), None)
    if blocking is not None and not blocking.is_dir():  # mkdir would say "File exists", naming no path
        raise NotADirectoryError(f"{path}: {blocking} is a file, not a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    binary = "b" in mode
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with open(fd, mode, encoding=None if binary else encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, default_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
