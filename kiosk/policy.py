"""Site policy: one TOML file per site, validated on load, hashed into every decision."""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from models import Profile
from pipeline.decision import DEFAULT_WEIGHTS, DecisionPolicy, Outcome, UnknownRules
from pipeline.errors import PolicyError
from pipeline.liveness.challenge import ChallengeOptions
from pipeline.liveness.fusion import FusionOptions
from pipeline.liveness.session import SessionOptions

MRZ_FORMATS = ("TD1", "TD2", "TD3", "MRV-A", "MRV-B")
MIN_AGE_RANGE = (14, 99)  # youngest account holders some banks onboard .. a typo guard
LIVENESS_WEIGHT_TARGETS = ("challenge", "motion3d_ratio", "rppg_snr")


@dataclass(frozen=True, slots=True)
class SitePolicy:
    """A loaded, validated policy.

    Attributes:
        decision: rules for the decision engine (includes the content hash).
        profile: licence profile for model choice.
        face_model: embedding model, None for the profile's preferred one.
        face_threshold: override of the model's calibrated threshold, or None.
        liveness: options for the liveness session.
        screening_review_threshold: combined name score from which a match is reviewed.
        screening_hit_without_dob: a near-exact name on a list entry without a date of
            birth is a hit (a hard reject) rather than a review.
        sync_fields: extra case fields this site allows upstream.
        path: where it was loaded from ("<default>" for the bundled one).
    """

    decision: DecisionPolicy
    profile: Profile
    face_model: str | None
    face_threshold: float | None
    liveness: SessionOptions
    screening_review_threshold: float = 0.85
    screening_hit_without_dob: bool = False
    sync_fields: tuple[str, ...] = ()
    path: str = "<default>"

    @property
    def content_hash(self) -> str:
        return self.decision.content_hash


_SCHEMA: dict[str, dict[str, Any]] = {
    "policy": {"name": str, "version": str, "profile": str},
    "documents": {
        "accepted_codes": list,
        "accepted_formats": list,
        "require_valid_mrz": bool,
        "reject_expired": bool,
        "min_age": int,
    },
    "face": {"model": str, "threshold": float, "review_margin": float},
    "liveness": {
        "reject_on_fail": bool,
        "pass_score": float,
        "fail_score": float,
        "pose_steps": int,
        "expression": bool,
        "hold_frames": int,
        "hold_s": float,
        "analysis_fps": float,
        "step_timeout_s": float,
        "retries": int,
        "weights": dict,
    },
    "rules": {"review_score": float, "weights": dict},
    "unknown": {"document": str, "face": str, "liveness": str, "screening": str},
    "screening": {"review_threshold": float, "hit_without_listed_dob": bool},
    "sync": {"fields": list},
}


def default_policy_bytes() -> bytes:
    return resources.files("kiosk").joinpath("data/default_policy.toml").read_bytes()


def load_policy(path: Path | None = None) -> SitePolicy:
    """Load and validate a site policy.

    Without ``path``: ``KIOSK_POLICY_FILE``, else the config file's
    ``[kiosk] policy_file``, else the bundled default.

    Raises:
        PolicyError: unreadable file, bad TOML, an unknown key (with a suggestion), a
            wrong type or an out-of-range value, each named with its section.
    """
    if path is None:
        from kiosk.config import policy_path

        path = policy_path()
    if path is None:
        data, where = default_policy_bytes(), "<default>"
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PolicyError(f"Cannot read the policy file {path}: {exc.strerror}.") from exc
        where = str(path)
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{where} is not valid TOML: {exc}.") from exc
    return parse_policy(raw, hashlib.sha256(data).hexdigest(), where)


def parse_policy(raw: Mapping[str, Any], content_hash: str, where: str = "policy") -> SitePolicy:
    """Validate a decoded policy table (see :func:`load_policy`)."""
    _check_keys(raw, where)
    pol, docs, face = raw.get("policy", {}), raw.get("documents", {}), raw.get("face", {})
    live, rules, unk = raw.get("liveness", {}), raw.get("rules", {}), raw.get("unknown", {})
    try:
        profile = Profile(pol.get("profile", "commercial"))
    except ValueError:
        raise PolicyError(f"{where}: policy.profile must be commercial or research.") from None
    formats = tuple(docs.get("accepted_formats", ("TD1", "TD2", "TD3")))
    if not formats:
        raise PolicyError(f"{where}: documents.accepted_formats is empty: no document could pass.")
    bad = [f for f in formats if f not in MRZ_FORMATS]
    if bad:
        raise PolicyError(
            f"{where}: documents.accepted_formats has unknown {bad}; "
            f"known: {', '.join(MRZ_FORMATS)}."
        )
    codes = tuple(str(c).upper() for c in docs.get("accepted_codes", ("P", "I", "A", "C")))
    if not codes or any(not c.isalpha() or len(c) > 2 for c in codes):
        raise PolicyError(f"{where}: documents.accepted_codes must be one- or two-letter codes.")
    min_age = _ranged(docs.get("min_age", 18), *MIN_AGE_RANGE, "documents.min_age", where)
    threshold = face.get("threshold")
    if threshold is not None:
        # a cosine threshold at or below 0 would accept unrelated faces
        threshold = _ranged(threshold, 0.05, 0.95, "face.threshold", where)
    margin = _ranged(face.get("review_margin", 0.05), 0.0, 0.5, "face.review_margin", where)
    face_model = face.get("model")
    if face_model is not None:
        _check_face_model(face_model, profile, where)
    weights = dict(DEFAULT_WEIGHTS)
    for key, value in rules.get("weights", {}).items():
        if key not in weights:
            raise PolicyError(
                f"{where}: rules.weights.{key} is not a finding"
                f"{_suggest(key, tuple(weights))}; known: {', '.join(sorted(weights))}."
            )
        weights[key] = _ranged(value, 0.0, 100.0, f"rules.weights.{key}", where)
    unknown = UnknownRules(**{k: _outcome(v, f"unknown.{k}", where) for k, v in unk.items()})
    decision = DecisionPolicy(
        name=str(pol.get("name", "unnamed")),
        version=str(pol.get("version", "0")),
        content_hash=content_hash,
        accepted_document_codes=codes,
        accepted_formats=formats,
        require_valid_mrz=bool(docs.get("require_valid_mrz", True)),
        reject_expired=bool(docs.get("reject_expired", True)),
        min_age=int(min_age),
        face_review_margin=margin,
        reject_liveness_fail=bool(live.get("reject_on_fail", True)),
        weights=tuple(sorted(weights.items())),
        review_score=_ranged(
            rules.get("review_score", 0.5), 0.0, 100.0, "rules.review_score", where
        ),
        unknown=unknown,
    )
    return SitePolicy(
        decision=decision,
        profile=profile,
        face_model=face_model,
        face_threshold=threshold,
        liveness=_liveness_options(live, where),
        screening_review_threshold=_ranged(
            raw.get("screening", {}).get("review_threshold", 0.85),
            0.5,
            1.0,
            "screening.review_threshold",
            where,
        ),
        screening_hit_without_dob=bool(
            raw.get("screening", {}).get("hit_without_listed_dob", False)
        ),
        sync_fields=_sync_fields(raw.get("sync", {}).get("fields", []), where),
        path=where,
    )


def _check_face_model(name: str, profile: Profile, where: str) -> None:
    """``face.model`` must be a face-embedding model (manifest or operator-registered)
    that ``profile`` allows."""
    from kiosk.config import kiosk_paths
    from models import ModelRegistry, Task
    from models.errors import ModelError

    try:
        spec = ModelRegistry.default(kiosk_paths().models_dir).manifest.get(name)
    except ModelError:
        spec = None
    if spec is None or spec.task is not Task.FACE_EMBEDDING:
        raise PolicyError(f"{where}: face.model {name!r} is not a face-embedding model.")
    if profile not in spec.profiles:
        raise PolicyError(
            f"{where}: face.model {name!r} may not be used under the {profile.value} profile."
        )


def _sync_fields(fields: list[Any], where: str) -> tuple[str, ...]:
    """``[sync] fields``: names of the payload's optional fields, each known, once."""
    from kiosk.sync.errors import FieldNotAllowed
    from kiosk.sync.payload import validate_field_names

    try:
        return validate_field_names(fields)
    except FieldNotAllowed as exc:
        raise PolicyError(f"{where}: {exc.message}", hint=exc.hint) from None


def _liveness_options(live: Mapping[str, Any], where: str) -> SessionOptions:
    from pipeline.liveness.motion3d import Motion3dOptions
    from pipeline.liveness.rppg import RppgOptions
    from pipeline.liveness.types import InvalidLivenessOptions

    weights = live.get("weights", {})
    for key, value in weights.items():
        if key not in LIVENESS_WEIGHT_TARGETS:
            raise PolicyError(
                f"{where}: liveness.weights.{key} is not a liveness signal"
                f"{_suggest(key, LIVENESS_WEIGHT_TARGETS)}."
            )
        low = 0.1 if key == "challenge" else 0.0  # a weightless challenge would drop out
        _ranged(value, low, 100.0, f"liveness.weights.{key}", where)
    try:
        challenge = ChallengeOptions(
            pose_steps=int(live.get("pose_steps", 2)),
            expression=bool(live.get("expression", True)),
            hold_frames=int(live.get("hold_frames", 2)),
            hold_s=float(live.get("hold_s", 0.3)),
            step_timeout_s=float(live.get("step_timeout_s", 7.0)),
            retries=int(live.get("retries", 1)),
        )
        fusion = FusionOptions(
            pass_score=float(live.get("pass_score", 0.5)),
            fail_score=float(live.get("fail_score", -0.2)),
        )
        defaults = SessionOptions()
        rppg = dataclasses.replace(
            RppgOptions(), weight=float(weights.get("rppg_snr", RppgOptions().weight))
        )
        motion = Motion3dOptions(weight=float(weights.get("motion3d_ratio", 1.0)))
    except (InvalidLivenessOptions, ValueError, TypeError) as exc:
        raise PolicyError(f"{where}: [liveness] {exc}") from exc
    fps = live.get("analysis_fps", defaults.analysis_fps)
    if not 0 <= fps <= 120:
        raise PolicyError(f"{where}: liveness.analysis_fps must be between 0 and 120.")
    return dataclasses.replace(
        defaults,
        analysis_fps=float(fps),
        challenge=challenge,
        fusion=fusion,
        rppg=rppg,
        motion=motion,
        challenge_weight=float(weights.get("challenge", 3.0)),
    )


def _check_keys(raw: Mapping[str, Any], where: str) -> None:
    for section, body in raw.items():
        if section not in _SCHEMA:
            raise PolicyError(
                f"{where}: unknown section [{section}]{_suggest(section, tuple(_SCHEMA))}."
            )
        if not isinstance(body, dict):
            raise PolicyError(f"{where}: [{section}] must be a table.")
        for key, value in body.items():
            expected = _SCHEMA[section].get(key)
            if expected is None:
                raise PolicyError(
                    f"{where}: unknown key {section}.{key}{_suggest(key, tuple(_SCHEMA[section]))}."
                )
            ok = (
                isinstance(value, int | float) and not isinstance(value, bool)
                if (expected is float)
                else isinstance(value, expected)
                and not (expected is int and isinstance(value, bool))
            )
            if not ok:
                raise PolicyError(
                    f"{where}: {section}.{key} must be a {expected.__name__}, "
                    f"not {type(value).__name__}."
                )


def _suggest(word: str, options: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _ranged(value: Any, lo: float, hi: float, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise PolicyError(f"{where}: {name} must be a number between {lo} and {hi}.")
    return float(value)


def _outcome(value: Any, name: str, where: str) -> Outcome:
    if value not in ("manual_review", "rejected"):
        raise PolicyError(f'{where}: {name} must be "manual_review" or "rejected".')
    return Outcome(value)
