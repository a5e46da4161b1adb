"""The offline vulnerability database: import OSV exports and the CISA KEV catalogue, then match the
packages a device reports against them.

Nothing here reaches the network. An administrator downloads osv.dev's per-ecosystem `all.zip`
exports (and CISA's `known_exploited_vulnerabilities.json`) and imports the files; matching then runs
entirely against the local tables, so an air-gapped install works the same as a connected one.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import structlog
from cvss import CVSS2, CVSS3, CVSS4
from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from univers import versions as uv

from binelek.security.models import KnownExploited, Vulnerability, VulnerablePackage

log = structlog.get_logger(__name__)

BATCH_SIZE = 500
# Keeps IN (...) lists well under SQLite's and asyncpg's bound-parameter limits (~32k).
IN_CHUNK = 1000
# A single OSV entry is a few kB; a member this large is not one (or is a zip bomb).
MAX_ENTRY_BYTES = 20 * 1024 * 1024
NOT_RECOGNISED = "is not an OSV zip, OSV JSON or KEV catalogue"

SEVERITY_RANK: dict[str, int] = {"critical": 4, "high": 3, "medium": 2, "low": 1, "unknown": 0}
# Text severities some databases give instead of a CVSS vector (GHSA, Ubuntu, Alpine...).
TEXT_SEVERITY: dict[str, str] = {
    "critical": "critical",
    "high": "high",
    "important": "high",
    "moderate": "medium",
    "medium": "medium",
    "low": "low",
    "negligible": "low",
    "none": "low",
}
CVE_IN_ID = re.compile(r"CVE-\d{4}-\d{4,}", re.I)
EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
MATCHED_RANGE_TYPES = ("ECOSYSTEM", "SEMVER")


# -- import -----------------------------------------------------------------------------------------


@dataclass
class ImportStats:
    vulnerabilities: int  # entries written (new, or replacing an older `modified`)
    packages: int  # affected-package rows written
    known_exploited: int  # KEV catalogue entries written
    skipped: int  # entries that could not be imported (see skip_reasons)
    source: str  # the file name
    unchanged: int = 0  # entries already present with the same or a newer `modified`
    skip_reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.skip_reasons[reason] = self.skip_reasons.get(reason, 0) + 1


Progress = Callable[[int, int | None], None]


class _Skip(Exception):
    """An entry that cannot be imported; the reason is counted, the import goes on."""


class _Withdrawn(_Skip):
    def __init__(self, entry_id: str) -> None:
        super().__init__("withdrawn")
        self.entry_id = entry_id


@dataclass
class _Entry:
    """One OSV entry reduced to the rows it becomes."""

    id: str
    modified: datetime | None
    row: dict[str, Any]
    packages: list[dict[str, Any]]


async def import_file(session: AsyncSession, path: Path, *, progress: Progress | None = None) -> ImportStats:
    """Import an osv.dev `all.zip` export, an OSV JSON file (one entry, a list, or `{"vulns": [...]}`)
    or the CISA KEV catalogue JSON. Commits after each batch so a long import never holds SQLite's
    write lock for minutes; a re-import of the same file changes nothing."""
    source = path.name[:300]
    if zipfile.is_zipfile(path):
        return await _import_zip(session, path, source, progress)
    document = _read_json_document(path)
    kev_items = _kev_items(document)
    if kev_items is not None:
        return await _import_kev(session, kev_items, source, progress)
    entries = _osv_entries(document)
    if entries is None:
        raise ValueError(f"{path.name} {NOT_RECOGNISED}")
    labelled = ((f"#{index}", entry) for index, entry in enumerate(entries))
    return await _import_osv(session, labelled, len(entries), source, progress)


def _read_json_document(path: Path) -> Any:
    try:
        with path.open("rb") as handle:
            return json.load(handle)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path.name} {NOT_RECOGNISED}") from error


def _kev_items(document: Any) -> list[Any] | None:
    if not isinstance(document, dict):
        return None
    items = document.get("vulnerabilities")
    if not isinstance(items, list):
        return None
    if "catalogVersion" in document or any(isinstance(item, dict) and "cveID" in item for item in items):
        return items
    return None


def _osv_entries(document: Any) -> list[Any] | None:
    if isinstance(document, dict) and isinstance(document.get("vulns"), list):
        return cast(list[Any], document["vulns"])
    if isinstance(document, dict) and _looks_like_entry(document):
        return [document]
    if isinstance(document, list) and (not document or any(_looks_like_entry(item) for item in document)):
        return document
    return None


def _looks_like_entry(value: Any) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        return False
    return any(key in value for key in ("affected", "modified", "schema_version", "aliases"))


async def _import_zip(
    session: AsyncSession, path: Path, source: str, progress: Progress | None
) -> ImportStats:
    with zipfile.ZipFile(path) as archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir() and info.filename.lower().endswith(".json")
        ]
        if not members:
            raise ValueError(f"{path.name} {NOT_RECOGNISED}")
        return await _import_osv(session, _zip_entries(archive, members), len(members), source, progress)


def _zip_entries(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> Iterator[tuple[str, Any]]:
    """One member at a time: a 500 MB export is never held in memory whole."""
    for info in members:
        if info.file_size > MAX_ENTRY_BYTES:
            yield info.filename, _Skip("entry too large")
            continue
        try:
            yield info.filename, json.loads(archive.read(info))
        except (UnicodeDecodeError, json.JSONDecodeError):
            yield info.filename, _Skip("not valid JSON")
        except (zipfile.BadZipFile, OSError, EOFError):
            yield info.filename, _Skip("corrupt zip member")


async def _import_osv(
    session: AsyncSession,
    entries: Iterable[tuple[str, Any]],
    total: int,
    source: str,
    progress: Progress | None,
) -> ImportStats:
    stats = ImportStats(vulnerabilities=0, packages=0, known_exploited=0, skipped=0, source=source)
    kev_cves = await _known_exploited_ids(session)
    imported_at = datetime.now(UTC)
    batch: dict[str, _Entry] = {}
    withdrawn: set[str] = set()
    done = 0
    for label, raw in entries:
        done += 1
        try:
            if isinstance(raw, _Skip):
                raise raw
            entry = _parse_entry(raw, source, kev_cves, imported_at)
        except _Withdrawn as gone:
            withdrawn.add(gone.entry_id)
            stats.skip("withdrawn")
        except _Skip as skip:
            log.debug("osv_entry_skipped", entry=label, reason=str(skip), source=source)
            stats.skip(str(skip))
        else:
            _keep_newest(batch, entry)
        if len(batch) + len(withdrawn) >= BATCH_SIZE:
            await _write_batch(session, batch, withdrawn, stats)
        if progress is not None and done % BATCH_SIZE == 0:
            progress(done, total)
    await _write_batch(session, batch, withdrawn, stats)
    if progress is not None:
        progress(done, total)
    log.info("osv_import_done", **_stats_fields(stats))
    return stats


def _keep_newest(batch: dict[str, _Entry], entry: _Entry) -> None:
    current = batch.get(entry.id)
    if current is None or _is_newer(entry.modified, current.modified):
        batch[entry.id] = entry


def _is_newer(incoming: datetime | None, stored: datetime | None) -> bool:
    # An entry without `modified` (the schema requires one) can only be refreshed by replacing it.
    if stored is None:
        return True
    return incoming is not None and incoming > stored


async def _write_batch(
    session: AsyncSession, batch: dict[str, _Entry], withdrawn: set[str], stats: ImportStats
) -> None:
    if not batch and not withdrawn:
        return
    stored = await _stored_modified(session, list(batch))
    to_write = [
        entry
        for entry in batch.values()
        if entry.id not in stored or _is_newer(entry.modified, stored[entry.id])
    ]
    stats.unchanged += len(batch) - len(to_write)
    gone = [*(entry.id for entry in to_write if entry.id in stored), *withdrawn]
    batch.clear()
    withdrawn.clear()
    try:
        await _replace(session, to_write, gone)
        await session.commit()
    except DBAPIError:
        # One entry the database refuses (a NUL byte PostgreSQL will not store, say) must not
        # cost the other 499: redo the batch entry by entry and skip only the refused ones.
        await session.rollback()
        to_write = await _replace_one_by_one(session, to_write, gone, stats)
    stats.vulnerabilities += len(to_write)
    stats.packages += sum(len(entry.packages) for entry in to_write)


async def _replace(session: AsyncSession, entries: list[_Entry], gone: list[str]) -> None:
    await _delete_vulnerabilities(session, gone)
    if entries:
        await session.execute(insert(Vulnerability), [entry.row for entry in entries])
        package_rows = [package for entry in entries for package in entry.packages]
        if package_rows:
            await session.execute(insert(VulnerablePackage), package_rows)


async def _replace_one_by_one(
    session: AsyncSession, entries: list[_Entry], gone: list[str], stats: ImportStats
) -> list[_Entry]:
    written: list[_Entry] = []
    await _delete_vulnerabilities(
        session, [entry_id for entry_id in gone if entry_id not in {e.id for e in entries}]
    )
    await session.commit()
    for entry in entries:
        try:
            await _replace(session, [entry], [entry.id])
            await session.commit()
        except DBAPIError as error:
            await session.rollback()
            log.warning("osv_entry_refused", entry=entry.id, error=str(error.orig)[:300])
            stats.skip("refused by the database")
        else:
            written.append(entry)
    return written


async def _stored_modified(session: AsyncSession, ids: list[str]) -> dict[str, datetime | None]:
    stored: dict[str, datetime | None] = {}
    for chunk in _chunks(ids):
        result = await session.execute(
            select(Vulnerability.id, Vulnerability.modified_at).where(Vulnerability.id.in_(chunk))
        )
        stored.update({row.id: row.modified_at for row in result})
    return stored


async def _delete_vulnerabilities(session: AsyncSession, ids: list[str]) -> None:
    # Packages first: the foreign key cascades, but only where the backend enforces it.
    for chunk in _chunks(ids):
        await session.execute(delete(VulnerablePackage).where(VulnerablePackage.vulnerability_id.in_(chunk)))
        await session.execute(delete(Vulnerability).where(Vulnerability.id.in_(chunk)))


def _chunks(items: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), IN_CHUNK):
        yield list(items[start : start + IN_CHUNK])


def _stats_fields(stats: ImportStats) -> dict[str, Any]:
    return {
        "source": stats.source,
        "vulnerabilities": stats.vulnerabilities,
        "packages": stats.packages,
        "known_exploited": stats.known_exploited,
        "unchanged": stats.unchanged,
        "skipped": stats.skipped,
        "skip_reasons": stats.skip_reasons,
    }


# -- one OSV entry ----------------------------------------------------------------------------------


def _parse_entry(raw: Any, source: str, kev_cves: set[str], imported_at: datetime) -> _Entry:
    if not isinstance(raw, dict):
        raise _Skip("not an object")
    entry_id = raw.get("id")
    if not isinstance(entry_id, str) or not entry_id.strip():
        raise _Skip("no id")
    if len(entry_id) > 100:
        raise _Skip("id too long")
    if raw.get("withdrawn"):
        raise _Withdrawn(entry_id)
    aliases = _aliases(raw, entry_id)
    vector, score, rating = severity_of(raw)
    modified = _timestamp(raw.get("modified"))
    row = {
        "id": entry_id,
        "aliases": aliases,
        "summary": _text(raw.get("summary"), 1000),
        "details": _text(raw.get("details"), None),
        "severity_vector": vector[:300] if vector else None,
        "cvss_score": score,
        "severity": rating,
        "kev": bool(_cves_of([entry_id, *aliases]) & kev_cves),
        "references": _references(raw.get("references")),
        "published_at": _timestamp(raw.get("published")),
        "modified_at": modified,
        "source": source,
        "imported_at": imported_at,
    }
    affected = raw.get("affected", [])
    if not isinstance(affected, list):
        raise _Skip("affected is not a list")
    packages = [package for item in affected if (package := _package_row(entry_id, item)) is not None]
    return _Entry(id=entry_id, modified=modified, row=row, packages=packages)


def _aliases(raw: Mapping[str, Any], entry_id: str) -> list[str]:
    """`aliases` plus `upstream`: a Debian DSA names the CVEs it fixes only in `upstream`, and those
    are what a person searches for and what the KEV catalogue lists."""
    found: list[str] = []
    for key in ("aliases", "upstream"):
        values = raw.get(key)
        if not isinstance(values, list):
            continue
        for value in values:
            if isinstance(value, str) and value and value != entry_id and value not in found:
                found.append(value[:100])
    return found


def _text(value: Any, limit: int | None) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.replace("\x00", "")  # PostgreSQL text cannot hold NUL; it carries no meaning here
    return text if limit is None else text[:limit]


def _references(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [
        {"type": str(item.get("type") or "WEB"), "url": item["url"]}
        for item in value
        if isinstance(item, dict) and isinstance(item.get("url"), str)
    ]


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("z", "Z")
    # More than microsecond precision ("...05.986201214Z") is cut to what datetime holds.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _package_row(entry_id: str, item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict) or not isinstance(item.get("package"), dict):
        return None
    ecosystem = item["package"].get("ecosystem")
    name = item["package"].get("name")
    if not isinstance(ecosystem, str) or not isinstance(name, str) or not ecosystem or not name:
        return None
    if len(ecosystem) > 100 or len(name) > 300:
        return None
    ranges = [
        {"type": r["type"], "events": [event for event in r["events"] if _is_event(event)]}
        for r in item.get("ranges") or []
        if isinstance(r, dict) and r.get("type") in MATCHED_RANGE_TYPES and isinstance(r.get("events"), list)
    ]
    listed = [version for version in item.get("versions") or [] if isinstance(version, str)]
    if not ranges and not listed:
        return None  # only GIT ranges (commit hashes): nothing a version string can be checked against
    return {
        "vulnerability_id": entry_id,
        "ecosystem": ecosystem,
        "package": normalise_package(ecosystem, name),
        "ranges": ranges,
        "versions": listed,
    }


def _is_event(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and len(event) == 1
        and next(iter(event)) in EVENT_KINDS
        and isinstance(next(iter(event.values())), str)
    )


def normalise_package(ecosystem: str, name: str) -> str:
    """PyPI names compare per PEP 503 (`Jinja2` is `jinja2`, `typing_extensions` is
    `typing-extensions`); every other ecosystem's names are kept as written."""
    if _base_ecosystem(ecosystem) == "PyPI":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name


# -- severity ---------------------------------------------------------------------------------------


def severity_of(entry: Mapping[str, Any]) -> tuple[str | None, float | None, str]:
    """(CVSS vector, base score, rating) of an OSV entry.

    CVSS v3 comes first because most of the database carries only v3, so scores stay comparable; v4
    and then v2 when there is nothing else. Without a usable vector, the database's own word
    (`database_specific.severity`, an "Ubuntu" severity) gives the rating without a score."""
    scored = _scored_severities(entry)
    for kind in ("CVSS_V3", "CVSS_V4", "CVSS_V2"):
        for vector in scored.get(kind, []):
            result = _cvss_rating(kind, vector)
            if result is not None:
                return vector, result[0], result[1]
    return None, None, _text_severity(entry)


def _scored_severities(entry: Mapping[str, Any]) -> dict[str, list[str]]:
    """Top-level `severity` first, then each affected package's (schema 1.6 allows both)."""
    lists: list[Any] = [entry.get("severity")]
    affected = entry.get("affected")
    if isinstance(affected, list):
        lists.extend(item.get("severity") for item in affected if isinstance(item, dict))
    by_kind: dict[str, list[str]] = {}
    for severities in lists:
        if not isinstance(severities, list):
            continue
        for item in severities:
            if (
                isinstance(item, dict)
                and isinstance(item.get("type"), str)
                and isinstance(item.get("score"), str)
            ):
                by_kind.setdefault(item["type"], []).append(item["score"].strip())
    return by_kind


def _cvss_rating(kind: str, vector: str) -> tuple[float, str] | None:
    try:
        if kind == "CVSS_V3":
            v3 = CVSS3(vector)
            return float(v3.base_score), _rating(v3.severities()[0])
        if kind == "CVSS_V4":
            v4 = CVSS4(vector)
            return float(v4.base_score), _rating(v4.severity)
        v2 = CVSS2(vector)
        return float(v2.base_score), _rating(v2.severities()[0])
    except Exception:  # the cvss library raises its own error family, and KeyError on odd metrics
        log.debug("cvss_vector_unreadable", kind=kind, vector=vector)
        return None


def _rating(text: str) -> str:
    return TEXT_SEVERITY.get(text.strip().lower(), "unknown")


def _text_severity(entry: Mapping[str, Any]) -> str:
    database_specific = entry.get("database_specific")
    if isinstance(database_specific, dict) and isinstance(database_specific.get("severity"), str):
        rating = _rating(database_specific["severity"])
        if rating != "unknown":
            return rating
    for kind, scores in _scored_severities(entry).items():
        if kind.startswith("CVSS"):
            continue
        for score in scores:
            rating = _rating(score)
            if rating != "unknown":
                return rating
    return "unknown"


# -- the KEV catalogue ------------------------------------------------------------------------------


async def _import_kev(
    session: AsyncSession, items: list[Any], source: str, progress: Progress | None
) -> ImportStats:
    stats = ImportStats(vulnerabilities=0, packages=0, known_exploited=0, skipped=0, source=source)
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        try:
            row = _kev_row(item)
        except _Skip as skip:
            stats.skip(str(skip))
            continue
        rows[row["cve_id"]] = row
    ids = list(rows)
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        await session.execute(delete(KnownExploited).where(KnownExploited.cve_id.in_(chunk)))
        await session.execute(insert(KnownExploited), [rows[cve] for cve in chunk])
        await session.commit()
        stats.known_exploited += len(chunk)
        if progress is not None:
            progress(min(start + BATCH_SIZE, len(ids)), len(ids))
    await refresh_kev_flags(session)
    log.info("kev_import_done", **_stats_fields(stats))
    return stats


def _kev_row(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _Skip("not an object")
    cve = item.get("cveID")
    if not isinstance(cve, str) or not CVE_IN_ID.fullmatch(cve.strip()) or len(cve.strip()) > 30:
        raise _Skip("no CVE id")
    return {
        "cve_id": cve.strip().upper(),
        "vendor": _text(item.get("vendorProject"), 200),
        "product": _text(item.get("product"), 200),
        "name": _text(item.get("vulnerabilityName"), 500),
        "date_added": _day(item.get("dateAdded")),
        "due_date": _day(item.get("dueDate")),
        "ransomware": str(item.get("knownRansomwareCampaignUse", "")).strip().lower() == "known",
    }


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


async def _known_exploited_ids(session: AsyncSession) -> set[str]:
    # The whole catalogue is ~1,500 CVE ids: one set in memory beats a lookup per entry.
    return set((await session.scalars(select(KnownExploited.cve_id))).all())


def _cves_of(ids: Iterable[str]) -> set[str]:
    """The CVE ids named by an entry's id and aliases: "CVE-2024-6387", but also the distributions'
    own "DEBIAN-CVE-2024-6387" / "UBUNTU-CVE-2024-6387", which are the same vulnerability."""
    return {match.group(0).upper() for value in ids for match in CVE_IN_ID.finditer(value)}


async def refresh_kev_flags(session: AsyncSession, *, page_size: int = 2000) -> int:
    """Set `Vulnerability.kev` from the KEV catalogue for the whole database; returns how many
    entries changed. Walks the table by id pages so it runs the same on SQLite and PostgreSQL
    without JSON operators."""
    kev_cves = await _known_exploited_ids(session)
    changed = 0
    last_id = ""
    while True:
        page = (
            await session.execute(
                select(Vulnerability.id, Vulnerability.aliases, Vulnerability.kev)
                .where(Vulnerability.id > last_id)
                .order_by(Vulnerability.id)
                .limit(page_size)
            )
        ).all()
        if not page:
            break
        last_id = page[-1].id
        flip_on = [
            row.id for row in page if not row.kev and _cves_of([row.id, *(row.aliases or [])]) & kev_cves
        ]
        flip_off = [
            row.id for row in page if row.kev and not _cves_of([row.id, *(row.aliases or [])]) & kev_cves
        ]
        for ids, flag in ((flip_on, True), (flip_off, False)):
            if ids:
                await session.execute(update(Vulnerability).where(Vulnerability.id.in_(ids)).values(kev=flag))
        changed += len(flip_on) + len(flip_off)
    await session.commit()
    return changed


# -- matching ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    vulnerability_id: str
    aliases: list[str]
    package: str
    ecosystem: str
    installed_version: str
    fixed_version: str | None  # the lowest fix above the installed version; None = no fix known
    severity: str
    cvss_score: float | None
    kev: bool
    summary: str | None


VersionParser = Callable[[str], Any]


def _parser_for(ecosystem: str, range_type: str = "ECOSYSTEM") -> VersionParser:
    """How versions compare in an OSV ecosystem ("Debian:12" compares like Debian, etc.)."""
    if range_type == "SEMVER":
        return _semver
    base = _base_ecosystem(ecosystem)
    if base in ("Debian", "Ubuntu"):
        return uv.DebianVersion
    if base in ("Alpine", "Wolfi", "Chainguard"):
        return uv.AlpineLinuxVersion
    if base in ("Rocky Linux", "AlmaLinux", "Red Hat", "openSUSE", "SUSE", "Mageia", "openEuler"):
        return uv.RpmVersion
    parsers: dict[str, VersionParser] = {
        "PyPI": uv.PypiVersion,
        "npm": _semver,
        "crates.io": _semver,
        "Go": uv.GolangVersion,
        "Maven": uv.MavenVersion,
        "NuGet": uv.NugetVersion,
        "RubyGems": uv.RubygemsVersion,
        "Packagist": uv.ComposerVersion,
    }
    return parsers.get(base, uv.GenericVersion)


def _semver(text: str) -> Any:
    return uv.SemverVersion(text[1:] if text.startswith("v") else text)


def _base_ecosystem(ecosystem: str) -> str:
    return ecosystem.split(":", 1)[0].strip()


async def match_packages(session: AsyncSession, packages: Sequence[tuple[str, str, str]]) -> list[Match]:
    """The known vulnerabilities of installed packages, given as (OSV ecosystem, name, version).

    One query fetches every candidate row; the version logic runs here, per ecosystem. A version
    that cannot be parsed never matches (it is logged, not guessed at)."""
    wanted: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for ecosystem, name, version in packages:
        if ecosystem and name and version:
            key = (ecosystem, normalise_package(ecosystem, name))
            wanted.setdefault(key, []).append((name, version))
    if not wanted:
        return []
    matches: dict[tuple[str, str, str, str], Match] = {}
    unparseable: set[tuple[str, str, str]] = set()
    for row in await _candidate_rows(session, list(wanted)):
        for name, version in wanted[(row.ecosystem, row.package)]:
            found = _match_row(row, name, version, unparseable)
            if found is not None:
                found_key = (found.vulnerability_id, found.ecosystem, found.package, found.installed_version)
                matches[found_key] = _merge(matches.get(found_key), found)
    if unparseable:
        log.debug("vulndb_unparseable_versions", count=len(unparseable), examples=sorted(unparseable)[:5])
    return sorted(
        matches.values(),
        key=lambda m: (
            -SEVERITY_RANK.get(m.severity, 0),
            -(m.cvss_score or 0.0),
            m.vulnerability_id,
            m.package,
        ),
    )


async def _candidate_rows(session: AsyncSession, keys: list[tuple[str, str]]) -> list[Any]:
    names_by_ecosystem: dict[str, list[str]] = {}
    for ecosystem, name in keys:
        names_by_ecosystem.setdefault(ecosystem, []).append(name)
    conditions = [
        and_(VulnerablePackage.ecosystem == ecosystem, VulnerablePackage.package.in_(chunk))
        for ecosystem, names in names_by_ecosystem.items()
        for chunk in _chunks(names)
    ]
    statement = (
        select(
            VulnerablePackage.vulnerability_id,
            VulnerablePackage.ecosystem,
            VulnerablePackage.package,
            VulnerablePackage.ranges,
            VulnerablePackage.versions,
            Vulnerability.aliases,
            Vulnerability.severity,
            Vulnerability.cvss_score,
            Vulnerability.kev,
            Vulnerability.summary,
        )
        .join(Vulnerability, Vulnerability.id == VulnerablePackage.vulnerability_id)
        .where(or_(*conditions))
    )
    return list((await session.execute(statement)).all())


def _match_row(row: Any, name: str, version: str, unparseable: set[tuple[str, str, str]]) -> Match | None:
    parse = _parser_for(row.ecosystem)
    try:
        parsed = {parse: parse(version)}
    except (uv.InvalidVersion, ValueError, TypeError):
        unparseable.add((row.ecosystem, name, version))
        return None
    listed = version in (row.versions or [])
    in_range = False
    fixes: list[tuple[Any, str]] = []
    other_fixes: list[tuple[Any, str]] = []
    for version_range in row.ranges or []:
        verdict = _range_verdict(version, parsed, version_range, row.ecosystem)
        if verdict is None:
            continue
        affected, fix = verdict
        in_range = in_range or affected
        if fix is not None:
            (fixes if affected else other_fixes).append(fix)
    if not (listed or in_range):
        return None
    return Match(
        vulnerability_id=row.vulnerability_id,
        aliases=list(row.aliases or []),
        package=name,
        ecosystem=row.ecosystem,
        installed_version=version,
        # Listed but in no range: the nearest fix above it is the best advice there is.
        fixed_version=_lowest(fixes if in_range else other_fixes),
        severity=row.severity,
        cvss_score=row.cvss_score,
        kev=bool(row.kev),
        summary=row.summary,
    )


def _range_verdict(
    version: str, parsed: dict[VersionParser, Any], version_range: Any, ecosystem: str
) -> tuple[bool, tuple[Any, str] | None] | None:
    """(affected, lowest fix above the installed version) for one OSV range, or None when the range
    cannot be read. Follows the OSV evaluation: events sorted by version, each introduced opens,
    each fixed closes, a last_affected closes just after itself; "0" means from the first version."""
    if not isinstance(version_range, dict) or version_range.get("type") not in MATCHED_RANGE_TYPES:
        return None
    parse = _parser_for(ecosystem, version_range["type"])
    try:
        if parse not in parsed:
            parsed[parse] = parse(version)
        installed = parsed[parse]
        events = _parsed_events(version_range.get("events") or [], parse)
        affected = False
        for kind, point in events:
            if kind == "introduced" and (point is None or installed >= point[0]):
                affected = True
            elif point is not None and _closes(kind, installed, point[0]):
                affected = False
        if any(kind == "limit" and point is not None and installed >= point[0] for kind, point in events):
            affected = False
        fixes = [
            point for kind, point in events if kind == "fixed" and point is not None and point[0] > installed
        ]
    except (uv.InvalidVersion, ValueError, TypeError):
        log.debug("vulndb_range_unreadable", ecosystem=ecosystem, range=version_range)
        return None
    return affected, _lowest_point(fixes)


def _closes(kind: str, installed: Any, version: Any) -> bool:
    return (kind == "fixed" and installed >= version) or (kind == "last_affected" and installed > version)


def _parsed_events(events: list[Any], parse: VersionParser) -> list[tuple[str, tuple[Any, str] | None]]:
    """Events in version order; "introduced: 0" (and "limit: *") carry no version."""
    unbounded: list[tuple[str, tuple[Any, str] | None]] = []
    bounded: list[tuple[str, tuple[Any, str]]] = []
    for event in events:
        if not _is_event(event):
            continue
        kind, text = next(iter(event.items()))
        if (kind == "introduced" and text == "0") or (kind == "limit" and text == "*"):
            if kind == "introduced":
                unbounded.append((kind, None))
            continue
        bounded.append((kind, (parse(text), text)))
    bounded.sort(key=lambda item: item[1][0])
    return [*unbounded, *bounded]


def _lowest_point(points: list[tuple[Any, str]]) -> tuple[Any, str] | None:
    return min(points, key=lambda point: point[0]) if points else None


def _lowest(points: list[tuple[Any, str]]) -> str | None:
    lowest = _lowest_point(points)
    return lowest[1] if lowest is not None else None


def _merge(existing: Match | None, found: Match) -> Match:
    """Two rows of one entry for one package (GHSA often splits ranges): keep the lowest known fix."""
    if existing is None or existing.fixed_version is None:
        return found
    if found.fixed_version is None:
        return existing
    parse = _parser_for(found.ecosystem)
    try:
        return found if parse(found.fixed_version) < parse(existing.fixed_version) else existing
    except (uv.InvalidVersion, ValueError, TypeError):
        return existing


# -- from an agent's report to OSV keys -------------------------------------------------------------

# Package managers whose names/versions are an OSV ecosystem of their own, whatever the OS.
LANGUAGE_ECOSYSTEMS: dict[str, str] = {
    "pip": "PyPI",
    "pypi": "PyPI",
    "npm": "npm",
    "gem": "RubyGems",
    "rubygems": "RubyGems",
    "cargo": "crates.io",
    "crates.io": "crates.io",
    "go": "Go",
    "maven": "Maven",
    "nuget": "NuGet",
    "composer": "Packagist",
}
# OSV names distribution packages by their source package, which dpkg and apk report separately.
SOURCE_NAMED_ECOSYSTEMS = ("Debian", "Ubuntu", "Alpine", "Wolfi", "Chainguard")


def ecosystem_for(source: str, os_name: str | None, os_version: str | None) -> str | None:
    """The OSV ecosystem of a package an agent reported, from its package manager and the OS: dpkg
    on Debian 12 is "Debian:12", on Ubuntu 22.04 "Ubuntu:22.04:LTS", apk on Alpine 3.19
    "Alpine:v3.19". None when OSV has no such ecosystem (Windows and macOS applications, RHEL)."""
    manager = (source or "").strip().lower()
    if manager in LANGUAGE_ECOSYSTEMS:
        return LANGUAGE_ECOSYSTEMS[manager]
    system = (os_name or "").strip().lower()
    version = (os_version or "").strip()
    if manager in ("dpkg", "deb", "apt"):
        return _dpkg_ecosystem(system, version)
    if manager == "apk":
        return _apk_ecosystem(system, version)
    if manager == "rpm":
        return _rpm_ecosystem(system, version)
    return None


def _dpkg_ecosystem(system: str, version: str) -> str | None:
    if "ubuntu" in system:
        release = re.match(r"(\d{2})\.(\d{2})", version)
        if release is None:
            return None
        year, month = release.groups()
        # Ubuntu's LTS releases are the April releases of even years.
        lts = ":LTS" if month == "04" and int(year) % 2 == 0 else ""
        return f"Ubuntu:{year}.{month}{lts}"
    if "debian" in system:
        major = re.match(r"\d+", version)
        return f"Debian:{major.group(0)}" if major else None
    return None


def _apk_ecosystem(system: str, version: str) -> str | None:
    if "wolfi" in system:
        return "Wolfi"
    if "chainguard" in system:
        return "Chainguard"
    if "alpine" in system:
        release = re.match(r"(\d+)\.(\d+)", version)
        return f"Alpine:v{release.group(1)}.{release.group(2)}" if release else None
    return None


def _rpm_ecosystem(system: str, version: str) -> str | None:
    major = re.match(r"\d+", version)
    if major is None:
        return None
    if "rocky" in system:
        return f"Rocky Linux:{major.group(0)}"
    if "alma" in system:
        return f"AlmaLinux:{major.group(0)}"
    if "mageia" in system:
        return f"Mageia:{major.group(0)}"
    # Red Hat's OSV ecosystems are per repository ("Red Hat:enterprise_linux:9::appstream"), which an
    # installed package does not say; SUSE's name the product. No honest mapping, so none.
    return None


def match_inputs(
    packages: Iterable[Mapping[str, Any]], os_name: str | None, os_version: str | None
) -> list[tuple[str, str, str]]:
    """(ecosystem, name, version) keys for `match_packages` from an agent's `packages` list. For
    Debian, Ubuntu and Alpine the source package (`source_name`/`source_version`, which the agent
    sends for dpkg and apk) is what OSV lists: "openssh-server" is fixed by the "openssh" advisory."""
    keys: list[tuple[str, str, str]] = []
    for package in packages:
        ecosystem = ecosystem_for(str(package.get("source") or ""), os_name, os_version)
        name, version = package.get("name"), package.get("version")
        if ecosystem is None or not isinstance(name, str) or not isinstance(version, str):
            continue
        if _base_ecosystem(ecosystem) in SOURCE_NAMED_ECOSYSTEMS:
            name = package.get("source_name") or name
            version = package.get("source_version") or version
        keys.append((ecosystem, str(name), str(version)))
    return keys
