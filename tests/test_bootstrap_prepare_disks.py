"""prepare-disks against real loop devices with real XFS (root only).

Each test gets its own mount root and fstab under tmp_path; a finalizer unmounts everything under
that root and detaches the loop devices, so nothing leaks into the host even when a test fails.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

PREPARE_DISKS = Path(__file__).resolve().parent.parent / "components" / "cluster" / "bootstrap" / "prepare-disks"
LOOP_FILE_BYTES = 320 * 1024 * 1024  # mkfs.xfs refuses devices under 300 MB
UNRELATED_FSTAB = "UUID=0000-root / ext4 defaults 0 1\n# keep this comment\n"


def sh(*args, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], check=check, capture_output=True, text=True, env=env)


def _why_no_loop_devices() -> str | None:
    if os.geteuid() != 0:
        return "needs root to create loop devices and mount XFS"
    for tool in ("losetup", "mkfs.xfs", "mkfs.ext4", "blkid", "wipefs", "findmnt", "xfs_info"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    # A file of its own: pytest-xdist workers collect this module at the same time.
    fd, name = tempfile.mkstemp(prefix="prepare-disks-loop-probe-")
    os.close(fd)
    probe = Path(name)
    probe.write_bytes(b"\0" * 65536)
    try:
        attached = sh("losetup", "-f", "--show", probe, check=False)
        if attached.returncode != 0:
            return f"loop devices unavailable: {attached.stderr.strip()}"
        sh("losetup", "-d", attached.stdout.strip(), check=False)
    finally:
        probe.unlink(missing_ok=True)
    return None


_SKIP_REASON = _why_no_loop_devices()
pytestmark = pytest.mark.skipif(_SKIP_REASON is not None, reason=str(_SKIP_REASON))


def blkid(device: str, tag: str) -> str:
    return sh("blkid", "-p", "-o", "value", "-s", tag, device, check=False).stdout.strip()


def mounted_source(target: Path) -> str | None:
    return sh("findmnt", "-n", "-o", "SOURCE", "--mountpoint", target, check=False).stdout.strip() or None


def digest(device: str) -> str:
    sha = hashlib.sha256()
    with open(device, "rb") as handle:
        while chunk := handle.read(8 << 20):
            sha.update(chunk)
    return sha.hexdigest()


class Node:
    """A fake node: loop devices, a private mount root and a private fstab."""

    def __init__(self, root: Path):
        self.root = root
        self.mount_root = root / "data"
        self.fstab = root / "fstab"
        self.fstab.write_text(UNRELATED_FSTAB)
        self.devices: list[str] = []

    def new_device(self) -> str:
        backing = self.root / f"disk{len(self.devices)}.img"
        with open(backing, "wb") as handle:
            handle.truncate(LOOP_FILE_BYTES)  # sparse
        device = sh("losetup", "-f", "--show", backing).stdout.strip()
        self.devices.append(device)
        return device

    def target(self, index: int) -> Path:
        return self.mount_root / f"rustfs{index}"

    def prepare(self, *pairs: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, RUSTFS_MOUNT_ROOT=str(self.mount_root), RUSTFS_FSTAB=str(self.fstab))
        return sh(PREPARE_DISKS, *pairs, check=False, env=env)

    def fstab_lines_for(self, index: int) -> list[str]:
        return [line for line in self.fstab.read_text().splitlines() if f" {self.target(index)} " in line]

    def cleanup(self) -> None:
        mounts = sh("findmnt", "-rn", "-o", "TARGET", check=False).stdout.splitlines()
        for target in sorted((m for m in mounts if m.startswith(str(self.mount_root))), reverse=True):
            sh("umount", "-l", target, check=False)
        for device in self.devices:
            sh("losetup", "-d", device, check=False)


@pytest.fixture
def node(tmp_path):
    fake = Node(tmp_path)
    yield fake
    fake.cleanup()


def test_blank_device_is_formatted_mounted_and_registered(node):
    device = node.new_device()

    result = node.prepare(f"0:{device}")

    assert result.returncode == 0, result.stderr
    assert blkid(device, "TYPE") == "xfs"
    assert blkid(device, "LABEL") == "RUSTFS0"
    info = sh("xfs_info", device).stdout
    assert "isize=512" in info and "ftype=1" in info
    assert mounted_source(node.target(0)) == device
    options = sh("findmnt", "-n", "-o", "OPTIONS", "--mountpoint", node.target(0)).stdout
    assert "noatime" in options
    [line] = node.fstab_lines_for(0)
    spec, target, fstype, opts, *_ = line.split()
    assert spec == f"UUID={blkid(device, 'UUID')}" and target == str(node.target(0)) and fstype == "xfs"
    assert {"noatime", "nodiratime", "nofail"} <= set(opts.split(","))
    assert node.fstab.read_text().startswith(UNRELATED_FSTAB)


def test_xfs_error_retries_are_disabled(node):
    device = node.new_device()
    assert node.prepare(f"0:{device}").returncode == 0

    error_dir = Path("/sys/fs/xfs") / Path(device).name / "error"
    retries = {p.parent.name: p.read_text().strip() for p in error_dir.glob("metadata/*/max_retries")}
    assert retries and set(retries.values()) == {"0"}, retries
    assert (error_dir / "fail_at_unmount").read_text().strip() == "1"


def test_data_survives_rerun_and_simulated_replacement(node):
    first, second = node.new_device(), node.new_device()
    assert node.prepare(f"0:{first}", f"1:{second}").returncode == 0
    payload = node.target(1) / "object.bin"
    payload.write_bytes(b"precious" * 1000)
    fstab_before, uuid_before = node.fstab.read_bytes(), blkid(second, "UUID")

    rerun = node.prepare(f"0:{first}", f"1:{second}")
    assert rerun.returncode == 0, rerun.stderr
    assert node.fstab.read_bytes() == fstab_before
    assert payload.read_bytes() == b"precious" * 1000

    # Replacement node: the old volume arrives unmounted, possibly under another device name.
    sh("umount", node.target(1))
    sh("sync")
    assert mounted_source(node.target(1)) is None
    replaced = node.prepare(f"0:{first}", f"1:{second}")
    assert replaced.returncode == 0, replaced.stderr
    assert "adopting it unchanged" in replaced.stderr
    assert mounted_source(node.target(1)) == second
    assert blkid(second, "UUID") == uuid_before
    assert payload.read_bytes() == b"precious" * 1000
    assert node.fstab.read_bytes() == fstab_before


def test_drive_labelled_for_another_index_is_refused_and_nothing_is_changed(node):
    foreign, blank = node.new_device(), node.new_device()
    sh("mkfs.xfs", "-q", "-L", "RUSTFS3", foreign)
    foreign_digest, blank_digest = digest(foreign), digest(blank)

    result = node.prepare(f"0:{blank}", f"1:{foreign}")

    assert result.returncode == 3, "a refusal is permanent: node-bootstrap neither retries nor replaces"
    assert "RUSTFS3" in result.stderr and "no device was changed" in result.stderr
    assert digest(foreign) == foreign_digest
    # All-or-nothing: the blank drive listed first was not formatted either.
    assert digest(blank) == blank_digest and blkid(blank, "TYPE") == ""
    assert node.fstab.read_text() == UNRELATED_FSTAB
    assert mounted_source(node.target(0)) is None and mounted_source(node.target(1)) is None


@pytest.mark.parametrize("label", ["RUSTFS1", "data"])
def test_ext4_device_is_refused_untouched(node, label):
    device = node.new_device()
    sh("mkfs.ext4", "-q", "-F", "-L", label, device)
    before = digest(device)

    result = node.prepare(f"1:{device}")

    assert result.returncode == 3
    assert "ext4" in result.stderr
    assert digest(device) == before
    assert blkid(device, "TYPE") == "ext4"
    assert node.fstab.read_text() == UNRELATED_FSTAB
    assert mounted_source(node.target(1)) is None


def test_partitioned_device_is_not_treated_as_blank(node):
    device = node.new_device()
    with open(device, "r+b") as handle:  # a bare DOS partition-table signature is enough for wipefs
        handle.seek(510)
        handle.write(b"\x55\xaa")
        handle.seek(446)
        first_sector, sectors = (2048).to_bytes(4, "little"), (4096).to_bytes(4, "little")
        handle.write(bytes([0x00, 0, 2, 0, 0x83, 0, 0, 0]) + first_sector + sectors)
    before = digest(device)

    result = node.prepare(f"0:{device}")

    assert result.returncode == 3
    assert digest(device) == before


def test_fstab_has_one_entry_per_drive_after_repeated_runs(node):
    devices = [node.new_device(), node.new_device()]
    stale = f"LABEL=RUSTFS0 {node.target(0)} xfs defaults 0 0\n"
    node.fstab.write_text(UNRELATED_FSTAB + stale + stale)

    for _ in range(3):
        result = node.prepare(*(f"{i}:{d}" for i, d in enumerate(devices)))
        assert result.returncode == 0, result.stderr

    for index in (0, 1):
        assert len(node.fstab_lines_for(index)) == 1
    assert "LABEL=RUSTFS0" not in node.fstab.read_text()
    assert node.fstab.read_text().startswith(UNRELATED_FSTAB)


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda d: [f"0:{d}", f"0:{d}"], "given twice"),
        (lambda d: ["0:/nonexistent/disk"], "not a block device"),
        (lambda d: [d], "bad argument"),
        (lambda d: [], "usage"),
    ],
)
def test_bad_arguments_are_rejected(node, make_args, message):
    device = node.new_device()
    result = node.prepare(*make_args(device))
    assert result.returncode != 0 and message in result.stderr
    assert blkid(device, "TYPE") == ""
