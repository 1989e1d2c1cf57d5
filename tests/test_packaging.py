"""The library as pip installs it: a wheel built offline from pyproject.toml holds ``rustfs_aws`` and
``rustfs_model`` (never a top-level ``components``), the node bootstrap files and data files, one version, and
imports from the wheel alone the way a user's program does."""

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import rustfs_aws

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def test_every_folder_of_the_sources_is_a_listed_package():
    """setuptools ships only the packages listed: a new sub-package left out would be missing from the wheel."""
    found = set()
    for name, folder in SETUPTOOLS["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            found.add(".".join([name, *relative.parts]))
    assert sorted(SETUPTOOLS["packages"]) == sorted(found)
    assert "components" not in {p.split(".")[0] for p in SETUPTOOLS["packages"]}


def test_the_dependencies_are_the_programs_pins_as_ranges_up_to_the_next_major():
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().split() if "==" in line)
    for requirement in PYPROJECT["project"]["dependencies"]:
        name, bounds = requirement.split(">=")
        low, high = bounds.split(",<")
        assert low == pins[name], requirement
        assert int(high) == int(low.split(".")[0]) + 1, requirement
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built offline from a copy of the sources (setuptools writes build/ and *.egg-info next to them)."""
    pytest.importorskip("wheel", reason="setuptools' bdist_wheel needs the wheel package (requirements-dev.txt)")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in SETUPTOOLS["package-dir"].values():
        shutil.copytree(ROOT / folder, src / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--wheel-dir", str(tmp / "dist"), str(src)], check=True, timeout=300)
    (built,) = (tmp / "dist").glob("*.whl")
    return built


def test_the_wheel_holds_the_two_packages_and_the_node_bootstrap_files(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    dist_info = f"rustfs_aws-{rustfs_aws.__version__}.dist-info"
    assert {n.split("/")[0] for n in names} == {"rustfs_aws", "rustfs_model", dist_info}
    bootstrap = ROOT / "components" / "cluster" / "bootstrap"
    shipped = {f"rustfs_aws/cluster/bootstrap/{p.relative_to(bootstrap).as_posix()}"
               for p in bootstrap.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert shipped - set(names) == set(), "bootstrap scripts and templates the user data is rendered from"
    data = {f"rustfs_model/data/{p.name}" for p in (ROOT / "policies" / "rustfs_model" / "data").glob("*.json")}
    assert data and data <= set(names)


def test_the_wheel_carries_one_version_and_the_dependency_ranges(wheel):
    with zipfile.ZipFile(wheel) as archive:
        metadata = Parser().parsestr(archive.read(f"rustfs_aws-{rustfs_aws.__version__}.dist-info/METADATA").decode())
    assert metadata["Name"] == "rustfs-aws" and metadata["Version"] == rustfs_aws.__version__
    assert metadata["Requires-Python"] == ">=3.11"
    def parsed(requirements: list[str]) -> set[tuple[str, str]]:
        return {(r.name, str(r.specifier)) for r in map(Requirement, requirements)}

    assert parsed(metadata.get_all("Requires-Dist")) == parsed(PYPROJECT["project"]["dependencies"])


IMPORTS = """
import json, sys
sys.path.insert(0, sys.argv[1])
import rustfs_aws
from rustfs_aws.network import Network, NetworkArgs, NatGateways
from rustfs_aws.cluster import RustfsCluster, ClusterArgs, plan_cluster
from rustfs_aws.cluster.storage_nodes import RustfsCluster as direct
from rustfs_aws.security import Keys, KeysArgs, Audit, AuditArgs
from rustfs_aws.storage import BucketSettings, HardenedBucket, HardenedBucketArgs, Lifecycle
from rustfs_aws.package import COMPONENTS
from rustfs_aws.cluster.bootstrap import render
from rustfs_model import catalogue
try:
    import components
    top_level_components = True
except ModuleNotFoundError:
    top_level_components = False
print(json.dumps({
    "file": rustfs_aws.__file__, "version": rustfs_aws.__version__, "same": RustfsCluster is direct,
    "templates": sorted(p.name for p in render.TEMPLATES.iterdir()),
    "catalogue": catalogue.instance_type("m6i.large") is not None, "components": len(COMPONENTS),
    "top_level_components": top_level_components,
}))
"""


def test_a_program_imports_the_components_from_the_installed_wheel(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # -I: no current directory, PYTHONPATH or user site, so nothing of the checkout (its rustfs_aws symlink) leaks in.
    out = subprocess.run([sys.executable, "-I", "-c", IMPORTS, str(site)], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout)
    assert Path(seen["file"]).is_relative_to(site)
    assert seen["version"] == rustfs_aws.__version__ and seen["same"]
    assert "rustfs.service" in seen["templates"] and seen["catalogue"] and seen["components"] > 10
    assert seen["top_level_components"] is False
