"""One verification case: the document branch in the background, the selfie branch as
frames arrive, then match, screening and the decision.

A branch that fails downgrades the outcome, never crashes the case: its signal is
recorded as unknown with the error code, and the policy says what unknown means.
Per-stage timings are kept, with the wall time, to show what concurrency buys.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kiosk.policy import SitePolicy
from models import ModelRegistry, Task
from pipeline.decision import (
    CaseSignals,
    Decision,
    DocumentSignals,
    FaceSignals,
    LivenessSignals,
    ScreeningSignals,
    decide,
)
from pipeline.errors import KioskError
from pipeline.face import (
    DetectPurpose,
    FaceLandmarker,
    FaceToolkit,
    LandmarkerOptions,
    RunningMode,
    ToolkitOptions,
    align_face,
    select_document_portrait,
    select_selfie_face,
)
from pipeline.face.embed import Embedding, l2_normalise
from pipeline.face.quality import assess_quality
from pipeline.image import LoadedImage
from pipeline.liveness.session import (
    FrameFeedback,
    LivenessResult,
    LivenessSession,
    passive_pad_check,
    selfie_face_counter,
)
from pipeline.types import Timings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EvidenceImage:
    """An image kept in memory for the encrypted store (never written in the clear)."""

    kind: str  # document_image, selfie_frame, portrait_crop
    data: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class MatchSummary:
    """The face comparison of the case (None fields when it could not run)."""

    similarity: float | None
    threshold: float | None
    match: bool | None
    model: str
    selfie_frames_used: int
    error: str = ""


@dataclass(frozen=True, slots=True)
class CaseResult:
    """Everything the case produced.

    Attributes:
        case_id: random identifier (UUID4 hex).
        created_at: UTC time the case started.
        decision: the outcome with reasons, policy name/version/hash.
        signals: exactly what the decision looked at (replayable).
        document: the document reading, or None when the branch failed.
        match: the face comparison.
        liveness: the liveness result, or None for a still selfie.
        screening: the screening result object, or None.
        models: (name, sha256) of every model that took part.
        timings: per-stage milliseconds; ``wall_ms`` is the elapsed time of the whole case.
        evidence: images for the store, in memory only.
    """

    case_id: str
    created_at: dt.datetime
    decision: Decision
    signals: CaseSignals
    document: Any
    match: MatchSummary
    liveness: LivenessResult | None
    screening: Any
    models: tuple[tuple[str, str], ...]
    timings: Timings
    wall_ms: float
    evidence: tuple[EvidenceImage, ...] = ()


@dataclass
class _DocumentBranch:
    reading: Any = None
    signals: DocumentSignals = field(
        default_factory=lambda: DocumentSignals(False, error_code="not_started")
    )
    portrait: Embedding | None = None
    portrait_error: str = ""
    portrait_crop: np.ndarray[Any, Any] | None = None
    read_ms: float = 0.0
    portrait_ms: float = 0.0


class VerificationCase:
    """Drive one case. Not thread-safe itself; its document branch runs in the pool."""

    def __init__(
        self,
        policy: SitePolicy,
        *,
        toolkit: FaceToolkit | None = None,
        screener: Any = None,
        executor: ThreadPoolExecutor | None = None,
        registry: ModelRegistry | None = None,
        keep_evidence: bool = False,
    ) -> None:
        self.policy = policy
        self.case_id = uuid.uuid4().hex
        self.created_at = dt.datetime.now(dt.UTC)
        self._started = time.perf_counter()
        self._registry = registry
        self._toolkit = toolkit or FaceToolkit(ToolkitOptions(profile=policy.profile), registry)
        self._owns_toolkit = toolkit is None
        self._screener = screener
        self._pool = executor or ThreadPoolExecutor(max_workers=2, thread_name_prefix="case")
        self._owns_pool = executor is None
        self._keep = keep_evidence
        self._doc_future: Future[_DocumentBranch] | None = None
        self._document_image: LoadedImage | None = None
        self._session: LivenessSession | None = None
        self._landmarker: FaceLandmarker | None = None
        self._selfie_still: LoadedImage | None = None
        self._stages: list[tuple[str, float]] = []
        self._lock = threading.Lock()

    # ---- document branch ----

    def start_document(self, image: LoadedImage) -> None:
        """Start reading the document in the background; returns at once."""
        self._document_image = image
        self._doc_future = self._pool.submit(self._document_branch, image)

    def _document_branch(self, image: LoadedImage) -> _DocumentBranch:
        from pipeline.document import read_document

        out = _DocumentBranch()
        t0 = time.perf_counter()
        try:
            out.reading = read_document(image)
            out.signals = document_signals(out.reading)
        except KioskError as exc:
            out.signals = DocumentSignals(False, error_code=exc.code)
        except Exception:  # a bug in a branch downgrades the case, never loses it
            log.exception("document branch failed")
            out.signals = DocumentSignals(False, error_code="internal_error")
        out.read_ms = (time.perf_counter() - t0) * 1000.0
        t1 = time.perf_counter()
        try:
            kit = self._toolkit
            face = select_document_portrait(
                kit.detector().detect(image.pixels, DetectPurpose.DOCUMENT)
            )
            crop = align_face(image.pixels, face)
            out.portrait = kit.embedder(self.policy.face_model).embed_aligned(crop)
            out.portrait_crop = crop
        except KioskError as exc:
            out.portrait_error = exc.code
        except Exception:
            log.exception("portrait embedding failed")
            out.portrait_error = "internal_error"
        out.portrait_ms = (time.perf_counter() - t1) * 1000.0
        return out

    # ---- selfie branch ----

    def start_selfie(self, seed: int, *, device_name: str = "") -> None:
        """Open the liveness session for a live or recorded stream."""
        from pipeline.liveness.session import SessionOptions

        t0 = time.perf_counter()
        self._landmarker = FaceLandmarker.from_options(
            LandmarkerOptions(running_mode=RunningMode.VIDEO, num_faces=1), self._registry
        )
        options: SessionOptions = self.policy.liveness
        self._session = LivenessSession(
            seed,
            self._landmarker,
            options=options,
            device_name=device_name,
            passive=passive_pad_check(),
            count_faces=selfie_face_counter(self._toolkit.detector()),
        )
        self._stage("landmarker_load", t0)

    def feed(self, frame: np.ndarray[Any, Any], t_s: float) -> FrameFeedback:
        """One selfie frame (BGR) at ``t_s`` seconds."""
        if self._session is None:
            raise KioskError("The selfie session was not started.")
        return self._session.feed(frame, t_s)

    def note_frame(self, frame: np.ndarray[Any, Any], t_s: float) -> None:
        """A captured frame skipped as stale; see :meth:`LivenessSession.note_frame`."""
        if self._session is not None:
            self._session.note_frame(frame, t_s)

    def set_selfie_image(self, image: LoadedImage) -> None:
        """A still selfie instead of a stream: no liveness evidence is possible."""
        self._selfie_still = image

    # ---- finish ----

    def finish(self) -> CaseResult:
        """Wait for the document, compare, screen, decide. Never raises for a branch failure."""
        t_finish = time.perf_counter()
        liveness: LivenessResult | None = None
        liveness_error = ""
        if self._session is not None:
            t0 = time.perf_counter()
            try:
                liveness = self._session.finish()
            except KioskError as exc:
                liveness_error = exc.code
            except Exception:  # a bug in a branch downgrades the case, never loses it
                log.exception("liveness fusion failed")
                liveness_error = "internal_error"
            self._stages.append(("liveness_frames", sum(self._session_frame_ms())))
            self._stage("liveness_fusion", t0)
        t0 = time.perf_counter()
        branch = self._doc_future.result() if self._doc_future else _DocumentBranch()
        waited = (time.perf_counter() - t0) * 1000.0
        self._stages += [
            ("document_read", branch.read_ms),
            ("portrait_embed", branch.portrait_ms),
            ("wait_for_document", waited),
        ]
        t0 = time.perf_counter()
        selfie_emb, face_sig, frames_used, selfie_crop = self._selfie_embedding(liveness)
        self._stage("selfie_embed", t0)
        t0 = time.perf_counter()
        match = self._compare(branch, selfie_emb, face_sig, frames_used)
        self._stage("match", t0)
        t0 = time.perf_counter()
        screening, screening_sig = self._screen(branch)
        self._stage("screening", t0)
        signals = CaseSignals(
            document=branch.signals,
            face=match[1],
            liveness=_liveness_signals(liveness, liveness_error),
            screening=screening_sig,
        )
        t0 = time.perf_counter()
        decision = decide(signals, self.policy.decision)
        self._stage("decision", t0)
        self._stages.append(("after_capture", (time.perf_counter() - t_finish) * 1000.0))
        evidence = self._evidence(branch, liveness, selfie_crop) if self._keep else ()
        result = CaseResult(
            case_id=self.case_id,
            created_at=self.created_at,
            decision=decision,
            signals=signals,
            document=branch.reading,
            match=match[0],
            liveness=liveness,
            screening=screening,
            models=self._models_used(liveness is not None),
            timings=Timings(tuple(self._stages)),
            wall_ms=(time.perf_counter() - self._started) * 1000.0,
            evidence=evidence,
        )
        log.info(
            "case decided: outcome=%s reasons=%s",
            decision.outcome.value,
            ",".join(decision.reason_codes),
        )
        return result

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
        if self._owns_pool:
            self._pool.shutdown(wait=True)
        if self._owns_toolkit:
            self._toolkit.close()

    def __enter__(self) -> VerificationCase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- internals ----

    def _stage(self, name: str, t0: float) -> None:
        self._stages.append((name, (time.perf_counter() - t0) * 1000.0))

    def _session_frame_ms(self) -> list[float]:
        session = self._session
        return list(getattr(session, "_frame_ms", [])) if session else []

    def _selfie_embedding(
        self, liveness: LivenessResult | None
    ) -> tuple[Embedding | None, FaceSignals, int, np.ndarray[Any, Any] | None]:
        """Average embedding of the best selfie frames (or the still image)."""
        kit = self._toolkit
        frames: list[np.ndarray[Any, Any]] = []
        if liveness is not None:
            frames = [b.pixels for b in liveness.best_frames]
        elif self._selfie_still is not None:
            frames = [self._selfie_still.pixels]
        if not frames:
            code = "no_face" if liveness is not None else "no_selfie"
            return None, FaceSignals(False, error_code=code), 0, None
        vectors: list[np.ndarray[Any, Any]] = []
        issues: tuple[str, ...] = ()
        crop: np.ndarray[Any, Any] | None = None
        errors: list[str] = []
        try:
            embedder = kit.embedder(self.policy.face_model)
        except KioskError as exc:
            return None, FaceSignals(False, error_code=exc.code), 0, None
        for pixels in frames:
            try:
                face = select_selfie_face(kit.detector().detect(pixels, DetectPurpose.SELFIE))
                aligned = align_face(pixels, face)
                vectors.append(embedder.embed_aligned(aligned).vector)
            except KioskError as exc:
                errors.append(exc.code)
                continue
            except Exception:  # a bug downgrades the case, never loses it
                log.exception("selfie embedding failed")
                errors.append("internal_error")
                continue
            if crop is None:
                crop = aligned
                issues = tuple(q.code.value for q in assess_quality(pixels, face).issues)
        if "multiple_faces" in errors:  # a second face in any kept frame, not only the first
            return None, FaceSignals(False, error_code="multiple_faces"), 0, None
        if not vectors:
            error = next((e for e in errors if e != "no_face"), "no_face")
            return None, FaceSignals(False, error_code=error), 0, None
        emb = Embedding(l2_normalise(np.mean(vectors, axis=0)), embedder.model)
        return (
            emb,
            FaceSignals(True, selfie_quality_issues=issues, model=embedder.model),
            len(vectors),
            crop,
        )

    def _compare(
        self,
        branch: _DocumentBranch,
        selfie: Embedding | None,
        face_sig: FaceSignals,
        frames_used: int,
    ) -> tuple[MatchSummary, FaceSignals]:
        kit = self._toolkit
        if selfie is None:
            return MatchSummary(None, None, None, "", 0, face_sig.error_code), face_sig
        if branch.portrait is None:
            code = branch.portrait_error or "no_portrait"
            sig = FaceSignals(
                False,
                model=selfie.model,
                selfie_quality_issues=face_sig.selfie_quality_issues,
                error_code=f"portrait_{code}",
            )
            return MatchSummary(None, None, None, selfie.model, frames_used, sig.error_code), sig
        similarity = float(np.dot(branch.portrait.vector, selfie.vector))
        threshold = (
            self.policy.face_threshold
            if self.policy.face_threshold is not None
            else kit.embedder(self.policy.face_model).threshold()
        )
        sig = FaceSignals(True, similarity, threshold, selfie.model, face_sig.selfie_quality_issues)
        return MatchSummary(
            similarity, threshold, similarity >= threshold, selfie.model, frames_used
        ), sig

    def _screen(self, branch: _DocumentBranch) -> tuple[Any, ScreeningSignals]:
        if self._screener is None:
            return None, ScreeningSignals(False, error_code="no_list")
        subject = screening_subject(branch.reading)
        if subject is None:
            return None, ScreeningSignals(False, error_code="no_name")
        try:
            result = self._screener.screen(subject)
        except KioskError as exc:
            return None, ScreeningSignals(False, error_code=exc.code)
        except Exception:  # a bug downgrades the case, never loses it
            log.exception("screening failed")
            return None, ScreeningSignals(False, error_code="internal_error")
        lists = tuple(f"{i.source}:{i.version}:{i.sha256[:16]}" for i in result.lists)
        return result, ScreeningSignals(True, result.outcome.value, lists)

    def _models_used(self, with_liveness: bool) -> tuple[tuple[str, str], ...]:
        registry = self._toolkit.registry
        names = {
            self._toolkit.options.detector.model,
            registry.choose(Task.FACE_EMBEDDING, self.policy.profile, self.policy.face_model).name,
            "tesseract_eng",
            "tesseract_mrz",
            "rapidocr_det",
            "rapidocr_rec",
        }
        if with_liveness:
            names.add("face_landmarker")
        return tuple(sorted((n, registry.spec(n).sha256 or "") for n in names))

    def _evidence(
        self,
        branch: _DocumentBranch,
        liveness: LivenessResult | None,
        selfie_crop: np.ndarray[Any, Any] | None,
    ) -> tuple[EvidenceImage, ...]:
        import cv2

        def jpeg(pixels: np.ndarray[Any, Any]) -> bytes:
            ok, buf = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 90])
            return buf.tobytes() if ok else b""

        items = []
        if self._document_image is not None:
            items.append(
                EvidenceImage("document_image", jpeg(self._document_image.pixels), "image/jpeg")
            )
        if branch.portrait_crop is not None:
            items.append(EvidenceImage("portrait_crop", jpeg(branch.portrait_crop), "image/jpeg"))
        if liveness is not None:
            items += [
                EvidenceImage("selfie_frame", jpeg(b.pixels), "image/jpeg")
                for b in liveness.best_frames
            ]
        elif self._selfie_still is not None:
            items.append(
                EvidenceImage("selfie_frame", jpeg(self._selfie_still.pixels), "image/jpeg")
            )
        return tuple(i for i in items if i.data)


def document_signals(reading: Any) -> DocumentSignals:
    """The decision-relevant, non-personal facts of a document reading."""
    mrz = reading.mrz
    rec = mrz.record
    names_trusted = bool(rec) and rec.check("names_trusted") is not False
    return DocumentSignals(
        available=True,
        mrz_found=bool(mrz.found and rec),
        mrz_valid=bool(mrz.valid),
        mrz_format=rec.format.value if rec else None,
        document_code=(rec.value("document_code").replace(" ", "") or None) if rec else None,
        expired=rec.expired if rec else None,
        age_years=rec.age_years if rec else None,
        viz_mismatch="mrz_viz_mismatch" in reading.flags,
        names_trusted=names_trusted,
        quality_issues=tuple(reading.quality.issues),
        portrait_found=reading.portrait.box is not None,
        national_id_invalid="national_id_invalid" in reading.flags,
    )


def screening_options(policy: SitePolicy) -> Any:
    """The screener's thresholds from the site policy."""
    from pipeline.screening import ScreeningOptions

    return ScreeningOptions(
        review_threshold=policy.screening_review_threshold,
        hit_without_listed_dob=policy.screening_hit_without_dob,
    )


def screening_subject(reading: Any) -> Any:
    """The screening query from the MRZ (falling back to the visual zone), or None."""
    if reading is None:
        return None
    from pipeline.screening import ScreeningSubject

    rec = reading.mrz.record
    surname = rec.value("surname") if rec else ""
    given = rec.value("given_names") if rec else ""
    if not surname and reading.viz.field("surname"):
        surname = reading.viz.field("surname").value
        given = reading.viz.field("given_names").value if reading.viz.field("given_names") else ""
    if not surname:
        return None
    return ScreeningSubject(
        surname=surname,
        given_names=given,
        date_of_birth=rec.date_of_birth if rec else None,
        nationality=(rec.value("nationality").strip() or None) if rec else None,
    )


def _liveness_signals(result: LivenessResult | None, error: str = "") -> LivenessSignals:
    if result is None:
        return LivenessSignals(False, error_code=error or "still_image")
    v = result.verdict
    score = None if v.score != v.score else round(v.score, 4)
    return LivenessSignals(True, v.decision.value, score, tuple(r.code for r in v.reasons))
