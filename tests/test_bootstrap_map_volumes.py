"""map-volumes: EBS volume id -> NVMe device, against a fake /dev/disk/by-id and a fake nvme-cli."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

MAP_VOLUMES = Path(__file__).resolve().parent.parent / "components" / "cluster" / "bootstrap" / "map-volumes"
LINK_PREFIX = "nvme-Amazon_Elastic_Block_Store_"


@pytest.fixture
def fake_dev(tmp_path):
    dev = tmp_path / "dev"
    by_id = dev / "disk" / "by-id"
    by_id.mkdir(parents=True)
    return dev


def link_volume(dev: Path, volume_id: str, nvme_name: str) -> Path:
    device = dev / nvme_name
    device.touch()
    link = dev / "disk" / "by-id" / (LINK_PREFIX + volume_id.replace("-", ""))
    link.symlink_to(Path("../..") / nvme_name)
    return device


def map_volumes(dev: Path, *pairs: str, path_prefix: Path | None = None, timeout: int = 0):
    env = dict(
        os.environ,
        RUSTFS_BY_ID_DIR=str(dev / "disk" / "by-id"),
        RUSTFS_NVME_DEVICES=str(dev / "nvme*n1"),
        RUSTFS_MAP_TIMEOUT=str(timeout),
    )
    if path_prefix is not None:
        env["PATH"] = f"{path_prefix}:{env['PATH']}"
    else:  # make sure a real nvme-cli on the test host is never consulted
        env["PATH"] = "/usr/bin:/bin"
    return subprocess.run([str(MAP_VOLUMES), *pairs], capture_output=True, text=True, env=env)


def test_maps_each_volume_to_its_nvme_device_in_argument_order(fake_dev):
    d2 = link_volume(fake_dev, "vol-0aaaaaaaaaaaaaaa2", "nvme3n1")
    d0 = link_volume(fake_dev, "vol-0aaaaaaaaaaaaaaa0", "nvme1n1")
    link_volume(fake_dev, "vol-0bbbbbbbbbbbbbbbb", "nvme2n1")  # another volume on the host

    result = map_volumes(fake_dev, "0:vol-0aaaaaaaaaaaaaaa0", "2:vol-0aaaaaaaaaaaaaaa2")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"0:{d0}", f"2:{d2}"]


def test_missing_volume_fails_after_timeout(fake_dev):
    link_volume(fake_dev, "vol-0aaaaaaaaaaaaaaa0", "nvme1n1")
    result = map_volumes(fake_dev, "0:vol-0aaaaaaaaaaaaaaa0", "1:vol-0ccccccccccccccc1")
    assert result.returncode != 0
    assert "vol-0ccccccccccccccc1" in result.stderr


def test_waits_for_a_link_that_appears_late(fake_dev):
    process = subprocess.Popen(
        [str(MAP_VOLUMES), "0:vol-0aaaaaaaaaaaaaaa0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(
            os.environ,
            PATH="/usr/bin:/bin",
            RUSTFS_BY_ID_DIR=str(fake_dev / "disk" / "by-id"),
            RUSTFS_NVME_DEVICES=str(fake_dev / "nvme*n1"),
            RUSTFS_MAP_TIMEOUT="20",
        ),
    )
    time.sleep(1.5)  # the script has looked at least once and is now polling
    assert process.poll() is None
    device = link_volume(fake_dev, "vol-0aaaaaaaaaaaaaaa0", "nvme1n1")
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert stdout.strip() == f"0:{device}"


def test_falls_back_to_nvme_serial_when_udev_link_is_missing(fake_dev, tmp_path):
    (fake_dev / "nvme1n1").touch()
    (fake_dev / "nvme2n1").touch()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_nvme = bin_dir / "nvme"
    fake_nvme.write_text(
        "#!/bin/sh\n"
        'case "$2" in\n'
        '  */nvme1n1) echo "vid       : 0x1d0f"; echo "sn        : vol0ddddddddddddddd1" ;;\n'
        '  */nvme2n1) echo "vid       : 0x1d0f"; echo "sn        : vol0ddddddddddddddd2" ;;\n'
        "esac\n"
    )
    fake_nvme.chmod(0o755)

    result = map_volumes(fake_dev, "5:vol-0ddddddddddddddd2", path_prefix=bin_dir)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"5:{fake_dev / 'nvme2n1'}"


@pytest.mark.parametrize(
    "pairs, message",
    [
        (["0:vol-0aaaaaaaaaaaaaaa0", "0:vol-0aaaaaaaaaaaaaaa1"], "given twice"),
        (["0:/dev/nvme1n1"], "bad argument"),
        (["vol-0aaaaaaaaaaaaaaa0"], "bad argument"),
        ([], "usage"),
    ],
)
def test_bad_arguments_are_rejected(fake_dev, pairs, message):
    link_volume(fake_dev, "vol-0aaaaaaaaaaaaaaa0", "nvme1n1")
    link_volume(fake_dev, "vol-0aaaaaaaaaaaaaaa1", "nvme2n1")
    result = map_volumes(fake_dev, *pairs)
    assert result.returncode != 0 and message in result.stderr


def test_two_volumes_resolving_to_one_device_are_rejected(fake_dev):
    link_volume(fake_dev, "vol-0aaaaaaaaaaaaaaa0", "nvme1n1")
    alias = fake_dev / "disk" / "by-id" / (LINK_PREFIX + "vol0aaaaaaaaaaaaaaa1")
    alias.symlink_to(Path("../..") / "nvme1n1")
    result = map_volumes(fake_dev, "0:vol-0aaaaaaaaaaaaaaa0", "1:vol-0aaaaaaaaaaaaaaa1")
    assert result.returncode != 0 and "already mapped" in result.stderr
