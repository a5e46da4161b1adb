"""Running a scan: plan the units (one check on one target), run each and store its report and
findings in its own transaction, then turn the scan's findings into issues and a posture snapshot.

A unit that already has a report in this scan is not run again, so a scan resumed after a crash
(its DBOS workflow replays) does every unit once. Checks on one target run one after another
(polite: one TLS handshake or page fetch at a time per host); targets run side by side up to
`security_scan_concurrency`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from sqlalchemy import select, update

from binelek.kit.db import Database, utcnow
from binelek.kit.settings import Settings
from binelek.security.checks.base import CheckError, Finding
from binelek.security.models import SecurityAsset, SecurityScan, SecurityScanReport

log = structlog.get_logger(__name__)
WEB_PORTS = (80, 443)


@dataclass(frozen=True, slots=True)
class Unit:
    check: str  # web | tls | dns | network | discovery | platform | devices
    target: str  # what the check is pointed at: URL, host:port, domain, host, CIDR, "organization"
    asset_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.check}|{self.target}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Unit:
        return cls(**data)


@dataclass
class UnitOutcome:
    report: dict[str, Any]
    findings: list[Finding]
    grade: str | None = None
    score: float | None = None


@dataclass
class ScanEnv:
    """What checks need from the process: settings (resolver, extra CA, timeouts) and the database."""

    settings: Settings
    db: Database

    @cached_property
    def extra_ca_pem(self) -> bytes | None:
        path = self.settings.security_extra_ca_file
        return path.read_bytes() if path else None

    @cached_property
    def nameservers(self) -> list[tuple[str, int]] | None:
        servers = []
        for entry in self.settings.security_dns_nameservers:
            host, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "53")
            servers.append((host or entry, int(port or 53)))
        return servers or None

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.extra_ca_pem:
            context.load_verify_locations(cadata=self.extra_ca_pem.decode())
        return context

    @property
    def timeout(self) -> float:
        return self.settings.security_check_timeout_seconds


# -- planning ---------------------------------------------------------------------------------------


def plan(assets: Sequence[SecurityAsset], categories: Sequence[str]) -> list[Unit]:
    wanted = set(categories)
    units: list[Unit] = []
    for asset in assets:
        units += _asset_units(asset, wanted)
    if "platform" in wanted:
        units.append(Unit("platform", "organization"))
    if "devices" in wanted:
        units.append(Unit("devices", "inventory"))
    return list({unit.key: unit for unit in units}.values())


def _asset_units(asset: SecurityAsset, wanted: set[str]) -> list[Unit]:
    asset_id = str(asset.id)
    ports = list(asset.ports or [])
    units: list[Unit] = []
    if asset.kind == "domain":
        host = asset.value
        if "dns" in wanted:
            units.append(Unit("dns", host, asset_id, {"dkim_selectors": list(asset.dkim_selectors or [])}))
        if "web" in wanted:
            units.append(Unit("web", f"https://{host}/", asset_id))
        if "tls" in wanted:
            units.append(Unit("tls", f"{host}:443", asset_id))
        if "network" in wanted:
            units.append(Unit("network", host, asset_id, {"ports": ports}))
    elif asset.kind == "url":
        parts = urlsplit(asset.value)
        host = parts.hostname or ""
        if "web" in wanted:
            units.append(Unit("web", asset.value, asset_id))
        if "tls" in wanted and parts.scheme == "https":
            units.append(Unit("tls", f"{_bracket(host)}:{parts.port or 443}", asset_id))
    elif asset.kind == "ip":
        if "network" in wanted:
            units.append(Unit("network", asset.value, asset_id, {"ports": ports}))
    elif asset.kind == "cidr" and ("devices" in wanted or "network" in wanted):
        units.append(Unit("discovery", asset.value, asset_id, {"ports": ports}))
    return units


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def split_host_port(target: str, default_port: int) -> tuple[str, int]:
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        return host, int(rest.lstrip(":") or default_port)
    host, _, port = target.rpartition(":")
    return (host, int(port)) if host and port.isdigit() else (target, default_port)


# -- the hosts a scan may reach ---------------------------------------------------------------------


def allowed_hosts(assets: Sequence[SecurityAsset]) -> Callable[[str], bool]:
    """Redirects and follow-up requests stay on registered assets: a domain covers its subdomains,
    a URL its host, an address or range its addresses."""
    domains = {a.value for a in assets if a.kind == "domain"}
    hosts = {urlsplit(a.value).hostname or "" for a in assets if a.kind == "url"}
    networks = []
    for asset in assets:
        if asset.kind in ("ip", "cidr"):
            networks.append(ipaddress.ip_network(asset.value, strict=False))

    def allowed(host: str) -> bool:
        host = host.lower().rstrip(".").strip("[]")
        if host in hosts or any(host == d or host.endswith("." + d) for d in domains):
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in networks)

    return allowed


# -- running one unit -------------------------------------------------------------------------------


async def run_check(env: ScanEnv, unit: Unit, allowed: Callable[[str], bool]) -> UnitOutcome:
    runner = {
        "web": _web,
        "tls": _tls,
        "dns": _dns,
        "network": _network,
    }.get(unit.check)
    if runner is None:
        raise ValueError(f"{unit.check} is not an external check")
    return await runner(env, unit, allowed)


async def _web(env: ScanEnv, unit: Unit, allowed: Callable[[str], bool]) -> UnitOutcome:
    from binelek.security.checks import headers

    async with httpx.AsyncClient(
        verify=env.ssl_context(), timeout=env.timeout, follow_redirects=False
    ) as client:
        report = await headers.check_headers(
            unit.target, client=client, allowed_hosts=allowed, timeout=env.timeout
        )
    return UnitOutcome(
        report.model_dump(mode="json"), headers.findings(report), report.grade, float(report.score)
    )


async def _tls(env: ScanEnv, unit: Unit, allowed: Callable[[str], bool]) -> UnitOutcome:
    from binelek.security.checks import tls

    host, port = split_host_port(unit.target, 443)
    report = await tls.check_tls(host, port, extra_ca_pem=env.extra_ca_pem, timeout=env.timeout)
    return UnitOutcome(
        report.model_dump(mode="json"), tls.findings(report), report.grade, float(report.score)
    )


async def _dns(env: ScanEnv, unit: Unit, allowed: Callable[[str], bool]) -> UnitOutcome:
    from binelek.security.checks import dns_email

    async with httpx.AsyncClient(verify=env.ssl_context(), timeout=env.timeout) as client:
        report = await dns_email.check_domain(
            unit.target,
            nameservers=env.nameservers,
            dkim_selectors=unit.params.get("dkim_selectors") or (),
            http_client=client,
            timeout=min(env.timeout, 5.0),
        )
    return UnitOutcome(report.model_dump(mode="json"), dns_email.findings(report))


async def _network(env: ScanEnv, unit: Unit, allowed: Callable[[str], bool]) -> UnitOutcome:
    from binelek.security.checks import network

    ports = unit.params.get("ports") or None
    report = await network.scan_ports(unit.target, ports, timeout=min(env.timeout, 1.5))
    return UnitOutcome(report.model_dump(mode="json"), network.findings(report))


async def run_unit(env: ScanEnv, tenant_id: uuid.UUID, scan_id: uuid.UUID, unit: Unit) -> bool:
    """Run `unit` unless this scan already has its report; store report and findings together."""
    from binelek.security import issues

    async with env.db.session(tenant_id=tenant_id) as session:
        done = await session.scalar(
            select(SecurityScanReport.id).where(
                SecurityScanReport.tenant_id == tenant_id,
                SecurityScanReport.scan_id == scan_id,
                SecurityScanReport.check == unit.check,
                SecurityScanReport.target == unit.target[:500],
            )
        )
        if done is not None:
            return False
        assets = (
            await session.scalars(select(SecurityAsset).where(SecurityAsset.tenant_id == tenant_id))
        ).all()
    allowed = allowed_hosts(assets)
    outcome: UnitOutcome | None = None
    error: str | None = None
    try:
        outcome = await _run(env, tenant_id, unit, allowed)
    except CheckError as failure:
        error = f"{failure.code}: {failure}"
    except Exception as failure:  # a broken check must not sink the scan; it is reported on it
        log.exception("security_check_crashed", check=unit.check, target=unit.target)
        error = f"CHECK_CRASHED: {type(failure).__name__}: {failure}"
    now = utcnow()
    async with env.db.session(tenant_id=tenant_id) as session:
        session.add(
            SecurityScanReport(
                tenant_id=tenant_id,
                scan_id=scan_id,
                asset_id=uuid.UUID(unit.asset_id) if unit.asset_id else None,
                check=unit.check,
                target=unit.target[:500],
                report={"unit": unit.as_dict(), **(outcome.report if outcome else {})},
                grade=outcome.grade if outcome else None,
                score=outcome.score if outcome else None,
                error=error[:2000] if error else None,
                created_at=now,
            )
        )
        if outcome is not None:
            asset_of = {f.target: uuid.UUID(unit.asset_id) for f in outcome.findings if unit.asset_id}
            await issues.record_findings(
                session, outcome.findings, scan_id=scan_id, asset_of=asset_of, now=now
            )
        # Units of one scan finish side by side: the count moves in SQL so no increment is lost.
        await session.execute(
            update(SecurityScan)
            .where(SecurityScan.tenant_id == tenant_id, SecurityScan.id == scan_id)
            .values(progress_done=SecurityScan.progress_done + 1)
            .execution_options(synchronize_session=False)
        )
        if error:
            scan = await session.get(SecurityScan, scan_id, with_for_update=True)
            if scan is not None:
                scan.errors = [*scan.errors, {"check": unit.check, "target": unit.target, "error": error}]
    return True


async def _run(env: ScanEnv, tenant_id: uuid.UUID, unit: Unit, allowed: Callable[[str], bool]) -> UnitOutcome:
    from binelek.security import service

    if unit.check == "platform":
        return await service.platform_outcome(env, tenant_id)
    if unit.check == "devices":
        return await service.devices_outcome(env, tenant_id)
    if unit.check == "discovery":
        return await service.discovery_outcome(env, tenant_id, unit)
    return await asyncio.wait_for(run_check(env, unit, allowed), timeout=env.timeout * 12)
