"""The ``salesnb`` command: ``report``, ``init``, ``map``, ``check``, ``contract`` and
``summary``.

Exit codes: 0 success; 1 the report pack was written but a notebook failed, ``check``
found rejected rows, or an internal error (a bug: its traceback is printed, with a line
asking to report it); 2 a user error: bad usage, a path that does not exist or is not what
was expected, a bad quarter or date, a bad mapping, unreadable data, an unreachable
database, a wrong password or a missing database driver (one line on stderr saying what was
expected, no traceback); 130 interrupted (Ctrl-C). Passwords of database URLs are never
printed.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import traceback
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

__all__ = ["main", "build_parser"]

log = logging.getLogger(__name__)


class _UsageError(Exception):
    """A problem with the command line or the input, reported with exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``salesnb`` command."""
    from salesnb.numbers import NUMBER_STYLES
    from salesnb.report import DEFAULT_DATA, NOTEBOOKS_DIR

    parser = argparse.ArgumentParser(
        prog="salesnb",
        description="Sales KPIs, models and the quarterly report pack.",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    rep = sub.add_parser(
        "report",
        help="build the quarterly report pack",
        description="Execute the report notebooks and write "
        "<out>/<quarter>/ (<out>/<quarter>-<region>/ with --region) with HTML pages, index, "
        "leaderboard and KPI workbook. An existing folder is replaced only when salesnb "
        "wrote it; --only keeps the other pages of the previous pack.",
    )
    rep.add_argument(
        "--quarter",
        help="quarter label such as 2025Q3, or FY2027Q1 with --fiscal-year-start "
        "(default: latest complete quarter in the data)",
    )
    rep.add_argument(
        "--data",
        default=str(DEFAULT_DATA),
        help="data folder, Excel workbook, SQLite file or database URL "
        "(default: the bundled sample)",
    )
    rep.add_argument("--mapping", help="mapping file (TOML/YAML) for a foreign export")
    rep.add_argument("--out", default="reports", help="output folder (default: reports)")
    rep.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only these notebooks (e.g. 00_executive_summary or executive_summary)",
    )
    rep.add_argument(
        "--jobs", type=int, default=1, help="notebooks executed in parallel (default: 1)"
    )
    rep.add_argument("--as-of", dest="as_of", help="the data's 'now' (YYYY-MM-DD)")
    rep.add_argument("--region", help="restrict the pack to one region")
    rep.add_argument(
        "--notebooks",
        default=str(NOTEBOOKS_DIR),
        help="folder of the report notebooks (default: notebooks/)",
    )
    rep.add_argument(
        "--timeout", type=float, default=None, help="per-cell timeout in seconds (default: none)"
    )
    rep.add_argument("--no-progress", action="store_true", help="no progress bar")
    rep.add_argument(
        "--engine",
        choices=["pandas", "duckdb", "polars"],
        default="pandas",
        help="where the notebooks compute their KPIs: pandas (default) or, for data "
        "larger than memory, duckdb or polars (only small results come back to pandas)",
    )
    rep.add_argument(
        "--fiscal-year-start",
        dest="fiscal_year_start",
        type=_month,
        metavar="MONTH",
        help="month in which the company's fiscal year begins, 1-12 or a name (4 or april: "
        "quarters become fiscal quarters, FY2027 Q1); default: the mapping's [settings], "
        "else 1 (calendar quarters)",
    )
    rep.add_argument(
        "--currency",
        help="currency symbol or code shown with amounts (€, EUR, ¥, JPY...); default: the "
        "mapping's [settings], else $",
    )
    rep.add_argument(
        "--number-style",
        dest="number_style",
        choices=list(NUMBER_STYLES),
        help="how numbers are written: en 1,234.56; de 1.234,56; fr 1 234,56; ch 1'234.56 "
        "(default: the mapping's [settings], else de for the euro and en otherwise)",
    )
    rep.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another run writing the same pack (default: refuse at once)",
    )

    ini = sub.add_parser(
        "init",
        help="copy the report notebooks and a starter mapping into a folder of your own",
        description="Write DIR/notebooks/ (the report notebooks, to customise) and "
        "DIR/mappings/starter.toml (a commented mapping of a CRM deals export). "
        "Then: salesnb report --notebooks DIR/notebooks --data ... --mapping ...",
    )
    ini.add_argument("directory", metavar="DIR", help="project folder (created if needed)")
    ini.add_argument(
        "--force",
        action="store_true",
        help="replace files of the same names that already exist (nothing else is touched)",
    )

    _add_map_and_check(sub)

    con = sub.add_parser("contract", help="print the data contract (Markdown)")
    con.add_argument(
        "--write", metavar="FILE", help="write it to FILE instead (e.g. docs/data-contract.md)"
    )

    summ = sub.add_parser("summary", help="print the load summary of a data source")
    summ.add_argument("--data", required=True, help="data folder, workbook or URL")
    summ.add_argument("--mapping", help="mapping file for a foreign export")
    summ.add_argument("--as-of", dest="as_of", help="the data's 'now' (YYYY-MM-DD)")
    return parser


def _add_map_and_check(sub) -> None:
    from salesnb.load.survey import DEFAULT_LIMIT

    mp = sub.add_parser(
        "map",
        help="propose a commented mapping for a CRM or ERP export (loads nothing)",
        description="Read the headers and a sample of rows of each file, sheet or database "
        "table of DATA, recognise the contract tables and columns, the date formats and the "
        "stages, and write a commented mapping to confirm. Nothing is loaded. Then: "
        "salesnb check DATA --mapping FILE",
    )
    mp.add_argument(
        "data", metavar="DATA", help="export folder, Excel workbook, SQLite file or database URL"
    )
    mp.add_argument("--out", metavar="FILE", help="write the mapping to FILE (default: print it)")
    mp.add_argument("--force", action="store_true", help="replace FILE when it exists")
    mp.add_argument(
        "--rows",
        type=int,
        default=DEFAULT_LIMIT,
        help=f"rows read per file (default: {DEFAULT_LIMIT:,})",
    )

    chk = sub.add_parser(
        "check",
        help="dry-run loading DATA: rows rejected and why, sections the pack will show",
        description="Load DATA (with the mapping) without writing anything and say, per "
        "table, the rows read, loaded and rejected with the top reasons and example rows, "
        "unmapped columns, values missing from value maps, and which report sections will "
        "be available. Exit 0 when every row loads, 1 when rows were rejected, 2 on a "
        "usage error.",
    )
    chk.add_argument(
        "data", metavar="DATA", help="data folder, Excel workbook, SQLite file or database URL"
    )
    chk.add_argument("--mapping", metavar="FILE", help="mapping file (TOML/YAML)")
    chk.add_argument("--as-of", dest="as_of", help="the data's 'now' (YYYY-MM-DD)")


def _require_source(data: str, option: str = "DATA") -> None:
    if "://" not in data and not Path(data).exists():
        raise _UsageError(
            f"{option} {data!r} does not exist (expected a folder with one file per table, "
            f"an Excel workbook, an SQLite file or a database URL)"
        )


def _cmd_map(args) -> int:
    from salesnb.load.assistant import propose_mapping
    from salesnb.load.sources import redact_url

    _require_source(args.data)
    out = Path(args.out) if args.out else None
    if out is not None:
        if out.exists() and not args.force:
            raise _UsageError(
                f"--out {str(out)!r} already exists; nothing was written "
                f"(pass --force to replace it)"
            )
        if not out.parent.exists():
            raise _UsageError(f"--out: folder {str(out.parent)!r} does not exist")
    if args.rows < 1:
        raise _UsageError(f"--rows must be at least 1, got {args.rows}")
    proposal = propose_mapping(args.data, limit=args.rows)
    if not proposal.tables:
        found = "; ".join(
            f"{p.label}: {', '.join(p.headers[:8])}" for p in proposal.unrecognised[:10]
        )
        raise _UsageError(
            f"no contract table recognised in {redact_url(args.data)!r} "
            f"(found: {found or 'no file, sheet or table'}); start from the starter mapping "
            f"of `salesnb init` instead"
        )
    data_label = redact_url(args.data)
    text = proposal.toml(data=data_label, out=str(out) if out else None)
    if out is None:
        sys.stdout.write(text)
    elif args.force:
        from salesnb.report import write_text_atomic

        write_text_atomic(out, text)
    else:
        with open(out, "x", encoding="utf-8") as fh:  # never replaces an existing file
            fh.write(text)
    checks = sum("CHECK:" in line for line in text.splitlines())
    _map_summary(proposal, data_label, out, checks)
    return 0


def _map_summary(proposal, data: str, out: Path | None, checks: int) -> None:
    """What was recognised, and the next step, on stderr."""
    for g in proposal.tables:
        left = "" if g.distinct else f", {len(g.unmapped)} not mapped"
        print(f"{g.table:<18} <- {g.part.label} ({len(g.mapped)} columns mapped{left})",
              file=sys.stderr)  # fmt: skip
    for part in proposal.unrecognised:
        print(f"{'(not recognised)':<18}    {part.label}", file=sys.stderr)
    target = str(out) if out else "FILE.toml"
    steps = "confirm the stage order in [pipeline], " if proposal.pipeline else ""
    print(
        f"\nnext: read the mapping ({steps}{checks} line(s) marked CHECK), then\n"
        f"  salesnb check {data} --mapping {target}",
        file=sys.stderr,
    )


def _cmd_check(args) -> int:
    from salesnb.check import run_check

    _require_source(args.data)
    if args.mapping and not Path(args.mapping).is_file():
        raise _UsageError(f"--mapping {args.mapping!r} does not exist")
    report = run_check(args.data, mapping=args.mapping, as_of=args.as_of)
    print(report.text())
    return report.exit_code


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _month(text: str) -> int:
    """A month from the command line: ``4``, ``april`` or ``apr``."""
    word = str(text).strip().lower()
    if word.isdigit() and 1 <= int(word) <= 12:
        return int(word)
    if word[:3] in _MONTHS and len(word) >= 3:
        return _MONTHS.index(word[:3]) + 1
    raise argparse.ArgumentTypeError(f"{text!r} is not a month (1-12 or a name such as april)")


def _cmd_report(args) -> int:
    from salesnb.report import run_report

    if args.data and "://" not in args.data and not Path(args.data).exists():
        raise _UsageError(
            f"--data {args.data!r} does not exist (expected a folder with one "
            f"file per table, an Excel workbook, an SQLite file or a URL)"
        )
    result = run_report(
        quarter=args.quarter,
        data=args.data,
        mapping=args.mapping,
        out=args.out,
        only=args.only,
        jobs=args.jobs,
        as_of=args.as_of,
        region=args.region,
        notebooks=args.notebooks,
        timeout=args.timeout,
        progress=not args.no_progress,
        wait=args.wait,
        engine=None if args.engine == "pandas" else args.engine,
        fiscal_year_start=args.fiscal_year_start,
        currency=args.currency,
        number_style=args.number_style,
    )
    for nb in result.notebooks:
        line = f"{nb.status:>7}  {nb.name}  ({nb.seconds:.1f} s)"
        if nb.error:
            where = nb.error.get("cell_index")
            line += f": {nb.error.get('ename')} in cell {where}: {nb.error.get('evalue')}"
        print(line, file=sys.stderr)
    if not result.ok:
        print(
            f"salesnb report: {len(result.failed)} notebook(s) failed: {', '.join(result.failed)}",
            file=sys.stderr,
        )
    print(result.index)
    return 0 if result.ok else 1


def _cmd_init(args) -> int:
    from salesnb.project import init_project

    written = init_project(args.directory, force=args.force)
    for path in written:
        print(path)
    folder = Path(args.directory)
    print(
        f"\nnext: edit {folder / 'mappings' / 'starter.toml'} for your export (or let\n"
        f"  salesnb map YOUR_EXPORT --out {folder / 'mappings' / 'my_crm.toml'} propose one),"
        f" check it with\n"
        f"  salesnb check YOUR_EXPORT --mapping {folder / 'mappings' / 'starter.toml'}\n"
        f"then render the pack from your copy of the notebooks:\n"
        f"  salesnb report --notebooks {folder / 'notebooks'} --data YOUR_EXPORT "
        f"--mapping {folder / 'mappings' / 'starter.toml'}",
        file=sys.stderr,
    )
    return 0


def _cmd_contract(args) -> int:
    from salesnb.report import write_text_atomic
    from salesnb.schema import contract_markdown

    text = contract_markdown()
    if not text.endswith("\n"):
        text += "\n"
    if args.write:
        target = Path(args.write)
        if not target.parent.exists():
            raise _UsageError(f"--write: folder {str(target.parent)!r} does not exist")
        write_text_atomic(target, text)
        print(target)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_summary(args) -> int:
    import pandas as pd

    import salesnb

    if "://" not in args.data and not Path(args.data).exists():
        raise _UsageError(f"--data {args.data!r} does not exist")
    from salesnb.load.sources import redact_url

    data = salesnb.load(args.data, mapping=args.mapping, as_of=args.as_of)
    summary = data.summary()
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"source: {redact_url(args.data)}\nas_of: {data.as_of.date()}\n")
        print(summary.to_string(index=False))
    for note in data.notes:
        print(f"note: {note}")
    rejected = sum(data.rejected_count(t) for t in data.rejected)
    if rejected:
        print(f"\n{rejected:,} row(s) rejected; first problems:")
        problems = data.problems.head(10)
        for rec in problems.to_dict("records"):
            from salesnb.errors import format_problem

            print("  - " + format_problem(rec))
    return 0


def _check_arguments(args) -> None:
    """Options every command shares, checked before any work starts."""
    as_of = getattr(args, "as_of", None)
    if as_of:
        import pandas as pd

        try:
            pd.Timestamp(as_of)
        except (ValueError, TypeError):
            raise _UsageError(
                f"--as-of {as_of!r} is not a date (expected YYYY-MM-DD, e.g. 2025-09-30)"
            ) from None
    if args.command == "report":
        out = Path(args.out)
        if out.exists() and not out.is_dir():
            raise _UsageError(
                f"--out {str(out)!r} is a file; expected the folder of the report packs "
                f"(created when missing); nothing was written"
            )


# -- errors -------------------------------------------------------------------------------
_USER_OS_ERRORS = (
    FileNotFoundError,
    FileExistsError,
    NotADirectoryError,
    IsADirectoryError,
    PermissionError,
)

#: DB-API exception names (PEP 249) that mean "cannot reach, open or log in to the database".
_DATABASE_ERRORS = {"OperationalError", "InterfaceError"}


def _database_error(exc: BaseException) -> bool:
    if any(cls.__name__ in _DATABASE_ERRORS for cls in type(exc).__mro__):
        return True
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    return sqlalchemy_exc is not None and isinstance(
        exc, (sqlalchemy_exc.ArgumentError, sqlalchemy_exc.NoSuchModuleError)
    )


def _user_error(exc: BaseException) -> str | None:
    """The message of an error the user can fix (exit 2), or None for an internal error."""
    from salesnb.errors import SalesnbError
    from salesnb.report import ReportError

    if isinstance(exc, _UsageError | SalesnbError | ReportError):
        return str(exc)
    if isinstance(exc, _USER_OS_ERRORS):
        if exc.filename is None:
            return str(exc)
        return f"{exc.strerror or type(exc).__name__}: {exc.filename}"
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        if exc.name.partition(".")[0] == "salesnb":
            return None
        return (
            f"the Python module {exc.name!r} is not installed (a database driver or a file "
            f"reader this data source needs); install the package that provides it"
        )
    if _database_error(exc):
        cause = getattr(exc, "orig", None) or exc
        return f"database: {cause}"
    return None


def _one_line(text: str) -> str:
    """A message on one line: the first two lines, then how many more there were."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) <= 2:
        return " ".join(lines)
    return f"{lines[0]} {lines[1]} (and {len(lines) - 2} more)"


_URL_PASSWORD = re.compile(r"(//[^:/@\s]+):[^@/\s]*@")
_QUERY_PASSWORD = re.compile(r"((?:password|passwd|pwd)=)[^&\s'\"]+", re.IGNORECASE)


def _secrets(argv: list[str]) -> list[str]:
    """Passwords given on the command line inside database URLs."""
    found = []
    for arg in argv:
        for value in (arg, arg.partition("=")[2]):
            if "://" not in value:
                continue
            parts = urlsplit(value)
            found.append(parts.password or "")
            found += [v for k, v in parse_qsl(parts.query) if "pass" in k.lower() or k == "pwd"]
    return [secret for secret in found if len(secret) >= 4]


def _scrub(text: str, secrets: list[str]) -> str:
    """``text`` without the passwords of database URLs."""
    text = _URL_PASSWORD.sub(r"\1:***@", text)
    text = _QUERY_PASSWORD.sub(r"\1***", text)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def main(argv: list[str] | None = None) -> int:
    """Run the ``salesnb`` command; returns the exit code (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)  # bad usage: argparse prints it and exits with 2
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # papermill/nbconvert are chatty at INFO; keep them quiet unless -vv
    if args.verbose < 2:
        for name in ("papermill", "traitlets", "nbconvert"):
            logging.getLogger(name).setLevel(logging.ERROR)
    commands = {
        "report": _cmd_report,
        "init": _cmd_init,
        "map": _cmd_map,
        "check": _cmd_check,
        "contract": _cmd_contract,
        "summary": _cmd_summary,
    }
    secrets = _secrets(argv)
    try:
        _check_arguments(args)
        return commands[args.command](args)
    except KeyboardInterrupt:
        print("salesnb: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        message = _user_error(exc)
        if message is not None:
            line = _scrub(_one_line(message), secrets)
            print(f"salesnb {args.command}: error: {line}", file=sys.stderr)
            return 2
        sys.stderr.write(_scrub("".join(traceback.format_exception(exc)), secrets))
        print(
            f"salesnb {args.command}: internal error ({type(exc).__name__}): this is a bug in "
            f"salesnb; please report it with the traceback above",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
