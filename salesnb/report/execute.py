"""Execute report notebooks with Papermill: the kernel, one notebook, many in worker processes.

Notebooks run with the kernel ``python3`` (made available by
:func:`ensure_kernel`) and the common parameters :data:`CORE_PARAMETERS`, in
parallel up to ``jobs`` worker processes, with a progress bar on stderr. A
notebook that fails does not stop the others: its result carries the error
(cell index, cell source and traceback).
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from salesnb.report.results import NotebookResult, ReportError
from salesnb.resources import NOTEBOOKS_DIR

__all__ = [
    "NOTEBOOKS_DIR",
    "CORE_PARAMETERS",
    "KERNEL_NAME",
    "ensure_kernel",
    "list_notebooks",
    "execute_notebook",
]

log = logging.getLogger(__name__)

# NOTEBOOKS_DIR (the bundled report notebooks) comes from salesnb.resources.

#: Parameters every report notebook declares in its ``parameters`` cell.
CORE_PARAMETERS: tuple[str, ...] = ("quarter", "data", "mapping", "region", "as_of")
KERNEL_NAME = "python3"


# -- kernel -------------------------------------------------------------------------------
def _runs_this_interpreter(argv0: str) -> bool:
    # jupyter_client launches "python"/"python3"/"python3.X" with sys.executable
    names = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    if argv0 in names:
        return True
    try:
        return Path(argv0).resolve() == Path(sys.executable).resolve()
    except OSError:
        return False


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Make sure kernel ``name`` exists and runs this interpreter; return the spec's folder.

    When no such kernelspec is found, or it points at another Python, the
    ipykernel spec of the current interpreter is installed into this
    environment's prefix (``python -m ipykernel install --sys-prefix``).

    Raises
    ------
    ReportError
        When the installation fails.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        spec = manager.get_kernel_spec(name)
        if spec.argv and _runs_this_interpreter(spec.argv[0]):
            return str(spec.resource_dir)
        log.warning(
            "kernel %r runs %s, not %s; installing one for this interpreter",
            name,
            spec.argv[0] if spec.argv else "?",
            sys.executable,
        )
    except NoSuchKernel:
        log.info("no %r kernelspec found; installing one for %s", name, sys.executable)
    proc = subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", name],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise ReportError(f"could not install the {name!r} Jupyter kernel: {proc.stderr.strip()}")
    spec = KernelSpecManager().get_kernel_spec(name)
    if not (spec.argv and _runs_this_interpreter(spec.argv[0])):
        log.warning(
            "kernel %r found at %s still runs %s (a user-level kernelspec takes "
            "precedence); notebooks may run in another environment",
            name,
            spec.resource_dir,
            spec.argv[0],
        )
    return str(spec.resource_dir)


# -- notebooks ----------------------------------------------------------------------------
def list_notebooks(
    directory: str | Path = NOTEBOOKS_DIR, *, only: Sequence[str] | None = None
) -> list[Path]:
    """The report notebooks of ``directory`` in name order, optionally only some.

    ``only`` entries match a notebook's stem exactly, or its stem without the
    numeric prefix (``"executive_summary"`` selects
    ``00_executive_summary.ipynb``), or a prefix of the stem (``"00"``).

    Raises
    ------
    ReportError
        When the folder has no notebooks or an ``only`` entry matches none.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise ReportError(f"notebooks folder {str(folder)!r} does not exist")
    found = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not found:
        raise ReportError(f"no notebooks (*.ipynb) in {str(folder)!r}")
    if not only:
        return found
    chosen: list[Path] = []
    for want in only:
        hits = [
            p
            for p in found
            if p.stem == want or re.sub(r"^\d+_", "", p.stem) == want or p.stem.startswith(want)
        ]
        if not hits:
            raise ReportError(
                f"--only {want!r} matches no notebook; available: "
                + ", ".join(p.stem for p in found)
            )
        chosen += [p for p in hits if p not in chosen]
    return sorted(chosen)


def _ansi_free(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def execute_notebook(
    source: str | Path,
    output: str | Path,
    parameters: Mapping[str, Any],
    *,
    kernel_name: str = KERNEL_NAME,
    timeout: float | None = None,
) -> NotebookResult:
    """Execute one notebook with Papermill into ``output``; never raises for a failing cell.

    The kernel's working directory is the notebook's folder (as in JupyterLab).

    Returns
    -------
    NotebookResult
        ``ok=False`` with ``error`` = ``{"cell_index", "exec_count", "source",
        "ename", "evalue", "traceback"}`` when a cell raised (or the kernel could
        not run), the partially executed notebook being saved at ``output``.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    source, output = Path(source), Path(output)
    start = time.perf_counter()
    error = None
    try:
        pm.execute_notebook(
            str(source),
            str(output),
            parameters=dict(parameters),
            kernel_name=kernel_name,
            cwd=str(source.parent),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=timeout,
        )
    except PapermillExecutionError as exc:
        error = {
            "cell_index": exc.cell_index,
            "exec_count": exc.exec_count,
            "source": exc.source,
            "ename": exc.ename,
            "evalue": _ansi_free(str(exc.evalue)),
            "traceback": _ansi_free("\n".join(exc.traceback)),
        }
    except Exception as exc:  # kernel died, timeout, bad notebook: report, don't crash
        error = {
            "cell_index": None,
            "exec_count": None,
            "source": "",
            "ename": type(exc).__name__,
            "evalue": _ansi_free(str(exc)),
            "traceback": _ansi_free(traceback.format_exc()),
        }
    return NotebookResult(
        name=source.stem,
        ok=error is None,
        seconds=time.perf_counter() - start,
        executed=str(output),
        error=error,
    )


# -- many notebooks: worker processes -----------------------------------------------------
def _longest_first(paths: list[Path], previous_run: Path) -> list[Path]:
    """Notebooks ordered by their duration in the previous run, longest first.

    Starting the long notebooks first keeps the workers busy until the end
    (longest-processing-time scheduling). Without a previous run: name order.
    """
    try:
        meta = json.loads(previous_run.read_text(encoding="utf-8"))
        seconds = {nb["name"]: float(nb["seconds"]) for nb in meta.get("notebooks", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return list(paths)
    return sorted(paths, key=lambda p: -seconds.get(p.stem, float("inf")))


_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def _execute_quietly(
    source: Path,
    output: Path,
    parameters: dict,
    *,
    timeout,
    threads: int | None = None,
    env: Mapping[str, str | None] | None = None,
) -> NotebookResult:
    """:func:`execute_notebook` in a worker process, the kernel's stderr captured.

    Kernels write start-up and shutdown chatter to the stderr they inherit
    (transport warnings, "KeyboardInterrupt caught in kernel"); the worker
    points its stderr at a temporary file, so the console shows only the
    progress bar, and a failed notebook's error carries the last lines.
    ``env`` is set in the worker's environment, which the kernels inherit
    (``None`` removes a variable): how a secret reaches them without being
    written to a notebook.
    """
    for name, value in (env or {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if threads is not None:
        # kernels inherit this worker's environment: with several notebooks at once,
        # each kernel's numerical libraries get their share of the CPUs, not all of them
        for name in _THREAD_VARIABLES:
            os.environ.setdefault(name, str(threads))
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            result = execute_notebook(source, output, parameters, timeout=timeout)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        if result.error is not None:
            sink.seek(0)
            tail = sink.read().decode("utf-8", "replace").splitlines()[-20:]
            result.error["kernel_stderr"] = _ansi_free("\n".join(tail))
    return result


def _crashed(src: Path, build: Path, exc: BaseException) -> NotebookResult:
    return NotebookResult(
        name=src.stem,
        ok=False,
        seconds=0.0,
        executed=str(build / src.name),
        error={
            "cell_index": None,
            "exec_count": None,
            "source": "",
            "ename": type(exc).__name__,
            "evalue": str(exc),
            "traceback": "".join(traceback.format_exception(exc)),
        },
    )


def _execute_all(
    paths: list[Path],
    build: Path,
    parameters: dict,
    *,
    jobs: int,
    timeout,
    progress: bool,
    tqdm,
    on_done=None,
    meanwhile=None,
    env: Mapping[str, str | None] | None = None,
):
    """Execute ``paths`` in up to ``jobs`` worker processes.

    ``meanwhile()`` runs in this process while the workers execute, and
    ``on_done(result)`` is called here as each notebook finishes (rendering
    overlaps the remaining executions). Returns ``(results in completion
    order, meanwhile's return value)`` — only the results when ``meanwhile``
    is None.
    """
    import multiprocessing as mp

    results: list[NotebookResult] = []
    extra = None
    bar = tqdm(
        total=len(paths),
        desc="notebooks",
        unit="nb",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
    )
    ctx = mp.get_context("forkserver" if sys.platform != "win32" else "spawn")
    workers = min(jobs, len(paths))
    threads = max(1, (os.cpu_count() or 1) // workers) if workers > 1 else None
    try:
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {
                pool.submit(
                    _execute_quietly,
                    src,
                    build / src.name,
                    parameters,
                    timeout=timeout,
                    threads=threads,
                    env=env,
                ): src
                for src in paths
            }
            if meanwhile is not None:
                extra = meanwhile()
            for fut in cf.as_completed(futures):
                src = futures[fut]
                try:
                    res = fut.result()
                except Exception as exc:  # worker crashed (killed, out of memory)
                    res = _crashed(src, build, exc)
                if on_done is not None:
                    on_done(res)
                results.append(res)
                bar.set_postfix_str(src.stem)
                bar.update(1)
    finally:
        bar.close()
    return results if meanwhile is None else (results, extra)
