"""What ``kiosk.spec`` puts in the bundle besides Python code, found and checked here.

Run by PyInstaller while it reads the spec, in the project's own Python, so the
paths come from the same code the kiosk uses at run time (the model registry,
the synthetic-document fonts, scikit-image's sample data). Any missing or
corrupt input raises :class:`BundleError`; the spec turns it into one line and
a failed build.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from models import ModelRegistry, ModelState, Profile
from models.registry import sha256_file

# Where things go inside the bundle (relative to sys._MEIPASS).
MODELS_DEST = "models_data"  # models.registry.default_models_dir() looks here when frozen
FONTS_DEST = "fonts"  # the runtime hook puts this folder on Pillow's font search path
ASTRONAUT_DEST = "skimage/data"  # kiosk.demo reads <skimage package>/data/astronaut.png
TESSERACT_SONAME = "libtesseract.so.5"  # the name pipeline.document.ocr_tesseract loads


class BundleError(Exception):
    """An input of the bundle is missing or does not match its pin."""


@dataclass(frozen=True, slots=True)
class StagedModel:
    """One model file copied for the bundle, or why it was left out.

    Attributes:
        name: manifest name.
        file: path relative to the models directory.
        included: copied and re-verified.
        note: why it was left out ("" when included).
    """

    name: str
    file: str
    included: bool
    note: str = ""


def stage_models(
    dest: Path, *, registry: ModelRegistry | None = None, profile: Profile | None = None
) -> list[StagedModel]:
    """Copy every fetched manifest model into ``dest`` and verify each copy's sha256.

    ``dest`` is emptied first so nothing stale is bundled. Operator-supplied
    models are site data, never bundled. With ``profile``, models whose licence
    that profile forbids are left out.

    Args:
        dest: staging folder (becomes ``models_data`` in the bundle).
        registry: where the fetched models are (default: the kiosk's models dir).
        profile: only models allowed under this licence profile, or every model.

    Returns:
        One entry per manifest model.

    Raises:
        BundleError: a required model is missing, any model is corrupt, or a copy
            does not hash to the pin.
    """
    registry = registry or ModelRegistry.default()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    staged: list[StagedModel] = []
    for spec in registry.specs:
        if spec.operator_supplied or spec.sha256 is None:
            staged.append(StagedModel(spec.name, spec.file, False, "operator-supplied"))
            continue
        if profile is not None and not spec.allowed_in(profile):
            staged.append(StagedModel(spec.name, spec.file, False, f"not {profile.value}"))
            continue
        status = registry.status(spec.name)
        if status.state is ModelState.CORRUPT:
            raise BundleError(
                f"model {spec.name} at {status.path} does not match its pinned sha256; "
                "delete it and run: kiosk models fetch"
            )
        if status.state is not ModelState.OK:
            if spec.required:
                raise BundleError(
                    f"required model {spec.name} is missing ({status.path}); "
                    "run: kiosk models fetch"
                )
            staged.append(StagedModel(spec.name, spec.file, False, "not fetched"))
            continue
        target = dest / spec.file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(status.path, target)
        target.chmod(0o644)  # fetched files are 0600; the bundle may run as another user
        if sha256_file(target) != spec.sha256:
            raise BundleError(f"the copy of {spec.name} at {target} does not match its pin")
        staged.append(StagedModel(spec.name, spec.file, True))
    return staged


def system_library(soname: str) -> Path:
    """The host's file for a shared library, as the dynamic linker's cache names it.

    Raises:
        BundleError: the library is not installed.
    """
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    try:
        listing = subprocess.run(
            [ldconfig, "-p"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        listing = ""
    for line in listing.splitlines():
        name, _, path = line.strip().partition(" => ")
        if name.split(" ")[0] == soname and "x86-64" in name and Path(path).is_file():
            return Path(path)
    raise BundleError(f"{soname} is not installed; install tesseract-ocr (make setup does)")


def font_files() -> list[Path]:
    """The fonts the synthetic ID card is drawn with.

    Raises:
        BundleError: one is not installed.
    """
    from pipeline.synthetic.documents import OCRB_FONT, SANS_BOLD_FONT, SANS_FONT

    fonts = [OCRB_FONT, SANS_FONT, SANS_BOLD_FONT]
    missing = [str(f) for f in fonts if not f.is_file()]
    if missing:
        raise BundleError(
            f"fonts missing: {', '.join(missing)}; install fonts-ocr-b fonts-dejavu-core"
        )
    return fonts


def astronaut_png() -> Path:
    """scikit-image's public-domain portrait, the demo's only face.

    Raises:
        BundleError: scikit-image (or its sample image) is not installed.
    """
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise BundleError("scikit-image is not installed; run make setup")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "astronaut.png"
    if not path.is_file():
        raise BundleError(f"{path} is missing; reinstall scikit-image")
    return path


def bundle_profile() -> Profile | None:
    """``KIOSK_BUNDLE_PROFILE``: ``commercial`` (the default: a bundle is a product that
    may be sold, so non-commercial weights stay out), ``research``, or ``all`` (None).

    Raises:
        BundleError: an unknown profile name.
    """
    name = os.environ.get("KIOSK_BUNDLE_PROFILE", "").strip() or Profile.COMMERCIAL.value
    if name == "all":
        return None
    try:
        return Profile(name)
    except ValueError:
        raise BundleError(
            f"KIOSK_BUNDLE_PROFILE={name!r}: use one of {', '.join(p.value for p in Profile)}"
        ) from None


def metadata_distributions() -> list[str]:
    """Distributions whose metadata the bundle carries (``kiosk --version``, ``kiosk doctor``)."""
    from kiosk.doctor import REQUIRED_DISTRIBUTIONS

    return ["kiosk-kyc", *(dist for dist, _module in REQUIRED_DISTRIBUTIONS)]


def doctor_modules() -> list[str]:
    """Modules ``kiosk doctor`` imports by name, so the analysis cannot see them."""
    from kiosk.doctor import REQUIRED_DISTRIBUTIONS

    return [module for _dist, module in REQUIRED_DISTRIBUTIONS]
