"""A self-contained HTML report of one case for staff review.

Images are decrypted in memory and embedded as ``data:`` URIs; nothing else
is loaded (a Content-Security-Policy forbids scripts and remote content).
The case JSON's schema is owned by the orchestrator, so it is rendered
defensively: known sections (``document``, ``signals``) get their own
headings when present, anything else is shown generically, and every value
is HTML-escaped.

The report contains personal data in the clear by design: it is written
only where the staff member asks, with mode 0600.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from typing import Any

from kiosk.store.types import EvidenceItem, StoredCase, iso

DISPLAYABLE = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp"})
_MAX_DEPTH = 6
_MAX_ITEMS = 200

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.3em 0}td,th{border:1px solid #ddd;padding:.25em .5em;
vertical-align:top;text-align:left}th{background:#f4f4f4}.warn{background:#fff3cd;padding:.6em;
border:1px solid #e0c36c}.ev{display:inline-block;margin:.5em;vertical-align:top}
.ev img{max-width:420px;max-height:420px;border:1px solid #999}code{font-size:.9em}
.approved{color:#176b2c}.rejected{color:#a11}.manual_review{color:#8a5a00}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _render_value(value: Any, depth: int = 0) -> str:
    if depth >= _MAX_DEPTH:
        return "<em>…</em>"
    if isinstance(value, Mapping):
        if not value:
            return "<em>(empty)</em>"
        rows = []
        for index, (key, item) in enumerate(value.items()):
            if index >= _MAX_ITEMS:
                rows.append(f"<tr><td colspan=2><em>{len(value) - index} more</em></td></tr>")
                break
            rows.append(f"<tr><th>{_e(key)}</th><td>{_render_value(item, depth + 1)}</td></tr>")
        return "<table>" + "".join(rows) + "</table>"
    if isinstance(value, list | tuple):
        if not value:
            return "<em>(none)</em>"
        items = [f"<li>{_render_value(v, depth + 1)}</li>" for v in value[:_MAX_ITEMS]]
        if len(value) > _MAX_ITEMS:
            items.append(f"<li><em>{len(value) - _MAX_ITEMS} more</em></li>")
        return "<ol>" + "".join(items) + "</ol>"
    if value is None:
        return "<em>null</em>"
    return _e(value)


def _section(title: str, body: str) -> str:
    return f"<h2>{_e(title)}</h2>\n{body}\n"


def _document_fields(data: Any) -> Any:
    """The document's fields if the case JSON has a recognisable document section."""
    if not isinstance(data, Mapping):
        return None
    document = data.get("document")
    if isinstance(document, Mapping):
        fields = document.get("fields")
        return fields if isinstance(fields, Mapping | list) else document
    return None


def _evidence_html(evidence: Sequence[EvidenceItem] | None, unavailable: str | None) -> str:
    if evidence is None:
        return f"<p><em>{_e(unavailable or 'Evidence not available.')}</em></p>"
    if not evidence:
        return "<p><em>No evidence stored.</em></p>"
    parts = []
    for index, item in enumerate(evidence, start=1):
        caption = f"{index}. {item.kind.value} · {item.media_type} · {len(item.data):,} bytes"
        if item.media_type in DISPLAYABLE:
            uri = f"data:{item.media_type};base64,{base64.b64encode(item.data).decode('ascii')}"
            figure = f'<img alt="{_e(item.kind.value)}" src="{_e(uri)}">'
        else:
            figure = "<em>(not an image type this report displays)</em>"
        parts.append(f'<div class="ev">{figure}<br><small>{_e(caption)}</small></div>')
    return "".join(parts)


def render_case_html(
    case: StoredCase,
    evidence: Sequence[EvidenceItem] | None,
    *,
    generated_at: str,
    evidence_unavailable: str | None = None,
) -> str:
    """The report as one HTML document.

    Args:
        case: the stored case.
        evidence: decrypted evidence, or None when it cannot be shown.
        generated_at: ISO time stamp for the footer.
        evidence_unavailable: why ``evidence`` is None (e.g. purged by retention).
    """
    data = case.case_data()
    final = case.final_decision.value
    summary = {
        "case id": case.case_id,
        "created": iso(case.created_at),
        "automated decision": case.decision.value,
        "final decision": case.final_decision.value,
        "policy sha256": case.policy_hash,
    }
    head = (
        "<table>"
        + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in summary.items())
        + "</table>"
    )
    reasons = (
        "<ol>" + "".join(f"<li><code>{_e(r)}</code></li>" for r in case.reasons) + "</ol>"
        if case.reasons
        else "<p><em>No reasons recorded.</em></p>"
    )
    timings = (
        "<table><tr><th>stage</th><th>ms</th></tr>"
        + "".join(f"<tr><td>{_e(n)}</td><td>{ms:.1f}</td></tr>" for n, ms in case.timings.stages)
        + f"<tr><th>total</th><th>{case.timings.total_ms:.1f}</th></tr></table>"
    )
    models = _render_value(dict(case.model_hashes))
    reviews = (
        "<table><tr><th>when</th><th>who</th><th>decision</th><th>note</th></tr>"
        + "".join(
            f"<tr><td>{_e(iso(r.decided_at))}</td><td>{_e(r.actor)}</td>"
            f"<td>{_e(r.decision.value)}</td><td>{_e(r.note)}</td></tr>"
            for r in case.reviews
        )
        + "</table>"
        if case.reviews
        else "<p><em>No staff review yet.</em></p>"
    )
    if data is None:
        fields_html = "<p><em>The case data was erased under the retention policy.</em></p>"
        signals_html = fields_html
        other_html = ""
    else:
        document = _document_fields(data)
        fields_html = (
            _render_value(document)
            if document is not None
            else "<p><em>No document section in the case data.</em></p>"
        )
        signals = data.get("signals") if isinstance(data, Mapping) else None
        signals_html = (
            _render_value(signals)
            if signals is not None
            else "<p><em>No signals recorded.</em></p>"
        )
        rest = (
            {k: v for k, v in data.items() if k not in ("document", "signals")}
            if isinstance(data, Mapping)
            else data
        )
        other_html = (
            f"<details><summary>Other case data</summary>{_render_value(rest)}</details>"
            if rest
            else ""
        )
    body = (
        f"<h1>Case <code>{_e(case.case_id)}</code> · "
        f'<span class="{_e(final)}">{_e(final)}</span></h1>\n'
        '<p class="warn">Contains personal data. For staff review only; do not forward, '
        "delete the file after use.</p>\n"
        + head
        + _section("Reasons", reasons)
        + _section("Document fields", fields_html)
        + _section("Images", _evidence_html(evidence, evidence_unavailable))
        + _section("Signals", signals_html)
        + _section("Timings", timings)
        + _section("Models", models)
        + _section("Staff reviews", reviews)
        + (_section("More", other_html) if other_html else "")
        + f"<hr><small>Generated {_e(generated_at)} by kiosk case report.</small>"
    )
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
        '<meta name="referrer" content="no-referrer">'
        f"<title>Case {_e(case.case_id)}</title><style>{_STYLE}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )
