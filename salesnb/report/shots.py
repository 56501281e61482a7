"""Screenshots of every page of a report pack, at desktop and phone widths (``make shots``).

``python -m salesnb.report.shots PACK_DIR OUT_DIR`` opens each ``*.html`` page of the
pack in a headless Chromium, offline, and writes ``<page>-<width>.png`` into
``OUT_DIR`` (1280 px and 390 px wide by default), so a reviewer can look at every
page without opening them one by one. ``PACK_DIR`` is a pack, or a folder of packs
(the most recent is taken). Chromium is Debian's ``chromium`` package: when no
browser is found it is installed with ``apt-get`` (as root), as a person would.

The browser is driven by its own ``--screenshot`` switch rather than a browser
automation library: nothing else to install, and the command is the one a person
can paste into a shell (:func:`chromium_command`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "SIZES",
    "BROWSERS",
    "chromium_command",
    "find_pack",
    "find_browser",
    "take_shots",
    "main",
]

#: Window sizes (width, height in px): a desktop and a phone; tall enough for most pages.
SIZES: tuple[tuple[int, int], ...] = ((1280, 5000), (390, 9000))
#: Browser commands tried in order.
BROWSERS: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome")
#: Seconds one screenshot may take.
SHOT_TIMEOUT_S = 120


def chromium_command(
    browser: str, page: Path, out: Path, *, width: int, height: int, profile: Path
) -> list[str]:
    """The command that screenshots ``page`` into ``out`` at ``width`` x ``height`` px.

    Headless, no sandbox (containers run as root), no network services
    (no sync, updates or background requests), a throwaway ``profile`` folder,
    scroll bars hidden so the width is the page's.

    >>> cmd = chromium_command("chromium", Path("/p/index.html"), Path("/o/index-390.png"),
    ...                        width=390, height=4000, profile=Path("/tmp/prof"))
    >>> cmd[0], cmd[-1], "--window-size=390,4000" in cmd, "--screenshot=/o/index-390.png" in cmd
    ('chromium', 'file:///p/index.html', True, True)
    """
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        f"--screenshot={out}",
        Path(page).resolve().as_uri(),
    ]


def find_pack(folder: Path) -> Path:
    """``folder`` when it holds an ``index.html``, else its most recent pack subfolder.

    Raises
    ------
    FileNotFoundError
        When neither ``folder`` nor a subfolder holds an ``index.html``.
    """
    folder = Path(folder)
    if (folder / "index.html").is_file():
        return folder
    packs = [p for p in folder.glob("*/index.html") if p.is_file()] if folder.is_dir() else []
    if not packs:
        raise FileNotFoundError(
            f"{folder}: no report pack here (expected an index.html in it or in a subfolder; "
            "render one with `salesnb report --out DIR`)"
        )
    return max(packs, key=lambda p: p.stat().st_mtime).parent


def find_browser(*, install: bool = True) -> str:
    """The path of a Chromium; installs Debian's ``chromium`` with apt-get when missing.

    Raises
    ------
    RuntimeError
        When no browser is found and it cannot be installed (not root, no apt-get).
    """
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if install and shutil.which("apt-get") and os.geteuid() == 0:
        for step in (["apt-get", "install", "-y", "-q", "chromium"],):
            if subprocess.run(step, capture_output=True).returncode:
                subprocess.run(["apt-get", "update", "-q"], capture_output=True)
                subprocess.run(step, capture_output=True)
        found = shutil.which("chromium")
        if found:
            return found
    raise RuntimeError(
        f"no headless browser found (tried {', '.join(BROWSERS)}); install Debian's "
        "chromium: sudo apt-get install chromium"
    )


def take_shots(
    pack: Path,
    out_dir: Path,
    *,
    sizes: Iterable[tuple[int, int]] = SIZES,
    browser: str | None = None,
    run=subprocess.run,
) -> list[Path]:
    """Screenshot every ``*.html`` page of ``pack`` at each size into ``out_dir``.

    Returns the PNG files written, ``<page>-<width>.png``, in page order.

    Raises
    ------
    RuntimeError
        When the browser wrote no screenshot of a page (the page and command are named).
    """
    browser = browser or find_browser()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for page in sorted(Path(pack).glob("*.html")):
        for width, height in sizes:
            target = (out_dir / f"{page.stem}-{width}.png").resolve()
            target.unlink(missing_ok=True)
            with tempfile.TemporaryDirectory(prefix="salesnb-shot-") as profile:
                cmd = chromium_command(
                    browser, page, target, width=width, height=height, profile=Path(profile)
                )
                run(cmd, capture_output=True, timeout=SHOT_TIMEOUT_S)
            if not target.is_file() or not target.stat().st_size:
                raise RuntimeError(f"{page.name} at {width} px: no screenshot ({' '.join(cmd)})")
            written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m salesnb.report.shots PACK_DIR OUT_DIR``: screenshot a pack's pages."""
    parser = argparse.ArgumentParser(
        prog="python -m salesnb.report.shots",
        description="Screenshot every page of a report pack at 1280 px and 390 px.",
    )
    parser.add_argument("pack", type=Path, help="a report pack, or a folder of packs")
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    args = parser.parse_args(argv)
    try:
        pack = find_pack(args.pack)
        shots = take_shots(pack, args.out)
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for shot in shots:
        print(shot)
    print(f"{len(shots)} screenshots of {pack} in {args.out.resolve()}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
