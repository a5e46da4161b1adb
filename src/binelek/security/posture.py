"""The posture score: 0-100 and a grade, from the tenant's open issues, so every point lost points at
the issue (and through it the finding) that cost it.

The product documentation weighs four parts: MFA adoption 30 %, access control 25 %, data security
25 %, compliance 20 %. Each part starts at 100. MFA adoption is the share of members with MFA (each
member without it is one deduction). In the other parts each open issue deducts by severity —
critical 40, high 20, medium 8, low 3 — down to 0; an issue whose risk was accepted deducts nothing
(that is what accepting means) but is listed. External findings land in the part they weaken: open
ports and unknown devices weaken access control, TLS, web headers, disk encryption and vulnerable
software weaken data security, e-mail spoofing protection, audit retention and patching weaken
compliance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

WEIGHTS: dict[str, float] = {"mfa": 30.0, "access": 25.0, "data": 25.0, "compliance": 20.0}
PART_NAMES = {
    "mfa": "MFA adoption",
    "access": "Access control",
    "data": "Data security",
    "compliance": "Compliance",
}
DEDUCTION = {"critical": 40.0, "high": 20.0, "medium": 8.0, "low": 3.0}
GRADES = ((90.0, "A"), (80.0, "B"), (70.0, "C"), (60.0, "D"))
COUNTED_STATUSES = ("open", "in_progress")

# check id prefix → part; the longest matching prefix wins.
PART_OF_CHECK: dict[str, str] = {
    "platform.mfa": "mfa",
    "platform.audit_retention": "compliance",
    "platform": "access",
    "network": "access",
    "device.unknown": "access",
    "device.firewall": "access",
    "device.screen_lock": "access",
    "device.disk_encryption": "data",
    "device.updates": "compliance",
    "device": "data",
    "vuln": "data",
    "web": "data",
    "tls": "data",
    "dns": "compliance",
}


def part_of(check_id: str) -> str:
    best = ""
    for prefix in PART_OF_CHECK:
        if (check_id == prefix or check_id.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return PART_OF_CHECK.get(best, "data")


@dataclass(frozen=True, slots=True)
class IssueFact:
    id: str
    check_id: str
    title: str
    severity: str
    status: str
    target: str


@dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    email: str
    mfa_enabled: bool


@dataclass
class Part:
    key: str
    name: str
    weight: float
    score: float = 100.0
    deductions: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)

    @property
    def points(self) -> float:
        """This part's contribution to the total."""
        return self.score * self.weight / 100

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "weight": self.weight,
            "score": round(self.score, 1),
            "points": round(self.points, 2),
            "points_lost": round(self.weight - self.points, 2),
            "deductions": self.deductions,
            "accepted": self.accepted,
        }


@dataclass
class Posture:
    score: float
    grade: str
    parts: list[Part]

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "grade": self.grade,
            "parts": [part.as_dict() for part in self.parts],
        }


def grade_for(score: float) -> str:
    for floor, grade in GRADES:
        if score >= floor:
            return grade
    return "F"


def compute(members: Sequence[Member], issues: Iterable[IssueFact]) -> Posture:
    parts = {key: Part(key=key, name=PART_NAMES[key], weight=weight) for key, weight in WEIGHTS.items()}
    _mfa(parts["mfa"], members)
    for issue in sorted(issues, key=lambda item: (-DEDUCTION.get(item.severity, 0), item.check_id)):
        key = part_of(issue.check_id)
        if key == "mfa":
            continue  # MFA is measured from the members themselves, not from its issue
        _deduct(parts[key], issue)
    total = round(sum(part.points for part in parts.values()), 1)
    return Posture(score=total, grade=grade_for(total), parts=list(parts.values()))


def _mfa(part: Part, members: Sequence[Member]) -> None:
    if not members:
        return
    per_member = 100.0 / len(members)
    for member in members:
        if member.mfa_enabled:
            continue
        part.score -= per_member
        part.deductions.append(
            {
                "reason": f"{member.email} has no multi-factor authentication",
                "check_id": "platform.mfa_adoption",
                "user_id": member.user_id,
                "part_points": round(per_member, 2),
                "points": round(per_member * part.weight / 100, 2),
            }
        )
    part.score = max(part.score, 0.0)


def _deduct(part: Part, issue: IssueFact) -> None:
    entry = {
        "issue_id": issue.id,
        "check_id": issue.check_id,
        "title": issue.title,
        "severity": issue.severity,
        "target": issue.target,
    }
    if issue.status == "accepted":
        part.accepted.append(entry)
        return
    if issue.status not in COUNTED_STATUSES:
        return
    # Only what is still left in the part can be lost, so the deductions add up to the points lost.
    lost = min(DEDUCTION.get(issue.severity, 0.0), part.score)
    part.score -= lost
    part.deductions.append(
        {**entry, "part_points": round(lost, 2), "points": round(lost * part.weight / 100, 2)}
    )
