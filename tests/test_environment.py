"""pyproject.toml declares the dependencies; environment.yml must mirror them."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# conda-forge names where they differ from PyPI names
CONDA_NAMES = {"pyyaml": "pyyaml"}


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*(.*)$", req)
    assert m, req
    # pip extras ("psycopg[binary]") have no conda counterpart: the name is compared
    return m.group(1).lower(), m.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    out = dict(_split(r) for r in reqs)
    out["python"] = project["requires-python"].replace(" ", "")
    return out


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict) or dep == "pip":
            continue
        name, spec = _split(dep)
        out[CONDA_NAMES.get(name, name)] = spec
    return out


def test_environment_yml_mirrors_pyproject():
    py, conda = _pyproject(), _environment()
    missing = sorted(set(py) - set(conda))
    extra = sorted(set(conda) - set(py))
    differ = sorted(k for k in set(py) & set(conda) if py[k] != conda[k])
    assert not missing, f"in pyproject.toml but not environment.yml: {missing}"
    assert not extra, f"in environment.yml but not pyproject.toml: {extra}"
    assert not differ, "bounds differ: " + ", ".join(f"{k}: {py[k]} vs {conda[k]}" for k in differ)


def test_environment_installs_the_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert pip and "-e ." in pip[0]["pip"]
    assert "conda-forge" in env["channels"]
