"""The camera binding: found by name, checked for name, resolution and virtual devices."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.capture.devices import (
    CameraProblem,
    check_camera,
    find_camera,
    list_cameras,
)
from kiosk.capture.frames import SourceInfo
from kiosk.errors import CaptureError


def _sysfs(root: Path, nodes: dict[int, tuple[str, int]]) -> Path:
    for index, (name, function) in nodes.items():
        node = root / f"video{index}"
        node.mkdir(parents=True)
        (node / "name").write_text(name + "\n")
        (node / "index").write_text(f"{function}\n")
    (root / "not-a-video-node").mkdir()
    return root


def test_capture_nodes_are_listed_by_index_and_metadata_nodes_skipped(tmp_path: Path) -> None:
    root = _sysfs(
        tmp_path, {2: ("Logitech BRIO", 0), 3: ("Logitech BRIO", 1), 0: ("Integrated Camera", 0)}
    )
    cams = list_cameras(root)
    assert [(c.index, c.name) for c in cams] == [(0, "Integrated Camera"), (2, "Logitech BRIO")]
    assert list_cameras(tmp_path / "missing") == ()


def test_the_bound_name_decides_not_the_number(tmp_path: Path) -> None:
    root = _sysfs(tmp_path, {0: ("Integrated Camera", 0), 4: ("Logitech BRIO", 0)})
    assert find_camera("Logitech BRIO", hint_index=0, sys_root=root).index == 4
    with pytest.raises(CaptureError):
        find_camera("Some Other Camera", sys_root=root)


def test_the_bound_camera_passes() -> None:
    info = SourceInfo("camera", "Logitech BRIO", 1280, 720, 30.0)
    check = check_camera(info, name="Logitech BRIO", width=1280, height=720)
    assert check.ok and check.expected == check.found == "Logitech BRIO 1280x720"


def test_a_swapped_camera_and_a_changed_resolution_are_flagged() -> None:
    info = SourceInfo("camera", "USB2.0 HD UVC WebCam", 640, 480, 30.0)
    check = check_camera(info, name="Logitech BRIO", width=1280, height=720)
    assert check.problems == (CameraProblem.NAME_CHANGED, CameraProblem.RESOLUTION_CHANGED)
    assert check.codes == ("camera_name_changed", "camera_resolution_changed")


def test_a_virtual_camera_is_flagged_even_when_it_was_bound() -> None:
    info = SourceInfo("camera", "OBS Virtual Camera", 1280, 720, 30.0)
    check = check_camera(info, name="OBS Virtual Camera", width=1280, height=720)
    assert check.problems == (CameraProblem.VIRTUAL,)


def test_an_unbound_camera_is_not_ok_but_a_recording_needs_no_binding() -> None:
    live = SourceInfo("camera", "Logitech BRIO", 640, 480, 30.0)
    assert check_camera(live, name="", width=0, height=0).problems == (CameraProblem.UNBOUND,)
    video = SourceInfo("video", "session.avi", 640, 480, 30.0)
    assert check_camera(video, name="", width=0, height=0).ok
