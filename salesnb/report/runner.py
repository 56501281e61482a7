"""Build a report pack: check the options, load the data, execute, render, write, swap in.

:func:`run_report` is what ``salesnb report`` calls; the functions after it
are its steps, in the order they run (see :mod:`salesnb.report` for the whole pack).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import html
import json
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from salesnb import sections
from salesnb.load import redact_url
from salesnb.periods import Period
from salesnb.report.execute import (
    KERNEL_NAME,
    NOTEBOOKS_DIR,
    _execute_all,
    _longest_first,
    ensure_kernel,
    list_notebooks,
)
from salesnb.report.files import _make_build_dir, _swap_in, write_text_atomic
from salesnb.report.index import _pack_tables, _write_key_workbook, _write_pages
from salesnb.report.render import NotebookRenderer, _notebook_title
from salesnb.report.results import NotebookResult, ReportError, ReportResult
from salesnb.resources import SAMPLE_DATA

__all__ = ["DEFAULT_DATA", "run_report"]

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
) -> ReportResult:
    """Build the report pack ``<out>/<quarter>/``; see :mod:`salesnb.report`.

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
    notebooks : path
        Folder of the report notebooks.
    timeout : float, optional
        Per-cell execution timeout in seconds.

    Returns
    -------
    ReportResult
        ``.ok`` is False when any notebook failed; the pack is written anyway.

    Raises
    ------
    ReportError
        Bad quarter label, ``jobs`` < 1, unknown notebook, kernel not installable.
    salesnb.SalesnbError
        The data cannot be read at all (missing path, malformed mapping).
    """
    from tqdm.auto import tqdm

    import salesnb

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
    loaded = salesnb.load(data_loc, mapping=mapping_loc, as_of=as_of_ts)
    period = sections.report_quarter(quarter, loaded.as_of)
    view = loaded.filter(region=region) if region else loaded
    label = period.label

    final = Path(out).resolve() / label
    build = _make_build_dir(final)
    try:
        ensure_kernel(KERNEL_NAME)
        parameters = {
            "quarter": label,
            "data": data_loc,
            "mapping": mapping_loc,
            "region": region,
            "as_of": None if as_of_ts is None else as_of_ts.strftime("%Y-%m-%d"),
        }
        footer = html.escape(
            f"salesnb {_salesnb_version()} · quarter {label} · data as of "
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
            meanwhile=functools.partial(_pack_tables, loaded, view, period, build),
        )
        metadata = _write_pack_files(
            build,
            tables,
            results,
            loaded=loaded,
            parameters=parameters,
            jobs=jobs,
            started=started,
            started_at=started_at,
        )
        _swap_in(build, final)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return _report_result(final, results, metadata, started=started)


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
            Period.parse(quarter, freq="quarter")
        except ValueError as exc:
            raise ReportError(f"bad quarter {quarter!r}: {exc}") from None
    as_of_ts = _parse_as_of(as_of)
    paths = list_notebooks(notebooks, only=only)
    data_loc = sections.resolve_data_path(data) if data is not None else str(DEFAULT_DATA)
    mapping_loc = str(Path(mapping).resolve()) if mapping else None
    if mapping_loc and not Path(mapping_loc).is_file():
        raise ReportError(f"mapping file {str(mapping)!r} does not exist")
    return paths, data_loc, mapping_loc, as_of_ts


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
    """Render the notebook of ``res`` to ``<build>/<name>.html``; record the file names."""
    import nbformat

    src = sources[res.name]
    executed = Path(res.executed)
    if executed.is_file():
        nb = nbformat.read(executed, as_version=4)
    else:  # papermill could not even start: render the input
        nb = nbformat.read(src, as_version=4)
    page = renderer.render(nb, title=_notebook_title(nb, src.stem), error=res.error, footer=footer)
    target = build / f"{src.stem}.html"
    write_text_atomic(target, page)
    res.html = target.name
    res.executed = executed.name if executed.is_file() else ""


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
        "jobs": jobs,
        "notebooks": [dataclasses.asdict(r) for r in results],
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
