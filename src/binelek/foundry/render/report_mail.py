"""A report e-mail's content, and its two renderings: plain text and HTML with inline styles (mail
programs ignore style sheets). The content holds display strings; reports.py computes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

FONT_STACK = "-apple-system,'Segoe UI',Helvetica,Arial,sans-serif"
GOOD_COLOR = "#047857"
BAD_COLOR = "#b91c1c"
MUTED_COLOR = "#64748b"
TEXT_RULE_WIDTH = 64


@dataclass(frozen=True, slots=True)
class Comparison:
    label: str  # "vs Mon 5 Jan 2026"
    change: str  # "+12.5%"
    previous: str  # the comparison period's value, formatted
    good: bool | None = None  # None: neither (flat, or no comparison)


@dataclass(frozen=True, slots=True)
class KpiLine:
    label: str
    value: str
    comparisons: tuple[Comparison, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportTable:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]  # right-aligned columns
    empty: str = "Nothing to show for this period."


@dataclass(frozen=True, slots=True)
class Headline:
    title: str
    sentence: str


@dataclass(slots=True)
class ReportContent:
    heading: str  # "Daily sales"
    organization: str
    period: str  # "Mon 12 Jan 2026"
    kpi_title: str = "Key figures"
    kpis: list[KpiLine] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)
    headlines: list[Headline] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    link: str | None = None  # where to see more


def render_text(content: ReportContent) -> str:
    lines = [f"{content.heading} — {content.organization}", content.period, "=" * TEXT_RULE_WIDTH, ""]
    if content.kpis:
        lines.extend([content.kpi_title, "-" * len(content.kpi_title)])
        width = max(len(kpi.label) for kpi in content.kpis)
        for kpi in content.kpis:
            lines.append(f"{kpi.label.ljust(width)}  {kpi.value}")
            for comparison in kpi.comparisons:
                lines.append(
                    f"{'':{width}}    {comparison.change} {comparison.label} ({comparison.previous})"
                )
        lines.append("")
    for table in content.tables:
        lines.extend(_text_table(table))
        lines.append("")
    if content.headlines:
        lines.extend(["Insights", "--------"])
        lines.extend(f"* {headline.title}: {headline.sentence}" for headline in content.headlines)
        lines.append("")
    lines.extend(content.notes)
    if content.link:
        lines.append(f"See more in Binelek: {content.link}")
    lines.append("You receive this report because it is scheduled in your organization's Binelek.")
    return "\n".join(lines).rstrip() + "\n"


def _text_table(table: ReportTable) -> list[str]:
    lines = [table.title, "-" * len(table.title)]
    if not table.rows:
        return [*lines, table.empty]
    widths = [
        max(len(table.headers[i]), *(len(row[i]) for row in table.rows)) for i in range(len(table.headers))
    ]

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            cell.rjust(widths[i]) if table.numeric[i] else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    return [*lines, line(table.headers), *(line(row) for row in table.rows)]


def render_html(content: ReportContent) -> str:
    parts = [
        f'<h1 style="font-size:20px;margin:0 0 4px 0">{escape(content.heading)}</h1>',
        f'<div style="color:{MUTED_COLOR};margin-bottom:16px">{escape(content.organization)} · '
        f"{escape(content.period)}</div>",
    ]
    if content.kpis:
        parts.append(_section_title(content.kpi_title))
        parts.append(_html_kpis(content.kpis))
    for table in content.tables:
        parts.append(_section_title(table.title))
        parts.append(_html_table(table))
    if content.headlines:
        parts.append(_section_title("Insights"))
        items = "".join(
            f"<li><strong>{escape(h.title)}</strong>: {escape(h.sentence)}</li>" for h in content.headlines
        )
        parts.append(f'<ul style="padding-left:18px;margin:0 0 16px 0">{items}</ul>')
    for note in content.notes:
        parts.append(f'<p style="color:{MUTED_COLOR};font-size:12px">{escape(note)}</p>')
    if content.link:
        parts.append(
            f'<p><a href="{escape(content.link, quote=True)}" style="color:#4f46e5">'
            "See more in Binelek</a></p>"
        )
    parts.append(
        f'<p style="color:{MUTED_COLOR};font-size:11px">You receive this report because it is scheduled in '
        "your organization's Binelek.</p>"
    )
    body = "".join(parts)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(content.heading)}</title></head>"
        f'<body style="margin:0;padding:16px;background:#f8fafc">'
        f'<div style="max-width:640px;margin:0 auto;background:#ffffff;padding:20px;border:1px solid #e2e8f0;'
        f'border-radius:8px;font-family:{FONT_STACK};font-size:14px;color:#0f172a">{body}</div></body></html>'
    )


def _section_title(title: str) -> str:
    return f'<h2 style="font-size:15px;margin:16px 0 8px 0">{escape(title)}</h2>'


def _tone_color(good: bool | None) -> str:
    return MUTED_COLOR if good is None else GOOD_COLOR if good else BAD_COLOR


def _html_kpis(kpis: list[KpiLine]) -> str:
    rows = []
    for kpi in kpis:
        comparisons = "".join(
            f'<div style="font-size:12px;color:{_tone_color(c.good)}">{escape(c.change)} {escape(c.label)} '
            f'<span style="color:{MUTED_COLOR}">({escape(c.previous)})</span></div>'
            for c in kpi.comparisons
        )
        rows.append(
            f'<tr><td style="padding:6px 0;border-bottom:1px solid #f1f5f9;color:{MUTED_COLOR}">'
            f"{escape(kpi.label)}</td>"
            f'<td style="padding:6px 0;border-bottom:1px solid #f1f5f9;text-align:right">'
            f'<div style="font-size:16px;font-weight:bold">{escape(kpi.value)}</div>{comparisons}</td></tr>'
        )
    return f'<table role="presentation" style="width:100%;border-collapse:collapse">{"".join(rows)}</table>'


def _html_table(table: ReportTable) -> str:
    if not table.rows:
        return f'<p style="color:{MUTED_COLOR}">{escape(table.empty)}</p>'

    def align(index: int) -> str:
        return "right" if table.numeric[index] else "left"

    head = "".join(
        f'<th style="text-align:{align(i)};font-size:12px;color:{MUTED_COLOR};padding:4px 6px;'
        f'border-bottom:1px solid #cbd5e1">{escape(header)}</th>'
        for i, header in enumerate(table.headers)
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td style="text-align:{align(i)};padding:4px 6px;border-bottom:1px solid #f1f5f9">'
            f"{escape(cell)}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in table.rows
    )
    return (
        f'<table style="width:100%;border-collapse:collapse;font-size:13px"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
