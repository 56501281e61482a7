"""salesnb installed from its wheel, without a checkout, renders the report pack.

The wheel is built from this checkout and installed (not editable) into a fresh
virtual environment. To keep the test fast and offline, that environment gets the
third-party dependencies from the running environment's site-packages (a path line in
a ``.pth`` file, which does not run the running environment's own ``.pth`` files, so its
editable salesnb stays invisible) and nbconvert's base templates from its data folder
(``JUPYTER_PATH`` naming only those, so no kernel of the running environment is seen);
salesnb itself, its notebooks, sample data and templates come from the wheel only.
Every command runs outside the checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd, cwd, env, timeout=600):
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"{cmd}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            ROOT,
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            out,
        ],
        cwd=out,
        env=os.environ.copy(),
    )
    (path,) = out.glob("salesnb-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    """A fresh venv with the wheel installed; returns its python, bin folder and env."""
    home = tmp_path_factory.mktemp("installed")
    env_dir = home / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    (site / "_salesnb_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    jupyter = home / "jupyter"
    jupyter.mkdir()
    (jupyter / "nbconvert").symlink_to(Path(sys.prefix) / "share" / "jupyter" / "nbconvert")
    env["JUPYTER_PATH"] = str(jupyter)
    env["JUPYTER_DATA_DIR"] = str(home / "jupyter-user")  # no user-level kernel either
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet", wheel],
        cwd=home,
        env=env,
    )
    return {"python": python, "bin": env_dir / "bin", "env": env, "home": home, "site": site}


def test_wheel_carries_notebooks_sample_templates_and_mappings(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for nb in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        assert f"salesnb/_resources/notebooks/{nb.name}" in names
    for csv in sorted((ROOT / "data" / "sample").glob("*.csv")):
        assert f"salesnb/_resources/data/sample/{csv.name}" in names
    assert "salesnb/_resources/data/mappings/starter.toml" in names
    assert any(n.startswith("salesnb/") and n.endswith(".html.j2") for n in names)
    assert not any("ipynb_checkpoints" in n or "__pycache__" in n for n in names)
    assert not any(n.startswith(("tests/", "notebooks/", "data/")) for n in names)


def test_installed_package_finds_its_own_resources(installed):
    proc = _run(
        [
            installed["python"],
            "-c",
            "import json, salesnb, salesnb.resources as r, salesnb.report as rep;"
            "print(json.dumps({'pkg': salesnb.__file__, 'sample': str(salesnb.SAMPLE_DATA),"
            " 'notebooks': str(rep.NOTEBOOKS_DIR), 'rows': len(salesnb.load(r.SAMPLE_DATA).orders)}))",
        ],
        cwd=installed["home"],
        env=installed["env"],
    )
    info = json.loads(proc.stdout)
    site = str(installed["site"])
    assert info["pkg"].startswith(site), info
    assert info["sample"].startswith(site) and Path(info["sample"], "orders.csv").is_file()
    assert info["notebooks"].startswith(site)
    assert info["rows"] > 0


@pytest.mark.slow
def test_installed_wheel_inits_a_project_and_renders_the_pack_from_it(installed):
    home, env, salesnb = installed["home"], installed["env"], installed["bin"] / "salesnb"
    _run([salesnb, "init", "team"], cwd=home, env=env)
    notebooks = sorted(p.name for p in (home / "team" / "notebooks").glob("*.ipynb"))
    assert notebooks == sorted(p.name for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
    assert (home / "team" / "mappings" / "starter.toml").is_file()
    # a second init refuses to overwrite, and says so
    again = subprocess.run(
        [salesnb, "init", "team"], cwd=home, env=env, capture_output=True, text=True
    )
    assert again.returncode == 2 and "already exist" in again.stderr

    proc = _run(
        [
            salesnb,
            "report",
            "--notebooks",
            "team/notebooks",
            "--out",
            "packs",
            "--jobs",
            "2",
            "--no-progress",
        ],
        cwd=home,
        env=env,
        timeout=900,
    )
    index = Path(proc.stdout.strip().splitlines()[-1])
    assert index.is_file() and index.is_relative_to(home / "packs")
    pages = {p.stem for p in index.parent.glob("*.html")}
    for nb in notebooks:
        assert Path(nb).stem in pages, (nb, sorted(pages))
    run = json.loads((index.parent / "run.json").read_text())
    assert run["ok"] and all(nb["ok"] for nb in run["notebooks"])
    # the default data is the sample inside the installed package
    assert run["data"].startswith(str(installed["site"])), run["data"]
