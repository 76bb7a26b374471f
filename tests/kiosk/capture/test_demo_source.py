"""Demo sources: the simulated customer sees the current prompt; frames are paced."""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np

from kiosk.capture.demo_source import DemoDocumentCamera, PromptFollowingCamera, face_crop


def test_the_camera_asks_for_the_current_prompt_on_every_frame() -> None:
    seen: list[tuple[float, str | None]] = []
    prompts = iter(["turn_left", "turn_left", None, "blink"])

    def person(t_s: float, action: str | None) -> np.ndarray:
        seen.append((t_s, action))
        return np.zeros((60, 80, 3), np.uint8)

    cam = PromptFollowingCamera(person, lambda: next(prompts), fps=50.0, size=(80, 60))
    frames = [cam.read() for _ in range(4)]
    assert [a for _, a in seen] == ["turn_left", "turn_left", None, "blink"]
    times = [f.t_s for f in frames if f is not None]
    assert times == sorted(times) and times[0] < 0.01
    # paced at 50 fps: about 20 ms apart (never bunched)
    assert all(0.012 < b - a < 0.1 for a, b in itertools.pairwise(times))
    assert cam.info.kind == "demo" and (cam.info.width, cam.info.height) == (80, 60)


def test_the_crop_is_what_the_camera_sees() -> None:
    frame = np.arange(100 * 120 * 3, dtype=np.uint32).reshape(100, 120, 3).astype(np.uint8)
    cam = PromptFollowingCamera(lambda t, a: frame, lambda: None, fps=100.0, crop=(10, 20, 40, 30))
    got = cam.read()
    assert got is not None and got.pixels.shape == (30, 40, 3)
    assert np.array_equal(got.pixels, frame[20:50, 10:50])
    assert (cam.info.width, cam.info.height) == (40, 30)


def test_closing_ends_a_waiting_read_at_once() -> None:
    cam = PromptFollowingCamera(lambda t, a: np.zeros((4, 4, 3), np.uint8), lambda: None, fps=0.5)
    assert cam.read() is not None
    threading.Timer(0.1, cam.close).start()
    t0 = time.monotonic()
    assert cam.read() is None
    assert time.monotonic() - t0 < 1.0


def test_face_crop_centres_the_face_inside_the_image() -> None:
    mask = np.zeros((512, 512), np.float32)
    mask[200:260, 230:290] = 1.0
    x, y, w, h = face_crop(mask)
    assert x >= 0 and y >= 0 and x + w <= 512 and y + h <= 512
    assert abs((x + w / 2) - 260) < 2 and abs((y + h / 2) - 230) < 2
    assert abs(w / h - 4 / 3) < 0.02
    assert face_crop(np.zeros((50, 60), np.float32)) == (0, 0, 60, 50)


def test_the_document_camera_is_blurred_then_sharp() -> None:
    import cv2

    card = np.full((300, 480, 3), 230, np.uint8)
    card[::10] = 20
    cam = DemoDocumentCamera(card, size=(640, 480), fps=50.0, focus_s=0.1)
    first = cam.read()
    time.sleep(0.15)
    later = cam.read()
    assert first is not None and later is not None

    def sharp(p: np.ndarray) -> float:
        return float(cv2.Laplacian(cv2.cvtColor(p, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())

    assert sharp(later.pixels) > 5 * sharp(first.pixels)
