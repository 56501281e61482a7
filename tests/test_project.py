"""``salesnb init``: a project folder with the report notebooks and a starter mapping."""

from __future__ import annotations

import pandas as pd
import pytest

import salesnb
from salesnb.cli import main
from salesnb.errors import SalesnbError
from salesnb.project import ProjectExistsError, init_project
from salesnb.resources import NOTEBOOKS_DIR, STARTER_MAPPING


def test_init_writes_every_report_notebook_and_the_starter_mapping(tmp_path):
    written = init_project(tmp_path / "team")
    shipped = sorted(p.name for p in NOTEBOOKS_DIR.glob("[0-9]*.ipynb"))
    assert len(shipped) == 7
    assert sorted(p.name for p in (tmp_path / "team" / "notebooks").iterdir()) == shipped
    for name in shipped:
        assert (tmp_path / "team" / "notebooks" / name).read_bytes() == (
            NOTEBOOKS_DIR / name
        ).read_bytes()
    assert (tmp_path / "team" / "mappings" / "starter.toml").read_bytes() == (
        STARTER_MAPPING.read_bytes()
    )
    assert len(written) == len(shipped) + 1


def test_init_refuses_existing_files_and_writes_nothing(tmp_path):
    mine = tmp_path / "notebooks" / "00_executive_summary.ipynb"
    mine.parent.mkdir()
    mine.write_text("my own version")
    with pytest.raises(ProjectExistsError, match="00_executive_summary.ipynb") as err:
        init_project(tmp_path)
    assert "--force" in str(err.value)
    assert mine.read_text() == "my own version"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [mine.name]


def test_init_force_replaces_only_the_shipped_files(tmp_path):
    init_project(tmp_path)
    shipped = tmp_path / "notebooks" / "01_leads_conversion.ipynb"
    shipped.write_text("changed")
    own = tmp_path / "notebooks" / "99_our_extra.ipynb"
    own.write_text("ours")
    notes = tmp_path / "README.md"
    notes.write_text("team notes")
    init_project(tmp_path, force=True)
    assert shipped.read_bytes() == (NOTEBOOKS_DIR / shipped.name).read_bytes()
    assert own.read_text() == "ours" and notes.read_text() == "team notes"


def test_init_into_a_file_is_an_error(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(SalesnbError, match="not a folder"):
        init_project(target)


def test_starter_mapping_loads_the_worked_example_of_the_mapping_docs(tmp_path):
    (tmp_path / "deals.csv").write_text(
        "Deal,Opened,Phase,Outcome,Qty,Unit Price,Owner\n"
        "D1,05.01.2025,Proposal,Closed Won,2,$50.00,ann\n"
        "D2,06.01.2025,Negotiation,Open,1,$70.00,bob\n"
        "D3,07.01.2025,Discovery,Closed Lost,3,$10.00,test-user\n"
    )
    data = salesnb.load(tmp_path, mapping=STARTER_MAPPING)
    o = data.opportunities
    assert o["opportunity_id"].tolist() == ["D1", "D2"]
    assert o["status"].tolist() == ["won", "open"]
    assert o["amount"].tolist() == [100.0, 70.0]
    assert o["created_at"].tolist() == [pd.Timestamp("2025-01-05"), pd.Timestamp("2025-01-06")]
    assert data.rejected["opportunities"]["Deal"].tolist() == ["D3"]


def test_cli_init_prints_the_files_and_refuses_a_second_time(tmp_path, capsys):
    assert main(["init", str(tmp_path / "p")]) == 0
    out, err = capsys.readouterr()
    assert str(tmp_path / "p" / "mappings" / "starter.toml") in out
    assert "salesnb report --notebooks" in err
    assert main(["init", str(tmp_path / "p")]) == 2
    _, err = capsys.readouterr()
    assert "already exist" in err and "nothing was written" in err
