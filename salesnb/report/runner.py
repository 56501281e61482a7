"""Build a report pack: check the options, load the data, execute, render, write, swap in.

:func:`run_report` is what ``salesnb report`` calls; the functions after it
are its steps, in the order they run (see :mod:`salesnb.report` for the whole pack).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import hashlib
import html
import json
import os
import re
import shutil
import sys
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from salesnb import sections
from salesnb.load import redact_url
from salesnb.load.basis import has_rows
from salesnb.periods import Period
from salesnb.report.execute import (
    KERNEL_NAME,
    NOTEBOOKS_DIR,
    _ansi_free,
    _execute_all,
    _longest_first,
    ensure_kernel,
    list_notebooks,
)
from salesnb.report.files import (
    PackLock,
    _make_build_dir,
    _swap_in,
    check_replaceable,
    clean_leftovers,
    is_pack,
    write_text_atomic,
)
from salesnb.report.index import _pack_tables, _write_key_workbook, _write_pages
from salesnb.report.render import NotebookRenderer, _notebook_title
from salesnb.report.results import NotebookResult, ReportError, ReportResult
from salesnb.resources import MAPPINGS_DIR, SAMPLE_DATA

__all__ = ["DEFAULT_DATA", "run_report", "pack_name"]

#: The data a pack is rendered from when none is given: the bundled sample.
DEFAULT_DATA = SAMPLE_DATA


def run_report(
    *,
    quarter: str | None = None,
    data: str | Path = DEFAULT_DATA,
    mapping: str | Path | None = None,
    out: str | Path = "reports",
    only: Sequence[str] | None = None,
    jobs: int = 1,
    as_of: Any = None,
    region: str | None = None,
    notebooks: str | Path = NOTEBOOKS_DIR,
    timeout: float | None = None,
    progress: bool = True,
    wait: float = 0.0,
    snapshot: bool = True,
    engine: str | None = None,
    fiscal_year_start: int | None = None,
    currency: str | None = None,
    number_style: str | None = None,
) -> ReportResult:
    """Build the report pack ``<out>/<quarter>/`` (``<out>/<quarter>-<region>/`` for a region).

    See :mod:`salesnb.report`. Nothing is executed, and no pack replaced, when
    the data has no contract table with rows, the quarter lies outside the
    data, or ``<out>/<name>`` exists and is not a pack salesnb wrote.

    Parameters
    ----------
    quarter : str, optional
        Quarter label such as ``"2025Q3"``; default the latest complete quarter
        at the data's ``as_of``.
    data : str or Path
        Data folder, workbook, SQLite file or database URL (default the sample).
    mapping : path, optional
        Mapping file for a foreign export.
    out : path
        Parent folder of the pack.
    only : list of str, optional
        Run only these notebooks (see :func:`list_notebooks`).
    jobs : int
        Notebooks executed at the same time (worker processes).
    as_of, region
        Passed to the notebooks (and to ``salesnb.load`` / ``SalesData.filter``).
        A region pack gets its own folder (:func:`pack_name`).
    notebooks : path
        Folder of the report notebooks.
    timeout : float, optional
        Per-cell execution timeout in seconds.
    wait : float
        Seconds to wait for another run writing the same pack (default: refuse at once).
    snapshot : bool
        Hand the notebooks the data loaded here, as a snapshot in the build
        folder (:mod:`salesnb.sections.snapshot`; removed before the pack is
        swapped in). False makes each notebook load ``data`` itself.
    engine : {None, "pandas", "duckdb", "polars"}
        Where the notebooks compute: ``None``/``"pandas"`` in pandas (as
        always); ``"duckdb"`` or ``"polars"``: they open the snapshot lazily on
        that engine, their KPIs run there and only small results (KPI tables,
        per-day and per-customer aggregates for the models) come back to pandas
        (:mod:`salesnb.sections.engine_inputs`). The runner itself then reads
        the data with :func:`salesnb.scan` on that engine (contract checks run
        as engine queries; nothing is materialised in pandas).
    fiscal_year_start, currency, number_style
        The company's calendar and money for every page, the leaderboard page
        and the workbook: month in which its fiscal year begins (quarters
        become fiscal quarters, shown as ``FY2027 Q1``; ``quarter`` may be
        given either way), currency symbol or ISO code, number style (``en``,
        ``de``, ``fr``, ``ch``). Each defaults to the mapping file's
        ``[settings]``, then to calendar quarters, ``$`` and ``en`` (``de`` for
        the euro); see :mod:`salesnb.sections.settings`.

    Returns
    -------
    ReportResult
        ``.ok`` is False when any notebook run now failed; the pack is written
        anyway. With ``only``, the other pages of the previous pack are kept
        (``run.json`` lists them under ``kept_from_previous_run``) and the index
        lists every page.

    Raises
    ------
    ReportError
        Bad quarter label or a quarter outside the data, ``jobs`` < 1, unknown
        notebook, kernel not installable, no contract table with rows in the
        data, an output folder salesnb did not write, another run writing the
        same pack.
    salesnb.SalesnbError
        The data cannot be read at all (missing path, malformed mapping).
    """
    from tqdm.auto import tqdm

    started = time.perf_counter()
    started_at = _dt.datetime.now().astimezone()
    paths, data_loc, mapping_loc, as_of_ts = _resolve_inputs(
        quarter=quarter,
        data=data,
        mapping=mapping,
        only=only,
        jobs=jobs,
        as_of=as_of,
        notebooks=notebooks,
    )
    if engine not in (None, *sections.snapshot.ENGINES):
        raise ReportError(f"--engine {engine!r}: expected one of pandas, duckdb, polars")
    engine = None if engine == "pandas" else engine
    try:
        settings = sections.report_settings(
            mapping_loc,
            fiscal_year_start=fiscal_year_start,
            currency=currency,
            number_style=number_style,
        )
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    loaded = _load(data_loc, mapping=mapping_loc, as_of=as_of_ts, engine=engine)
    _check_has_data(loaded, data_loc, mapping_loc)
    try:
        period = sections.report_quarter(
            quarter, loaded.as_of, fiscal_year_start=settings.fiscal_year_start
        )
    except ValueError as exc:
        raise ReportError(f"bad quarter {quarter!r}: {exc}") from None
    _check_quarter_in_data(period, loaded)
    view = _region_view(loaded, region)  # an unknown region fails before any work
    label = period.label

    final = Path(out).resolve() / pack_name(label, region)
    check_replaceable(final)  # before waiting for a lock: a user's folder is never ours
    with sections.using_settings(settings), PackLock(final, wait=wait):
        clean_leftovers(final)
        check_replaceable(final)
        build = _make_build_dir(final)
        try:
            ensure_kernel(KERNEL_NAME)
            # the notebooks get the location without its password; their kernels
            # read the real one from DATA_URL_VARIABLE (see sections.resolve_data_path)
            parameters = {
                "quarter": label,
                "data": redact_url(data_loc),
                "mapping": mapping_loc,
                "region": region,
                "as_of": None if as_of_ts is None else as_of_ts.strftime("%Y-%m-%d"),
                "snapshot": _write_snapshot(loaded, build) if snapshot else None,
                "engine": engine,
                **settings.parameters(),
            }
            kept = _keep_previous_pages(final, build, paths) if only else []
            footer = html.escape(
                f"salesnb {_salesnb_version()} · quarter {period.title} · data as of "
                f"{loaded.as_of.date()} · generated {started_at:%Y-%m-%d %H:%M %Z}"
            )
            results, tables = _execute_and_render(
                paths,
                build,
                parameters,
                footer=footer,
                previous_run=final / "run.json",
                jobs=jobs,
                timeout=timeout,
                progress=progress,
                tqdm=tqdm,
                meanwhile=functools.partial(
                    _pack_tables,
                    loaded,
                    _key_view(loaded, view, parameters["snapshot"], engine, region),
                    period,
                    build,
                ),
                env={**_kernel_env(data_loc), **_engine_env(engine, jobs)},
            )
            _remove_snapshot(build)
            metadata = _write_pack_files(
                build,
                tables,
                sorted([*results, *kept], key=lambda r: r.name),
                loaded=loaded,
                parameters=parameters,
                jobs=jobs,
                started=started,
                started_at=started_at,
                kept=[r.name for r in kept],
            )
            _swap_in(build, final)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
    return _report_result(final, results, metadata, started=started)


def _load(data_loc: str, *, mapping, as_of, engine):
    """The runner's one load: ``salesnb.scan`` on an engine (nothing read into pandas), else ``load``."""
    import salesnb

    if engine is not None:
        return salesnb.scan(data_loc, mapping=mapping, as_of=as_of, engine=engine)
    return salesnb.load(data_loc, mapping=mapping, as_of=as_of)


#: Folder of the data snapshot inside a build folder (never part of the swapped-in pack).
SNAPSHOT_DIR = ".snapshot"


def _write_snapshot(loaded, build: Path) -> str:
    """Write the loaded data to ``<build>/.snapshot``; return its path for the notebooks."""
    return str(sections.write_snapshot(loaded, build / SNAPSHOT_DIR))


def _key_source(loaded, snapshot: str | None, engine: str | None):
    """The tables the index's KPI tables are computed on.

    On an engine, ``loaded`` (from :func:`salesnb.scan`) is the source read
    under its contract checks: every query on it would repeat them (on 100M
    orders, a search for repeated keys each time). Once the snapshot is
    written, the KPI tables read it instead, as the notebooks do. On pandas,
    or without a snapshot, the loaded tables themselves.
    """
    if engine is None or snapshot is None:
        return loaded
    return sections.read_snapshot(snapshot, engine=engine)


def _key_view(loaded, view, snapshot: str | None, engine: str | None, region: str | None):
    """``view`` (the loaded tables, of the region) or the same view of the snapshot."""
    source = _key_source(loaded, snapshot, engine)
    return view if source is loaded else _region_view(source, region)


def _region_view(sales, region: str | None):
    return sales.filter(region=region) if region else sales


def _remove_snapshot(build: Path) -> None:
    """Delete the snapshot of a build folder (the folder salesnb made inside its own build)."""
    folder = build / SNAPSHOT_DIR
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder)


def pack_name(label: str, region: str | None = None) -> str:
    """The folder name of a pack: the quarter, with the region for a region pack.

    The region is reduced to ASCII letters, digits, ``.``, ``_`` and ``-``.

    >>> pack_name("2025Q3"), pack_name("2025Q3", "West"), pack_name("2025Q3", "Île/Nord")
    ('2025Q3', '2025Q3-West', '2025Q3-Ile_Nord')
    """
    if not region:
        return label
    ascii_text = unicodedata.normalize("NFKD", str(region)).encode("ascii", "ignore").decode()
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_text).strip("._-")
    if not safe:
        safe = "region-" + hashlib.sha256(str(region).encode("utf-8")).hexdigest()[:8]
    return f"{label}-{safe}"


def _check_has_data(loaded, data_loc: str, mapping_loc: str | None) -> None:
    """Refuse data in which no contract table has a row (nothing to report on).

    Raises
    ------
    ReportError
        Naming the location and, without a mapping, the mapping files that
        could be meant: those in the data folder, else the bundled presets.
    """
    if any(has_rows(frame) for frame in loaded.tables.values()):
        return
    shown = redact_url(str(data_loc))
    rejected = sum(loaded.rejected_count(t) for t in loaded.rejected)
    if rejected:
        raise ReportError(
            f"no row of {shown} could be loaded ({rejected:,} rejected); "
            f"see why with: salesnb check {shown}"
            + (f" --mapping {mapping_loc}" if mapping_loc else "")
        )
    if mapping_loc:
        raise ReportError(
            f"no contract tables found in {shown} with the mapping {mapping_loc}: "
            f"check its file names (salesnb check {shown} --mapping {mapping_loc})"
        )
    folder = Path(data_loc)
    own = sorted(
        p for p in (folder.iterdir() if folder.is_dir() else []) if p.suffix in _MAPPING_SUFFIXES
    )
    if own:
        hint = " or ".join(str(p) for p in own[:3])
    else:
        presets = sorted(p.name for p in MAPPINGS_DIR.glob("*.toml"))
        hint = f"one of the presets in {MAPPINGS_DIR} ({', '.join(presets)})"
    raise ReportError(
        f"no contract tables found in {shown} — did you mean --mapping {hint}? "
        f"(salesnb map {shown} proposes a mapping)"
    )


_MAPPING_SUFFIXES = (".toml", ".yaml", ".yml")
#: Tables whose dates describe people or things, not events: not part of the data's range.
_DIMENSION_TABLES = ("reps", "customers", "products")


def _data_range(loaded) -> tuple:
    """``(first event date, as_of)`` of the loaded data (first is NaT without dated events)."""
    summary = loaded.summary()
    events = summary[~summary["table"].isin(_DIMENSION_TABLES)] if len(summary) else summary
    first = pd.to_datetime(events["first_date"]).min() if len(events) else pd.NaT
    return first, pd.Timestamp(loaded.as_of)


def _check_quarter_in_data(period: Period, loaded) -> None:
    """Refuse a quarter that ends before the first event or starts after the data's as-of date.

    Raises
    ------
    ReportError
        Naming the data's date range and the quarters it covers.
    """
    first, last = _data_range(loaded)
    before = pd.notna(first) and period.last_day < first.normalize()
    if not before and period.start <= last:
        return
    start = "?" if pd.isna(first) else f"{first:%Y-%m-%d}"
    fys = period.fiscal_year_start
    covers = (
        ""
        if pd.isna(first)
        else "; choose a quarter from "
        f"{Period.containing(first, freq='quarter', fiscal_year_start=fys).title} to "
        f"{Period.containing(last, freq='quarter', fiscal_year_start=fys).title}"
    )
    raise ReportError(
        f"quarter {period.title} is outside the data: it runs from {start} to "
        f"{last:%Y-%m-%d} (as of){covers}"
    )


def _keep_previous_pages(final: Path, build: Path, paths: list[Path]) -> list[NotebookResult]:
    """Copy the pages of the previous pack that this ``--only`` run does not redo.

    Returns their results as recorded in the previous ``run.json`` (file names
    in the pack); nothing when there is no previous salesnb pack.
    """
    if not is_pack(final):
        return []
    meta = json.loads((final / "run.json").read_text(encoding="utf-8"))
    redo = {p.stem for p in paths}
    fields = {f.name for f in dataclasses.fields(NotebookResult)}
    kept = []
    for record in meta.get("notebooks", []):
        if not isinstance(record, dict) or record.get("name") in redo:
            continue
        res = NotebookResult(**{k: v for k, v in record.items() if k in fields})
        for name in (res.html, res.executed):
            if name and (final / name).is_file() and "/" not in name:
                shutil.copy2(final / name, build / name)
        kept.append(res)
    return kept


def _resolve_inputs(*, quarter, data, mapping, only, jobs, as_of, notebooks) -> tuple:
    """Check the options; return ``(notebook paths, data location, mapping path, as_of)``.

    Raises
    ------
    ReportError
        ``jobs`` < 1, bad quarter label or ``as_of``, unknown notebook, missing
        mapping file.
    """
    if jobs < 1:
        raise ReportError(f"--jobs must be at least 1, got {jobs}")
    if quarter is not None:
        try:
            Period.parse(str(quarter).strip().upper(), freq="quarter")
        except ValueError as exc:
            raise ReportError(f"bad quarter {quarter!r}: {exc}") from None
    as_of_ts = _parse_as_of(as_of)
    paths = list_notebooks(notebooks, only=only)
    data_loc = sections.resolve_data_path(data) if data is not None else str(DEFAULT_DATA)
    mapping_loc = str(Path(mapping).resolve()) if mapping else None
    if mapping_loc and not Path(mapping_loc).is_file():
        raise ReportError(f"mapping file {str(mapping)!r} does not exist")
    return paths, data_loc, mapping_loc, as_of_ts


def _kernel_env(data_loc: str) -> dict[str, str | None]:
    """Environment of the notebook kernels: the real data location when it holds a secret.

    Set only when the redacted form differs (a password in the URL), so that no
    secret is ever a notebook parameter; ``None`` removes the variable.
    """
    secret = redact_url(data_loc) != data_loc
    return {sections.DATA_URL_VARIABLE: data_loc if secret else None}


def _engine_env(engine: str | None, jobs: int) -> dict[str, str | None]:
    """Environment of the kernels on DuckDB: each its share of the memory.

    DuckDB's default ``memory_limit`` is 80 % of RAM per process; ``jobs``
    kernels at once would each claim it. Each kernel gets half of the RAM
    divided by ``jobs`` (at least 512 MB) in ``SALESNB_DUCKDB_MEMORY_LIMIT``,
    which :func:`salesnb.sections.open_data` applies; a value the user has set
    in that variable is kept.
    """
    from salesnb.load.scan import MEMORY_VARIABLE

    if engine != "duckdb" or os.environ.get(MEMORY_VARIABLE):
        return {}
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: DuckDB's default
        return {}
    share_mb = max(512, int(ram / 2 / max(jobs, 1) / 2**20))
    return {MEMORY_VARIABLE: f"{share_mb}MB"}


def _parse_as_of(as_of):
    if as_of is None or as_of == "":
        return None
    try:
        return pd.Timestamp(as_of)
    except (ValueError, TypeError):
        raise ReportError(f"--as-of {as_of!r} is not a date (expected YYYY-MM-DD)") from None


def _execute_and_render(
    paths: list[Path],
    build: Path,
    parameters: dict,
    *,
    footer: str,
    previous_run: Path,
    jobs: int,
    timeout,
    progress: bool,
    tqdm,
    meanwhile,
    env: dict | None = None,
) -> tuple:
    """Execute the notebooks into ``build`` and render each one as it finishes.

    The notebooks that took longest in ``previous_run`` start first. Returns
    ``(results in the order of paths, meanwhile's return value)``.
    """
    renderer = NotebookRenderer()
    sources = {src.stem: src for src in paths}
    render = functools.partial(
        _render_page, sources=sources, renderer=renderer, footer=footer, build=build
    )
    order = _longest_first(paths, previous_run)
    results, extra = _execute_all(
        order,
        build,
        parameters,
        jobs=jobs,
        timeout=timeout,
        progress=progress,
        tqdm=tqdm,
        on_done=render,
        meanwhile=meanwhile,
        env=env,
    )
    results = sorted(results, key=lambda r: paths.index(sources[r.name]))
    return results, extra


def _render_page(
    res: NotebookResult,
    *,
    sources: dict[str, Path],
    renderer: NotebookRenderer,
    footer: str,
    build: Path,
) -> None:
    """Render the notebook of ``res`` to ``<build>/<name>.html``; record the file names.

    A page whose every section is unavailable is marked "no data"
    (:func:`_has_no_data`). A notebook file that cannot be read (corrupt
    JSON) is a failed page saying why; the other pages still render.
    """
    import nbformat

    src = sources[res.name]
    executed = Path(res.executed)
    try:
        if executed.is_file():
            nb = nbformat.read(executed, as_version=4)
            res.no_data = res.ok and _has_no_data(nb)
        else:  # papermill could not even start: render the input
            nb = nbformat.read(src, as_version=4)
    except Exception as exc:  # not a notebook (corrupt JSON, unknown format)
        res.ok = False
        res.error = res.error or {}
        res.error.update(
            ename=type(exc).__name__,
            evalue=f"{src.name} is not a readable notebook: {_ansi_free(str(exc))[:500]}",
        )
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {src.stem.replace('_', ' ')}")]
        executed = build / "-"  # nothing executed to ship
    res.title = _notebook_title(nb, src.stem)
    page = renderer.render(nb, title=res.title, error=res.error, footer=footer)
    target = build / f"{src.stem}.html"
    write_text_atomic(target, page)
    res.html = target.name
    res.executed = executed.name if executed.is_file() else ""


_UNAVAILABLE = "section unavailable"


def _has_no_data(nb) -> bool:
    """True when an executed notebook shows "section unavailable" notes and no table or chart.

    The rule the index's "no data" status follows: a page carries content when
    one of its outputs is an image (a chart) or an HTML table; a page without
    any, whose sections said "section unavailable", has nothing to show.
    """
    unavailable = False
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if any(kind.startswith("image/") for kind in data):
                return False
            if "<table" in str(data.get("text/html", "")):
                return False
            text = str(data.get("text/markdown", "")) + str(data.get("text/plain", ""))
            unavailable = (
                unavailable or _UNAVAILABLE in text or _UNAVAILABLE in output.get("text", "")
            )
    return unavailable


def _write_pack_files(
    build: Path,
    tables: tuple,
    results: list[NotebookResult],
    *,
    loaded,
    parameters: dict,
    jobs: int,
    started: float,
    started_at: _dt.datetime,
    kept: list[str] = (),
) -> dict:
    """Write ``kpis.xlsx``, ``index.html``, ``leaderboard.html`` and ``run.json`` into ``build``.

    ``tables`` is what :func:`salesnb.report.index._pack_tables` returned.
    Returns the run metadata (the content of ``run.json``).
    """
    summary, rejected_files, key = tables
    key_error = key.pop("_error", None) if isinstance(key, dict) else None
    workbook = _write_key_workbook(key, summary, build / "kpis.xlsx")
    metadata = _run_metadata(
        parameters,
        results,
        as_of=loaded.as_of,
        jobs=jobs,
        started_at=started_at,
        duration=time.perf_counter() - started,
    )
    if kept:
        metadata["kept_from_previous_run"] = list(kept)
    _write_pages(
        build,
        label=parameters["quarter"],
        region=parameters["region"],
        loaded=loaded,
        metadata=metadata,
        results=results,
        key=key,
        key_error=key_error,
        summary=summary,
        rejected_files=rejected_files,
        workbook=workbook,
        started_at=started_at,
    )
    write_text_atomic(build / "run.json", json.dumps(metadata, indent=2, default=str))
    return metadata


def _run_metadata(
    parameters: dict,
    results: list[NotebookResult],
    *,
    as_of,
    jobs: int,
    started_at: _dt.datetime,
    duration: float,
) -> dict:
    """What ``run.json`` records: the options, the notebooks' results, versions, timing."""
    return {
        "quarter": parameters["quarter"],
        "data": redact_url(parameters["data"]),
        "mapping": parameters["mapping"],
        "region": parameters["region"],
        "as_of": str(as_of.date()),
        "as_of_given": parameters["as_of"],
        "settings": {
            k: parameters.get(k) for k in ("fiscal_year_start", "currency", "number_style")
        },
        "jobs": jobs,
        "notebooks": [{**dataclasses.asdict(r), "status": r.status} for r in results],
        "salesnb_version": _salesnb_version(),
        "python": sys.version.split()[0],
        "started_at": started_at.isoformat(timespec="seconds"),
        "duration_s": round(duration, 2),
        "ok": all(r.ok for r in results),
    }


def _salesnb_version() -> str:
    try:
        import salesnb

        return getattr(salesnb, "__version__", "unknown")
    except Exception:  # pragma: no cover
        return "unknown"


def _report_result(
    final: Path, results: list[NotebookResult], metadata: dict, *, started: float
) -> ReportResult:
    """The result of a pack swapped in at ``final``: file names become paths in it."""
    for res in results:
        res.executed = str(final / res.executed) if res.executed else ""
        res.html = str(final / res.html) if res.html else ""
    return ReportResult(
        quarter=metadata["quarter"],
        out_dir=final,
        index=final / "index.html",
        notebooks=results,
        seconds=time.perf_counter() - started,
        metadata=metadata,
    )
