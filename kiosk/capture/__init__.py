"""Frame and document sources behind one interface: cameras, video files, image folders.

The live camera, a recorded session and a test feed the pipeline through the same
:class:`FrameSource`, so a replay runs exactly the code path a customer does.
"""

from kiosk.capture.frames import (
    CameraSource,
    Frame,
    FrameSource,
    ImageFolderSource,
    SourceInfo,
    VideoFileSource,
    open_frame_source,
)

__all__ = [
    "CameraSource",
    "Frame",
    "FrameSource",
    "ImageFolderSource",
    "SourceInfo",
    "VideoFileSource",
    "open_frame_source",
]
