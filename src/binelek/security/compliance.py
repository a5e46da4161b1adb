"""Compliance frameworks: control catalogues, each control's status, and the report (JSON and PDF).

Catalogues are JSON files under `data/compliance/` (SOC 2, GDPR, HIPAA Security Rule, PCI DSS). Checks
name the controls they provide evidence for as "<framework>:<control id>" (`Finding.controls`), for
example "soc2:CC6.7" or "hipaa:164.312(e)(1)"; people attest to the rest by hand.

How `evaluate` decides a control's status:

1. Only the latest finding of each (check_id, target, key) counts, so a problem fixed since the last
   scan stops failing its controls. Which controls it counts towards comes from that latest finding.
2. A latest finding that failed with severity low or worse fails the control. A failed `info` finding
   never fails a control and does not count as a pass either: it is listed, nothing more.
3. Failing findings win over everything, a manual attestation included: "failing".
4. Otherwise a manual attestation, when there is one, decides:
   - "not_applicable" → not_applicable (left out of the percentage);
   - "not_met" → manual_not_met, even when findings passed: the person knows about the parts of the
     control no check can see;
   - "met" → passing when findings passed, manual_met when there are none — as long as the review is
     current, i.e. `now` is no later than reviewed_at + the control's review_days (or the attestation's
     own review_due_at, when that comes earlier). A lapsed or never-dated review → review_overdue.
5. Without an attestation: findings that all passed → passing; nothing at all → needs_evidence.

percent_complete = (passing + manual_met) / (all controls - not_applicable) * 100, rounded half-up to
one decimal; 0.0 when no control is in scope.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import Any, Literal, get_args

from jinja2 import Environment, StrictUndefined, Template
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from binelek.security.checks.base import Finding

FRAMEWORKS = ("soc2", "gdpr", "hipaa", "pci")
FRAMEWORK_LABELS = {"soc2": "SOC 2", "gdpr": "GDPR", "hipaa": "HIPAA", "pci": "PCI DSS"}
CATALOGUE_FILES = {"soc2": "soc2.json", "gdpr": "gdpr.json", "hipaa": "hipaa.json", "pci": "pci_dss.json"}

ControlStatusValue = Literal[
    "passing", "failing", "manual_met", "manual_not_met", "not_applicable", "needs_evidence", "review_overdue"
]
ManualStatusValue = Literal["met", "not_met", "not_applicable"]
STATUSES: tuple[str, ...] = get_args(ControlStatusValue)
MANUAL_STATUSES: tuple[str, ...] = get_args(ManualStatusValue)
STATUS_LABELS = {
    "passing": "Passing",
    "failing": "Failing",
    "manual_met": "Met (attested)",
    "manual_not_met": "Not met (attested)",
    "not_applicable": "Not applicable",
    "needs_evidence": "Needs evidence",
    "review_overdue": "Review overdue",
}
# A finding only says how bad it would be; `info` ones are observations, never a control failure.
NON_FAILING_SEVERITY = "info"
# The PDF lists this many findings per control; the JSON report keeps all of them.
PDF_FINDINGS_PER_CONTROL = 25


# -- catalogues -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Control:
    id: str
    title: str
    description: str
    category: str
    evidence_hint: str
    review_days: int
    automated: bool  # some check maps findings to it


@dataclass(frozen=True, slots=True)
class Catalogue:
    framework: str
    name: str
    version: str
    url: str
    controls: tuple[Control, ...]

    @property
    def label(self) -> str:
        """The short name people use: "SOC 2", "PCI DSS"."""
        return FRAMEWORK_LABELS[self.framework]

    def control(self, control_id: str) -> Control:
        for control in self.controls:
            if control.id == control_id:
                return control
        raise ValueError(f"{self.framework} has no control {control_id!r}")

    def ref(self, control: Control) -> str:
        return f"{self.framework}:{control.id}"

    def categories(self) -> list[str]:
        """In catalogue order, each once."""
        return list(dict.fromkeys(control.category for control in self.controls))


@cache
def catalogue(framework: str) -> Catalogue:
    """One framework's catalogue, read from the package data once per process."""
    try:
        filename = CATALOGUE_FILES[framework]
    except KeyError:
        raise ValueError(
            f"unknown compliance framework {framework!r}; expected one of {FRAMEWORKS}"
        ) from None
    text = resources.files("binelek.security").joinpath("data/compliance", filename).read_text("utf-8")
    return _parse_catalogue(framework, json.loads(text))


def catalogues() -> list[Catalogue]:
    return [catalogue(framework) for framework in FRAMEWORKS]


def known_control_refs() -> frozenset[str]:
    """Every "<framework>:<control id>" a check may put in `Finding.controls`."""
    return frozenset(cat.ref(control) for cat in catalogues() for control in cat.controls)


def _parse_catalogue(framework: str, data: dict[str, Any]) -> Catalogue:
    # A broken data file should fail loudly at load, not as a confusing status later.
    if data.get("framework") != framework:
        raise ValueError(f"catalogue file for {framework} says framework {data.get('framework')!r}")
    controls = tuple(_parse_control(framework, item) for item in data["controls"])
    ids = [control.id for control in controls]
    duplicates = sorted({control_id for control_id in ids if ids.count(control_id) > 1})
    if duplicates:
        raise ValueError(f"{framework} catalogue repeats control ids {duplicates}")
    return Catalogue(
        framework=framework,
        name=str(data["name"]),
        version=str(data["version"]),
        url=str(data["url"]),
        controls=controls,
    )


def _parse_control(framework: str, item: dict[str, Any]) -> Control:
    try:
        control = Control(
            id=str(item["id"]),
            title=str(item["title"]),
            description=str(item["description"]),
            category=str(item["category"]),
            evidence_hint=str(item["evidence_hint"]),
            review_days=int(item["review_days"]),
            automated=bool(item["automated"]),
        )
    except KeyError as missing:
        raise ValueError(f"{framework} control {item.get('id')!r} lacks {missing}") from None
    if control.review_days <= 0:
        raise ValueError(f"{framework} control {control.id} needs a positive review_days")
    return control


# -- inputs -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ControlFinding:
    """A stored finding, as compliance needs it. `key` is `Finding.key` (the last part of the
    fingerprint): it separates several findings of one check on one target."""

    check_id: str
    target: str
    passed: bool
    severity: str
    title: str
    observed_at: datetime
    controls: tuple[str, ...] = ()
    key: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "observed_at", _aware(self.observed_at))
        object.__setattr__(self, "controls", tuple(self.controls))

    @classmethod
    def from_finding(cls, finding: Finding, observed_at: datetime) -> ControlFinding:
        return cls(
            check_id=finding.check_id,
            target=finding.target,
            passed=finding.passed,
            severity=finding.severity,
            title=finding.title,
            observed_at=observed_at,
            controls=finding.controls,
            key=finding.key,
        )

    @property
    def fails_control(self) -> bool:
        return not self.passed and self.severity != NON_FAILING_SEVERITY


@dataclass(frozen=True, slots=True)
class ManualState:
    """A person's attestation for one control. `evidence` holds dicts with filename, sha256,
    uploaded_at and size_bytes."""

    status: ManualStatusValue
    note: str | None = None
    reviewed_at: datetime | None = None
    review_due_at: datetime | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.status not in MANUAL_STATUSES:
            raise ValueError(f"manual status must be one of {MANUAL_STATUSES}, not {self.status!r}")
        if self.reviewed_at is not None:
            object.__setattr__(self, "reviewed_at", _aware(self.reviewed_at))
        if self.review_due_at is not None:
            object.__setattr__(self, "review_due_at", _aware(self.review_due_at))


# -- status -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ControlStatus:
    control: Control
    status: ControlStatusValue
    automated_findings: list[ControlFinding]  # latest per check/target/key; failing ones first
    manual: ManualState | None
    reasons: list[str]
    review_due_at: datetime | None = None  # when the attestation must be reviewed again


@dataclass(frozen=True, slots=True)
class FrameworkStatus:
    catalogue: Catalogue
    controls: list[ControlStatus]
    percent_complete: float
    counts: dict[str, int]  # every status in STATUSES, zeros included


def evaluate(
    framework: str,
    findings: Sequence[ControlFinding],
    manual: Mapping[str, ManualState],
    now: datetime,
) -> FrameworkStatus:
    """Each control's status from findings and attestations (`manual` is keyed by control id); see the
    module docstring for the rules."""
    cat = catalogue(framework)
    now = _aware(now)
    findings_by_control = _latest_findings_by_control(framework, findings)
    statuses = [
        _control_status(control, findings_by_control.get(control.id, []), manual.get(control.id), now)
        for control in cat.controls
    ]
    tally: Counter[str] = Counter(status.status for status in statuses)
    counts = {name: tally.get(name, 0) for name in STATUSES}
    return FrameworkStatus(
        catalogue=cat, controls=statuses, percent_complete=_percent_complete(counts), counts=counts
    )


def _latest_findings_by_control(
    framework: str, findings: Sequence[ControlFinding]
) -> dict[str, list[ControlFinding]]:
    latest: dict[tuple[str, str, str], ControlFinding] = {}
    for finding in findings:
        identity = (finding.check_id, finding.target, finding.key)
        current = latest.get(identity)
        if current is None or finding.observed_at >= current.observed_at:
            latest[identity] = finding
    by_control: dict[str, list[ControlFinding]] = {}
    for finding in latest.values():
        for ref in finding.controls:
            ref_framework, _, control_id = ref.partition(":")
            if ref_framework == framework:
                by_control.setdefault(control_id, []).append(finding)
    for control_findings in by_control.values():
        control_findings.sort(key=lambda f: (not f.fails_control, f.passed, f.check_id, f.target, f.key))
    return by_control


def _control_status(
    control: Control, findings: list[ControlFinding], manual: ManualState | None, now: datetime
) -> ControlStatus:
    failing = [finding for finding in findings if finding.fails_control]
    passed = [finding for finding in findings if finding.passed]
    informational = [finding for finding in findings if not finding.passed and not finding.fails_control]
    reasons = [_failure_reason(finding) for finding in failing]
    if passed:
        reasons.append(_passed_reason(passed))
    if informational:
        reasons.append(f"{len(informational)} informational finding(s) not counted")
    review_due = _review_due(control, manual) if manual is not None else None
    status: ControlStatusValue
    if failing:
        status = "failing"
        if manual is not None:
            reasons.append(f"failing findings override the manual attestation ({manual.status})")
    elif manual is not None:
        status = _attested_status(manual, review_due, bool(passed), now, reasons)
    elif passed:
        status = "passing"
    else:
        status = "needs_evidence"
        reasons.append(_needs_evidence_reason(control))
    return ControlStatus(
        control=control,
        status=status,
        automated_findings=findings,
        manual=manual,
        reasons=reasons,
        review_due_at=review_due,
    )


def _attested_status(
    manual: ManualState, review_due: datetime | None, has_passes: bool, now: datetime, reasons: list[str]
) -> ControlStatusValue:
    note = f": {manual.note}" if manual.note else ""
    if manual.status == "not_applicable":
        reasons.append(f"marked not applicable{note}")
        return "not_applicable"
    if manual.status == "not_met":
        reasons.append(f"attested not met{note}")
        return "manual_not_met"
    if review_due is None:
        reasons.append("attested met, but the attestation has no review date")
        return "review_overdue"
    if now > review_due:
        reasons.append(f"attested met, review overdue since {_stamp(review_due)}")
        return "review_overdue"
    reasons.append(f"attested met, next review due {_stamp(review_due)}")
    return "passing" if has_passes else "manual_met"


def _review_due(control: Control, manual: ManualState) -> datetime | None:
    # review_days is the longest an attestation lasts; an earlier review_due_at brings it forward.
    candidates = []
    if manual.reviewed_at is not None:
        candidates.append(manual.reviewed_at + timedelta(days=control.review_days))
    if manual.review_due_at is not None:
        candidates.append(manual.review_due_at)
    return min(candidates) if candidates else None


def _failure_reason(finding: ControlFinding) -> str:
    return (
        f"{finding.check_id} failed on {finding.target} ({finding.severity}, "
        f"{_stamp(finding.observed_at)}): {finding.title}"
    )


def _passed_reason(passed: list[ControlFinding]) -> str:
    checks = sorted({finding.check_id for finding in passed})
    newest = max(finding.observed_at for finding in passed)
    return f"{len(passed)} automated finding(s) passed ({', '.join(checks)}; latest {_stamp(newest)})"


def _needs_evidence_reason(control: Control) -> str:
    if control.automated:
        return "no scan result or attestation yet"
    return "no attestation yet"


def _percent_complete(counts: Mapping[str, int]) -> float:
    in_scope = sum(counts.values()) - counts["not_applicable"]
    if in_scope == 0:
        return 0.0
    done = counts["passing"] + counts["manual_met"]
    percent = (Decimal(done) * 100 / Decimal(in_scope)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(percent)


# -- report -----------------------------------------------------------------------------------------

EvidenceIndex = Mapping[str, Sequence[Mapping[str, Any]]]


def report_json(
    status: FrameworkStatus,
    *,
    tenant_name: str,
    generated_at: datetime,
    evidence_index: EvidenceIndex | None = None,
) -> dict[str, Any]:
    """The framework's status as JSON-serialisable data. `evidence_index` maps a control id to evidence
    files (dicts with filename, sha256, uploaded_at, size_bytes) uploaded for it; they are merged with
    the files on its attestation, each file once."""
    cat = status.catalogue
    return {
        "framework": cat.framework,
        "label": cat.label,
        "name": cat.name,
        "version": cat.version,
        "url": cat.url,
        "tenant": tenant_name,
        "generated_at": _iso(generated_at),
        "percent_complete": status.percent_complete,
        "counts": dict(status.counts),
        "controls": [
            _control_json(item, (evidence_index or {}).get(item.control.id, ())) for item in status.controls
        ],
    }


def _control_json(item: ControlStatus, indexed_evidence: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    control = item.control
    attached = item.manual.evidence if item.manual is not None else []
    return {
        "id": control.id,
        "title": control.title,
        "description": control.description,
        "category": control.category,
        "automated": control.automated,
        "evidence_hint": control.evidence_hint,
        "review_days": control.review_days,
        "status": item.status,
        "reasons": list(item.reasons),
        "review_due_at": _iso(item.review_due_at),
        "findings": [_finding_json(finding) for finding in item.automated_findings],
        "manual": _manual_json(item.manual),
        "evidence": _evidence_json([*attached, *indexed_evidence]),
    }


def _finding_json(finding: ControlFinding) -> dict[str, Any]:
    return {
        "check_id": finding.check_id,
        "target": finding.target,
        "key": finding.key,
        "passed": finding.passed,
        "severity": finding.severity,
        "title": finding.title,
        "observed_at": _iso(finding.observed_at),
    }


def _manual_json(manual: ManualState | None) -> dict[str, Any] | None:
    if manual is None:
        return None
    return {
        "status": manual.status,
        "note": manual.note,
        "reviewed_at": _iso(manual.reviewed_at),
        "review_due_at": _iso(manual.review_due_at),
    }


def _evidence_json(files: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for file in files:
        entry: dict[str, Any] = {
            "filename": str(file.get("filename", "")),
            "sha256": str(file.get("sha256", "")),
            "uploaded_at": _iso_any(file.get("uploaded_at")),
            "size_bytes": file.get("size_bytes"),
        }
        unique.setdefault((entry["filename"], entry["sha256"]), entry)
    return sorted(unique.values(), key=lambda entry: (entry["uploaded_at"] or "", entry["filename"]))


def report_html(
    status: FrameworkStatus,
    *,
    tenant_name: str,
    generated_at: datetime,
    evidence_index: EvidenceIndex | None = None,
) -> str:
    """The HTML the PDF is printed from: built from `report_json`, so both say the same."""
    report = report_json(
        status, tenant_name=tenant_name, generated_at=generated_at, evidence_index=evidence_index
    )
    sections = [
        {"category": category, "controls": [c for c in report["controls"] if c["category"] == category]}
        for category in status.catalogue.categories()
    ]
    return _template().render(
        report=report,
        sections=sections,
        statuses=STATUSES,
        labels=STATUS_LABELS,
        findings_limit=PDF_FINDINGS_PER_CONTROL,
    )


def report_pdf(
    status: FrameworkStatus,
    *,
    tenant_name: str,
    generated_at: datetime,
    evidence_index: EvidenceIndex | None = None,
) -> bytes:
    """Blocking (layout takes about a second for a full framework): call it from a worker thread."""
    html = report_html(
        status, tenant_name=tenant_name, generated_at=generated_at, evidence_index=evidence_index
    )
    # Everything is inline; a fetcher that may open nothing keeps stray URLs from reaching out.
    fetcher = URLFetcher(timeout=1, allowed_protocols=("data",))
    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
    return pdf


@cache
def _template() -> Template:
    source = (
        resources.files("binelek.security").joinpath("templates", "compliance_report.html").read_text("utf-8")
    )
    environment = Environment(
        autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    environment.filters["stamp"] = _stamp_iso
    return environment.from_string(source)


# -- time -------------------------------------------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _stamp(moment: datetime) -> str:
    return _aware(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _stamp_iso(value: str | None) -> str:
    if not value:
        return "—"
    try:
        return _stamp(datetime.fromisoformat(value))
    except ValueError:
        return value  # an uploaded_at the caller passed as free text


def _iso(moment: datetime | None) -> str | None:
    return _aware(moment).isoformat() if moment is not None else None


def _iso_any(value: Any) -> str | None:
    if isinstance(value, datetime):
        return _iso(value)
    return str(value) if value is not None else None
