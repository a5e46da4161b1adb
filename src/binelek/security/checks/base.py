"""What every check plugin returns: findings, each with a stable check id, a severity, evidence,
remediation text and the compliance controls it maps to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["critical", "high", "medium", "low", "info"]
Category = Literal["web", "tls", "dns", "network", "platform", "device", "vulnerability"]
SEVERITY_ORDER: dict[str, int] = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of one check on one target.

    `passed` findings are kept too: they are the evidence that a control is met. A failed finding
    becomes a security issue, keyed by (`check_id`, `target`, `key`) so a re-scan closes the issue
    when the finding passes again and reopens it when it regresses.
    """

    check_id: str  # stable, dotted: "web.hsts", "tls.expiry", "dns.spf.lookups", "network.port.rdp"
    category: Category
    target: str  # the host, URL, domain, IP:port or device it concerns
    passed: bool
    severity: Severity  # how bad it is when it fails; "info" for purely informative results
    title: str  # short, what is wrong (or right): "HSTS header missing"
    evidence: dict[str, Any] = field(default_factory=dict)  # JSON-serialisable facts observed
    remediation: str = ""  # what to do, plain text, one or two sentences
    controls: tuple[str, ...] = ()  # "soc2:CC6.7", "gdpr:art32", "hipaa:164.312(e)(1)", "pci:4.2.1"
    key: str = ""  # distinguishes several findings of one check on one target (a port, a selector)

    @property
    def fingerprint(self) -> str:
        return f"{self.check_id}|{self.target}|{self.key}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id,
            "category": self.category,
            "target": self.target,
            "passed": self.passed,
            "severity": self.severity,
            "title": self.title,
            "evidence": self.evidence,
            "remediation": self.remediation,
            "controls": list(self.controls),
            "key": self.key,
        }


class CheckError(Exception):
    """A check could not run against its target (unreachable, refused, timed out). Reported on the
    scan, never turned into a pass or a fail."""

    def __init__(self, message: str, *, code: str = "CHECK_FAILED") -> None:
        super().__init__(message)
        self.code = code
