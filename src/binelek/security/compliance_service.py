"""Compliance over the tenant's data: the latest finding of every check on every target, people's
attestations and evidence files, judged per framework by `compliance.evaluate`."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

from fastapi import Response, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.kit.auth import Principal
from binelek.kit.db import utcnow
from binelek.kit.errors import ResourceNotFound, ValidationFailed
from binelek.security import compliance
from binelek.security.models import ComplianceControlState, ComplianceEvidence
from binelek.security.repository import ControlStateRepository, EvidenceRepository, FindingRepository
from binelek.security.schemas import (
    ControlOut,
    ControlStateIn,
    EvidenceOut,
    FrameworkOut,
    FrameworkSummaryOut,
)

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
SAFE_INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "text/plain"}


def _catalogue(framework: str) -> compliance.Catalogue:
    try:
        return compliance.catalogue(framework)
    except (KeyError, ValueError):
        known = ", ".join(compliance.FRAMEWORKS)
        raise ResourceNotFound(
            f"No framework {framework!r}; one of {known}.", code="FRAMEWORK_NOT_FOUND"
        ) from None


def _control(framework: str, control_id: str) -> compliance.Control:
    try:
        return _catalogue(framework).control(control_id)
    except ValueError:
        raise ResourceNotFound(
            f"{framework} has no control {control_id!r}.", code="CONTROL_NOT_FOUND"
        ) from None


async def _findings(session: AsyncSession) -> list[compliance.ControlFinding]:
    rows = await FindingRepository(session).latest_per_fingerprint()
    return [
        compliance.ControlFinding(
            check_id=row.check_id,
            target=row.target,
            passed=row.passed,
            severity=row.severity,
            title=row.title,
            observed_at=row.created_at,
            controls=tuple(row.controls),
            key=row.fingerprint.rsplit("|", 1)[-1],
        )
        for row in rows
    ]


async def _evidence_index(session: AsyncSession, framework: str) -> dict[str, list[dict[str, Any]]]:
    index: dict[str, list[dict[str, Any]]] = {}
    for evidence_id, control_id, filename, sha256, size, uploaded_at, note in await EvidenceRepository(
        session
    ).index(framework):
        index.setdefault(control_id, []).append(
            {
                "id": str(evidence_id),
                "filename": filename,
                "sha256": sha256,
                "size_bytes": size,
                "uploaded_at": uploaded_at,
                "note": note,
            }
        )
    return index


async def _status(
    session: AsyncSession, framework: str, findings: list[compliance.ControlFinding] | None = None
) -> tuple[compliance.FrameworkStatus, dict[str, list[dict[str, Any]]]]:
    _catalogue(framework)
    evidence = await _evidence_index(session, framework)
    states = await ControlStateRepository(session).for_framework(framework)
    manual = {
        control_id: compliance.ManualState(
            status=state.status,  # type: ignore[arg-type]
            note=state.note,
            reviewed_at=state.reviewed_at,
            review_due_at=state.review_due_at,
            evidence=evidence.get(control_id, []),
        )
        for control_id, state in states.items()
    }
    found = findings if findings is not None else await _findings(session)
    return compliance.evaluate(framework, found, manual, utcnow()), evidence


def _summary(status: compliance.FrameworkStatus) -> FrameworkSummaryOut:
    catalogue = status.catalogue
    return FrameworkSummaryOut(
        framework=catalogue.framework,
        name=catalogue.name,
        version=catalogue.version,
        percent_complete=status.percent_complete,
        counts=status.counts,
    )


async def summaries(session: AsyncSession) -> list[FrameworkSummaryOut]:
    findings = await _findings(session)
    return [_summary((await _status(session, name, findings))[0]) for name in compliance.FRAMEWORKS]


async def framework(session: AsyncSession, name: str) -> FrameworkOut:
    status, evidence = await _status(session, name)
    controls = [
        ControlOut(
            id=item.control.id,
            title=item.control.title,
            description=item.control.description,
            category=item.control.category,
            automated=item.control.automated,
            evidence_hint=item.control.evidence_hint,
            review_days=item.control.review_days,
            status=item.status,
            reasons=item.reasons,
            findings=[
                {
                    "check_id": f.check_id,
                    "target": f.target,
                    "passed": f.passed,
                    "severity": f.severity,
                    "title": f.title,
                    "observed_at": f.observed_at.isoformat(),
                }
                for f in item.automated_findings
            ],
            manual=(
                {
                    "status": item.manual.status,
                    "note": item.manual.note,
                    "reviewed_at": item.manual.reviewed_at.isoformat() if item.manual.reviewed_at else None,
                    "review_due_at": item.review_due_at.isoformat() if item.review_due_at else None,
                }
                if item.manual
                else None
            ),
            evidence=[
                {**e, "uploaded_at": e["uploaded_at"].isoformat()} for e in evidence.get(item.control.id, [])
            ],
        )
        for item in status.controls
    ]
    return FrameworkOut(**_summary(status).model_dump(), controls=controls)


async def attest(
    session: AsyncSession, principal: Principal, framework_name: str, control_id: str, data: ControlStateIn
) -> ComplianceControlState:
    control = _control(framework_name, control_id)
    states = ControlStateRepository(session)
    state = await states.one(framework_name, control_id)
    now = utcnow()
    if state is None:
        state = states.add(
            ComplianceControlState(
                id=uuid.uuid4(),
                framework=framework_name,
                control_id=control_id,
                created_at=now,
                updated_at=now,
            )
        )
    state.status = data.status
    state.note = data.note
    state.reviewed_by = principal.user_id
    state.reviewed_at = now
    state.review_due_at = now + timedelta(days=control.review_days)
    return state


async def add_evidence(
    session: AsyncSession,
    principal: Principal,
    framework_name: str,
    control_id: str,
    upload: UploadFile,
    note: str | None,
) -> EvidenceOut:
    _control(framework_name, control_id)
    content = await upload.read(MAX_EVIDENCE_BYTES + 1)
    if len(content) > MAX_EVIDENCE_BYTES:
        raise ValidationFailed("Evidence files may be at most 10 MB.", field="file")
    if not content:
        raise ValidationFailed("The file is empty.", field="file")
    filename = (upload.filename or "evidence").replace("/", "_").replace("\\", "_")[:255]
    evidence = EvidenceRepository(session).add(
        ComplianceEvidence(
            id=uuid.uuid4(),
            framework=framework_name,
            control_id=control_id,
            filename=filename,
            content_type=(upload.content_type or "application/octet-stream")[:100],
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            note=note,
            uploaded_by=principal.user_id,
            uploaded_at=utcnow(),
        )
    )
    await session.flush()
    return EvidenceOut(
        id=evidence.id,
        control_id=control_id,
        filename=evidence.filename,
        sha256=evidence.sha256,
        size_bytes=evidence.size_bytes,
        uploaded_at=evidence.uploaded_at,
        note=note,
    )


async def evidence_file(session: AsyncSession, framework_name: str, evidence_id: uuid.UUID) -> Response:
    evidence = await EvidenceRepository(session).get(evidence_id)
    if evidence is None or evidence.framework != framework_name:
        raise ResourceNotFound("No such evidence file.", code="EVIDENCE_NOT_FOUND")
    # Anything but a few inert types downloads as an attachment: an uploaded HTML file must not run
    # in the app's origin.
    inline = evidence.content_type in SAFE_INLINE_TYPES
    disposition = "inline" if inline else "attachment"
    return Response(
        evidence.content,
        media_type=evidence.content_type if inline else "application/octet-stream",
        headers={
            "Content-Disposition": f'{disposition}; filename="{evidence.filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


async def report(session: AsyncSession, principal: Principal, framework_name: str, fmt: str) -> Response:
    status, evidence = await _status(session, framework_name)
    generated_at = utcnow()
    index = {control_id: files for control_id, files in evidence.items()}
    filename = f"{framework_name}-compliance-{generated_at:%Y-%m-%d}"
    if fmt == "pdf":
        import asyncio

        pdf = await asyncio.to_thread(
            compliance.report_pdf,
            status,
            tenant_name=principal.tenant_name,
            generated_at=generated_at,
            evidence_index=index,
        )
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'},
        )
    body = compliance.report_json(
        status, tenant_name=principal.tenant_name, generated_at=generated_at, evidence_index=index
    )
    return Response(
        json.dumps(body, default=str, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}.json"'},
    )
