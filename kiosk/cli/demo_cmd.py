"""``kiosk demo``: the bundled sample case, end to end, with a per-stage timing table."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.cli._base import EXIT_OK, Output, Parser


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    from kiosk.cli import command

    command(sub, "demo", _demo, "run the bundled sample case end to end (shippable material only)")


def _demo(args: argparse.Namespace, out: Output) -> int:
    from kiosk.cli.verify_cmd import case_payload
    from kiosk.demo import run_demo

    run = run_demo()
    result = run.result
    payload = case_payload(result)
    payload["demo"] = {
        "seed": run.seed,
        "steps": list(run.steps),
        "frames": run.frames,
        "selfie_synthesis_ms": round(run.synthesis_ms, 1),
    }

    def human(console: Any) -> None:
        from rich.table import Table

        console.print(
            "Demo case: a rendered ID card (invented identity, NASA public-domain "
            "portrait) and a synthesised selfie that follows the challenge "
            f"({' -> '.join(run.steps)})."
        )
        colour = {"approved": "green", "manual_review": "yellow", "rejected": "red"}
        outcome = result.decision.outcome.value
        console.print(f"\nDecision: [bold {colour[outcome]}]{outcome.upper()}[/]")
        if result.decision.reasons:
            for r in result.decision.reasons:
                console.print(f"  [{r.severity.value}] {r.code}: {r.message}")
        else:
            console.print("  no findings")
        m = result.match
        if m.similarity is not None:
            console.print(
                f"Face match: similarity {m.similarity:.3f} (threshold "
                f"{m.threshold:.3f}, {m.model}, {m.selfie_frames_used} selfie frames)"
            )
        if result.liveness is not None:
            v = result.liveness.verdict
            console.print(
                f"Liveness: {v.decision.value} (score {v.score:+.2f}); "
                + ", ".join(f"{s.name}={s.verdict.value}" for s in v.signals)
            )
        table = Table(title="per-stage timings (ms)")
        table.add_column("stage")
        table.add_column("ms", justify="right")
        for name, ms in result.timings.stages:
            table.add_row(name, f"{ms:.0f}")
        t = payload["timings_ms"]
        table.add_row("[bold]sum of stages, one after another[/]", f"{t['sum_of_stages']:.0f}")
        table.add_row("[bold]wall time, branches concurrent[/]", f"{t['wall']:.0f}")
        table.add_row("[dim]of which selfie synthesis (demo only)[/]", f"{run.synthesis_ms:.0f}")
        console.print(table)

    out.emit(payload, human)
    return EXIT_OK
