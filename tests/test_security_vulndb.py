"""The offline vulnerability database: importing OSV files, zips and the KEV catalogue into the real
(migrated) database, and matching installed package versions against it."""

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from binelek.kit.state import AppState
from binelek.security import vulndb
from binelek.security.models import KnownExploited, Vulnerability, VulnerablePackage

DATA = Path(vulndb.__file__).parent / "data"
SAMPLE = DATA / "osv-sample.json"
KEV_SAMPLE = DATA / "kev-sample.json"
SAMPLE_IDS = [entry["id"] for entry in json.loads(SAMPLE.read_text())["vulns"]]


def entry(
    entry_id: str,
    package: str,
    events: list[dict[str, str]] | None = None,
    *,
    ecosystem: str = "PyPI",
    modified: str = "2024-01-01T00:00:00Z",
    versions: list[str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    affected: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": package}}
    if events is not None:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if versions is not None:
        affected["versions"] = versions
    return {"id": entry_id, "modified": modified, "affected": [affected], **fields}


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def import_(state: AppState, path: Path, **kwargs: Any) -> vulndb.ImportStats:
    async with state.db.session() as session:
        return await vulndb.import_file(session, path, **kwargs)


async def match(state: AppState, *packages: tuple[str, str, str]) -> list[vulndb.Match]:
    async with state.db.session() as session:
        return await vulndb.match_packages(session, packages)


async def stored(state: AppState, entry_id: str) -> tuple[Vulnerability | None, list[VulnerablePackage]]:
    async with state.db.session() as session:
        vulnerability = await session.get(Vulnerability, entry_id)
        packages = (
            await session.scalars(
                select(VulnerablePackage).where(VulnerablePackage.vulnerability_id == entry_id)
            )
        ).all()
        return vulnerability, list(packages)


async def sample_counts(state: AppState) -> tuple[int, int]:
    async with state.db.session() as session:
        vulnerabilities = await session.scalar(
            select(func.count()).select_from(Vulnerability).where(Vulnerability.id.in_(SAMPLE_IDS))
        )
        packages = await session.scalar(
            select(func.count())
            .select_from(VulnerablePackage)
            .where(VulnerablePackage.vulnerability_id.in_(SAMPLE_IDS))
        )
        return int(vulnerabilities or 0), int(packages or 0)


@pytest.fixture
async def sample(state: AppState) -> AppState:
    await import_(state, SAMPLE)
    return state


# -- severity, names, ecosystems (no database) ------------------------------------------------------


def test_severity_from_cvss_vectors() -> None:
    v3 = {"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}]}
    assert vulndb.severity_of(v3) == ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "critical")
    v4 = {
        "severity": [
            {"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}
        ]
    }
    assert vulndb.severity_of(v4)[1:] == (9.3, "critical")
    moderate = {"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N"}]}
    assert vulndb.severity_of(moderate)[1:] == (6.1, "medium")
    # v3 wins over v4 when both are given, so scores stay comparable across the database.
    assert vulndb.severity_of({"severity": v4["severity"] + v3["severity"]})[1] == 10.0
    # A per-package severity (schema 1.6) counts when the entry has none.
    per_package = {"affected": [{"package": {}, "severity": v3["severity"]}]}
    assert vulndb.severity_of(per_package)[2] == "critical"


def test_severity_falls_back_to_the_databases_word_then_unknown() -> None:
    assert vulndb.severity_of({"database_specific": {"severity": "MODERATE"}}) == (None, None, "medium")
    assert vulndb.severity_of({"severity": [{"type": "Ubuntu", "score": "high"}]}) == (None, None, "high")
    broken = {
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:X"}],
        "database_specific": {"severity": "LOW"},
    }
    assert vulndb.severity_of(broken) == (None, None, "low")
    assert vulndb.severity_of({"id": "DSA-1-1"}) == (None, None, "unknown")


def test_pypi_names_are_normalised_others_kept() -> None:
    assert vulndb.normalise_package("PyPI", "Jinja2") == "jinja2"
    assert vulndb.normalise_package("PyPI", "typing_extensions") == "typing-extensions"
    assert vulndb.normalise_package("PyPI", "zope.interface") == "zope-interface"
    assert vulndb.normalise_package("Maven", "org.Apache:Log4j") == "org.Apache:Log4j"


@pytest.mark.parametrize(
    ("source", "os_name", "os_version", "expected"),
    [
        ("dpkg", "Debian GNU/Linux", "12", "Debian:12"),
        ("dpkg", "Debian GNU/Linux", "11.9", "Debian:11"),
        ("dpkg", "Ubuntu", "22.04", "Ubuntu:22.04:LTS"),
        ("dpkg", "Ubuntu", "22.04.4 LTS (Jammy Jellyfish)", "Ubuntu:22.04:LTS"),
        ("dpkg", "Ubuntu", "23.10", "Ubuntu:23.10"),
        ("apk", "Alpine Linux", "3.19.1", "Alpine:v3.19"),
        ("rpm", "Rocky Linux", "9.3", "Rocky Linux:9"),
        ("rpm", "AlmaLinux", "8.9", "AlmaLinux:8"),
        ("rpm", "Red Hat Enterprise Linux", "9.3", None),
        ("pip", None, None, "PyPI"),
        ("npm", "Windows 11", "10.0.22631", "npm"),
        ("windows", "Windows 11", "10.0.22631", None),
        ("pkgutil", "macOS", "14.4", None),
        ("dpkg", "Linux Mint", "21", None),
        ("dpkg", "Debian GNU/Linux", None, None),
    ],
)
def test_ecosystem_for(
    source: str, os_name: str | None, os_version: str | None, expected: str | None
) -> None:
    assert vulndb.ecosystem_for(source, os_name, os_version) == expected


def test_match_inputs_use_source_packages_where_osv_does() -> None:
    packages = [
        {
            "name": "openssh-server",
            "version": "1:9.2p1-2+deb12u2",
            "source": "dpkg",
            "source_name": "openssh",
        },
        {"name": "libssl3", "version": "3.0.11-1~deb12u1", "source": "dpkg"},
        {"name": "requests", "version": "2.28.1", "source": "pip", "source_name": "ignored"},
        {"name": "Notepad++", "version": "8.6", "source": "windows"},
    ]
    assert vulndb.match_inputs(packages, "Debian GNU/Linux", "12") == [
        ("Debian:12", "openssh", "1:9.2p1-2+deb12u2"),
        ("Debian:12", "libssl3", "3.0.11-1~deb12u1"),
        ("PyPI", "requests", "2.28.1"),
    ]


# -- import -----------------------------------------------------------------------------------------


async def test_sample_imports_with_severity_aliases_and_packages(state: AppState) -> None:
    stats = await import_(state, SAMPLE)
    assert stats.source == "osv-sample.json"
    assert stats.skipped == 0
    assert stats.vulnerabilities + stats.unchanged == len(SAMPLE_IDS) == 15

    log4shell, packages = await stored(state, "GHSA-jfh8-c2jp-5v3q")
    assert log4shell is not None
    assert (log4shell.severity, log4shell.cvss_score) == ("critical", 10.0)
    assert log4shell.aliases == ["CVE-2021-44228"]
    assert log4shell.published_at is not None and log4shell.published_at.year == 2021
    assert {p.package for p in packages} == {"org.apache.logging.log4j:log4j-core"} and len(packages) == 3
    assert any(ref["type"] == "ADVISORY" for ref in log4shell.references)

    # Debian names the CVEs it fixes in `upstream`; they become aliases. DSAs carry no CVSS.
    glibc, glibc_packages = await stored(state, "DSA-5514-1")
    assert glibc is not None and "CVE-2023-4911" in glibc.aliases
    assert (glibc.severity, glibc.cvss_score, glibc.severity_vector) == ("unknown", None, None)
    assert {(p.ecosystem, p.package) for p in glibc_packages} == {
        ("Debian:11", "glibc"),
        ("Debian:12", "glibc"),
    }

    _, jinja = await stored(state, "GHSA-h75v-3vvj-5mfj")  # the entry spells it "Jinja2"
    assert [p.package for p in jinja] == ["jinja2"]


async def test_reimport_changes_nothing(sample: AppState) -> None:
    before = await sample_counts(sample)
    again = await import_(sample, SAMPLE)
    assert (again.vulnerabilities, again.packages, again.unchanged) == (0, 0, 15)
    assert await sample_counts(sample) == before
    assert before[0] == 15


async def test_a_newer_modified_replaces_an_entry_and_its_packages(state: AppState, tmp_path: Path) -> None:
    entry_id, name = unique("TEST-NEWER"), unique("pkg")
    first = entry(entry_id, name, [{"introduced": "0"}, {"fixed": "1.0"}], summary="first")
    await import_(state, write_json(tmp_path / "one.json", first))

    newer = entry(entry_id, name, [{"introduced": "0"}, {"fixed": "2.0"}], modified="2024-02-01T00:00:00Z")
    newer["summary"] = "second"
    newer["affected"].append({"package": {"ecosystem": "npm", "name": name}, "versions": ["0.1.0"]})
    stats = await import_(state, write_json(tmp_path / "two.json", newer))
    assert (stats.vulnerabilities, stats.packages, stats.unchanged) == (1, 2, 0)
    vulnerability, packages = await stored(state, entry_id)
    assert vulnerability is not None and vulnerability.summary == "second"
    assert sorted(p.ecosystem for p in packages) == ["PyPI", "npm"]
    assert [p.ranges[0]["events"][1] for p in packages if p.ecosystem == "PyPI"] == [{"fixed": "2.0"}]

    older = entry(entry_id, name, [{"introduced": "0"}, {"fixed": "0.5"}], modified="2023-06-01T00:00:00Z")
    stats = await import_(state, write_json(tmp_path / "three.json", older))
    assert (stats.vulnerabilities, stats.unchanged) == (0, 1)
    vulnerability, packages = await stored(state, entry_id)
    assert vulnerability is not None and vulnerability.summary == "second" and len(packages) == 2


async def test_a_zip_export_is_streamed_entry_by_entry(state: AppState, tmp_path: Path) -> None:
    ids = [unique("TEST-ZIP") for _ in range(3)]
    path = tmp_path / "all.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry_id in ids:
            archive.writestr(
                f"{entry_id}.json", json.dumps(entry(entry_id, unique("zipped"), [{"introduced": "0"}]))
            )
        archive.writestr("broken.json", "{not json")
        archive.writestr("README.txt", "not an entry")
    seen: list[tuple[int, int | None]] = []
    stats = await import_(state, path, progress=lambda done, total: seen.append((done, total)))
    assert (stats.vulnerabilities, stats.packages, stats.skipped) == (3, 3, 1)
    assert stats.skip_reasons == {"not valid JSON": 1}
    assert seen[-1] == (4, 4)
    for entry_id in ids:
        assert (await stored(state, entry_id))[0] is not None


async def test_bad_entries_are_skipped_with_a_reason(state: AppState, tmp_path: Path) -> None:
    good, gone = unique("TEST-GOOD"), unique("TEST-GONE")
    await import_(
        state, write_json(tmp_path / "before.json", entry(gone, unique("gone"), [{"introduced": "0"}]))
    )
    bundle = [
        entry(good, unique("fine"), [{"introduced": "0"}, {"fixed": "1"}]),
        "a string",
        {"summary": "no id", "affected": []},
        {"id": unique("TEST-BAD"), "affected": "not a list"},
        {"id": "X" * 101, "affected": []},
        {"id": gone, "withdrawn": "2024-03-01T00:00:00Z", "modified": "2024-03-01T00:00:00Z", "affected": []},
    ]
    stats = await import_(state, write_json(tmp_path / "bundle.json", bundle))
    assert stats.vulnerabilities == 1 and stats.skipped == 5
    assert stats.skip_reasons == {
        "not an object": 1,
        "no id": 1,
        "affected is not a list": 1,
        "id too long": 1,
        "withdrawn": 1,
    }
    assert (await stored(state, good))[0] is not None
    assert (await stored(state, gone)) == (None, [])  # a withdrawn entry leaves the database


async def test_an_entry_the_database_refuses_costs_only_itself(state: AppState, tmp_path: Path) -> None:
    fine, odd, nul = unique("TEST-FINE"), unique("TEST-ODD"), unique("TEST-NUL")
    bundle = [
        entry(fine, unique("p"), [{"introduced": "0"}]),
        # PostgreSQL's JSONB refuses a NUL character; SQLite stores it.
        entry(
            odd, unique("p"), [{"introduced": "0"}], references=[{"type": "WEB", "url": "https://x/\u0000"}]
        ),
        # A NUL in the text fields is dropped on the way in, everywhere.
        entry(nul, unique("p"), [{"introduced": "0"}], summary="bad\u0000summary"),
    ]
    stats = await import_(state, write_json(tmp_path / "odd.json", bundle))
    assert (await stored(state, fine))[0] is not None
    summary = (await stored(state, nul))[0]
    assert summary is not None and summary.summary == "badsummary"
    if state.db.dialect == "postgresql":
        assert (stats.vulnerabilities, stats.skip_reasons) == (2, {"refused by the database": 1})
        assert (await stored(state, odd)) == (None, [])
    else:
        assert (stats.vulnerabilities, stats.skipped) == (3, 0)


async def test_a_single_entry_and_a_vulns_wrapper_are_accepted(state: AppState, tmp_path: Path) -> None:
    single, wrapped = unique("TEST-ONE"), unique("TEST-WRAPPED")
    assert (
        await import_(state, write_json(tmp_path / "a.json", entry(single, unique("a"))))
    ).vulnerabilities == 1
    wrapper = {"vulns": [entry(wrapped, unique("b"), [{"introduced": "0"}])]}
    assert (await import_(state, write_json(tmp_path / "b.json", wrapper))).vulnerabilities == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", b"hello, not json"),
        ("other.json", b'{"kind": "something else"}'),
        ("numbers.json", b"[1, 2, 3]"),
        ("binary.json", b"\xff\xfe\x00garbage"),
    ],
)
async def test_an_unknown_file_is_refused(state: AppState, tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not an OSV zip, OSV JSON or KEV catalogue"):
        await import_(state, path)


async def test_a_zip_without_entries_is_refused(state: AppState, tmp_path: Path) -> None:
    path = tmp_path / "empty.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("README.md", "nothing here")
    with pytest.raises(ValueError, match="not an OSV zip"):
        await import_(state, path)


async def test_kev_import_flags_known_exploited_entries(sample: AppState, tmp_path: Path) -> None:
    stats = await import_(sample, KEV_SAMPLE)
    assert (stats.known_exploited, stats.skipped) == (2, 0)
    async with sample.db.session() as session:
        log4j_kev = await session.get(KnownExploited, "CVE-2021-44228")
        assert log4j_kev is not None and log4j_kev.ransomware is True and log4j_kev.vendor == "Apache"
        assert log4j_kev.date_added is not None and log4j_kev.date_added.isoformat() == "2021-12-10"
    assert (await stored(sample, "GHSA-jfh8-c2jp-5v3q"))[0].kev is True  # type: ignore[union-attr]
    assert (await stored(sample, "DSA-5514-1"))[0].kev is True  # type: ignore[union-attr]  # via upstream
    assert (await stored(sample, "GHSA-7rjr-3q55-vv33"))[0].kev is False  # type: ignore[union-attr]

    # An OSV entry imported after the catalogue is flagged on the way in, by any CVE it names.
    later = unique("TEST-LATER")
    await import_(
        sample,
        write_json(tmp_path / "later.json", entry(later, unique("x"), upstream=["UBUNTU-CVE-2023-4911"])),
    )
    assert (await stored(sample, later))[0].kev is True  # type: ignore[union-attr]

    again = await import_(sample, KEV_SAMPLE)
    assert again.known_exploited == 2  # replaces its own rows, no duplicates


async def test_a_kev_file_with_a_bad_row_skips_only_that_row(state: AppState, tmp_path: Path) -> None:
    catalogue = {
        "catalogVersion": "test",
        "vulnerabilities": [
            {"cveID": "not-a-cve"},
            {"cveID": "CVE-2014-0160", "dateAdded": "someday", "knownRansomwareCampaignUse": "Unknown"},
        ],
    }
    stats = await import_(state, write_json(tmp_path / "kev.json", catalogue))
    assert (stats.known_exploited, stats.skipped, stats.skip_reasons) == (1, 1, {"no CVE id": 1})
    async with state.db.session() as session:
        heartbleed = await session.get(KnownExploited, "CVE-2014-0160")
        assert heartbleed is not None and heartbleed.date_added is None and heartbleed.ransomware is False


# -- matching ---------------------------------------------------------------------------------------


def ids(matches: list[vulndb.Match]) -> set[str]:
    return {m.vulnerability_id for m in matches}


async def test_debian_versions_inside_and_outside_the_range(sample: AppState) -> None:
    vulnerable = await match(sample, ("Debian:12", "openssh", "1:9.2p1-2+deb12u2"))
    assert ids(vulnerable) >= {"DSA-5724-1"}
    regresshion = next(m for m in vulnerable if m.vulnerability_id == "DSA-5724-1")
    assert regresshion.fixed_version == "1:9.2p1-2+deb12u3"
    assert "CVE-2024-6387" in regresshion.aliases and regresshion.installed_version == "1:9.2p1-2+deb12u2"
    assert "DSA-5724-1" not in ids(await match(sample, ("Debian:12", "openssh", "1:9.2p1-2+deb12u3")))
    assert "DSA-5724-1" not in ids(await match(sample, ("Debian:12", "openssh", "1:9.2p1-2+deb12u5")))
    # The same package in another release is another ecosystem.
    assert "DSA-5724-1" not in ids(await match(sample, ("Debian:11", "openssh", "1:8.4p1-5+deb11u1")))
    # "~" sorts before anything: 3.0.11-1~deb12u1 is older than the fix 3.0.11-1~deb12u2.
    assert "DSA-5532-1" in ids(await match(sample, ("Debian:12", "openssl", "3.0.11-1~deb12u1")))
    assert "DSA-5532-1" not in ids(await match(sample, ("Debian:12", "openssl", "3.0.15-1~deb12u1")))


async def test_several_introduced_fixed_pairs(sample: AppState) -> None:
    maven = "org.apache.logging.log4j:log4j-core"
    found = {m.vulnerability_id: m for m in await match(sample, ("Maven", maven, "2.14.1"))}
    assert found["GHSA-jfh8-c2jp-5v3q"].fixed_version == "2.15.0"
    assert found["GHSA-7rjr-3q55-vv33"].fixed_version == "2.16.0"
    backport = {m.vulnerability_id: m for m in await match(sample, ("Maven", maven, "2.12.1"))}
    assert backport["GHSA-jfh8-c2jp-5v3q"].fixed_version == "2.12.2"
    assert ids(await match(sample, ("Maven", maven, "2.12.2"))) & set(SAMPLE_IDS) == set()
    assert ids(await match(sample, ("Maven", maven, "2.17.1"))) & set(SAMPLE_IDS) == set()

    old = ids(await match(sample, ("PyPI", "urllib3", "1.26.18")))
    assert old & set(SAMPLE_IDS) == {"GHSA-34jh-p97f-mpxf"}
    two = {m.vulnerability_id: m.fixed_version for m in await match(sample, ("PyPI", "urllib3", "2.0.6"))}
    assert two == {"GHSA-g4mx-q9vg-27p4": "2.0.7", "GHSA-34jh-p97f-mpxf": "2.2.2"}


async def test_pypi_names_match_whatever_their_spelling(sample: AppState) -> None:
    assert ids(await match(sample, ("PyPI", "Jinja2", "3.1.2"))) == {
        "GHSA-h5c8-rqwp-cp95",
        "GHSA-h75v-3vvj-5mfj",
    }
    assert ids(await match(sample, ("PyPI", "jinja2", "3.1.3"))) == {"GHSA-h75v-3vvj-5mfj"}
    assert ids(await match(sample, ("PyPI", "JINJA2", "3.1.4"))) == set()
    requests = await match(sample, ("PyPI", "Requests", "2.28.1"))
    assert [m.package for m in requests] == ["Requests"]  # reported as the caller spelled it
    assert ids(await match(sample, ("PyPI", "requests", "2.2.1"))) == set()  # before `introduced`


async def test_npm_semver(sample: AppState) -> None:
    assert ids(await match(sample, ("npm", "lodash", "4.17.15"))) == {
        "GHSA-35jh-r3h4-6jhm",
        "GHSA-p6mc-m468-83gw",
    }
    assert ids(await match(sample, ("npm", "lodash", "4.17.20"))) == {"GHSA-35jh-r3h4-6jhm"}
    assert ids(await match(sample, ("npm", "lodash", "4.17.21"))) == set()
    assert ids(await match(sample, ("npm", "lodash-es", "4.17.4"))) == {
        "GHSA-35jh-r3h4-6jhm",
        "GHSA-p6mc-m468-83gw",
    }


async def test_ubuntu_and_alpine(sample: AppState) -> None:
    ubuntu = await match(sample, ("Ubuntu:22.04:LTS", "openssh", "1:8.9p1-3ubuntu0.6"))
    assert [(m.vulnerability_id, m.fixed_version) for m in ubuntu] == [("USN-6859-1", "1:8.9p1-3ubuntu0.10")]
    assert await match(sample, ("Ubuntu:22.04:LTS", "openssh", "1:8.9p1-3ubuntu0.10")) == []
    assert ids(await match(sample, ("Alpine:v3.19", "openssl", "3.1.3-r0"))) == {"ALPINE-CVE-2023-5363"}
    assert await match(sample, ("Alpine:v3.19", "openssl", "3.1.4-r5")) == []


async def test_last_affected_and_an_explicit_versions_list(state: AppState, tmp_path: Path) -> None:
    name = unique("pkg")
    capped, listed = unique("TEST-LAST"), unique("TEST-LISTED")
    bundle = [
        entry(capped, name, [{"introduced": "1.2.0"}, {"last_affected": "1.4.2"}]),
        # Listed versions only, no range (what OSS-Fuzz and some PyPI entries give).
        entry(listed, name, None, versions=["0.9.1", "2.0.0"]),
    ]
    await import_(state, write_json(tmp_path / "capped.json", bundle))
    assert ids(await match(state, ("PyPI", name, "1.4.2"))) == {capped}
    assert ids(await match(state, ("PyPI", name, "1.3"))) == {capped}
    assert ids(await match(state, ("PyPI", name, "1.4.3"))) == set()
    assert ids(await match(state, ("PyPI", name, "1.1.9"))) == set()
    found = await match(state, ("PyPI", name, "2.0.0"))
    assert [(m.vulnerability_id, m.fixed_version) for m in found] == [(listed, None)]
    assert ids(await match(state, ("PyPI", name, "0.9.1"))) == {listed}
    assert ids(await match(state, ("PyPI", name, "0.9.2"))) == set()


async def test_unordered_events_and_a_semver_range(state: AppState, tmp_path: Path) -> None:
    name = unique("crate")
    scrambled, semver = unique("TEST-SCRAMBLED"), unique("TEST-SEMVER")
    events = [{"fixed": "2.0.0"}, {"introduced": "3.0.0"}, {"introduced": "1.0.0"}, {"fixed": "3.1.0"}]
    bundle = [
        entry(scrambled, name, events, ecosystem="crates.io"),
        {
            "id": semver,
            "modified": "2024-01-01T00:00:00Z",
            "affected": [
                {
                    "package": {"ecosystem": "crates.io", "name": name},
                    "ranges": [
                        {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.5.0"}]},
                        {
                            "type": "GIT",
                            "repo": "https://example.org/x",
                            "events": [{"introduced": "abc123"}],
                        },
                    ],
                }
            ],
        },
    ]
    await import_(state, write_json(tmp_path / "crates.json", bundle))
    assert ids(await match(state, ("crates.io", name, "1.5.0"))) == {scrambled}
    assert ids(await match(state, ("crates.io", name, "2.5.0"))) == set()
    found = await match(state, ("crates.io", name, "3.0.1"))
    assert [(m.vulnerability_id, m.fixed_version) for m in found] == [(scrambled, "3.1.0")]
    assert ids(await match(state, ("crates.io", name, "0.4.9"))) == {semver}
    _, packages = await stored(state, semver)
    assert [r["type"] for r in packages[0].ranges] == ["SEMVER"]  # GIT ranges are not kept


async def test_an_unparseable_version_never_matches(sample: AppState) -> None:
    assert await match(sample, ("Debian:12", "openssh", "not a version!!")) == []
    assert await match(sample, ("PyPI", "jinja2", "definitely/not/pep440")) == []
    assert await match(sample, ("npm", "lodash", "")) == []
    mixed = await match(sample, ("PyPI", "jinja2", "???"), ("PyPI", "urllib3", "1.26.18"))
    assert ids(mixed) & set(SAMPLE_IDS) == {"GHSA-34jh-p97f-mpxf"}


async def test_matches_come_most_severe_first(sample: AppState) -> None:
    found = await match(
        sample,
        ("PyPI", "jinja2", "3.1.2"),
        ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
        ("npm", "lodash", "4.17.15"),
    )
    ranks = [vulndb.SEVERITY_RANK[m.severity] for m in found]
    assert ranks == sorted(ranks, reverse=True)
    assert found[0].vulnerability_id == "GHSA-jfh8-c2jp-5v3q"
    assert await match(sample) == []
