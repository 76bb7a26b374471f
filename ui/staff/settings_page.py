"""Settings: the camera binding, the document source, the policy file, language and
display defaults, time-outs. Saved to ``app.toml``; used from the next customer on."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kiosk.errors import KioskError
from kiosk.settings import (
    FONT_SCALES,
    LANGUAGES,
    AppSettings,
    CameraSettings,
    DisplaySettings,
    DocumentSettings,
    DocumentSourceKind,
    save_settings,
)
from ui.ops import Op, TaskManager
from ui.screens.base import Screen
from ui.text import tr
from ui.theme import ThemeManager
from ui.widgets.common import button, card, label

RESOLUTIONS = ((640, 480), (1280, 720), (1920, 1080))


class SettingsPage(Screen):
    """A form over :class:`AppSettings`."""

    saved = Signal(object, bool)  # AppSettings, policy changed

    def __init__(
        self, themes: ThemeManager, tasks: TaskManager, parent: QWidget | None = None
    ) -> None:
        super().__init__(themes, parent)
        self.tasks = tasks
        self.settings = AppSettings()
        self.bound_camera: CameraSettings | None = None
        body = card()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        col = QVBoxLayout(body)
        col.setContentsMargins(28, 24, 28, 24)
        form = QFormLayout()
        form.setVerticalSpacing(14)
        form.setHorizontalSpacing(24)
        self.form = form
        self.camera = QComboBox()
        self.resolution = QComboBox()
        for w, h in RESOLUTIONS:
            self.resolution.addItem(f"{w} x {h}", (w, h))
        self.mirror = QCheckBox()
        self.bind = button("", "")
        self.camera_status = label("", "muted")
        cam_row = QHBoxLayout()
        cam_row.addWidget(self.camera, 1)
        cam_row.addWidget(self.resolution)
        cam_row.addWidget(self.bind)
        self.doc_kind = QComboBox()
        for kind in DocumentSourceKind:
            self.doc_kind.addItem(kind.value, kind)
        self.scanner = QComboBox()
        self.scanner.setEditable(True)
        self.find_scanners = button("", "")
        scan_row = QHBoxLayout()
        scan_row.addWidget(self.scanner, 1)
        scan_row.addWidget(self.find_scanners)
        self.dpi = QSpinBox()
        self.dpi.setRange(75, 1200)
        self.dpi.setSingleStep(50)
        self.folder = QLineEdit()
        self.policy = QLineEdit()
        self.check_policy = button("", "")
        self.policy_status = label("", "muted")
        pol_row = QHBoxLayout()
        pol_row.addWidget(self.policy, 1)
        pol_row.addWidget(self.check_policy)
        self.language = QComboBox()
        for code in LANGUAGES:
            self.language.addItem({"en": "English", "de": "Deutsch"}.get(code, code), code)
        self.contrast = QCheckBox()
        self.text_size = QComboBox()
        for scale in FONT_SCALES:
            self.text_size.addItem(f"{round(scale * 100)} %", scale)
        self.idle = QSpinBox()
        self.idle.setRange(5, 3600)
        self.result_timeout = QSpinBox()
        self.result_timeout.setRange(5, 3600)
        self.labels: dict[str, Any] = {}
        rows: list[tuple[str, Any]] = [
            ("camera", cam_row),
            ("", self.camera_status),
            ("mirror", self.mirror),
            ("doc_kind", self.doc_kind),
            ("scanner", scan_row),
            ("dpi", self.dpi),
            ("folder", self.folder),
            ("policy", pol_row),
            ("", self.policy_status),
            ("language", self.language),
            ("contrast", self.contrast),
            ("text_size", self.text_size),
            ("idle", self.idle),
            ("result", self.result_timeout),
        ]
        for key, field in rows:
            lab = label("", "body", wrap=False)
            if key:
                self.labels[key] = lab
            if isinstance(field, QHBoxLayout):
                form.addRow(lab, field)
            else:
                form.addRow(lab, field)
        col.addLayout(form)
        self.status = label("", "body")
        self.save = button("", "primary")
        col.addWidget(self.status)
        col.addWidget(self.save)
        col.addStretch(1)
        self.bind.clicked.connect(self._bind)
        self.find_scanners.clicked.connect(self._find_scanners)
        self.check_policy.clicked.connect(self._check_policy)
        self.save.clicked.connect(self._save)
        self.retranslate()

    def retranslate(self) -> None:
        names = {
            "camera": tr("Camera"),
            "mirror": tr("Mirror the selfie preview"),
            "doc_kind": tr("Document source"),
            "scanner": tr("Scanner"),
            "dpi": tr("Scan resolution (dpi)"),
            "folder": tr("Watched folder"),
            "policy": tr("Policy file"),
            "language": tr("Default language"),
            "contrast": tr("High contrast by default"),
            "text_size": tr("Default text size"),
            "idle": tr("Idle time-out (s)"),
            "result": tr("Result screen time-out (s)"),
        }
        for key, text in names.items():
            self.labels[key].setText(text)
        accessible = {
            self.camera: names["camera"],
            self.resolution: tr("Camera resolution"),
            self.mirror: names["mirror"],
            self.doc_kind: names["doc_kind"],
            self.scanner: names["scanner"],
            self.dpi: names["dpi"],
            self.folder: names["folder"],
            self.policy: names["policy"],
            self.language: names["language"],
            self.contrast: names["contrast"],
            self.text_size: names["text_size"],
            self.idle: names["idle"],
            self.result_timeout: names["result"],
        }
        for widget, name in accessible.items():
            widget.setAccessibleName(name)
        self.bind.setText(tr("Test and bind"))
        self.bind.setAccessibleName(tr("Test the camera and bind it to this kiosk"))
        self.find_scanners.setText(tr("Find scanners"))
        self.find_scanners.setAccessibleName(tr("Find scanners"))
        self.check_policy.setText(tr("Check"))
        self.check_policy.setAccessibleName(tr("Check the policy file"))
        self.save.setText(tr("Save settings"))
        self.save.setAccessibleName(tr("Save settings"))
        self.policy.setPlaceholderText(tr("empty: the bundled default policy"))

    def load(self, settings: AppSettings) -> None:
        """Show ``settings`` and list the cameras."""
        from kiosk.capture.devices import list_cameras

        self.settings = settings
        self.bound_camera = settings.camera
        self.camera.clear()
        cams = list_cameras()
        for dev in cams:
            self.camera.addItem(f"/dev/video{dev.index}: {dev.name}", (dev.index, dev.name))
        if settings.camera.bound and not any(d.name == settings.camera.name for d in cams):
            self.camera.addItem(
                tr("%1 (not connected)").replace("%1", settings.camera.name),
                (settings.camera.index, settings.camera.name),
            )
        for i in range(self.camera.count()):
            if self.camera.itemData(i)[1] == settings.camera.name:
                self.camera.setCurrentIndex(i)
        size = (settings.camera.width, settings.camera.height)
        self.resolution.setCurrentIndex(
            max(0, [r for r in RESOLUTIONS].index(size) if size in RESOLUTIONS else 0)
        )
        self.camera_status.setText(
            tr("Bound: %1").replace("%1", f"{settings.camera.name} {size[0]}x{size[1]}")
            if settings.camera.bound
            else tr("No camera is bound.")
        )
        self.mirror.setChecked(settings.camera.mirror)
        d = settings.document
        self.doc_kind.setCurrentIndex(list(DocumentSourceKind).index(d.kind))
        if self.scanner.findText(d.scanner) < 0 and d.scanner:
            self.scanner.addItem(d.scanner)
        self.scanner.setCurrentText(d.scanner)
        self.dpi.setValue(d.resolution_dpi)
        self.folder.setText(d.folder)
        self.policy.setText(settings.policy_path)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.display.language)))
        self.contrast.setChecked(settings.display.high_contrast)
        self.text_size.setCurrentIndex(max(0, self.text_size.findData(settings.display.font_scale)))
        self.idle.setValue(settings.idle_timeout_s)
        self.result_timeout.setValue(settings.result_timeout_s)
        self.status.setText("")
        self.policy_status.setText("")

    def collect(self) -> AppSettings:
        """The form as settings (validated).

        Raises:
            ConfigError: an invalid combination (e.g. a folder source without a folder).
        """
        s = self.settings
        camera = self.bound_camera or s.camera
        camera = replace(camera, mirror=self.mirror.isChecked())
        document = DocumentSettings(
            kind=self.doc_kind.currentData(),
            scanner=self.scanner.currentText().strip(),
            resolution_dpi=self.dpi.value(),
            folder=self.folder.text().strip(),
            consume=s.document.consume,
            camera_index=s.document.camera_index,
        )
        display = DisplaySettings(
            self.language.currentData(),
            self.contrast.isChecked(),
            float(self.text_size.currentData()),
        )
        return replace(
            s,
            camera=camera,
            document=document,
            display=display,
            policy_path=self.policy.text().strip(),
            idle_timeout_s=self.idle.value(),
            result_timeout_s=self.result_timeout.value(),
        )

    def _bind(self) -> None:
        data = self.camera.currentData()
        if data is None:
            self.camera_status.setText(tr("No camera is connected."))
            return
        index = data[0]
        width, height = self.resolution.currentData()

        def test() -> Any:
            from kiosk.capture.devices import check_camera
            from kiosk.capture.frames import CameraSource

            source = CameraSource(index, width=width, height=height)
            try:
                if source.read() is None:
                    raise KioskError("The camera delivers no picture.")
                return source.info, check_camera(
                    source.info,
                    name=source.info.name,
                    width=source.info.width,
                    height=source.info.height,
                )
            finally:
                source.close()

        def tested(item: Any) -> None:
            info, check = item
            if CameraProblemVirtual in check.codes:
                self.camera_status.setText(
                    tr("Refused: %1 is a virtual camera.").replace("%1", info.name)
                )
                return
            self.bound_camera = CameraSettings(
                info.name, index, info.width, info.height, self.mirror.isChecked()
            )
            self.camera_status.setText(
                tr("Tested. Save to bind %1.").replace(
                    "%1", f"{info.name} {info.width}x{info.height}"
                )
            )

        self.camera_status.setText(tr("Testing the camera…"))
        Op("test camera", test).success(tested).failure(
            lambda e: self.camera_status.setText(f"{e.code}: {e.message}")
        ).run(self.tasks)

    def _find_scanners(self) -> None:
        from kiosk.capture.documents import list_scanners

        self.status.setText(tr("Looking for scanners…"))

        def found(scanners: Any) -> None:
            current = self.scanner.currentText()
            self.scanner.clear()
            for s in scanners:
                self.scanner.addItem(s.name)
            self.scanner.setCurrentText(current or (scanners[0].name if scanners else ""))
            self.status.setText(tr("%n scanner(s) found.", "", len(scanners)))

        Op("find scanners", list_scanners).success(found).failure(
            lambda e: self.status.setText(f"{e.code}: {e.message}")
        ).run(self.tasks)

    def _check_policy(self) -> None:
        from kiosk.policy import load_policy

        text = self.policy.text().strip()
        path = Path(text) if text else None

        def checked(policy: Any) -> None:
            d = policy.decision
            self.policy_status.setText(f"{d.name} {d.version}  sha256 {d.content_hash[:16]}…")

        Op("check policy", lambda: load_policy(path)).success(checked).failure(
            lambda e: self.policy_status.setText(f"{e.code}: {e.message}")
        ).run(self.tasks)

    def _save(self) -> None:
        from kiosk.policy import load_policy

        try:
            new = self.collect()
        except KioskError as exc:
            self.status.setText(f"{exc.code}: {exc.message}")
            return
        policy_changed = new.policy_path != self.settings.policy_path

        def save() -> Path:
            if policy_changed:
                load_policy(new.policy_file)  # a policy that does not load is never saved
            return save_settings(new)

        def saved(path: Path) -> None:
            self.settings = new
            self.status.setText(tr("Saved. The next customer uses the new settings."))
            self.saved.emit(new, policy_changed)

        Op("save settings", save).success(saved).failure(
            lambda e: self.status.setText(f"{e.code}: {e.message}")
        ).run(self.tasks)


CameraProblemVirtual = "camera_virtual"
