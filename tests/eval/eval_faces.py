"""Face-matching calibration and precision evaluation (issue 3).

Builds labelled pairs from the shared fixtures: the published fixture pairs, the
same pairs with the first photo turned into a synthetic ID portrait (seeded, printed
on a card background and found by the document detector), and every cross-identity
and same-identity pair of distinct photos. For each model it prints AUC, EER,
TAR at FAR 1% and 0.1% (or why the data cannot resolve them), the Gaussian-tail
operating point, and whether every fixture pair is classified correctly at the
manifest threshold; then float32 against int8. Writes a DET plot to reports/.

    .venv/bin/python -m tests.eval.eval_faces
"""

from __future__ import annotations

import csv
import itertools
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models import Profile
from pipeline.face import DetectPurpose, FaceToolkit, ToolkitOptions, align_face
from pipeline.face.calibration import (
    gaussian_tail_threshold,
    operating_point,
    plot_det,
    verification_metrics,
)
from pipeline.face.embed import Embedding, cosine_similarity
from pipeline.image import SELFIE_MAX_SIDE, LoadedImage, from_array, load_image
from pipeline.synthetic.portraits import make_id_portrait
from tests.shared import PROJECT_ROOT, require_shared_data

MODELS = ("sface", "sface_int8", "arcface_mbf")
SYNTH_SEEDS = 8
CARD_SIZE = (1011, 638)  # ID-1 card at 300 dpi, landscape
SAME_PHOTO_CORR = 0.9


@dataclass(frozen=True)
class Photo:
    key: str
    path: Path
    identity: str


def _photos(data: Path) -> list[Photo]:
    photos = []
    for folder in ("face_recognition", "openface"):
        with (data / "faces" / folder / "labels.csv").open() as fh:
            for row in csv.DictReader(fh):
                if row.get("n_faces") != "1":
                    continue
                photos.append(
                    Photo(
                        f"{folder}/{row['file']}",
                        data / "faces" / folder / row["file"],
                        row["identity"],
                    )
                )
    return photos


def _fixture_pairs(data: Path) -> list[tuple[str, str, bool]]:
    pairs = []
    for folder in ("face_recognition", "openface"):
        with (data / "faces" / folder / "pairs.csv").open() as fh:
            for row in csv.DictReader(fh):
                pairs.append(
                    (f"{folder}/{row['file_a']}", f"{folder}/{row['file_b']}", row["same"] == "1")
                )
    return pairs


def on_card(portrait: np.ndarray[Any, Any], rng: np.random.Generator) -> LoadedImage:
    """Print the portrait on a plain card-sized background, as a document image."""
    w, h = CARD_SIZE
    card = np.full((h, w, 3), rng.integers(200, 240, 3), np.uint8)
    ph, pw = portrait.shape[:2]
    x, y = 40, max(0, (h - ph) // 2)
    card[y : y + ph, x : x + pw] = portrait[: h - y, : w - x]
    return from_array(card)


def _same_photo(a: LoadedImage, b: LoadedImage) -> bool:
    import cv2

    def thumb(img: LoadedImage) -> np.ndarray[Any, Any]:
        g = cv2.cvtColor(img.pixels, cv2.COLOR_BGR2GRAY)
        return cv2.resize(g, (48, 48), interpolation=cv2.INTER_AREA).astype(np.float64).ravel()

    ta, tb = thumb(a), thumb(b)
    ta, tb = ta - ta.mean(), tb - tb.mean()
    corr = float(ta @ tb / (np.linalg.norm(ta) * np.linalg.norm(tb) + 1e-9))
    return corr > SAME_PHOTO_CORR


def main() -> int:
    data = require_shared_data()
    kit = FaceToolkit(ToolkitOptions(profile=Profile.RESEARCH))
    photos = {p.key: p for p in _photos(data)}
    images = {k: load_image(p.path, max_side=SELFIE_MAX_SIDE) for k, p in photos.items()}
    det = kit.detector()
    faces = {}
    for key, img in images.items():
        found = det.detect(img.pixels, DetectPurpose.SELFIE) or det.detect(
            img.pixels, DetectPurpose.DOCUMENT
        )
        if found:
            faces[key] = found[0]
    missing = sorted(set(images) - set(faces))
    # synthetic ID documents: each photo, several seeds
    synth: dict[tuple[str, int], LoadedImage] = {}
    for key in faces:
        for seed in range(SYNTH_SEEDS):
            rng = np.random.default_rng(seed * 1009 + len(key))
            portrait, _ = make_id_portrait(images[key].pixels, faces[key], rng)
            synth[(key, seed)] = on_card(portrait, rng)

    emb: dict[str, dict[Any, Embedding]] = {m: {} for m in MODELS}
    doc_missed: dict[str, int] = {m: 0 for m in MODELS}
    for model in MODELS:
        embedder = kit.embedder(model)
        for key, face in faces.items():
            emb[model][key] = embedder.embed_aligned(align_face(images[key].pixels, face))
        for skey, doc in synth.items():
            found = det.detect(doc.pixels, DetectPurpose.DOCUMENT)
            if not found:
                doc_missed[model] += 1
                continue
            emb[model][skey] = embedder.embed_aligned(align_face(doc.pixels, found[0]))

    keys = sorted(faces)
    dup = {
        (a, b)
        for a, b in itertools.combinations(keys, 2)
        if photos[a].identity == photos[b].identity and _same_photo(images[a], images[b])
    }
    fixture = _fixture_pairs(data)
    print(
        f"photos {len(photos)} (no face: {missing}), synthetic ID documents {len(synth)}, "
        f"same-photo pairs excluded {len(dup)}"
    )

    curves = []
    print()
    header = (
        "model",
        "set",
        "gen",
        "imp",
        "AUC",
        "EER",
        "TAR@1%",
        "TAR@0.1%",
        "min gen",
        "max imp",
        "thr",
        "FAR@thr",
        "FRR@thr",
    )
    print("  ".join(f"{h:>9}" for h in header))
    chosen: dict[str, float] = {}
    results_for_summary: list[tuple[str, str, Any, float, float]] = []
    for model in MODELS:
        e = emb[model]
        threshold = kit.embedder(model).threshold()
        sets: dict[str, tuple[list[float], list[float]]] = {
            "photo-photo": ([], []),
            "document-photo": ([], []),
        }
        for a, b in itertools.combinations(keys, 2):
            if (a, b) in dup or (b, a) in dup:
                continue
            same = photos[a].identity == photos[b].identity
            sets["photo-photo"][0 if same else 1].append(cosine_similarity(e[a], e[b]))
            for seed in range(SYNTH_SEEDS):
                for x, y in ((a, b), (b, a)):
                    if (x, seed) in e:
                        sets["document-photo"][0 if same else 1].append(
                            cosine_similarity(e[(x, seed)], e[y])
                        )
        for name, (g, i) in sets.items():
            m = verification_metrics(np.array(g), np.array(i))
            far, frr = m.rates_at(threshold, np.array(g), np.array(i))
            tars = [f"{t.tar:.1%}" if t.tar is not None else "n/r" for t in m.tar_at_far]
            row = (
                model,
                name,
                m.n_genuine,
                m.n_impostor,
                f"{m.auc:.4f}",
                f"{m.eer:.2%}",
                *tars,
                f"{m.min_genuine:.3f}",
                f"{m.max_impostor:.3f}",
                f"{threshold:.3f}",
                f"{far:.2%}",
                f"{frr:.2%}",
            )
            print("  ".join(f"{c!s:>9}" for c in row))
            curves.append((f"{model} {name}", m))
            results_for_summary.append((model, name, m, far, frr))
            if name == "document-photo":
                t3 = gaussian_tail_threshold(m.impostor_mean, m.impostor_std, 1e-3)
                t4 = gaussian_tail_threshold(m.impostor_mean, m.impostor_std, 1e-4)
                chosen[model] = operating_point(m)
                print(
                    f"{'':>9}  impostor mean {m.impostor_mean:.3f} sd {m.impostor_std:.3f}: "
                    f"Gaussian-tail FAR 0.1% at {t3:.3f}, FAR 0.01% at {t4:.3f}; operating "
                    f"point {chosen[model]:.3f} (manifest {threshold:.3f}); FRR there "
                    f"{(np.array(g) < chosen[model]).mean():.2%}"
                )
    # every fixture pair, raw and as a synthetic document, at the manifest threshold
    print("\nfixture pairs at the manifest thresholds (raw / as synthetic ID document, all seeds)")
    fixture_results: list[tuple[str, float, int, int, int, int, int]] = []
    for model in MODELS:
        e = emb[model]
        threshold = kit.embedder(model).threshold()
        wrong_raw, wrong_doc, total_doc, wrong_seed0 = [], 0, 0, 0
        for a, b, same in fixture:
            s = cosine_similarity(e[a], e[b])
            if (s >= threshold) != same:
                wrong_raw.append((a, b, round(s, 3)))
            for seed in range(SYNTH_SEEDS):
                if (a, seed) in e:
                    total_doc += 1
                    s = cosine_similarity(e[(a, seed)], e[b])
                    wrong_doc += int((s >= threshold) != same)
                    wrong_seed0 += int(seed == 0 and (s >= threshold) != same)
        fixture_results.append(
            (
                model,
                threshold,
                len(fixture) - len(wrong_raw),
                len(fixture),
                len(fixture) - wrong_seed0,
                total_doc - wrong_doc,
                total_doc,
            )
        )
        print(
            f"  {model:>12} (threshold {threshold:.3f}): raw {len(fixture) - len(wrong_raw)}/"
            f"{len(fixture)} correct{' ' + str(wrong_raw) if wrong_raw else ''}; as synthetic "
            f"ID document: seed 0 {len(fixture) - wrong_seed0}/{len(fixture)}, all "
            f"{SYNTH_SEEDS} seeds {total_doc - wrong_doc}/{total_doc} correct; portraits the "
            f"document detector missed: {doc_missed[model]}/{len(synth)}"
        )
    _summary(results_for_summary, fixture_results, chosen)
    out = PROJECT_ROOT / "reports" / "faces_det.png"
    out.parent.mkdir(exist_ok=True)
    plot_det(tuple(curves), str(out), "Face verification: fixtures + synthetic ID portraits")
    print(f"\nDET plot: {out}")
    _precision(kit, images, faces)
    kit.close()
    return 0


def _summary(
    results: list[tuple[str, str, Any, float, float]],
    fixtures: list[tuple[str, float, int, int, int, int, int]],
    chosen: dict[str, float],
) -> None:
    from tests.eval.summary import Figure, Summary, write_summary

    figures = []
    for model, threshold, raw_ok, n, seed0_ok, doc_ok, doc_n in fixtures:
        figures.append(
            Figure(
                f"{model}: fixture pairs correct at {threshold:.3f}",
                f"{raw_ok}/{n}",
                "all",
                raw_ok == n,
            )
        )
        figures.append(
            Figure(
                f"{model}: same pairs, first photo as synthetic ID (seed 0)",
                f"{seed0_ok}/{n}",
                "all",
                seed0_ok == n,
            )
        )
        figures.append(Figure(f"{model}: same pairs, all synthetic seeds", f"{doc_ok}/{doc_n}"))
    for model, name, m, far, frr in results:
        tar = ", ".join(
            f"TAR@FAR{t.far_target:.1%} "
            + (f"{t.tar:.1%}" if t.tar is not None else "not resolvable")
            for t in m.tar_at_far
        )
        figures.append(
            Figure(
                f"{model} {name}: AUC / EER ({m.n_genuine} genuine, {m.n_impostor} impostor)",
                f"{m.auc:.4f} / {m.eer:.2%}; {tar}; FAR {far:.2%} FRR {frr:.2%} at the threshold",
            )
        )
    notes = [
        "Operating point (Gaussian tail FAR 0.1%, >= 0.02 above the highest impostor): "
        + ", ".join(f"{k} {v:.3f}" for k, v in chosen.items())
    ]
    write_summary(Summary("faces", "Face matching", figures, notes, ["faces_det.png"]))


def _precision(kit: FaceToolkit, images: dict[str, LoadedImage], faces: dict[str, Any]) -> None:
    """float32 against int8: agreement of the outputs and median latency (one thread)."""
    from pipeline.engine import EngineConfig
    from pipeline.face import EmbedderOptions, FaceDetector, FaceDetectorOptions, FaceEmbedder

    print("\nprecision: float32 vs int8 (median ms, 1 intra-op thread)")
    crops = [align_face(images[k].pixels, f) for k, f in faces.items()]
    one = EngineConfig(intra_op_threads=1)
    results = {}
    for name in ("sface", "sface_int8"):
        emb = FaceEmbedder.from_options(
            EmbedderOptions(model=name, profile=Profile.RESEARCH, engine=one), kit.registry
        )
        vecs = [emb.embed_aligned(c).vector for c in crops]
        times = []
        for c in crops * 3:
            t = time.perf_counter()
            emb.embed_aligned(c)
            times.append((time.perf_counter() - t) * 1000)
        results[name] = (np.array(vecs), float(np.median(times)))
        emb.close()
    agree = np.sum(results["sface"][0] * results["sface_int8"][0], axis=1)
    print(
        f"  SFace fp32 {results['sface'][1]:.1f} ms, int8 {results['sface_int8'][1]:.1f} ms; "
        f"cosine(fp32, int8) per face: min {agree.min():.5f} mean {agree.mean():.5f}"
    )
    dets = {}
    for name in ("yunet", "yunet_fp32"):
        d = FaceDetector.from_options(FaceDetectorOptions(model=name), kit.registry)
        boxes, times = [], []
        for img in images.values():
            t = time.perf_counter()
            found = d.detect(img.pixels)
            times.append((time.perf_counter() - t) * 1000)
            boxes.append(found[0].box if found else None)
        dets[name] = (boxes, float(np.median(times)))
    ious = [
        a.iou(b)
        for a, b in zip(dets["yunet"][0], dets["yunet_fp32"][0], strict=True)
        if a is not None and b is not None
    ]
    print(
        f"  YuNet int8 {dets['yunet'][1]:.1f} ms, fp32 {dets['yunet_fp32'][1]:.1f} ms "
        f"(OpenCV); box IoU int8 vs fp32: min {min(ious):.4f} mean {np.mean(ious):.4f}"
    )
    _mbf_int8(kit, crops)


def _mbf_int8(kit: FaceToolkit, crops: list[np.ndarray[Any, Any]]) -> None:
    """ArcFace-MobileFaceNet ships only in float32: quantise it (dynamic int8) and compare."""
    import tempfile

    from onnxruntime.quantization import QuantType, quantize_dynamic

    from pipeline.engine import EngineConfig, OnnxEngine
    from pipeline.face import EmbedderOptions, FaceEmbedder

    one = EngineConfig(intra_op_threads=1)
    fp32 = FaceEmbedder.from_options(
        EmbedderOptions(model="arcface_mbf", profile=Profile.RESEARCH, engine=one), kit.registry
    )
    with tempfile.TemporaryDirectory() as tmp:
        q_path = Path(tmp) / "mbf_int8.onnx"
        quantize_dynamic(
            str(kit.registry.path("arcface_mbf")), str(q_path), weight_type=QuantType.QUInt8
        )
        q_engine = OnnxEngine.from_path(q_path, one, name="arcface_mbf")
        q = FaceEmbedder(q_engine, fp32.spec, fp32.options)
        times: dict[str, list[float]] = {"fp32": [], "int8": []}
        agree = []
        for c in crops * 2:
            for label, e in (("fp32", fp32), ("int8", q)):
                t = time.perf_counter()
                e.embed_aligned(c)
                times[label].append((time.perf_counter() - t) * 1000)
            agree.append(float(fp32.embed_aligned(c).vector @ q.embed_aligned(c).vector))
        print(
            f"  ArcFace-MBF fp32 {np.median(times['fp32']):.1f} ms, dynamic int8 "
            f"{np.median(times['int8']):.1f} ms; cosine(fp32, int8) min {min(agree):.4f} "
            f"mean {np.mean(agree):.4f}"
        )
        q.close()
    fp32.close()


if __name__ == "__main__":
    sys.exit(main())
