"""``kiosk verify`` (one whole case) and ``kiosk decide --replay`` (re-decide a recorded case)."""

from __future__ import annotations

import argparse
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.cli._base import EXIT_CHECK_FAILED, EXIT_OK, Output, Parser
from kiosk.errors import InputNotFound, UsageError

# waiting and the after-capture total are not work of their own
NOT_WORK = ("wait_for_document", "after_capture")


@dataclass(frozen=True, slots=True)
class ReasonView:
    code: str
    message: str
    severity: str
    weight: float


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    from kiosk.cli import command

    verify = command(sub, "verify", _verify, "verify a customer: document + selfie -> decision")
    verify.add_argument("--document", type=Path, required=True, help="document image")
    verify.add_argument(
        "--selfie", required=True, help="selfie video, still image, folder of frames, or camera:N"
    )
    verify.add_argument("--policy", type=Path, help="site policy TOML (default: bundled)")
    verify.add_argument(
        "--sanctions",
        type=Path,
        action="append",
        default=[],
        help="sanctions list file (UN XML, OFAC CSV, OpenSanctions JSONL)",
    )
    verify.add_argument("--challenge-seed", type=int, help="challenge seed (default: random)")
    verify.add_argument(
        "--store",
        action="store_true",
        help="save the case, its evidence and decision in the encrypted store",
    )

    decide = command(sub, "decide", _decide, "reproduce a decision from a recorded case JSON")
    decide.add_argument("--replay", type=Path, required=True, metavar="CASE_JSON")
    decide.add_argument("--policy", type=Path, help="policy to decide with (default: bundled)")


def run_verify(
    document: Path,
    selfie: str,
    *,
    policy_path: Path | None,
    sanctions: list[Path],
    seed: int,
    keep_evidence: bool = False,
) -> Any:
    """Run one case from files; returns the CaseResult."""
    from kiosk.capture import open_frame_source
    from kiosk.case import VerificationCase
    from kiosk.policy import load_policy
    from pipeline.image import DOCUMENT_MAX_SIDE, SELFIE_MAX_SIDE, load_image

    policy = load_policy(policy_path)
    screener = _screener(sanctions, policy) if sanctions else None
    doc_image = load_image(document, max_side=DOCUMENT_MAX_SIDE)
    selfie_path = Path(selfie)
    still = selfie_path.is_file() and selfie_path.suffix.lower() in (
        ".jpg",
        ".jpeg",
        ".png",
        ".webp",
        ".bmp",
        ".tif",
        ".tiff",
    )
    if not selfie.startswith("camera:") and not selfie_path.exists():
        raise InputNotFound(f"No such selfie file or folder: {selfie_path.name}.")
    with VerificationCase(policy, screener=screener, keep_evidence=keep_evidence) as case:
        case.start_document(doc_image)
        if still:
            case.set_selfie_image(load_image(selfie_path, max_side=SELFIE_MAX_SIDE))
        else:
            source = open_frame_source(selfie)
            try:
                case.start_selfie(
                    seed, device_name=source.info.name if source.info.kind == "camera" else ""
                )
                for frame in source:
                    case.feed(frame.pixels, frame.t_s)
            finally:
                source.close()
        return case.finish()


def _screener(paths: list[Path], policy: Any) -> Any:
    from kiosk.case import screening_options
    from pipeline.screening import Screener, load_list

    return Screener.from_lists(tuple(load_list(p) for p in paths), screening_options(policy))


def case_payload(result: Any) -> dict[str, Any]:
    """The case as JSON-ready data (the documented ``kiosk verify --json`` shape)."""
    d = result.decision
    live = result.liveness
    return {
        "case_id": result.case_id,
        "created_at": result.created_at.isoformat(timespec="seconds"),
        "decision": d.outcome.value,
        "reasons": [ReasonView(r.code, r.message, r.severity.value, r.weight) for r in d.reasons],
        "signals": result.signals,
        "document": result.document,
        "match": result.match,
        "liveness": None
        if live is None
        else {
            "decision": live.verdict.decision.value,
            "score": None if live.verdict.score != live.verdict.score else live.verdict.score,
            "reasons": [{"code": r.code, "message": r.message} for r in live.verdict.reasons],
            "signals": [
                {
                    "name": s.name,
                    "value": s.value,
                    "verdict": s.verdict.value,
                    "weight": s.weight,
                    "explanation": s.explanation,
                }
                for s in live.verdict.signals
            ],
            "challenge": {"seed": live.seed, "steps": list(live.steps)},
            "frames": live.frames,
            "median_frame_ms": live.median_frame_ms,
        },
        "screening": result.screening,
        "policy": {"name": d.policy_name, "version": d.policy_version},
        "policy_hash": d.policy_hash,
        "models": dict(result.models),
        "timings_ms": {
            "stages": result.timings,
            "sum_of_stages": round(
                sum(ms for name, ms in result.timings.stages if name not in NOT_WORK), 1
            ),
            "after_capture": round(result.timings.as_mapping().get("after_capture", 0.0), 1),
            "wall": round(result.wall_ms, 1),
        },
    }


def _verify(args: argparse.Namespace, out: Output) -> int:
    seed = args.challenge_seed if args.challenge_seed is not None else secrets.randbelow(2**31)
    result = run_verify(
        args.document,
        args.selfie,
        policy_path=args.policy,
        sanctions=args.sanctions,
        seed=seed,
        keep_evidence=args.store,
    )
    payload = case_payload(result)
    if args.store:
        payload["stored"] = _store(result, payload, args.policy)

    def human(console: Any) -> None:
        from rich.table import Table

        colour = {"approved": "green", "manual_review": "yellow", "rejected": "red"}
        outcome = result.decision.outcome.value
        console.print(f"[bold {colour[outcome]}]{outcome.upper()}[/]  case {result.case_id}")
        for r in result.decision.reasons:
            console.print(f"  [{r.severity.value}] {r.code}: {r.message}")
        table = Table(title="stages (ms)")
        table.add_column("stage")
        table.add_column("ms", justify="right")
        for name, ms in result.timings.stages:
            table.add_row(name, f"{ms:.0f}")
        stats = payload["timings_ms"]
        table.add_row("[bold]sum of stages, one after another[/]", f"{stats['sum_of_stages']:.0f}")
        table.add_row("[bold]wall time (branches concurrent)[/]", f"{stats['wall']:.0f}")
        console.print(table)

    out.emit(payload, human)
    return EXIT_OK


def _store(result: Any, payload: dict[str, Any], policy_path: Path | None = None) -> Any:
    from kiosk.jsonout import dumps
    from kiosk.persist import store_case
    from kiosk.sync.payload import outbox_payload_for  # None unless sync is configured

    outbox = outbox_payload_for(result, policy_path)
    return store_case(result, dumps(payload, indent=None).encode("utf-8"), outbox)


def _decide(args: argparse.Namespace, out: Output) -> int:
    from kiosk.policy import load_policy
    from pipeline.decision import CaseSignals, decide

    try:
        recorded = json.loads(args.replay.read_text("utf-8"))
    except FileNotFoundError:
        raise InputNotFound(f"No such case file: {args.replay.name}.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{args.replay.name} is not a case JSON: {exc}.") from exc
    if not isinstance(recorded, dict) or "signals" not in recorded:
        raise UsageError(
            f"{args.replay.name} has no recorded signals (is it kiosk verify --json?)."
        )
    signals = CaseSignals.from_json(recorded["signals"])
    policy = load_policy(args.policy)
    decision = decide(signals, policy.decision)
    same_policy = policy.content_hash == recorded.get("policy_hash")
    reasons = [(r.code, r.severity.value) for r in decision.reasons]
    recorded_list = recorded.get("reasons", [])
    recorded_reasons = [
        (r.get("code"), r.get("severity")) if isinstance(r, dict) else (r, None)
        for r in (recorded_list if isinstance(recorded_list, list) else [])
    ]
    differences = []
    if decision.outcome.value != recorded.get("decision"):
        differences.append("decision")
    if reasons != recorded_reasons:
        differences.append("reasons")
    if not same_policy:
        differences.append("policy")
    # a replay reproduces only under the policy that decided; another policy is a what-if
    reproduced = not differences
    payload = {
        "reproduced": reproduced,
        "same_policy": same_policy,
        "differences": differences,
        "decision": decision.outcome.value,
        "recorded_decision": recorded.get("decision"),
        "reasons": [
            ReasonView(r.code, r.message, r.severity.value, r.weight) for r in decision.reasons
        ],
        "policy_hash": policy.content_hash,
        "recorded_policy_hash": recorded.get("policy_hash"),
    }

    def human(console: Any) -> None:
        mark = "[green]reproduced[/]" if reproduced else "[red]DIFFERENT[/]"
        console.print(
            f"{mark}: {decision.outcome.value} (recorded {recorded.get('decision')})"
            + ("" if same_policy else " [yellow]with a different policy file[/]")
        )
        if differences:
            console.print("differs in: " + ", ".join(differences))
        for r in decision.reasons:
            console.print(f"  {r.code}: {r.message}")

    out.emit(payload, human)
    return EXIT_OK if reproduced else EXIT_CHECK_FAILED
