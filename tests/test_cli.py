"""Tests of the ``salesnb`` command's exit codes: 0 success, 1 a failed notebook or an
internal error (with its traceback), 2 a user error (one line on stderr, no traceback),
130 interrupted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from salesnb import cli
from salesnb.errors import (
    DataSourceError,
    DataValidationError,
    MappingError,
    MissingColumnsError,
    SalesnbError,
)
from salesnb.report import ReportError

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
URL = "postgresql://ann:s3cret-pw@127.0.0.1:1/sales"


def _one_line_error(err: str, command: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"salesnb {command}: error: "), err
    return lines[0]


def _raising(exc: BaseException):
    def command(args):
        raise exc

    return command


def _problems() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": ["orders", "orders"],
            "file": ["orders.csv", "orders.csv"],
            "row": [3, 4],
            "column": ["amount", "amount"],
            "value": ["abc", "x"],
            "rule": ["a number", "a number"],
        }
    )


def _db_error(message: str) -> Exception:
    import sqlalchemy.exc

    return sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception(message))


USER_ERRORS = {
    "salesnb_error": lambda: SalesnbError("something the user can fix"),
    "data_source": lambda: DataSourceError("orders.csv: empty file"),
    "mapping": lambda: MappingError("mapping file m.toml: unknown key 'colums'"),
    "validation": lambda: DataValidationError(_problems()),
    "missing_columns": lambda: MissingColumnsError("orders lacks amount; it has order_id"),
    "report": lambda: ReportError("--jobs must be at least 1, got 0"),
    "file_not_found": lambda: FileNotFoundError(2, "No such file or directory", "/no/such"),
    "not_a_directory": lambda: NotADirectoryError(20, "Not a directory", "/etc/hosts/x"),
    "is_a_directory": lambda: IsADirectoryError(21, "Is a directory", "/tmp"),
    "permission": lambda: PermissionError(13, "Permission denied", "/root/x"),
    "file_exists": lambda: FileExistsError(17, "File exists", "/tmp/report.txt"),
    "database_unreachable": lambda: _db_error("connection refused (is the server running?)"),
    "wrong_password": lambda: _db_error('password authentication failed for user "ann"'),
    "missing_driver": lambda: ModuleNotFoundError("No module named 'psycopg'", name="psycopg"),
}


@pytest.mark.parametrize("kind", sorted(USER_ERRORS))
def test_user_errors_exit_2_with_one_line(kind, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_cmd_contract", _raising(USER_ERRORS[kind]()))
    assert cli.main(["contract"]) == 2
    _one_line_error(capsys.readouterr().err, "contract")


def test_missing_driver_names_the_package(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_cmd_contract", _raising(USER_ERRORS["missing_driver"]()))
    assert cli.main(["contract"]) == 2
    line = _one_line_error(capsys.readouterr().err, "contract")
    assert "psycopg" in line and "not installed" in line


def test_validation_error_is_summed_up_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_cmd_contract", _raising(USER_ERRORS["validation"]()))
    assert cli.main(["contract"]) == 2
    line = _one_line_error(capsys.readouterr().err, "contract")
    assert "2 problem(s) in table(s) orders" in line and "row 3" in line


@pytest.mark.parametrize(
    "exc", [RuntimeError("boom"), ValueError("bad internal state"), KeyError("column")]
)
def test_internal_error_exits_1_with_traceback(exc, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_cmd_contract", _raising(exc))
    assert cli.main(["contract"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert type(exc).__name__ in err
    assert "please report" in err


def test_an_error_of_salesnb_itself_is_internal(monkeypatch, capsys):
    missing = ModuleNotFoundError("No module named 'salesnb.nothing'", name="salesnb.nothing")
    monkeypatch.setattr(cli, "_cmd_contract", _raising(missing))
    assert cli.main(["contract"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_keyboard_interrupt_exits_130(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_cmd_contract", _raising(KeyboardInterrupt()))
    assert cli.main(["contract"]) == 130
    assert "Traceback" not in capsys.readouterr().err


def test_passwords_are_never_printed(monkeypatch, capsys):
    leak = _db_error(f"could not parse {URL}")
    monkeypatch.setattr(cli, "_cmd_summary", _raising(leak))
    assert cli.main(["summary", "--data", URL]) == 2
    err = capsys.readouterr().err
    assert "s3cret-pw" not in err and "ann:***@" in err
    monkeypatch.setattr(cli, "_cmd_summary", _raising(RuntimeError(f"bug while reading {URL}")))
    assert cli.main(["summary", "--data", URL + "?password=s3cret-pw"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "s3cret-pw" not in err


# -- real user errors, end to end ------------------------------------------------------------
def test_missing_data_path_exits_2(tmp_path, capsys):
    assert cli.main(["check", str(tmp_path / "nope")]) == 2
    _one_line_error(capsys.readouterr().err, "check")


def test_bad_quarter_and_bad_as_of_exit_2(capsys):
    assert cli.main(["report", "--quarter", "2025QX", "--data", str(SAMPLE)]) == 2
    _one_line_error(capsys.readouterr().err, "report")
    assert cli.main(["summary", "--data", str(SAMPLE), "--as-of", "someday"]) == 2
    line = _one_line_error(capsys.readouterr().err, "summary")
    assert "--as-of" in line and "someday" in line


def test_bad_mapping_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml\n")
    assert cli.main(["check", str(SAMPLE), "--mapping", str(bad)]) == 2
    _one_line_error(capsys.readouterr().err, "check")


def test_out_that_is_a_file_exits_2(tmp_path, capsys):
    out = tmp_path / "reports.txt"
    out.write_text("not a folder\n")
    code = cli.main(["report", "--out", str(out), "--only", "00_executive_summary"])
    assert code == 2
    line = _one_line_error(capsys.readouterr().err, "report")
    assert "reports.txt" in line and "folder" in line
    assert out.read_text() == "not a folder\n"


def test_unreachable_database_exits_2_without_the_password(capsys):
    pytest.importorskip("psycopg")
    assert cli.main(["check", URL]) == 2
    line = _one_line_error(capsys.readouterr().err, "check")
    assert "s3cret-pw" not in line


def test_missing_database_driver_exits_2(capsys):
    pytest.importorskip("sqlalchemy")
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        pass
    else:  # pragma: no cover - the driver is installed here
        pytest.skip("the MySQL driver is installed")
    assert cli.main(["check", "mysql://ann:pw@127.0.0.1:1/sales"]) == 2
    line = _one_line_error(capsys.readouterr().err, "check")
    assert "MySQLdb" in line


def test_bad_command_line_exits_2():
    proc = subprocess.run(
        [sys.executable, "-m", "salesnb", "report", "--jobs", "many"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "--jobs" in proc.stderr


def test_unknown_region_is_one_line_and_exit_2(tmp_path, capsys):
    from salesnb.cli import main

    code = main(["report", "--region", "Atlantis", "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Atlantis" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
