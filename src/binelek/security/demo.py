"""The demo business's security picture: the sample vulnerability database, four of Northwind's
computers as their agents would report them, and a first scan of the platform settings — so the
Cybersecurity Scanner has a posture, issues and an inventory to show on first sign-in.

Only the demo tenant gets these; nothing here runs for a real organization.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

from binelek.kit.db import Database, utcnow
from binelek.kit.settings import Settings
from binelek.security import scanner, service, vulndb
from binelek.security.models import SecurityScan
from binelek.security.repository import DeviceRepository, ScanRepository
from binelek.security.schemas import CheckinIn

DEBIAN_BASE = [
    ("bash", "5.2.15-2+b2", "bash", "5.2.15-2"),
    ("coreutils", "9.1-1", "coreutils", "9.1-1"),
    ("libc6", "2.36-9+deb12u1", "glibc", "2.36-9+deb12u1"),
    ("openssl", "3.0.9-1", "openssl", "3.0.9-1"),
    ("openssh-client", "1:9.2p1-2+deb12u2", "openssh", "1:9.2p1-2+deb12u2"),
    ("openssh-server", "1:9.2p1-2+deb12u2", "openssh", "1:9.2p1-2+deb12u2"),
    ("python3-requests", "2.28.1+dfsg-1", "requests", "2.28.1+dfsg-1"),
]


def _dpkg(packages: list[tuple[str, str, str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "version": version,
            "source": "dpkg",
            "source_name": source,
            "source_version": source_version,
        }
        for name, version, source, source_version in packages
    ]


def _devices() -> list[tuple[dict[str, Any], bool]]:
    """(what the agent sends, recognised by the owner?)"""
    now = utcnow()
    return [
        (
            {
                "agent_version": "1.0.0",
                "device_key": "demo-roastery-server",
                "hostname": "roastery-server",
                "os": {
                    "family": "linux",
                    "name": "Debian GNU/Linux",
                    "version": "12",
                    "kernel": "6.1.0-13-amd64",
                },
                "hardware": {"arch": "x86_64", "model": "Intel NUC 12"},
                "network": {"ips": ["192.168.10.5"], "macs": ["1c:69:7a:0a:10:05"]},
                "packages": _dpkg(DEBIAN_BASE),
                "security": {
                    "disk_encryption": True,
                    "firewall": True,
                    "screen_lock": None,
                    "auto_updates": False,
                    "last_update_at": (now - timedelta(days=64)).isoformat(),
                },
            },
            True,
        ),
        (
            {
                "agent_version": "1.0.0",
                "device_key": "demo-front-counter-pos",
                "hostname": "front-counter-pos",
                "os": {"family": "windows", "name": "Windows 11 Pro", "version": "23H2", "build": "22631"},
                "hardware": {"arch": "AMD64", "model": "HP Engage One"},
                "network": {"ips": ["192.168.10.21"], "macs": ["3c:52:82:4e:11:21"]},
                "packages": [
                    {"name": "Google Chrome", "version": "131.0.6778.86", "source": "windows"},
                    {"name": "Square Point of Sale", "version": "5.44", "source": "windows"},
                ],
                "security": {
                    "disk_encryption": False,
                    "firewall": True,
                    "screen_lock": True,
                    "auto_updates": True,
                    "last_update_at": (now - timedelta(days=3)).isoformat(),
                },
            },
            True,
        ),
        (
            {
                "agent_version": "1.0.0",
                "device_key": "demo-owner-macbook",
                "hostname": "maya-macbook",
                "os": {"family": "macos", "name": "macOS", "version": "15.1"},
                "hardware": {"arch": "arm64", "model": "MacBookAir10,1"},
                "network": {"ips": ["192.168.10.33"], "macs": ["a4:83:e7:21:0b:33"]},
                "packages": [{"name": "Slack", "version": "4.41.97", "source": "macos"}],
                "security": {
                    "disk_encryption": True,
                    "firewall": False,
                    "screen_lock": True,
                    "auto_updates": True,
                    "last_update_at": (now - timedelta(days=9)).isoformat(),
                },
            },
            True,
        ),
        (
            {
                "agent_version": "1.0.0",
                "device_key": "demo-unknown-laptop",
                "hostname": "DESKTOP-7Q2K1LM",
                "os": {"family": "windows", "name": "Windows 10 Home", "version": "22H2", "build": "19045"},
                "hardware": {"arch": "AMD64"},
                "network": {"ips": ["192.168.10.77"], "macs": ["f8:75:a4:90:1c:77"]},
                "packages": [],
                "security": {"disk_encryption": None, "firewall": None, "screen_lock": None},
            },
            False,
        ),
    ]


def sample_database() -> Path:
    return Path(str(files("binelek.security").joinpath("data", "osv-sample.json")))


async def seed_security(settings: Settings, db: Database, tenant_id: uuid.UUID) -> None:
    async with db.session() as session:
        await vulndb.import_file(session, sample_database())
        await vulndb.import_file(session, sample_database().with_name("kev-sample.json"))
    async with db.session(tenant_id=tenant_id) as session:
        for body, known in _devices():
            result = await service.check_in(session, CheckinIn.model_validate(body))
            if known:
                device = await DeviceRepository(session).get(result.device_id)
                assert device is not None
                device.known = True
                await session.flush()
                await service.evaluate_device(session, device, utcnow())
        scan = ScanRepository(session).add(
            SecurityScan(
                id=uuid.uuid4(),
                status="running",
                trigger="manual",
                categories=["platform"],
                asset_ids=[],
                progress_done=0,
                progress_total=1,
                summary={},
                errors=[],
                created_at=utcnow(),
                started_at=utcnow(),
            )
        )
        scan_id = scan.id
    env = scanner.ScanEnv(settings=settings, db=db)
    await scanner.run_unit(env, tenant_id, scan_id, scanner.Unit("platform", "organization"))
    await service.finish_scan(env, tenant_id, scan_id)
