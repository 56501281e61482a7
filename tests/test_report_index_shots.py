"""The screenshot script of ``make shots`` (salesnb.report.shots), without a browser.

The real run is ``make shots``; here the browser is a stand-in that writes the PNG.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from salesnb.report import shots


def test_command_is_headless_offline_and_sized(tmp_path):
    cmd = shots.chromium_command(
        "/usr/bin/chromium",
        tmp_path / "index.html",
        tmp_path / "out" / "index-390.png",
        width=390,
        height=4000,
        profile=tmp_path / "prof",
    )
    assert cmd[0] == "/usr/bin/chromium"
    for flag in ("--headless", "--disable-background-networking", "--hide-scrollbars"):
        assert flag in cmd
    assert "--window-size=390,4000" in cmd
    assert f"--screenshot={tmp_path / 'out' / 'index-390.png'}" in cmd
    assert f"--user-data-dir={tmp_path / 'prof'}" in cmd
    assert cmd[-1] == (tmp_path / "index.html").resolve().as_uri()


def _pack(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in ("index.html", "01_leads.html"):
        (folder / name).write_text("<html></html>")
    return folder


def test_every_page_at_every_size(tmp_path):
    pack = _pack(tmp_path / "packs" / "2025Q3")
    calls = []

    def fake_browser(cmd, **kwargs):
        calls.append(cmd)
        out = next(a for a in cmd if a.startswith("--screenshot=")).split("=", 1)[1]
        Path(out).write_bytes(b"png")

    written = shots.take_shots(
        shots.find_pack(tmp_path / "packs"),
        tmp_path / "shots",
        browser="chromium",
        run=fake_browser,
    )
    assert [p.name for p in written] == [
        "01_leads-1280.png",
        "01_leads-390.png",
        "index-1280.png",
        "index-390.png",
    ]
    assert len(calls) == 4 and {c[0] for c in calls} == {"chromium"}
    assert shots.find_pack(pack) == pack


def test_missing_screenshot_and_missing_pack_are_errors(tmp_path, capsys):
    pack = _pack(tmp_path / "pack")
    with pytest.raises(RuntimeError, match="at 390 px: no screenshot"):
        shots.take_shots(
            pack, tmp_path / "o", sizes=[(390, 10)], browser="x", run=lambda *a, **k: 0
        )
    with pytest.raises(FileNotFoundError, match="no report pack here"):
        shots.find_pack(tmp_path / "nothing")
    assert shots.main([str(tmp_path / "nothing"), str(tmp_path / "o")]) == 2
    assert "no report pack here" in capsys.readouterr().err
