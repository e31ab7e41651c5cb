"""Secret files: created atomically, mode 0600 from the first byte, and refused when they
cannot be what they claim to be.

Several processes of one deployment start at the same moment (two servers, the projector,
a CLI command) and each may find a secret missing. Creating it by ``exists()`` then
``open(O_EXCL)`` then ``write`` leaves a window where another process reads an empty file,
and a start killed inside that window leaves the empty file forever. So a secret is written
whole to a private temporary file, flushed to disk, and only then linked into place under
its real name: a reader sees either no file or the complete secret, and the loser of a race
reads the winner's secret instead of writing its own.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from domain.errors import DomainError

MIN_SECRET_BYTES = 16


class SecretFileError(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__("configuration_error", message)


def create_secret_file(path: Path, content: bytes) -> bool:
    """Write `content` to `path` (mode 0600) unless a file is there already.

    Returns True when this call created it, False when it existed (then it is left as it
    is). Never leaves a partial file under `path`."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # link() fails when the name exists: the atomic "create if absent" that
            # rename() (which replaces) does not give.
            os.link(temporary, path)
        except FileExistsError:
            return False
        _fsync_directory(path.parent)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def write_new_secret_file(path: Path, content: bytes) -> None:
    """Like `create_secret_file`, but a file already there is an error (never replaced)."""
    if not create_secret_file(path, content):
        raise DomainError("file_exists", f"{path} exists; not overwritten")


def read_hex_secret(path: Path, min_bytes: int = MIN_SECRET_BYTES, hint: str = "") -> bytes:
    """The secret in `path` (hex), refused when missing, unreadable, empty or short."""
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise SecretFileError(f"no secret at {path}{'; ' + hint if hint else ''}") from None
    except OSError as error:
        raise SecretFileError(f"{path} cannot be read ({error.strerror})") from None
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise SecretFileError(f"{path} does not hold a hex secret; restore it from the "
                              "deployment's backup") from None
    if len(value) < min_bytes:
        raise SecretFileError(f"{path} holds {len(value)} bytes, fewer than the {min_bytes} a "
                              "secret needs; restore it from the deployment's backup")
    return value


def ensure_hex_secret(path: Path, num_bytes: int = 32) -> bytes:
    """The secret in `path`, made (random, `num_bytes`) when there is none yet. Every
    process of a deployment that calls this gets the same secret."""
    if not path.exists():
        create_secret_file(path, (secrets.token_hex(num_bytes) + "\n").encode())
    return read_hex_secret(path, min(num_bytes, MIN_SECRET_BYTES))


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
