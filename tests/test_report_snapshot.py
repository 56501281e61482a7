"""Tests of the data snapshot a report run loads once (salesnb.sections.snapshot)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import salesnb
from salesnb import report, sections
from salesnb.sections import snapshot as snap

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small data folder: the sample's reps and customers, 300 orders, two bad rows."""
    folder = tmp_path_factory.mktemp("small")
    for name in ("reps", "customers", "products"):
        (folder / f"{name}.csv").write_bytes((SAMPLE / f"{name}.csv").read_bytes())
    orders = pd.read_csv(SAMPLE / "orders.csv", dtype=str, nrows=300)
    orders.loc[0, "amount"] = "abc"  # a rejected row: its raw values mix with numbers
    orders.loc[1, "order_date"] = "not a date"
    orders.to_csv(folder / "orders.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def loaded(small):
    return salesnb.load(small)


def assert_same_data(a, b) -> None:
    assert a.tables.keys() == b.tables.keys()
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert a.rejected.keys() == b.rejected.keys()
    for name in a.rejected:
        pd.testing.assert_frame_equal(a.rejected[name], b.rejected[name])
    pd.testing.assert_frame_equal(a.problems, b.problems)
    for field in ("as_of", "notes", "sources", "rows_read", "source", "pipeline"):
        assert getattr(a, field) == getattr(b, field), field
    assert a.revenue_setting == b.revenue_setting
    pd.testing.assert_frame_equal(a.summary(), b.summary())


def test_snapshot_round_trip_keeps_everything_salesdata_holds(loaded, tmp_path):
    assert loaded.rejected["orders"].shape[0] == 2
    folder = sections.write_snapshot(loaded, tmp_path / "snap")
    back = sections.read_snapshot(folder)
    assert_same_data(loaded, back)
    assert repr(back) == repr(loaded)


def test_snapshot_keeps_a_declared_pipeline_and_revenue_setting(loaded, tmp_path):
    pipeline = salesnb.stages.SalesPipeline.from_mapping(
        {"stages": ["A", {"name": "B", "rotting_days": 9, "probability": 0.4}], "won": ["W"]}
    )
    data = dataclasses.replace(loaded, pipeline=pipeline, revenue_setting="won_deals")
    back = sections.read_snapshot(sections.write_snapshot(data, tmp_path / "snap"))
    assert back.pipeline == pipeline
    assert back.revenue_setting == "won_deals"


def test_snapshot_never_holds_a_password(loaded, tmp_path):
    url = "postgresql://ann:hunter2@db/sales?token=abc123"
    rejected = loaded.rejected["orders"].assign(source_file=url)
    problems = pd.DataFrame(
        {"table": ["orders"], "file": [url], "row": [2], "column": ["amount"]}
    ).reindex(columns=loaded.problems.columns)
    data = dataclasses.replace(
        loaded,
        source=url,
        sources={"orders": f"{url} table orders"},
        notes=[f"read orders from {url}"],
        rejected={"orders": rejected},
        problems=problems,
    )
    folder = sections.write_snapshot(data, tmp_path / "snap")
    for path in folder.iterdir():
        content = path.read_bytes()
        assert b"hunter2" not in content and b"abc123" not in content, path.name
    back = sections.read_snapshot(folder)
    assert back.source == "postgresql://ann:***@db/sales?token=***"
    assert back.rejected["orders"]["source_file"].iloc[0] == back.source


def test_snapshot_refuses_to_overwrite_and_other_formats(loaded, tmp_path):
    folder = sections.write_snapshot(loaded, tmp_path / "snap")
    with pytest.raises(FileExistsError):
        sections.write_snapshot(loaded, folder)
    meta = json.loads((folder / snap.SNAPSHOT_FILE).read_text())
    (folder / snap.SNAPSHOT_FILE).write_text(json.dumps({**meta, "format": 99}))
    with pytest.raises(ValueError, match="format 99"):
        sections.read_snapshot(folder)
    with pytest.raises(FileNotFoundError):
        sections.read_snapshot(tmp_path / "nothing")


def test_open_data_opens_the_snapshot_or_loads(loaded, small, tmp_path):
    folder = sections.write_snapshot(loaded, tmp_path / "snap")
    # with a snapshot the data location is not read again
    assert_same_data(sections.open_data(tmp_path / "gone", snapshot=folder), loaded)
    assert_same_data(sections.open_data(str(small)), loaded)
    with pytest.raises(ValueError, match="engine"):
        sections.open_data(small, engine="spark-ish")


_PROBE = """\
from salesnb import sections
sales = sections.open_data(data, snapshot=snapshot)
print(f"snapshot given: {snapshot is not None}; orders: {len(sales.orders)}")
"""


@pytest.mark.slow
def test_runner_hands_notebooks_a_snapshot_and_removes_it(small, tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        "quarter = None\ndata = None\nmapping = None\nregion = None\nas_of = None\n"
        "snapshot = None\nengine = None"
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Probe"), params, nbformat.v4.new_code_cell(_PROBE)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, nbs / "probe.ipynb")
    out = tmp_path / "out"
    for once in (True, False):
        result = report.run_report(
            data=small, out=out, notebooks=nbs, progress=False, snapshot=once, quarter="2023Q4"
        )
        assert result.ok, result.notebooks[0].error
        page = Path(result.notebooks[0].html).read_text(encoding="utf-8")
        assert f"snapshot given: {once}; orders: 298" in page
        assert not list(out.rglob(snap.SNAPSHOT_FILE)), "the snapshot must not outlive the run"
        assert not [p for p in out.iterdir() if p.name.startswith(".") and p.is_dir()]


def test_snapshot_round_trip_keeps_categorical_and_text_columns(small, tmp_path):
    """A Parquet source's dictionary columns load as categoricals and its text as the
    loader's text dtype; the snapshot reads both back unchanged (text stays in Arrow)."""
    folder = tmp_path / "pq"
    folder.mkdir()
    for name in ("reps", "customers", "products"):
        (folder / f"{name}.csv").write_bytes((small / f"{name}.csv").read_bytes())
    orders = salesnb.load(small).orders.iloc[:50].copy()
    orders["region"] = orders["region"].astype("category")
    orders.loc[3, "channel"] = None  # a missing text value
    orders.to_parquet(folder / "orders.parquet", index=False)
    loaded = salesnb.load(folder)
    assert isinstance(loaded.orders["region"].dtype, pd.CategoricalDtype)
    back = sections.read_snapshot(sections.write_snapshot(loaded, tmp_path / "snap"))
    assert_same_data(loaded, back)
    assert (back.orders.dtypes == loaded.orders.dtypes).all()
