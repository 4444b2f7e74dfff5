"""Reading the user's files without blocking on special ones, and replacing files atomically.

Every scenario and trace simtui reads goes through `open_regular`: a FIFO would block the
reader until someone writes to it, a device can be endless or have side effects, and a
directory is not a file, so each is refused with `NotRegularFile` before anything is read.
The file is looked at with `stat` first (nothing is opened at all for a special file) and
opened with `O_NONBLOCK`, then checked again on the open descriptor, so that swapping a
FIFO in between cannot block either.

`atomic_write` is the one way simtui writes a file the user will keep (an edited scenario,
a saved trace): a crash or a full disk leaves the old file or the new one, never half of it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)

_REASONS = {
    errno.ENOENT: "no such file",
    errno.ENAMETOOLONG: "file name too long",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EISDIR: "is a directory",
}


class NotRegularFile(OSError):
    """The path names a directory, a FIFO, a device or a socket, not a file to read."""

    def __init__(self, path: str | os.PathLike[str], kind: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file ({kind})", os.fspath(path))
        self.kind = kind


def kind_of(mode: int) -> str | None:
    """What a `st_mode` names when it is not a regular file ("a FIFO", ...); None if it is."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a file")


def reason(e: OSError) -> str:
    """Why an `OSError` happened, as a short lower-case phrase for `FILE: reason`."""
    if isinstance(e, NotRegularFile):
        return e.strerror or "not a regular file"
    known = _REASONS.get(e.errno or -1)
    if known:
        return known
    text = e.strerror or str(e) or type(e).__name__
    return text[:1].lower() + text[1:]


def check_regular(path: str | os.PathLike[str]) -> None:
    """Raise `OSError` unless `path` names a regular file (symlinks followed); reads nothing."""
    kind = kind_of(os.stat(path).st_mode)
    if kind is not None:
        raise NotRegularFile(path, kind)


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a regular file for reading in binary; raise `OSError` (never block) otherwise."""
    check_regular(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        kind = kind_of(os.fstat(fd).st_mode)  # replaced by a FIFO since the stat above?
        if kind is not None:
            raise NotRegularFile(path, kind)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # a regular file ignores it; readers expect the default
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of a regular file (at most `limit` of them); `OSError` for anything else."""
    with open_regular(path) as f:
        return f.read() if limit is None else f.read(limit)


def atomic_write(path: str | os.PathLike[str], data: bytes | Iterable[bytes], *,
                 overwrite: bool = True) -> Path:
    """Replace (or create) `path` with `data` so that a crash leaves the old or the new file.

    `data` is the bytes, or chunks of them (a large trace is written as it is encoded).

    The data goes to a temporary file in the same directory (same file system, so the
    rename is atomic), is flushed to disk, takes the old file's permission bits, and then
    replaces the file. A symlink is followed: the file it names is replaced, the link stays.
    With `overwrite=False` an existing file is never replaced, even one that appears while
    writing (`FileExistsError`). Returns the path written. Raises `OSError`; on failure the
    temporary file is removed and the old file is untouched.
    """
    target = Path(os.path.realpath(path))
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None  # a new file: the O_CREAT mode below is filtered by the umask, as usual
    if mode is not None and not overwrite:
        raise FileExistsError(errno.EEXIST, "the file exists", str(target))
    tmp, fd = _create_temp(target)
    try:
        try:
            for chunk in (data,) if isinstance(data, bytes | bytearray) else data:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
            os.fsync(fd)
            if mode is not None:
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, target)
        else:
            _link_new(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(target.parent)
    return target


def _link_new(tmp: Path, target: Path) -> None:
    """Move `tmp` to `target` only if nothing is there (a hard link cannot clobber)."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV,
                           errno.EMLINK):
            raise
        # A file system without hard links: check, then rename (a narrow race remains).
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "the file exists", str(target)) from None
        os.replace(tmp, target)
        return
    os.unlink(tmp)


def _create_temp(target: Path) -> tuple[Path, int]:
    for _ in range(100):
        # The name is cut so that a long file name still leaves room for the suffix.
        tmp = target.with_name(f".{target.name[:200]}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "cannot create a temporary file", str(target))


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; some file systems cannot open or sync a directory.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class TextFormat:
    """How a text file spells its line ends and whether it starts with a UTF-8 BOM.

    An editor works on text with `\\n` line ends; `encode` gives the bytes back in the
    file's own spelling, so that saving a file changes only what was edited in it.
    """

    newline: str = "\n"
    bom: bool = False

    @classmethod
    def of(cls, data: bytes) -> TextFormat:
        """The format of `data`: its first line end decides (a file uses one, as a rule)."""
        bom = data.startswith(b"\xef\xbb\xbf")
        cr = data.find(b"\r")
        lf = data.find(b"\n")
        if cr < 0 or (0 <= lf < cr):
            newline = "\n"
        else:
            newline = "\r\n" if data[cr + 1 : cr + 2] == b"\n" else "\r"
        return cls(newline, bom)

    def decode(self, data: bytes, errors: str = "strict") -> str:
        """The text of `data` with `\\n` line ends and without the BOM (UnicodeDecodeError)."""
        text = data.decode("utf-8", errors)
        if self.bom:
            text = text.removeprefix("\ufeff")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text

    def encode(self, text: str) -> bytes:
        """`text` (any line ends) as the bytes of a file in this format."""
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.encode("utf-8")
