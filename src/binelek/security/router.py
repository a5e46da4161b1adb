"""Cybersecurity Scanner endpoints: thin, typed, tenant-scoped. The agent's check-in is the one
endpoint without a user: its enrolment token names the tenant."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, Response, UploadFile, status

from binelek.audit import service as audit
from binelek.kit.auth import Principal, TenantSession, require
from binelek.kit.db import TENANT_KEY
from binelek.kit.pagination import Page, Paging
from binelek.kit.request_meta import RequestMeta, request_meta
from binelek.kit.state import AppState, app_state, get_state
from binelek.security import compliance_service, service
from binelek.security.repository import AlertRepository, AssetRepository, DeviceRepository, TokenRepository
from binelek.security.schemas import (
    AlertOut,
    AssetIn,
    AssetOut,
    AssetPatch,
    CheckinIn,
    CheckinOut,
    ControlStateIn,
    DeviceDetailOut,
    DeviceOut,
    DevicePackageOut,
    DevicePatch,
    EnrolmentTokenCreated,
    EnrolmentTokenIn,
    EnrolmentTokenOut,
    EvidenceOut,
    FindingOut,
    FrameworkOut,
    FrameworkSummaryOut,
    IssueOut,
    IssuePatch,
    IssueStatus,
    PostureOut,
    ScanAccepted,
    ScanIn,
    ScanOut,
    ScanReportOut,
    ScanSummaryOut,
    ScanUrlIn,
    ScanUrlOut,
    Severity,
)

router = APIRouter(prefix="/api/modules/cybersecurity-scanner", tags=["cybersecurity-scanner"])
# Agents check in far more often than people click: this route is matched before all others.
checkin_router = APIRouter(prefix="/api/modules/cybersecurity-scanner", tags=["cybersecurity-scanner"])
Reader = Annotated[Principal, Depends(require("security:read"))]
Writer = Annotated[Principal, Depends(require("security:write"))]
State = Annotated[AppState, Depends(get_state)]
Meta = Annotated[RequestMeta, Depends(request_meta)]


# -- posture, alerts --------------------------------------------------------------------------------


@router.get("/posture", response_model=PostureOut)
async def posture(
    principal: Reader, session: TenantSession, days: Annotated[int, Query(ge=1, le=730)] = 90
) -> PostureOut:
    """The 0-100 score and grade, its four parts with every deduction, history and trend."""
    return await service.posture_overview(session, days)


@router.get("/alerts", response_model=Page[AlertOut])
async def list_alerts(
    principal: Reader,
    session: TenantSession,
    paging: Paging,
    unacknowledged: bool = False,
) -> Page[AlertOut]:
    alerts = AlertRepository(session)
    statement = alerts.newest_first()
    if unacknowledged:
        from binelek.security.models import SecurityAlert

        statement = statement.where(SecurityAlert.acknowledged_at.is_(None))
    rows, total = await alerts.page(statement, paging)
    return Page(
        items=[AlertOut.model_validate(r) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post("/alerts/{alert_id}/acknowledge", status_code=status.HTTP_204_NO_CONTENT)
async def acknowledge_alert(alert_id: uuid.UUID, principal: Writer, session: TenantSession) -> Response:
    await service.acknowledge_alert(session, principal, alert_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- assets -----------------------------------------------------------------------------------------


@router.get("/assets", response_model=list[AssetOut])
async def list_assets(principal: Reader, session: TenantSession) -> list[AssetOut]:
    assets = list((await session.scalars(AssetRepository(session).ordered())).all())
    overview = await service.asset_overview(session, assets)
    return [AssetOut.model_validate(asset).model_copy(update=overview.get(asset.id, {})) for asset in assets]


@router.post("/assets", response_model=AssetOut, status_code=status.HTTP_201_CREATED)
async def create_asset(body: AssetIn, principal: Writer, session: TenantSession, meta: Meta) -> AssetOut:
    """Register a domain, URL, address or range (at most 1,024 addresses). Admins only: the request
    must attest that the organization owns the asset or may test it."""
    asset = await service.create_asset(session, principal, body)
    await session.flush()
    audit.record_for(
        session,
        principal,
        "security.asset.attested",
        meta,
        asset_id=str(asset.id),
        kind=asset.kind,
        value=asset.value,
    )
    return AssetOut.model_validate(asset)


@router.patch("/assets/{asset_id}", response_model=AssetOut)
async def update_asset(
    asset_id: uuid.UUID, body: AssetPatch, principal: Writer, session: TenantSession
) -> AssetOut:
    asset = await service.update_asset(session, principal, asset_id, body)
    await session.flush()
    return AssetOut.model_validate(asset)


@router.delete("/assets/{asset_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_asset(
    asset_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> Response:
    await service.delete_asset(session, principal, asset_id)
    audit.record_for(session, principal, "security.asset.deleted", meta, asset_id=str(asset_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- scans ------------------------------------------------------------------------------------------


@router.post("/scans", response_model=ScanAccepted, status_code=status.HTTP_202_ACCEPTED)
async def start_scan(body: ScanIn, principal: Writer, session: TenantSession, meta: Meta) -> ScanAccepted:
    """Queue a scan of the chosen assets and categories (default: everything); poll `GET /scans/{id}`."""
    scan = await service.start_scan(session, principal, body)
    audit.record_for(session, principal, "security.scan.started", meta, scan_id=str(scan.id))
    return ScanAccepted(id=scan.id, status=scan.status)


@router.get("/scans", response_model=Page[ScanSummaryOut])
async def list_scans(principal: Reader, session: TenantSession, paging: Paging) -> Page[ScanSummaryOut]:
    rows, total = await service.scans_page(session, paging)
    return Page(
        items=[ScanSummaryOut.model_validate(r) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/scans/{scan_id}", response_model=ScanOut)
async def get_scan(scan_id: uuid.UUID, principal: Reader, session: TenantSession) -> ScanOut:
    """Status, progress, each check's report (grades included) and every finding."""
    from binelek.security.repository import ScanRepository

    scan = await service.get_scan(session, scan_id)
    scans = ScanRepository(session)
    return ScanOut.model_validate(scan).model_copy(
        update={
            "reports": [ScanReportOut.model_validate(r) for r in await scans.reports(scan_id)],
            "findings": [FindingOut.model_validate(f) for f in await scans.findings(scan_id)],
        }
    )


@router.post("/scan-url", response_model=ScanUrlOut)
async def scan_url(body: ScanUrlIn, principal: Writer, session: TenantSession, state: State) -> ScanUrlOut:
    """Header grade and TLS for one URL, at once. Private, loopback and link-local hosts only when
    registered as an asset."""
    return ScanUrlOut.model_validate(await service.scan_url(state, session, body.url))


# -- issues -----------------------------------------------------------------------------------------


@router.get("/issues", response_model=Page[IssueOut])
async def list_issues(
    principal: Reader,
    session: TenantSession,
    paging: Paging,
    status_: Annotated[list[IssueStatus] | None, Query(alias="status")] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=20)] = None,
    assignee_id: uuid.UUID | None = None,
    device_id: uuid.UUID | None = None,
    asset_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[IssueOut]:
    """Most severe first. Default: every status."""
    from binelek.kit.pagination import paginate

    statement = service.issues_query(
        session,
        status=status_,
        severity=severity,
        category=category,
        assignee_id=assignee_id,
        device_id=device_id,
        asset_id=asset_id,
        text=q,
    )
    rows, total = await paginate(session, statement, paging)
    return Page(
        items=[IssueOut.model_validate(r) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/issues/{issue_id}", response_model=IssueOut)
async def get_issue(issue_id: uuid.UUID, principal: Reader, session: TenantSession) -> IssueOut:
    from binelek.security.repository import IssueRepository

    return IssueOut.model_validate(await IssueRepository(session).get_or_404(issue_id))


@router.patch("/issues/{issue_id}", response_model=IssueOut)
async def update_issue(
    issue_id: uuid.UUID, body: IssuePatch, principal: Writer, session: TenantSession, meta: Meta
) -> IssueOut:
    """Status (accepting a risk needs a reason), assignee, due date."""
    issue = await service.update_issue(session, principal, issue_id, body)
    await session.flush()
    audit.record_for(
        session,
        principal,
        "security.issue.updated",
        meta,
        issue_id=str(issue.id),
        **body.model_dump(mode="json", exclude_unset=True),
    )
    return IssueOut.model_validate(issue)


# -- devices ----------------------------------------------------------------------------------------


@checkin_router.post("/devices/checkin", response_model=CheckinOut, status_code=status.HTTP_202_ACCEPTED)
async def device_checkin(
    body: CheckinIn,
    request: Request,
    token: Annotated[str | None, Header(alias="X-Enrolment-Token", max_length=200)] = None,
) -> CheckinOut:
    """`binelek-agent` reports a device. Authenticated by the tenant's enrolment token, not a user."""
    state = app_state(request)
    result = await service.unchanged_checkin(state, token, body)
    if result is None:
        async with state.db.session() as session:
            tenant_id = await service.tenant_for_token(session, state.cache, token)
            session.info[TENANT_KEY] = tenant_id  # from here on the session is the token's tenant's
            result = await service.check_in(session, body)
    return CheckinOut(
        device_id=result.device_id,
        known=result.known,
        open_issues=result.open_issues,
        packages_changed=result.packages_changed,
        packages_hash=result.packages_hash,
    )


@router.get("/devices", response_model=Page[DeviceOut])
async def list_devices(
    principal: Reader,
    session: TenantSession,
    paging: Paging,
    known: bool | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[DeviceOut]:
    from sqlalchemy import func

    from binelek.security.models import SecurityDevice

    devices = DeviceRepository(session)
    statement = devices.newest_first()
    if known is not None:
        statement = statement.where(SecurityDevice.known.is_(known))
    if q:
        statement = statement.where(func.lower(SecurityDevice.hostname).like(f"%{q.strip().lower()}%"))
    rows, total = await devices.page(statement, paging)
    counts = await service.device_counts(session, [device.id for device in rows])
    items = [
        DeviceOut.model_validate(device).model_copy(
            update={
                "open_issues": counts.get(device.id, (0, 0))[0],
                "vulnerabilities": counts.get(device.id, (0, 0))[1],
            }
        )
        for device in rows
    ]
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/devices/{device_id}", response_model=DeviceDetailOut)
async def get_device(device_id: uuid.UUID, principal: Reader, session: TenantSession) -> DeviceDetailOut:
    from sqlalchemy import select

    from binelek.security.models import SecurityIssue

    devices = DeviceRepository(session)
    device = await devices.get_or_404(device_id)
    counts = (await service.device_counts(session, [device.id])).get(device.id, (0, 0))
    issues = (
        await session.scalars(
            select(SecurityIssue)
            .where(SecurityIssue.tenant_id == device.tenant_id, SecurityIssue.device_id == device.id)
            .order_by(SecurityIssue.status, SecurityIssue.detected_at.desc())
        )
    ).all()
    return DeviceDetailOut.model_validate(device).model_copy(
        update={
            "open_issues": counts[0],
            "vulnerabilities": counts[1],
            "packages": [DevicePackageOut.model_validate(p) for p in await devices.packages(device.id)],
            "issues": [IssueOut.model_validate(i) for i in issues],
        }
    )


@router.patch("/devices/{device_id}", response_model=DeviceOut)
async def update_device(
    device_id: uuid.UUID, body: DevicePatch, principal: Writer, session: TenantSession, meta: Meta
) -> DeviceOut:
    """Mark a device known (admins) — an unknown device is an open issue — or rename it."""
    device = await service.update_device(session, principal, device_id, body.known, body.hostname)
    audit.record_for(
        session,
        principal,
        "security.device.updated",
        meta,
        device_id=str(device.id),
        **body.model_dump(exclude_unset=True),
    )
    return DeviceOut.model_validate(device)


@router.delete("/devices/{device_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_device(
    device_id: uuid.UUID, principal: Writer, session: TenantSession, meta: Meta
) -> Response:
    service.require_admin(principal)
    devices = DeviceRepository(session)
    device = await devices.get_or_404(device_id)
    service.forget_device_after_commit(session, device)
    await devices.delete(device)
    audit.record_for(session, principal, "security.device.deleted", meta, device_id=str(device_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/enrolment-tokens", response_model=list[EnrolmentTokenOut])
async def list_enrolment_tokens(principal: Writer, session: TenantSession) -> list[EnrolmentTokenOut]:
    service.require_admin(principal)
    rows = (await session.scalars(TokenRepository(session).active())).all()
    return [EnrolmentTokenOut.model_validate(row) for row in rows]


@router.post("/enrolment-tokens", response_model=EnrolmentTokenCreated, status_code=status.HTTP_201_CREATED)
async def create_enrolment_token(
    body: EnrolmentTokenIn, principal: Writer, session: TenantSession, meta: Meta
) -> EnrolmentTokenCreated:
    """A token for `binelek-agent --token …`. Shown once; only its hash is stored."""
    row, token = await service.create_enrolment_token(session, principal, body.label)
    await session.flush()
    audit.record_for(session, principal, "security.enrolment_token.created", meta, token_id=str(row.id))
    return EnrolmentTokenCreated(**EnrolmentTokenOut.model_validate(row).model_dump(), token=token)


@router.delete("/enrolment-tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_enrolment_token(
    token_id: uuid.UUID, principal: Writer, session: TenantSession, state: State, meta: Meta
) -> Response:
    await service.revoke_enrolment_token(session, state.cache, principal, token_id)
    audit.record_for(session, principal, "security.enrolment_token.revoked", meta, token_id=str(token_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/agent",
    response_class=Response,
    responses={200: {"content": {"text/x-python": {}}, "description": "The binelek-agent script"}},
)
async def download_agent(principal: Reader) -> Response:
    """The stdlib-only `binelek-agent` script, to copy onto a device."""
    from importlib.resources import files

    script = files("binelek.security").joinpath("agent.py").read_bytes()
    return Response(
        script,
        media_type="text/x-python",
        headers={"Content-Disposition": 'attachment; filename="binelek-agent.py"'},
    )


# -- compliance -------------------------------------------------------------------------------------


@router.get("/compliance", response_model=list[FrameworkSummaryOut])
async def compliance(principal: Reader, session: TenantSession) -> list[FrameworkSummaryOut]:
    """% complete per framework: SOC 2, GDPR, HIPAA, PCI DSS."""
    return await compliance_service.summaries(session)


@router.get("/compliance/{framework}", response_model=FrameworkOut)
async def compliance_framework(framework: str, principal: Reader, session: TenantSession) -> FrameworkOut:
    return await compliance_service.framework(session, framework)


@router.put("/compliance/{framework}/controls/{control_id}", response_model=FrameworkOut)
async def attest_control(
    framework: str,
    control_id: str,
    body: ControlStateIn,
    principal: Writer,
    session: TenantSession,
    meta: Meta,
) -> FrameworkOut:
    """Record a person's review of a control: met, not met or not applicable, with a note."""
    await compliance_service.attest(session, principal, framework, control_id, body)
    audit.record_for(
        session,
        principal,
        "security.control.attested",
        meta,
        framework=framework,
        control_id=control_id,
        status=body.status,
    )
    await session.flush()
    return await compliance_service.framework(session, framework)


@router.post(
    "/compliance/{framework}/controls/{control_id}/evidence",
    response_model=EvidenceOut,
    status_code=status.HTTP_201_CREATED,
)
async def upload_evidence(
    framework: str,
    control_id: str,
    principal: Writer,
    session: TenantSession,
    meta: Meta,
    file: Annotated[UploadFile, File(description="A policy, screenshot or export; at most 10 MB.")],
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> EvidenceOut:
    evidence = await compliance_service.add_evidence(session, principal, framework, control_id, file, note)
    audit.record_for(
        session,
        principal,
        "security.evidence.uploaded",
        meta,
        framework=framework,
        control_id=control_id,
        sha256=evidence.sha256,
    )
    return evidence


@router.get(
    "/compliance/{framework}/evidence/{evidence_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The evidence file"}},
)
async def download_evidence(
    framework: str, evidence_id: uuid.UUID, principal: Reader, session: TenantSession
) -> Response:
    return await compliance_service.evidence_file(session, framework, evidence_id)


@router.get(
    "/compliance/{framework}/report",
    response_class=Response,
    responses={
        200: {
            "content": {"application/json": {}, "application/pdf": {}},
            "description": "The framework's report with evidence and timestamps",
        }
    },
)
async def compliance_report(
    framework: str,
    principal: Reader,
    session: TenantSession,
    format: Literal["json", "pdf"] = "json",
) -> Response:
    return await compliance_service.report(session, principal, framework, format)
