"""A per-series advisory lock (``flock``) so two writers never interleave.

Why ``flock`` on a separate lock file: it is released by the kernel when the process dies, so a
crashed importer cannot leave the series locked forever, and it is per open file description,
so two catalogs in one process exclude each other as two processes do. Writers take it
exclusively; readers take it shared for the short moment they list and open files, so they
never see a rewrite half-applied. On a read-only catalog (no permission to create the lock
file) readers go ahead unlocked: there is no writer to race.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import TracebackType

from neural_trader.core.errors import CatalogError

__all__ = ["SeriesLock"]

_POLL_SECONDS = 0.02


class SeriesLock:
    """Context manager: ``with SeriesLock(path, exclusive=True, timeout=60): ...``."""

    def __init__(self, path: Path, *, exclusive: bool, timeout: float) -> None:
        self.path = path
        self.exclusive = exclusive
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> SeriesLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            if self.exclusive:
                raise
            return self  # read-only catalog: nothing can write, nothing to lock against
        deadline = time.monotonic() + self.timeout
        while True:
            if _try_lock(fd, self.exclusive):
                self._fd = fd
                return self
            if time.monotonic() >= deadline:
                os.close(fd)
                raise CatalogError(
                    f"the series is locked by another writer ({self.path}) and stayed locked "
                    f"for {self.timeout:g} s",
                    hint="wait for the other import to finish, then retry",
                )
            time.sleep(_POLL_SECONDS)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            _unlock(self._fd)
            os.close(self._fd)
            self._fd = None


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int, exclusive: bool) -> bool:
        # msvcrt has no shared mode: readers exclude each other too, which is only slower.
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int, exclusive: bool) -> bool:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
