"""Camera devices and the camera binding: the kiosk's camera is known by name and
resolution, so a camera swapped for another one, or for a virtual camera, is noticed.

``/dev/videoN`` numbers change when devices are re-plugged, so the binding stores the
kernel's device name and the capture resolution; the number is only a hint.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from kiosk.capture.frames import CameraSource, SourceInfo
from kiosk.errors import CaptureError
from pipeline.liveness.integrity import is_virtual_camera

SYS_VIDEO = Path("/sys/class/video4linux")


@dataclass(frozen=True, slots=True)
class CameraDevice:
    """A V4L2 capture node: ``index`` of ``/dev/video<index>`` and the kernel's name."""

    index: int
    name: str

    @property
    def virtual(self) -> bool:
        return is_virtual_camera(self.name)


class CameraProblem(enum.Enum):
    """Why a camera does not match its binding."""

    UNBOUND = "camera_unbound"  # no camera was ever bound in the settings
    MISSING = "camera_missing"  # no device with the bound name
    NAME_CHANGED = "camera_name_changed"
    RESOLUTION_CHANGED = "camera_resolution_changed"
    VIRTUAL = "camera_virtual"  # the device calls itself a virtual camera


@dataclass(frozen=True, slots=True)
class CameraCheck:
    """The camera against its binding.

    Attributes:
        problems: empty when the camera is the bound one.
        expected: ``name WxH`` of the binding ("" when unbound).
        found: ``name WxH`` of the open device ("" when none).
    """

    problems: tuple[CameraProblem, ...]
    expected: str
    found: str

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.value for p in self.problems)


def list_cameras(sys_root: Path = SYS_VIDEO) -> tuple[CameraDevice, ...]:
    """Video capture nodes known to the kernel, by index (no device is opened)."""
    found: list[CameraDevice] = []
    if not sys_root.is_dir():
        return ()
    for node in sys_root.iterdir():
        if not node.name.startswith("video") or not node.name[5:].isdigit():
            continue
        try:
            name = (node / "name").read_text("utf-8").strip()
        except OSError:
            continue
        # metadata nodes share the name of their capture node: keep index 0 of each pair
        # only when the kernel says the node captures (index file 0 = first function)
        try:
            function = int((node / "index").read_text().strip())
        except (OSError, ValueError):
            function = 0
        if function == 0:
            found.append(CameraDevice(int(node.name[5:]), name))
    return tuple(sorted(found, key=lambda d: d.index))


def check_camera(info: SourceInfo, *, name: str, width: int, height: int) -> CameraCheck:
    """Compare an open camera (``info``) with the binding (``name``, ``width`` x ``height``).

    A source that is not a camera (a video file, the demo) is checked only for being
    virtual by name; tests and the demo run without a binding.
    """
    found = f"{info.name} {info.width}x{info.height}"
    expected = f"{name} {width}x{height}" if name else ""
    problems: list[CameraProblem] = []
    if is_virtual_camera(info.name):
        problems.append(CameraProblem.VIRTUAL)
    if info.kind == "camera":
        if not name:
            problems.append(CameraProblem.UNBOUND)
        else:
            if info.name != name:
                problems.append(CameraProblem.NAME_CHANGED)
            if (info.width, info.height) != (width, height):
                problems.append(CameraProblem.RESOLUTION_CHANGED)
    return CameraCheck(tuple(problems), expected, found)


def find_camera(name: str, hint_index: int = 0, sys_root: Path = SYS_VIDEO) -> CameraDevice:
    """The device with the bound ``name`` (the hinted index first when several match).

    Raises:
        CaptureError: no device has that name.
    """
    matches = [d for d in list_cameras(sys_root) if d.name == name]
    if not matches:
        raise CaptureError(
            "The kiosk's camera is not connected.", hint="reconnect it, or bind another camera"
        )
    return next((d for d in matches if d.index == hint_index), matches[0])


def open_bound_camera(
    name: str, *, width: int, height: int, hint_index: int = 0, sys_root: Path = SYS_VIDEO
) -> tuple[CameraSource, CameraCheck]:
    """Open the camera bound by ``name`` at ``width`` x ``height`` and check it.

    The source is returned even when the check finds a problem, so the staff console
    can show what is connected; the customer flow refuses a camera whose check fails.

    Raises:
        CaptureError: no such device, or it does not open.
    """
    device = find_camera(name, hint_index, sys_root)
    source = CameraSource(device.index, width=width, height=height)
    return source, check_camera(source.info, name=name, width=width, height=height)
