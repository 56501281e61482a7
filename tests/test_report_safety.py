"""Report runs that must not destroy, leak or mislead: a user's folder, the database
password, data without contract tables, a quarter outside the data, a region pack,
pages without data, a corrupt notebook, a killed run, two runs at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import salesnb
from salesnb import cli, sections
from salesnb.load import redact_url
from salesnb.report import files
from salesnb.report.runner import pack_name

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = ROOT / "data" / "sample"
TEST_NOTEBOOKS = HERE / "notebooks"


@pytest.fixture(scope="module")
def orders_only(tmp_path_factory):
    folder = tmp_path_factory.mktemp("orders_only")
    pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3"],
            "customer_id": ["C1", "C2", "C1"],
            "order_date": ["2025-07-03", "2025-08-10", "2025-09-30"],
            "amount": ["100.5", "2000", "300"],
            "region": ["North", "South", "North"],
        }
    ).to_csv(folder / "orders.csv", index=False)
    return folder


def _report(*args: str) -> int:
    return cli.main(["report", "--no-progress", *args])


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    params = nbformat.v4.new_code_cell(
        'quarter = None\ndata = "../data/sample"\nmapping = None\nregion = None\nas_of = None'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"), params]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in sources]
    nbformat.write(nb, path)
    return path


def _good_pack(out: Path, data: Path) -> Path:
    assert _report("--data", str(data), "--notebooks", str(TEST_NOTEBOOKS), "--only", "ok",
                   "--out", str(out)) == 0  # fmt: skip
    return out / "2025Q3"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# -- 1. a folder salesnb did not make --------------------------------------------------------
def test_existing_user_folder_is_refused_and_kept(orders_only, tmp_path, capsys):
    mine = tmp_path / "2025Q3"
    (mine / "sub").mkdir(parents=True)
    (mine / "notes.txt").write_text("my notes")
    (mine / "sub" / "x.csv").write_text("1,2")
    code = _report("--data", str(orders_only), "--notebooks", str(TEST_NOTEBOOKS),
                   "--out", str(tmp_path))  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "exists and was not written by salesnb report (no run.json)" in err
    assert "Traceback" not in err
    assert (mine / "notes.txt").read_text() == "my notes"
    assert (mine / "sub" / "x.csv").read_text() == "1,2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2025Q3"]


def test_check_replaceable_accepts_packs_and_empty_folders(tmp_path):
    files.check_replaceable(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    files.check_replaceable(tmp_path / "empty")
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "run.json").write_text(json.dumps({"salesnb_version": "1"}))
    files.check_replaceable(pack)
    (tmp_path / "file").write_text("x")
    for name, content in [("other", {"tool": "x"}), ("broken", None)]:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "run.json").write_text("{" if content is None else json.dumps(content))
        with pytest.raises(salesnb.report.ReportError, match="no run.json"):
            files.check_replaceable(folder)
    with pytest.raises(salesnb.report.ReportError, match="not a folder"):
        files.check_replaceable(tmp_path / "file")


def test_clean_leftovers_removes_only_marked_folders_and_restores_old_pack(tmp_path):
    final = tmp_path / "2025Q3"
    build = files._make_build_dir(final)
    (build / "index.html").write_text("half")
    unmarked = tmp_path / ".2025Q3.build-1-abc"  # our name, no marker: not ours
    unmarked.mkdir()
    other = tmp_path / ".2025Q4.build-1-abc"
    other.mkdir()
    (other / files.BUILD_MARKER).write_text("1")
    old = tmp_path / ".2025Q3.old-1-123"
    old.mkdir()
    (old / "run.json").write_text(json.dumps({"salesnb_version": "1"}))
    removed = files.clean_leftovers(final)
    assert removed == [build]
    assert final.is_dir() and files.is_pack(final)  # the previous pack is back
    assert unmarked.is_dir() and other.is_dir()


def test_lock_refuses_a_second_run_and_takes_over_a_stale_one(tmp_path, orders_only, capsys):
    final = tmp_path / "2025Q3"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / ".2025Q3.lock").write_text(f"{sleeper.pid}\n")
        code = _report("--data", str(orders_only), "--notebooks", str(TEST_NOTEBOOKS),
                       "--out", str(tmp_path))  # fmt: skip
        assert code == 2
        err = capsys.readouterr().err
        assert f"another salesnb report (pid {sleeper.pid}) is writing" in err
        assert not final.exists()
        with pytest.raises(salesnb.report.ReportError, match="another salesnb report"):
            files.PackLock(final, wait=0.3, poll=0.1).acquire()
    finally:
        sleeper.kill()
        sleeper.wait()
    # the holder is gone: its lock is stale and taken over
    with files.PackLock(final) as lock:
        assert lock.path.read_text().strip() == str(os.getpid())
    assert not lock.path.exists()


@pytest.mark.slow
def test_only_rerun_keeps_the_other_pages(orders_only, tmp_path):
    assert _report("--data", str(orders_only), "--notebooks", str(TEST_NOTEBOOKS),
                   "--out", str(tmp_path)) == 1  # fmt: skip
    pack = tmp_path / "2025Q3"
    broken_before = (pack / "broken.html").read_bytes()
    assert _report("--data", str(orders_only), "--notebooks", str(TEST_NOTEBOOKS),
                   "--out", str(tmp_path), "--only", "ok") == 0  # fmt: skip
    assert (pack / "broken.html").read_bytes() == broken_before
    assert (pack / "broken.ipynb").is_file() and (pack / "ok.html").is_file()
    meta = json.loads((pack / "run.json").read_text())
    assert [nb["name"] for nb in meta["notebooks"]] == ["broken", "ok"]
    assert meta["kept_from_previous_run"] == ["broken"]
    index = (pack / "index.html").read_text(encoding="utf-8")
    assert 'href="broken.html"' in index and 'href="ok.html"' in index
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2025Q3"]


# -- killing a run ---------------------------------------------------------------------------
def _start(out: Path, data: Path, pause: str | None = None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if pause:
        env[files.PAUSE_VARIABLE] = pause
    return subprocess.Popen(
        [sys.executable, "-m", "salesnb", "report", "--data", str(data), "--notebooks",
         str(TEST_NOTEBOOKS), "--only", "ok", "--out", str(out), "--no-progress"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def _kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)  # the run, its workers and kernels
    proc.wait()


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the run never reached the point to kill it at"
        time.sleep(0.05)


@pytest.mark.slow
def test_killed_runs_leave_the_previous_pack_and_the_next_run_cleans_up(orders_only, tmp_path):
    pack = _good_pack(tmp_path, orders_only)
    good = _snapshot(pack)
    out = tmp_path

    def old_aside():
        return any(p.name.startswith(".2025Q3.old-") for p in out.iterdir())

    def build_ready():
        return any(
            p.name.startswith(".2025Q3.build-") and (p / "run.json").exists() for p in out.iterdir()
        )

    points = [
        ("after 1 s", None, lambda: time.sleep(1) or True),
        ("before the swap", "before-swap=60", build_ready),
        ("between the renames", "mid-swap=60", old_aside),
    ]
    # the three kills follow each other (each run meets the leftovers of the one before,
    # as after a crash), then one run must clean up everything and give a whole pack
    for label, pause, reached in points:
        proc = _start(out, orders_only, pause)
        _wait_for(reached)
        _kill(proc)
        if pack.exists():  # the previous pack, whole
            assert _snapshot(pack) == good, label
        else:  # killed between the renames: the next run puts it back
            assert label == "between the renames"
    assert _report("--data", str(orders_only), "--notebooks", str(TEST_NOTEBOOKS),
                   "--only", "ok", "--out", str(out)) == 0  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == ["2025Q3"]
    assert files.is_pack(pack)


# -- 3. the database password ----------------------------------------------------------------
def test_resolve_data_path_maps_the_redacted_url_back_from_the_environment(monkeypatch):
    real = "postgresql://ann:s3cr3t@db.example/sales"
    shown = redact_url(real)
    assert "s3cr3t" not in shown
    monkeypatch.delenv(sections.DATA_URL_VARIABLE, raising=False)
    assert sections.resolve_data_path(shown) == shown
    monkeypatch.setenv(sections.DATA_URL_VARIABLE, real)
    assert sections.resolve_data_path(shown) == real
    other = "postgresql://bob:***@db.example/sales"
    assert sections.resolve_data_path(other) == other  # not the same location: unchanged


def _every_text(folder: Path) -> dict[str, str]:
    texts = {}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        texts[str(path)] = raw.decode("utf-8", "replace")
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    texts[f"{path}!{name}"] = zf.read(name).decode("utf-8", "replace")
    return texts


@pytest.mark.slow
def test_the_password_is_in_no_file_of_the_pack(orders_only, tmp_path, monkeypatch):
    secret = "Pw-9f3e-secret"
    url = f"postgresql://ann:{secret}@db.example:5432/sales"
    digest = hashlib.sha256(url.encode()).hexdigest()
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    _notebook(
        notebooks / "where.ipynb",
        "import hashlib\nfrom salesnb import sections\n"
        "real = sections.resolve_data_path(data)\n"
        "print('data parameter:', data)\n"
        "print('resolved digest:', hashlib.sha256(real.encode()).hexdigest())",
    )
    real_load = salesnb.load

    def load(location, **kwargs):  # the run's own load: the URL stands for the fixture data
        assert location == url
        return real_load(orders_only, **kwargs)

    monkeypatch.setattr(salesnb, "load", load)
    out = tmp_path / "out"
    assert _report("--data", url, "--notebooks", str(notebooks), "--out", str(out)) == 0
    pack = out / "2025Q3"
    executed = nbformat.read(pack / "where.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert f"resolved digest: {digest}" in printed  # the kernel got the real URL
    assert "ann:***@db.example" in printed
    texts = _every_text(pack)
    assert len(texts) >= 5
    assert [name for name, text in texts.items() if secret in text] == []


# -- 5. no contract tables -------------------------------------------------------------------
def test_data_without_contract_tables_exits_2_and_keeps_the_pack(orders_only, tmp_path, capsys):
    pack = _good_pack(tmp_path / "out", orders_only)
    good = _snapshot(pack)
    export = tmp_path / "export"
    export.mkdir()
    (export / "deals.csv").write_text("Deal Name,Amount\nA,1\n")
    (export / "crm.toml").write_text("# my mapping\n")
    code = _report("--data", str(export), "--notebooks", str(TEST_NOTEBOOKS), "--quarter",
                   "2025Q3", "--out", str(tmp_path / "out"))  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert f"no contract tables found in {export}" in err
    assert f"did you mean --mapping {export / 'crm.toml'}" in err
    assert _snapshot(pack) == good
    (export / "crm.toml").unlink()
    assert _report("--data", str(export), "--notebooks", str(TEST_NOTEBOOKS),
                   "--out", str(tmp_path / "out")) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "did you mean --mapping" in err and "hubspot.toml" in err


# -- 6. a quarter outside the data -----------------------------------------------------------
@pytest.mark.parametrize("quarter", ["2031Q1", "2019Q4"])
def test_quarter_outside_the_data_exits_2_naming_the_range(quarter, tmp_path, capsys):
    code = _report("--data", str(SAMPLE), "--quarter", quarter, "--out", str(tmp_path))
    assert code == 2
    err = capsys.readouterr().err
    assert f"quarter {quarter} is outside the data" in err
    assert "2023-" in err and "2026-09-30" in err
    assert list(tmp_path.iterdir()) == []


def test_lower_case_quarter_is_accepted():
    assert sections.report_quarter("2026q3", "2026-12-31").label == "2026Q3"


# -- 7. region packs -------------------------------------------------------------------------
def test_region_view_keeps_the_region_target_as_its_total():
    west = salesnb.load(SAMPLE).filter(region="West")
    targets = west.targets
    company = targets[targets["level"] == "company"]
    region = targets[targets["level"] == "region"]
    assert len(company) == len(region) > 0
    assert company.set_index("period")["revenue_target"].equals(
        region.set_index("period")["revenue_target"]
    )
    att = salesnb.kpi.target_attainment(west.revenue_lines, west.targets)
    assert att.loc[att["period"] == "2026Q3", "target"].notna().all()


@pytest.mark.slow
def test_region_pack_has_its_own_folder(orders_only, tmp_path):
    pack = _good_pack(tmp_path, orders_only)
    good = _snapshot(pack)
    assert _report("--data", str(orders_only), "--notebooks", str(TEST_NOTEBOOKS), "--only",
                   "ok", "--region", "North", "--out", str(tmp_path)) == 0  # fmt: skip
    assert _snapshot(pack) == good
    region_pack = tmp_path / "2025Q3-North"
    assert json.loads((region_pack / "run.json").read_text())["region"] == "North"
    assert pack_name("2025Q3", "Île de France/Nord") == "2025Q3-Ile_de_France_Nord"


# -- 8 and 9. pages without data, a corrupt notebook -----------------------------------------
def test_page_without_content_is_no_data():
    from salesnb.report.runner import _has_no_data

    def executed(*outputs):
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("x")
        cell.outputs = [nbformat.from_dict(o) for o in outputs]
        nb.cells = [cell]
        return nb

    def md(text):
        return {"output_type": "display_data", "data": {"text/markdown": text}, "metadata": {}}

    unavailable = md("> **Leads: section unavailable** — needs table `leads` in the data.")
    header = md("Quarter **2025Q3** (2025-07-01 to 2025-09-30)")
    chart = {"output_type": "display_data", "data": {"image/png": "AA"}, "metadata": {}}
    table = {"output_type": "display_data", "data": {"text/html": "<table></table>"},
             "metadata": {}}  # fmt: skip
    assert _has_no_data(executed(header, unavailable, unavailable))
    assert not _has_no_data(executed(header, unavailable, chart))
    assert not _has_no_data(executed(header, unavailable, table))
    assert not _has_no_data(executed(header))


@pytest.mark.slow
def test_empty_page_is_no_data_and_corrupt_notebook_fails_alone(orders_only, tmp_path, capsys):
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    _notebook(
        notebooks / "a_empty.ipynb",
        "import salesnb\nfrom salesnb import sections\n"
        "sales = salesnb.load(sections.resolve_data_path(data))\n"
        "sections.requires(sales, 'leads', what='New leads')\n"
        "sections.requires(sales, 'opportunities', what='Funnel')",
    )
    (notebooks / "b_corrupt.ipynb").write_text('{"cells": [ this is not json')
    _notebook(notebooks / "c_fine.ipynb", "from salesnb import sections\n"
              "sections.table(__import__('pandas').DataFrame({'a': [1]}))")  # fmt: skip
    out = tmp_path / "out"
    code = _report("--data", str(orders_only), "--notebooks", str(notebooks), "--out", str(out))
    assert code == 1
    err = capsys.readouterr().err
    assert "b_corrupt" in err and "Traceback" not in err
    pack = out / "2025Q3"
    meta = json.loads((pack / "run.json").read_text())
    status = {nb["name"]: nb["status"] for nb in meta["notebooks"]}
    assert status == {"a_empty": "no data", "b_corrupt": "failed", "c_fine": "ok"}
    corrupt = (pack / "b_corrupt.html").read_text(encoding="utf-8")
    assert "This report failed" in corrupt and "JSON" in corrupt
    index = (pack / "index.html").read_text(encoding="utf-8")
    assert '<td class="no-data">no data</td>' in index
