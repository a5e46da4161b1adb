"""Compliance catalogues, control status rules and the JSON/PDF report."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from binelek.security import compliance
from binelek.security.checks.base import Finding
from binelek.security.compliance import ControlFinding, ManualState, evaluate

SOURCE_ROOT = Path(__file__).resolve().parent.parent / "src" / "binelek"
CATALOGUE_DIR = SOURCE_ROOT / "security" / "data" / "compliance"
# A quoted "<framework>:<control id>" anywhere in the source; f-string templates are skipped below.
CONTROL_REF = re.compile(r"""["']((?:soc2|gdpr|hipaa|pci):[^"'\s]+)["']""")
# Controls the platform, device and vulnerability checks map to (some not written yet).
PLANNED_REFS = {
    "soc2:CC6.1", "soc2:CC6.2", "soc2:CC6.3", "soc2:CC6.6", "soc2:CC6.7", "soc2:CC6.8", "soc2:CC7.1",
    "soc2:CC7.2",
    "gdpr:art30", "gdpr:art32",
    "hipaa:164.312(d)", "hipaa:164.308(a)(3)", "hipaa:164.312(b)", "hipaa:164.312(a)(2)(iv)",
    "hipaa:164.312(a)(2)(iii)", "hipaa:164.308(a)(5)(ii)(B)", "hipaa:164.308(a)(1)(ii)(A)",
    "hipaa:164.312(e)(1)",
    "pci:8.4.2", "pci:8.2.6", "pci:8.3.9", "pci:10.5.1", "pci:3.5.1", "pci:1.5.1", "pci:6.3.3",
    "pci:12.5.1", "pci:4.2.1",
}  # fmt: skip
REQUIRED_IDS = {
    "soc2": [
        *(f"CC6.{n}" for n in range(1, 9)),
        *(f"CC7.{n}" for n in range(1, 6)),
        "CC1.1", "CC2.1", "CC3.1", "CC4.1", "CC5.1", "CC8.1", "CC9.1", "CC9.2",
    ],
    "gdpr": ["art5", "art6", "art15", "art16", "art17", "art25", "art28", "art30", "art32", "art33", "art34",
             "art35", "art37"],
    "hipaa": [
        "164.308(a)(1)(i)", "164.308(a)(1)(ii)(A)", "164.308(a)(1)(ii)(B)", "164.308(a)(3)", "164.308(a)(4)",
        "164.308(a)(5)(ii)(B)", "164.308(a)(6)", "164.308(a)(7)", "164.310(a)(1)", "164.310(d)(1)",
        "164.312(a)(1)", "164.312(a)(2)(iii)", "164.312(a)(2)(iv)", "164.312(b)", "164.312(c)(1)",
        "164.312(d)", "164.312(e)(1)", "164.316(b)(1)",
    ],
    "pci": [
        "1.3.1", "1.5.1", "2.2.1", "3.5.1", "4.2.1", "5.2.1", "5.4.1", "6.3.1", "6.3.3", "6.4.3", "7.2.1",
        "8.2.6", "8.3.6", "8.3.9", "8.4.2", "10.2.1", "10.5.1", "11.3.1", "11.3.2", "11.4.1", "12.1.1",
        "12.5.1", "12.6.1", "12.10.1",
    ],
}  # fmt: skip
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def finding(
    check_id: str,
    *controls: str,
    passed: bool = True,
    severity: str = "high",
    target: str = "example.com",
    key: str = "",
    age_days: float = 1,
) -> ControlFinding:
    return ControlFinding(
        check_id=check_id,
        target=target,
        passed=passed,
        severity=severity,
        title=f"{check_id} {'ok' if passed else 'bad'}",
        observed_at=NOW - timedelta(days=age_days),
        controls=controls,
        key=key,
    )


def attested(status: str = "met", *, reviewed_days_ago: float | None = 10, **extra: object) -> ManualState:
    reviewed_at = NOW - timedelta(days=reviewed_days_ago) if reviewed_days_ago is not None else None
    return ManualState(status=status, reviewed_at=reviewed_at, **extra)  # type: ignore[arg-type]


def status_of(control_id: str, findings: list[ControlFinding], manual: dict[str, ManualState] | None = None,
              framework: str = "soc2") -> compliance.ControlStatus:  # fmt: skip
    result = evaluate(framework, findings, manual or {}, NOW)
    return next(item for item in result.controls if item.control.id == control_id)


# -- catalogues -------------------------------------------------------------------------------------


def test_every_catalogue_loads_with_unique_complete_controls() -> None:
    loaded = compliance.catalogues()
    assert [cat.framework for cat in loaded] == list(compliance.FRAMEWORKS)
    for cat in loaded:
        ids = [control.id for control in cat.controls]
        assert len(ids) == len(set(ids)), cat.framework
        assert cat.name and cat.version and cat.url.startswith("https://")
        for control in cat.controls:
            assert control.title and control.description and control.category and control.evidence_hint
            assert control.review_days > 0
    assert len(compliance.catalogue("soc2").controls) >= 30


def test_catalogue_files_are_the_ones_in_the_package() -> None:
    files = sorted(path.name for path in CATALOGUE_DIR.glob("*.json"))
    assert files == sorted(compliance.CATALOGUE_FILES.values())
    assert json.loads((CATALOGUE_DIR / "pci_dss.json").read_text())["framework"] == "pci"


@pytest.mark.parametrize("framework", compliance.FRAMEWORKS)
def test_catalogue_covers_the_required_controls(framework: str) -> None:
    ids = {control.id for control in compliance.catalogue(framework).controls}
    assert set(REQUIRED_IDS[framework]) <= ids


def test_unknown_framework_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="iso27001"):
        compliance.catalogue("iso27001")
    with pytest.raises(ValueError):
        evaluate("iso27001", [], {}, NOW)
    with pytest.raises(ValueError):
        compliance.catalogue("soc2").control("CC99.9")


def _control_refs_in_source() -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    paths = [*SOURCE_ROOT.rglob("*.py"), *(SOURCE_ROOT / "security").rglob("*.json")]
    for path in paths:
        if CATALOGUE_DIR in path.parents:
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            for ref in CONTROL_REF.findall(line):
                if "{" not in ref:
                    where.setdefault(ref, []).append(f"{path.relative_to(SOURCE_ROOT)}:{number}")
    return where


def test_every_control_a_check_names_is_in_its_catalogue_and_marked_automated() -> None:
    """Check authors: a control in `Finding.controls` must exist in data/compliance/<framework>.json
    and have "automated": true there."""
    referenced = _control_refs_in_source()
    for ref in PLANNED_REFS:
        referenced.setdefault(ref, []).append("planned platform/device/vulnerability checks")
    assert "soc2:CC6.7" in referenced  # the scan itself works
    known = compliance.known_control_refs()
    unknown = {ref: places for ref, places in referenced.items() if ref not in known}
    assert not unknown, f"control ids missing from the catalogues: {unknown}"
    manual_only = []
    for ref in referenced:
        framework, _, control_id = ref.partition(":")
        if not compliance.catalogue(framework).control(control_id).automated:
            manual_only.append(ref)
    assert not manual_only, f'set "automated": true for {sorted(manual_only)}'


# -- evaluate ---------------------------------------------------------------------------------------


def test_control_with_only_passing_findings_passes() -> None:
    item = status_of("CC6.7", [finding("tls.expiry", "soc2:CC6.7"), finding("web.hsts", "soc2:CC6.7")])
    assert item.status == "passing"
    assert len(item.automated_findings) == 2
    assert "2 automated finding(s) passed" in item.reasons[0]


def test_any_failed_finding_of_low_severity_or_worse_fails_the_control() -> None:
    findings = [
        finding("tls.expiry", "soc2:CC6.7"),
        finding("web.hsts", "soc2:CC6.7", passed=False, severity="low"),
    ]
    item = status_of("CC6.7", findings)
    assert item.status == "failing"
    assert item.automated_findings[0].check_id == "web.hsts"  # failing first
    assert item.reasons[0].startswith("web.hsts failed on example.com (low")


def test_info_findings_never_fail_a_control_nor_pass_it() -> None:
    info = finding("dns.caa", "soc2:CC6.7", passed=False, severity="info")
    only_info = status_of("CC6.7", [info])
    assert only_info.status == "needs_evidence"
    assert "1 informational finding(s) not counted" in only_info.reasons
    assert status_of("CC6.7", [info, finding("tls.expiry", "soc2:CC6.7")]).status == "passing"


def test_only_the_latest_finding_per_check_target_and_key_counts() -> None:
    fixed = [
        finding("web.hsts", "soc2:CC6.7", passed=False, age_days=3),
        finding("web.hsts", "soc2:CC6.7", passed=True, age_days=1),
    ]
    assert status_of("CC6.7", fixed).status == "passing"
    regressed = [
        finding("web.hsts", "soc2:CC6.7", passed=True, age_days=3),
        finding("web.hsts", "soc2:CC6.7", passed=False, age_days=1),
    ]
    assert status_of("CC6.7", regressed).status == "failing"
    other_port = [
        finding("network.port", "soc2:CC6.6", passed=False, key="3389", age_days=3),
        finding("network.port", "soc2:CC6.6", passed=True, key="443", age_days=1),
    ]
    item = status_of("CC6.6", other_port)
    assert item.status == "failing"
    assert len(item.automated_findings) == 2


def test_the_latest_finding_decides_which_controls_it_counts_for() -> None:
    remapped = [
        finding("web.hsts", "soc2:CC6.7", passed=False, age_days=3),
        finding("web.hsts", "soc2:CC6.6", passed=True, age_days=1),
    ]
    assert status_of("CC6.7", remapped).status == "needs_evidence"
    assert status_of("CC6.6", remapped).status == "passing"


def test_findings_for_other_frameworks_and_unknown_controls_are_ignored() -> None:
    findings = [finding("web.hsts", "pci:4.2.1", "soc2:CC99.1", passed=False)]
    result = evaluate("soc2", findings, {}, NOW)
    assert result.counts["failing"] == 0
    assert status_of("4.2.1", findings, framework="pci").status == "failing"


def test_manual_attestation_met_counts_while_the_review_is_current() -> None:
    item = status_of("CC1.1", [], {"CC1.1": attested("met", reviewed_days_ago=10)})
    assert item.status == "manual_met"
    assert item.review_due_at == NOW - timedelta(days=10) + timedelta(days=365)
    # Exactly review_days old is still "within".
    assert status_of("CC1.1", [], {"CC1.1": attested("met", reviewed_days_ago=365)}).status == "manual_met"


def test_manual_attestation_past_its_review_is_overdue() -> None:
    stale = status_of("CC1.1", [], {"CC1.1": attested("met", reviewed_days_ago=366)})
    assert stale.status == "review_overdue"
    assert "review overdue since" in stale.reasons[-1]
    never_reviewed = status_of("CC1.1", [], {"CC1.1": attested("met", reviewed_days_ago=None)})
    assert never_reviewed.status == "review_overdue"
    # A due date set earlier than review_days allows brings the review forward.
    early_due = attested("met", reviewed_days_ago=10, review_due_at=NOW - timedelta(days=1))
    assert status_of("CC1.1", [], {"CC1.1": early_due}).status == "review_overdue"
    later_due = attested("met", reviewed_days_ago=400, review_due_at=NOW + timedelta(days=30))
    assert status_of("CC1.1", [], {"CC1.1": later_due}).status == "review_overdue"


def test_manual_not_met_and_not_applicable() -> None:
    manual = {
        "CC1.1": attested("not_met", note="code of conduct not written yet"),
        "CC6.4": attested("not_applicable", note="fully remote, cloud hosted"),
    }
    result = evaluate("soc2", [], manual, NOW)
    by_id = {item.control.id: item for item in result.controls}
    assert by_id["CC1.1"].status == "manual_not_met"
    assert by_id["CC1.1"].reasons == ["attested not met: code of conduct not written yet"]
    assert by_id["CC6.4"].status == "not_applicable"
    with pytest.raises(ValueError):
        ManualState(status="done")  # type: ignore[arg-type]


def test_failing_findings_win_over_any_attestation() -> None:
    failing = [finding("web.hsts", "soc2:CC6.7", passed=False)]
    for manual_status in ("met", "not_applicable", "not_met"):
        item = status_of("CC6.7", failing, {"CC6.7": attested(manual_status)})
        assert item.status == "failing", manual_status
        assert item.manual is not None
        assert "override the manual attestation" in item.reasons[-1]


def test_passing_findings_with_an_attestation() -> None:
    passing = [finding("web.hsts", "soc2:CC6.7")]
    assert status_of("CC6.7", passing, {"CC6.7": attested("met")}).status == "passing"
    assert status_of("CC6.7", passing, {"CC6.7": attested("not_met")}).status == "manual_not_met"
    assert status_of("CC6.7", passing, {"CC6.7": attested("not_applicable")}).status == "not_applicable"
    stale = attested("met", reviewed_days_ago=200)  # CC6.7 reviews every 90 days
    assert status_of("CC6.7", passing, {"CC6.7": stale}).status == "review_overdue"


def test_a_control_with_nothing_needs_evidence() -> None:
    item = status_of("CC6.8", [])
    assert item.status == "needs_evidence"
    assert item.reasons == ["no scan result or attestation yet"]
    assert status_of("CC1.2", []).reasons == ["no attestation yet"]


def test_percent_complete_excludes_not_applicable_and_rounds_half_up() -> None:
    controls = len(compliance.catalogue("soc2").controls)
    findings = [finding("web.hsts", "soc2:CC6.7"), finding("web.csp", "soc2:CC6.6", passed=False)]
    manual = {"CC1.1": attested("met"), "CC6.4": attested("not_applicable")}
    result = evaluate("soc2", findings, manual, NOW)
    assert result.counts == {
        "passing": 1, "failing": 1, "manual_met": 1, "manual_not_met": 0, "not_applicable": 1,
        "needs_evidence": controls - 4, "review_overdue": 0,
    }  # fmt: skip
    assert sum(result.counts.values()) == controls == 33
    assert result.percent_complete == 6.3  # 2 / 32 = 6.25 %, half-up


def test_percent_complete_of_nothing_in_scope_is_zero() -> None:
    every = {control.id: attested("not_applicable") for control in compliance.catalogue("gdpr").controls}
    result = evaluate("gdpr", [], every, NOW)
    assert result.percent_complete == 0.0
    all_met = {control.id: attested("met") for control in compliance.catalogue("gdpr").controls}
    assert evaluate("gdpr", [], all_met, NOW).percent_complete == 100.0


def test_naive_datetimes_are_read_as_utc() -> None:
    naive_now = NOW.replace(tzinfo=None)
    naive_finding = ControlFinding("web.hsts", "a.com", True, "high", "ok", naive_now, ("soc2:CC6.7",))
    manual = {"CC1.1": ManualState("met", reviewed_at=naive_now - timedelta(days=1))}
    result = evaluate("soc2", [naive_finding], manual, naive_now)
    assert result.counts["passing"] == 1 and result.counts["manual_met"] == 1
    assert naive_finding.observed_at.tzinfo is UTC


def test_control_finding_from_a_check_finding() -> None:
    check = Finding(
        "web.hsts",
        "web",
        "example.com",
        False,
        "medium",
        "HSTS missing",
        controls=("soc2:CC6.7",),
        key="https",
    )
    converted = ControlFinding.from_finding(check, NOW)
    assert (converted.check_id, converted.key, converted.controls) == ("web.hsts", "https", ("soc2:CC6.7",))
    assert converted.fails_control


# -- reports ----------------------------------------------------------------------------------------

EVIDENCE = {
    "filename": "mfa-policy.pdf",
    "sha256": "a" * 64,
    "uploaded_at": NOW - timedelta(days=2),
    "size_bytes": 2048,
}


def _sample_status() -> compliance.FrameworkStatus:
    findings = [
        finding("web.hsts", "soc2:CC6.7", passed=False, severity="high"),
        finding("tls.expiry", "soc2:CC6.7"),
        *(finding("device.disk_encryption", "soc2:CC6.1", target=f"laptop-{n}") for n in range(30)),
    ]
    manual = {
        "CC6.1": attested("met", evidence=[EVIDENCE]),
        "CC1.1": attested("met", note="Signed by <all> staff & contractors"),
        "CC6.4": attested("not_applicable", note="No offices"),
    }
    return evaluate("soc2", findings, manual, NOW)


def test_report_json_shape_is_serialisable_and_merges_evidence() -> None:
    other = {"filename": "access-review.xlsx", "sha256": "b" * 64, "uploaded_at": "2025-05-01T00:00:00+00:00"}
    report = compliance.report_json(
        _sample_status(), tenant_name="Acme", generated_at=NOW, evidence_index={"CC6.1": [EVIDENCE, other]}
    )
    json.dumps(report)
    assert report["framework"] == "soc2" and report["label"] == "SOC 2"
    assert report["version"] == "2017 (2022 PoF)"
    assert report["generated_at"] == "2025-06-01T12:00:00+00:00"
    assert report["percent_complete"] == 6.3
    assert report["tenant"] == "Acme"
    by_id = {control["id"]: control for control in report["controls"]}
    assert len(by_id) == 33
    cc67 = by_id["CC6.7"]
    assert cc67["status"] == "failing" and cc67["manual"] is None
    assert cc67["findings"][0] == {
        "check_id": "web.hsts", "target": "example.com", "key": "", "passed": False, "severity": "high",
        "title": "web.hsts bad", "observed_at": "2025-05-31T12:00:00+00:00",
    }  # fmt: skip
    cc61 = by_id["CC6.1"]
    assert cc61["status"] == "passing" and len(cc61["findings"]) == 30
    assert cc61["manual"]["status"] == "met" and cc61["manual"]["reviewed_at"] == "2025-05-22T12:00:00+00:00"
    assert [file["filename"] for file in cc61["evidence"]] == ["access-review.xlsx", "mfa-policy.pdf"]
    assert cc61["evidence"][1]["sha256"] == "a" * 64 and cc61["evidence"][1]["size_bytes"] == 2048
    assert by_id["CC6.4"]["status"] == "not_applicable"
    assert by_id["CC9.2"]["reasons"] == ["no attestation yet"] and by_id["CC9.2"]["evidence"] == []


def test_report_html_escapes_tenant_text_and_lists_every_category() -> None:
    html = compliance.report_html(
        _sample_status(), tenant_name="Evil <img src=http://x/a.png>", generated_at=NOW
    )
    assert "<img src=http" not in html
    assert "Evil &lt;img src=http://x/a.png&gt;" in html
    assert "Signed by &lt;all&gt; staff &amp; contractors" in html
    for category in compliance.catalogue("soc2").categories():
        assert f"<h2>{category}</h2>" in html
    assert "… and 5 more in the JSON export." in html  # 30 findings, 25 shown
    assert "badge-failing" in html and "6.3%" in html


def test_report_pdf_is_a_pdf() -> None:
    pdf = compliance.report_pdf(_sample_status(), tenant_name="Acme Dental", generated_at=NOW)
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 5_000
