"""structnlp.files: gzip-transparent strict UTF-8 reading and atomic writes."""

from __future__ import annotations

import gzip
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from structnlp.errors import CorpusFormatError
from structnlp.files import atomic_write, iter_lines, read_text


def test_plain_and_gzip_read_the_same(tmp_path):
    text = "héllo\nwörld\n"
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    with gzip.open(tmp_path / "a.txt.gz", "wt", encoding="utf-8") as fh:
        fh.write(text)
    # gzip is detected by its magic bytes, not by the suffix
    (tmp_path / "b.txt").write_bytes((tmp_path / "a.txt.gz").read_bytes())
    expected = [(1, "héllo"), (2, "wörld")]
    for name in ("a.txt", "a.txt.gz", "b.txt"):
        assert list(iter_lines(tmp_path / name)) == expected


def test_crlf_and_bom_are_stripped(tmp_path):
    (tmp_path / "w.txt").write_bytes(b"\xef\xbb\xbffirst\r\nsecond\r\n")
    assert list(iter_lines(tmp_path / "w.txt")) == [(1, "first"), (2, "second")]


def test_non_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("ok\nstill ok\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(CorpusFormatError, match=r"latin1\.txt, line 3: not valid UTF-8") as exc:
        list(iter_lines(path))
    assert exc.value.line == 3 and exc.value.path.endswith("latin1.txt")


def test_non_utf8_inside_gzip(tmp_path):
    path = tmp_path / "bad.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b"a\n\xff\xfe\n")
    with pytest.raises(CorpusFormatError, match="line 2"):
        list(iter_lines(path))


def test_truncated_gzip_is_a_clear_error(tmp_path):
    path = tmp_path / "cut.gz"
    payload = gzip.compress(("line\n" * 10000).encode())
    path.write_bytes(payload[: len(payload) // 2])
    with pytest.raises(CorpusFormatError, match="cannot read compressed data"):
        list(iter_lines(path))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        list(iter_lines(tmp_path / "nope.txt"))
    with pytest.raises(IsADirectoryError, match="is a directory"):
        list(iter_lines(tmp_path))


def test_reading_is_streaming(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("x\n" * 100_000, encoding="utf-8")
    lines = iter_lines(path)
    assert next(lines) == (1, "x")  # a generator: nothing beyond the first line was needed


def test_atomic_write_replaces_and_cleans_up(tmp_path):
    target = tmp_path / "sub" / "out.json"
    with atomic_write(target) as fh:
        fh.write("first")
    assert read_text(target) == "first"
    with pytest.raises(RuntimeError), atomic_write(target) as fh:
        fh.write("half-written")
        raise RuntimeError("crash while writing")
    assert read_text(target) == "first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.json"]


def test_atomic_write_binary(tmp_path):
    with atomic_write(tmp_path / "b.bin", "wb") as fh:
        fh.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"


_LINE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\ufeff"), max_size=20
)


@settings(max_examples=30, deadline=None)
@given(st.lists(_LINE, max_size=20))
def test_round_trip_any_unicode_lines(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("rt") / "t.txt"
    with atomic_write(path) as fh:
        fh.write("".join(line + "\n" for line in lines))
    assert [line for _, line in iter_lines(path)] == lines


def test_atomic_write_gives_normal_permissions(tmp_path):
    import os
    import stat

    umask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "m.txt") as fh:
            fh.write("x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "m.txt").stat().st_mode) == 0o644


def test_atomic_write_to_a_directory_names_it(tmp_path):
    with pytest.raises(IsADirectoryError, match=f"^{tmp_path}: is a directory"):
        with atomic_write(tmp_path) as fh:
            fh.write("x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", ["a", "r", "r+", "ab", "x"])
def test_atomic_write_refuses_modes_that_would_lose_the_old_file(tmp_path, mode):
    # "a" appended to the empty temporary file, which then replaced the old content; "r" emptied it
    path = tmp_path / "log.txt"
    path.write_text("old line\n")
    with pytest.raises(ValueError, match=re.escape(f"mode must be 'w' or 'wb', got '{mode}'")):
        with atomic_write(path, mode):
            pass
    assert path.read_text() == "old line\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.txt"]


def test_atomic_write_below_a_file_names_the_file(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("keep")
    with pytest.raises(NotADirectoryError, match=f"^{notes}/sub/out.txt: {notes} is a file, not a folder$"):
        with atomic_write(notes / "sub" / "out.txt") as fh:
            fh.write("x")
    assert (tmp_path / "notes.txt").read_text() == "keep"
