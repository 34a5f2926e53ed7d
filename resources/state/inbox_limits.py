"""What an inbox file may be: at most AIWF_MAX_INBOX_FILE_MB (default 20), and text in an encoding we can name.

A file over the cap is refused with a reason that says so, through the workflow's rejected-files path, before
anything is read into memory or sent to a model. Text is decoded as UTF-8 (a byte-order mark is dropped), else
as Windows-1252, else Latin-1, which reads any byte: a CSV saved by a spreadsheet on Windows is read, not
refused, and the encoding used is recorded with the rows. A CSV is read in chunks of CHUNK_ROWS rows, its
encoding found in 1 MB pieces first, so a large file is never held as bytes and text besides its table, and a
`progress` callback hears how far the reading is.
"""

import codecs
from pathlib import Path
from typing import Callable

from resources.env_numbers import env_number

MAX_FILE_ENV = "AIWF_MAX_INBOX_FILE_MB"
DEFAULT_MAX_FILE_MB = 20.0
ENCODINGS = ("utf-8", "cp1252", "latin-1")  # tried in this order; latin-1 decodes every byte
BOM = b"\xef\xbb\xbf"
PIECE_BYTES = 1 << 20
CHUNK_ROWS = 20_000


def max_file_bytes() -> int:
    """The per-file cap in bytes: AIWF_MAX_INBOX_FILE_MB (default 20)."""
    return int(env_number(MAX_FILE_ENV, DEFAULT_MAX_FILE_MB, "megabytes") * 1024 * 1024)


class FileTooLarge(ValueError):
    """An inbox file over AIWF_MAX_INBOX_FILE_MB; its message is the reason recorded for the file."""


def check_size(path: Path) -> None:
    """FileTooLarge naming the size and the cap when `path` is over the per-file cap."""
    size, cap = path.stat().st_size, max_file_bytes()
    if size > cap:
        raise FileTooLarge(f"file is {size / 1048576:.3g} MB, over the inbox limit of {cap / 1048576:.3g} MB "
                         f"({MAX_FILE_ENV}); split it into smaller files")


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-8 (with or without a BOM), else Windows-1252, else Latin-1."""
    if data.startswith(BOM):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def read_text(path: Path) -> tuple[str, str]:
    """The file's text and its encoding, after the size check."""
    check_size(path)
    return decode(path.read_bytes())


def file_encoding(path: Path) -> str:
    """The encoding `decode` would choose for the file's bytes, found reading it in pieces of PIECE_BYTES."""
    with open(path, "rb") as handle:
        bom = handle.read(len(BOM)) == BOM
    for encoding in (("utf-8-sig",) if bom else ()) + ENCODINGS:
        if encoding == ENCODINGS[-1] or _decodes(path, encoding):
            return encoding
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as handle:
            for piece in iter(lambda: handle.read(PIECE_BYTES), b""):
                decoder.decode(piece)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def read_csv(path: Path, progress: Callable[[int], None] | None = None, **options):
    """A CSV inbox file as a pandas frame (pandas options as given) and the encoding it was read in, after the
    size check; read CHUNK_ROWS rows at a time, calling `progress(rows read so far)` after each chunk."""
    import pandas as pd

    check_size(path)
    encoding = file_encoding(path)
    chunks, rows = [], 0
    with pd.read_csv(path, encoding=encoding, chunksize=CHUNK_ROWS, **options) as reader:
        for chunk in reader:
            chunks.append(chunk)
            rows += len(chunk)
            if progress is not None:
                progress(rows)
    return pd.concat(chunks, ignore_index=True), encoding
