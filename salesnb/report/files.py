"""Files of a report pack written safely: single files, the whole pack folder, its lock.

A single file goes to a temporary file in the same folder first, then
:func:`os.replace` puts it in place. A pack is built in a hidden folder next to
``<out>/<name>`` (``.<name>.build-<pid>-<random>``, marked by a
:data:`BUILD_MARKER` file) and swapped in at the end: the previous pack is
renamed aside (``.<name>.old-<pid>-<ns>``), the new one renamed in, then the old
one deleted. A run killed at any point leaves the previous pack or the new one
in place, plus hidden leftovers that the next run into the same folder removes
(:func:`clean_leftovers`; a previous pack renamed aside but not replaced is put
back).

salesnb only ever replaces a folder it wrote itself: a pack carries a
``run.json`` with a ``salesnb_version`` key (:func:`is_pack`);
:func:`check_replaceable` refuses any other existing folder. Two runs into the
same folder are kept apart by a lock file ``<out>/.<name>.lock`` holding the
pid of the run (:class:`PackLock`); a lock whose process no longer runs is
taken over.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from salesnb.report.results import ReportError

__all__ = [
    "BUILD_MARKER",
    "write_bytes_atomic",
    "write_text_atomic",
    "is_pack",
    "check_replaceable",
    "clean_leftovers",
    "PackLock",
]

log = logging.getLogger(__name__)

#: File written into a build folder as soon as it is made: marks it as salesnb's own.
BUILD_MARKER = ".salesnb-build"
#: Environment variable naming a point of :func:`_swap_in` to pause at
#: (``"<point>=<seconds>"``, points ``before-swap`` and ``mid-swap``): lets a test
#: kill a run at that point.
PAUSE_VARIABLE = "SALESNB_REPORT_PAUSE"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` atomically (see :func:`write_bytes_atomic`)."""
    return write_bytes_atomic(path, text.encode("utf-8"))


# -- whose folder is it ---------------------------------------------------------------------
def is_pack(folder: Path) -> bool:
    """True when ``folder`` is a report pack salesnb wrote (its ``run.json`` says so)."""
    try:
        meta = json.loads((Path(folder) / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "salesnb_version" in meta


def check_replaceable(final: Path) -> None:
    """Refuse to build into ``final`` unless it is absent, empty or a pack salesnb wrote.

    Raises
    ------
    ReportError
        When ``final`` is a file, or a folder with content and no salesnb ``run.json``.
    """
    if not final.exists() and not final.is_symlink():
        return
    if final.is_symlink() or not final.is_dir():
        raise ReportError(
            f"{final} exists and is not a folder written by salesnb report: "
            f"move it away or choose --out"
        )
    if is_pack(final) or not any(final.iterdir()):
        return
    raise ReportError(
        f"{final} exists and was not written by salesnb report (no run.json): "
        f"move it away or choose --out"
    )


# -- build folders and leftovers ------------------------------------------------------------
def _make_build_dir(final: Path) -> Path:
    """A new empty folder ``.<name>.build-<pid>-<random>`` next to ``final``, marked as ours."""
    final.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{final.name}.build-{os.getpid()}-"
    build = Path(tempfile.mkdtemp(prefix=prefix, dir=final.parent))
    os.chmod(build, 0o777 & ~_umask())  # mkdtemp creates 0700
    (build / BUILD_MARKER).write_text(f"{os.getpid()}\n", encoding="utf-8")
    return build


def _leftover_pattern(final: Path) -> re.Pattern:
    return re.compile(rf"^\.{re.escape(final.name)}\.(build|old)-\d+-[A-Za-z0-9_]+$")


def clean_leftovers(final: Path) -> list[Path]:
    """Remove the hidden build and old folders a killed run into ``final`` left behind.

    Call it while holding the pack's lock. Only folders named like salesnb's
    own (``.<name>.build-<pid>-<random>``, ``.<name>.old-<pid>-<ns>``) and
    carrying its marker (:data:`BUILD_MARKER`, or a pack's ``run.json``) are
    touched. When ``final`` is missing and a previous pack was left renamed
    aside, the newest one is put back in place first. Returns what was removed.
    """
    parent = final.parent
    if not parent.is_dir():
        return []
    pattern = _leftover_pattern(final)
    found = [p for p in parent.iterdir() if pattern.match(p.name) and p.is_dir()]
    builds = [p for p in found if ".build-" in p.name and (p / BUILD_MARKER).is_file()]
    olds = sorted(
        (p for p in found if ".old-" in p.name and is_pack(p)),
        key=lambda p: p.stat().st_mtime_ns,
    )
    if olds and not final.exists():
        log.warning("putting back the previous pack %s left aside by a killed run", olds[-1])
        os.replace(olds.pop(), final)
    removed = []
    for path in builds + olds:
        log.info("removing %s left by a killed run", path)
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _pause(point: str) -> None:
    """Sleep at ``point`` when :data:`PAUSE_VARIABLE` asks for it (tests kill runs there)."""
    want = os.environ.get(PAUSE_VARIABLE, "")
    name, _, seconds = want.partition("=")
    if name == point:
        time.sleep(float(seconds or 0))


def _swap_in(build: Path, final: Path) -> None:
    """Replace ``final`` by ``build`` (both in the same folder).

    The previous pack is renamed aside, the new one renamed in, then the old
    one deleted; the build marker is removed from the new pack once it is in place.
    """
    _pause("before-swap")
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}-{time.time_ns()}")
        os.replace(final, old)
    _pause("mid-swap")
    os.replace(build, final)
    (final / BUILD_MARKER).unlink(missing_ok=True)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# -- one run at a time ----------------------------------------------------------------------
def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (on Windows, where signal 0 would end it: assume so)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except OSError:
        return False
    return True


class PackLock:
    """The lock file ``<out>/.<name>.lock`` of one pack folder, holding the run's pid.

    Created with ``O_CREAT | O_EXCL``; a lock whose pid no longer runs is taken
    over. Used as a context manager; ``wait`` is how long to wait for another
    run before giving up.

    Raises
    ------
    ReportError
        When another run still holds the lock after ``wait`` seconds.
    """

    def __init__(self, final: Path, *, wait: float = 0.0, poll: float = 0.5):
        self.path = final.with_name(f".{final.name}.lock")
        self.final = final
        self.wait = wait
        self.poll = poll
        self._held = False

    def _holder(self) -> int | None:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except OSError:
            return -1
        return int(text) if text.isdigit() else -1

    def _stale(self, holder: int) -> bool:
        """A lock of a process that no longer runs, or unreadable and older than a minute."""
        if holder > 0:
            return not _running(holder)
        try:
            return time.time() - self.path.stat().st_mtime > 60
        except OSError:
            return False

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + max(self.wait, 0.0)
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder is None:
                    continue  # released meanwhile
                if self._stale(holder):
                    if self._holder() == holder:  # still the same stale lock
                        log.warning("taking over the lock of run %s, which no longer runs", holder)
                        self.path.unlink(missing_ok=True)
                    continue
                if time.monotonic() >= deadline:
                    who = f"(pid {holder}) " if holder and holder > 0 else ""
                    raise ReportError(
                        f"another salesnb report {who}is writing {self.final} (lock file "
                        f"{self.path}); wait for it to finish or pass --wait SECONDS "
                        f"(delete the lock file if no such run is going on)"
                    ) from None
                time.sleep(self.poll)
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(f"{os.getpid()}\n")
            self._held = True
            return

    def release(self) -> None:
        if self._held:
            self._held = False
            if self._holder() == os.getpid():
                self.path.unlink(missing_ok=True)

    def __enter__(self) -> PackLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
