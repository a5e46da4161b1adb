#!/usr/bin/env python3
"""binelek-agent: tells a Binelek server what a computer runs and how it is protected.

A single file with no dependencies beyond the Python standard library (3.8 or newer), so it can be
copied onto any Linux, macOS or Windows machine and run from cron, a systemd timer, launchd or the
Task Scheduler:

    binelek-agent --server https://binelek.example.com --token bnk_enrol_...
    binelek-agent --dry-run                      # print what would be sent, send nothing
    binelek-agent --server URL --interval 3600   # keep checking in every hour

The token may also come from the BINELEK_ENROLMENT_TOKEN environment variable (keeps it out of
`ps`). Every fact the agent cannot establish is sent as null: it never guesses. Commands run without
a shell and with a timeout; a command that is missing, slow or refused yields null, not a crash.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import os
import platform
import plistlib
import random
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

AGENT_VERSION = "1.0.0"
CHECKIN_PATH = "/api/modules/cybersecurity-scanner/devices/checkin"
TOKEN_ENV = "BINELEK_ENROLMENT_TOKEN"
COMMAND_TIMEOUT = 20.0
SLOW_COMMAND_TIMEOUT = 90.0  # system_profiler and PowerShell can take this long on a busy machine
HTTP_TIMEOUT = 60.0
MAX_PACKAGES = 20000  # what the server accepts in one check-in
MAX_ADDRESSES = 64
MAX_MACOS_RECEIPTS = 300  # one `pkgutil --pkg-info` call each: the first few hundred are plenty

EXIT_OK = 0
EXIT_UNREACHABLE = 1  # network errors or 5xx after every retry
EXIT_USAGE = 2
EXIT_REFUSED = 3  # 401/403: the token is wrong, revoked, or for another server
EXIT_REJECTED = 4  # 422 or another 4xx: the server would not accept what was sent


# -- small helpers ----------------------------------------------------------------------------------


def _now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()  # noqa: UP017 (Python 3.8)


def _iso_from_timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=0).isoformat()  # noqa: UP017


def _clip(value: Any, limit: int) -> str | None:
    """A stripped string no longer than the server's column, or None for nothing at all."""
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] if text else None


def _safe(collect: Callable[[], Any], fallback: Any) -> Any:
    """One failing probe must cost its own field, never the whole check-in."""
    try:
        return collect()
    except Exception:
        return fallback


def _command(args: list[str], timeout: float = COMMAND_TIMEOUT) -> tuple[int, str, str] | None:
    """Run a program (never through a shell) and return (exit code, stdout, stderr); None when it is
    not installed, cannot start or runs out of time."""
    executable = args[0] if os.path.isabs(args[0]) else shutil.which(args[0])
    if not executable or not os.path.exists(executable):
        return None
    environment = dict(os.environ, LC_ALL="C", LANG="C")  # parse English output, not the user's locale
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argument lists, no shell, no user input
            [executable, *args[1:]],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            env=environment,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return (
        completed.returncode,
        completed.stdout.decode("utf-8", "replace"),
        completed.stderr.decode("utf-8", "replace"),
    )


def _output(args: list[str], timeout: float = COMMAND_TIMEOUT) -> str | None:
    """Standard output of a command that succeeded, else None."""
    result = _command(args, timeout)
    if result is None or result[0] != 0:
        return None
    return result[1]


def _read(path: str, limit: int = 1 << 20) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(limit)
    except OSError:
        return None


def _mtime(path: str) -> float | None:
    try:
        return os.path.getmtime(path)
    except OSError:
        return None


def os_family() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "darwin":
        return "macos"
    if sys.platform in ("win32", "cygwin"):
        return "windows"
    return "other"


# -- Windows registry (imported lazily: the module exists only there) --------------------------------


def _registry_values(hive: str, path: str, names: Iterable[str], view64: bool = True) -> dict[str, Any]:
    """The named values of one registry key that exist; {} when the key does not."""
    if sys.platform != "win32":
        return {}
    import winreg

    root = {"HKLM": winreg.HKEY_LOCAL_MACHINE, "HKCU": winreg.HKEY_CURRENT_USER}[hive]
    access = winreg.KEY_READ | (winreg.KEY_WOW64_64KEY if view64 else 0)
    found: dict[str, Any] = {}
    try:
        with winreg.OpenKey(root, path, 0, access) as key:
            for name in names:
                try:
                    found[name] = winreg.QueryValueEx(key, name)[0]
                except OSError:
                    continue
    except OSError:
        return {}
    return found


def _registry_subkeys(hive: str, path: str) -> list[str]:
    if sys.platform != "win32":
        return []
    import winreg

    root = {"HKLM": winreg.HKEY_LOCAL_MACHINE, "HKCU": winreg.HKEY_CURRENT_USER}[hive]
    names: list[str] = []
    try:
        with winreg.OpenKey(root, path, 0, winreg.KEY_READ | winreg.KEY_WOW64_64KEY) as key:
            index = 0
            while True:
                try:
                    names.append(winreg.EnumKey(key, index))
                except OSError:
                    break
                index += 1
    except OSError:
        return []
    return names


def _powershell(script: str, timeout: float = SLOW_COMMAND_TIMEOUT) -> str | None:
    output = _output(
        ["powershell", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", script],
        timeout,
    )
    return output.strip() if output is not None else None


# -- identity ---------------------------------------------------------------------------------------


def machine_id(family: str) -> str | None:
    """The OS's own stable machine identifier (never sent: only its hash is)."""
    if family == "linux":
        for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
            value = (_read(path) or "").strip()
            if value:
                return value
        return None
    if family == "macos":
        output = _output(["ioreg", "-rd1", "-c", "IOPlatformExpertDevice"]) or ""
        found = re.search(r'"IOPlatformUUID"\s*=\s*"([^"]+)"', output)
        return found.group(1) if found else None
    if family == "windows":
        guid = _registry_values("HKLM", r"SOFTWARE\Microsoft\Cryptography", ["MachineGuid"]).get(
            "MachineGuid"
        )
        return str(guid) if guid else None
    return None


def device_key(family: str) -> str:
    identifier = machine_id(family)
    if identifier is None:
        # No OS identifier (a minimal container): the hardware address and name are the next most
        # stable facts. Still hashed, still the same on every run.
        identifier = f"fallback:{uuid.getnode()}:{socket.gethostname()}"
    return hashlib.sha256(identifier.encode("utf-8")).hexdigest()


def hostname() -> str:
    return _clip(socket.gethostname() or platform.node(), 255) or "unknown"


# -- operating system -------------------------------------------------------------------------------


def _os_release() -> dict[str, str]:
    text = _read("/etc/os-release") or _read("/usr/lib/os-release") or ""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            fields[key.strip()] = value.strip().strip('"').strip("'")
    return fields


def os_info(family: str) -> dict[str, Any]:
    if family == "linux":
        release = _os_release()
        build = release.get("BUILD_ID") or (_read("/etc/debian_version") or "").strip() or None
        return {
            "family": family,
            "name": _clip(release.get("NAME"), 200),
            "version": _clip(release.get("VERSION_ID"), 100),
            "build": _clip(build, 100),
            "kernel": _clip(platform.release(), 200),
        }
    if family == "macos":
        return {
            "family": family,
            "name": _clip(_output(["sw_vers", "-productName"]), 200),
            "version": _clip(_output(["sw_vers", "-productVersion"]), 100),
            "build": _clip(_output(["sw_vers", "-buildVersion"]), 100),
            "kernel": _clip(platform.release(), 200),
        }
    if family == "windows":
        return _windows_os()
    return {
        "family": "other",
        "name": _clip(platform.system(), 200),
        "version": _clip(platform.release(), 100),
        "build": None,
        "kernel": _clip(platform.version(), 200),
    }


def _windows_os() -> dict[str, Any]:
    current = _registry_values(
        "HKLM",
        r"SOFTWARE\Microsoft\Windows NT\CurrentVersion",
        ["ProductName", "DisplayVersion", "ReleaseId", "CurrentBuild", "UBR"],
    )
    build_number = str(current.get("CurrentBuild") or platform.version().split(".")[-1] or "")
    # ProductName still says "Windows 10" on Windows 11; the build number tells them apart.
    major = "11" if build_number.isdigit() and int(build_number) >= 22000 else platform.release()
    build = build_number + (f".{current['UBR']}" if "UBR" in current and build_number else "")
    return {
        "family": "windows",
        "name": _clip(f"Windows {major}", 200),
        "version": _clip(
            current.get("DisplayVersion") or current.get("ReleaseId") or platform.version(), 100
        ),
        "build": _clip(build, 100),
        "kernel": _clip(platform.version(), 200),
    }


# -- hardware ---------------------------------------------------------------------------------------


def hardware(family: str) -> dict[str, Any]:
    model: str | None = None
    serial: str | None = None
    if family == "linux":
        model = _read("/sys/class/dmi/id/product_name", 400)
        serial = _read("/sys/class/dmi/id/product_serial", 400)  # root only; None otherwise
    elif family == "macos":
        model = _output(["sysctl", "-n", "hw.model"])
        found = re.search(
            r'"IOPlatformSerialNumber"\s*=\s*"([^"]+)"',
            _output(["ioreg", "-rd1", "-c", "IOPlatformExpertDevice"]) or "",
        )
        serial = found.group(1) if found else None
    elif family == "windows":
        bios = _registry_values("HKLM", r"HARDWARE\DESCRIPTION\System\BIOS", ["SystemProductName"])
        model = bios.get("SystemProductName")
        serial = _powershell("(Get-CimInstance -ClassName Win32_BIOS).SerialNumber")
    return {
        "arch": _clip(platform.machine(), 50),
        "model": _placeholder_to_none(_clip(model, 200)),
        "serial": _placeholder_to_none(_clip(serial, 200)),
    }


def _placeholder_to_none(value: str | None) -> str | None:
    # Firmware fills unset fields with these; they identify nothing.
    if value is None or value.lower() in (
        "none",
        "default string",
        "to be filled by o.e.m.",
        "0",
        "system serial number",
    ):
        return None
    return value


# -- network ----------------------------------------------------------------------------------------


def network(family: str) -> dict[str, list[str]]:
    ips: list[str] = []
    macs: list[str] = []
    if family == "linux":
        ips, macs = _linux_addresses()
    elif family == "macos":
        ips, macs = _ifconfig_addresses()
    elif family == "windows":
        macs = _windows_macs()
    if not ips:
        ips = _resolver_addresses()
    return {"ips": _unique(ips)[:MAX_ADDRESSES], "macs": _unique(macs)[:MAX_ADDRESSES]}


def _useful_ip(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast:
        return None
    return str(address)


def _useful_mac(text: str) -> str | None:
    mac = text.strip().lower().replace("-", ":")
    if not re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", mac) or mac == "00:00:00:00:00:00":
        return None
    return mac


def _unique(values: Iterable[str | None]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


def _linux_addresses() -> tuple[list[str], list[str]]:
    ips: list[str] = []
    macs: list[str] = []
    listing = _output(["ip", "-j", "addr", "show"])
    if listing:
        try:
            interfaces = json.loads(listing)
        except ValueError:
            interfaces = []
        for interface in interfaces:
            macs.append(_useful_mac(str(interface.get("address", ""))) or "")
            for info in interface.get("addr_info", []):
                ips.append(_useful_ip(str(info.get("local", ""))) or "")
    else:
        ips = [_useful_ip(part) or "" for part in (_output(["hostname", "-I"]) or "").split()]
    if not macs:
        try:
            names = os.listdir("/sys/class/net")
        except OSError:
            names = []
        macs = [_useful_mac(_read(f"/sys/class/net/{name}/address", 100) or "") or "" for name in names]
    return [ip for ip in ips if ip], [mac for mac in macs if mac]


def _ifconfig_addresses() -> tuple[list[str], list[str]]:
    output = _output(["ifconfig"]) or ""
    ips = [_useful_ip(found) for found in re.findall(r"\binet6?\s+([0-9a-fA-F:.%a-z0-9]+)", output)]
    macs = [_useful_mac(found) for found in re.findall(r"\bether\s+([0-9a-fA-F:]{17})", output)]
    return [ip for ip in ips if ip], [mac for mac in macs if mac]


def _windows_macs() -> list[str]:
    output = _output(["getmac", "/fo", "csv", "/nh"]) or ""
    macs = [_useful_mac(line.split(",")[0].strip('"')) for line in output.splitlines() if line.strip()]
    return [mac for mac in macs if mac]


def _resolver_addresses() -> list[str]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None)
    except OSError:
        return []
    return [ip for ip in (_useful_ip(str(info[4][0])) for info in infos) if ip]


# -- installed software -----------------------------------------------------------------------------


def _package(name: Any, version: Any, source: str, **extra: Any) -> dict[str, Any] | None:
    """One package as the server takes it; None when name or version is missing (the server would
    refuse the whole check-in for one empty field)."""
    clipped_name, clipped_version = _clip(name, 300), _clip(version, 200)
    if clipped_name is None or clipped_version is None:
        return None
    package: dict[str, Any] = {"name": clipped_name, "version": clipped_version, "source": source}
    for key, value in extra.items():
        clipped = _clip(value, 200 if key.endswith("version") else 300)
        if clipped is not None:
            package[key] = clipped
    return package


def packages(family: str) -> list[dict[str, Any]]:
    if family == "linux":
        found = _dpkg_packages() + _rpm_packages() + _apk_packages()
    elif family == "macos":
        found = _macos_applications() + _macos_receipts()
    elif family == "windows":
        found = _windows_programs()
    else:
        found = []
    unique: dict[tuple[str, str, str], dict[str, Any]] = {}
    for package in found:
        unique.setdefault((package["source"], package["name"], package["version"]), package)
    return list(unique.values())[:MAX_PACKAGES]


def _dpkg_packages() -> list[dict[str, Any]]:
    """Binary packages with their source package: OSV's Debian and Ubuntu advisories name the source
    ("openssh"), dpkg lists the binaries ("openssh-server")."""
    output = _output(
        [
            "dpkg-query",
            "-W",
            "-f",
            "${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\n",
        ],
        SLOW_COMMAND_TIMEOUT,
    )
    found: list[dict[str, Any]] = []
    for line in (output or "").splitlines():
        fields = line.split("\t")
        if len(fields) != 5 or not fields[0].startswith("ii"):
            continue  # removed packages leave config files behind ("rc"); those are not installed
        _, name, version, source_name, source_version = fields
        package = _package(name, version, "dpkg", source_name=source_name, source_version=source_version)
        if package is not None:
            found.append(package)
    return found


def _rpm_packages() -> list[dict[str, Any]]:
    output = _output(
        ["rpm", "-qa", "--qf", "%{NAME}\\t%{EPOCH}\\t%{VERSION}-%{RELEASE}\\t%{SOURCERPM}\\n"],
        SLOW_COMMAND_TIMEOUT,
    )
    found: list[dict[str, Any]] = []
    for line in (output or "").splitlines():
        fields = line.split("\t")
        if len(fields) != 4 or fields[0] == "gpg-pubkey":
            continue  # imported signing keys are listed as packages
        name, epoch, version_release, source_rpm = fields
        version = version_release if epoch in ("(none)", "", "0") else f"{epoch}:{version_release}"
        source = re.match(r"^(.+)-[^-]+-[^-]+\.src\.rpm$", source_rpm)
        package = _package(name, version, "rpm", source_name=source.group(1) if source else None)
        if package is not None:
            found.append(package)
    return found


def _apk_packages() -> list[dict[str, Any]]:
    """From apk's database, which also gives each package's origin (the source package Alpine's
    advisories are written against); `apk info -v` when the database cannot be read."""
    database = _read("/lib/apk/db/installed", 64 << 20)
    if database:
        return apk_installed(database)
    found: list[dict[str, Any]] = []
    for line in (_output(["apk", "info", "-v"]) or "").splitlines():
        parsed = re.match(r"^(.+)-(\d[^-]*-r\d+)$", line.strip())
        package = _package(parsed.group(1), parsed.group(2), "apk") if parsed else None
        if package is not None:
            found.append(package)
    return found


def apk_installed(database: str) -> list[dict[str, Any]]:
    """Packages of an apk `installed` database: blocks of "X:value" lines, P name, V version,
    o origin."""
    found: list[dict[str, Any]] = []
    for block in database.split("\n\n"):
        fields = dict(line.split(":", 1) for line in block.splitlines() if len(line) > 2 and line[1] == ":")
        package = _package(fields.get("P"), fields.get("V"), "apk", source_name=fields.get("o"))
        if package is not None:
            found.append(package)
    return found


def _macos_applications() -> list[dict[str, Any]]:
    output = _output(["system_profiler", "SPApplicationsDataType", "-json"], SLOW_COMMAND_TIMEOUT)
    try:
        applications = json.loads(output or "{}").get("SPApplicationsDataType", [])
    except ValueError:
        return []
    found = [
        _package(app.get("_name"), app.get("version"), "macos")
        for app in applications
        if isinstance(app, dict)
    ]
    return [package for package in found if package is not None]


def _macos_receipts() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for receipt in (_output(["pkgutil", "--pkgs"]) or "").split()[:MAX_MACOS_RECEIPTS]:
        info = _output(["pkgutil", "--pkg-info", receipt]) or ""
        version = re.search(r"^version:\s*(\S+)", info, re.M)
        package = _package(receipt, version.group(1) if version else None, "pkgutil")
        if package is not None:
            found.append(package)
    return found


def _windows_programs() -> list[dict[str, Any]]:
    """Programs and Features: the machine-wide 64- and 32-bit uninstall keys and the user's."""
    locations = [
        ("HKLM", r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"),
        ("HKLM", r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall"),
        ("HKCU", r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"),
    ]
    found: list[dict[str, Any]] = []
    for hive, path in locations:
        for subkey in _registry_subkeys(hive, path):
            values = _registry_values(
                hive, path + "\\" + subkey, ["DisplayName", "DisplayVersion", "SystemComponent", "Publisher"]
            )
            if values.get("SystemComponent") == 1:
                continue  # parts of other programs, hidden from Programs and Features too
            package = _package(
                values.get("DisplayName"),
                values.get("DisplayVersion"),
                "windows",
                publisher=values.get("Publisher"),
            )
            if package is not None:
                found.append(package)
    return found


# -- security settings ------------------------------------------------------------------------------


def security(family: str) -> dict[str, Any]:
    probes: dict[str, Callable[[], Any]]
    if family == "linux":
        probes = {
            "disk_encryption": _linux_disk_encryption,
            "firewall": _linux_firewall,
            "screen_lock": _linux_screen_lock,
            "auto_updates": _linux_auto_updates,
            "last_update": _linux_last_update,
        }
    elif family == "macos":
        probes = {
            "disk_encryption": _macos_disk_encryption,
            "firewall": _macos_firewall,
            "screen_lock": _macos_screen_lock,
            "auto_updates": _macos_auto_updates,
            "last_update": _macos_last_update,
        }
    elif family == "windows":
        probes = {
            "disk_encryption": _windows_disk_encryption,
            "firewall": _windows_firewall,
            "screen_lock": _windows_screen_lock,
            "auto_updates": _windows_auto_updates,
            "last_update": _windows_last_update,
        }
    else:
        probes = {}
    results = {name: _safe(probe, None) for name, probe in probes.items()}
    last_update = results.pop("last_update", None) or (None, None)
    return {
        "disk_encryption": results.get("disk_encryption"),
        "firewall": results.get("firewall"),
        "screen_lock": results.get("screen_lock"),
        "auto_updates": results.get("auto_updates"),
        "last_update_at": last_update[0],
        # Not part of the server's model (it ignores unknown fields): says where the date came from.
        "last_update_source": last_update[1],
    }


def _linux_disk_encryption() -> bool | None:
    listing = _output(["lsblk", "-rno", "TYPE"])
    types = set((listing or "").split())
    if "crypt" in types:
        return True
    # Device-mapper devices set up by cryptsetup carry a CRYPT- uuid, whatever lsblk could see.
    try:
        mapped = [name for name in os.listdir("/sys/block") if name.startswith("dm-")]
    except OSError:
        mapped = []
    if any((_read(f"/sys/block/{name}/dm/uuid", 200) or "").startswith("CRYPT-") for name in mapped):
        return True
    # No encrypted volume among disks that were listed: a finding. Nothing listed at all: unknown.
    return False if "disk" in types else None


def _linux_firewall() -> bool | None:
    """True when something filters inbound traffic (ufw, firewalld, an nftables input hook, or
    iptables INPUT rules); False when the tools answered and nothing does; None when none could be
    asked (most need root)."""
    verdicts = [_ufw_state(), _firewalld_state(), _nft_state(), _iptables_state()]
    if any(verdict is True for verdict in verdicts):
        return True
    return False if any(verdict is False for verdict in verdicts) else None


def _ufw_state() -> bool | None:
    output = _output(["ufw", "status"])
    if output is None:
        return None
    if "Status: active" in output:
        return True
    return False if "Status: inactive" in output else None


def _firewalld_state() -> bool | None:
    result = _command(["firewall-cmd", "--state"])
    if result is None:
        return None
    answer = (result[1] + result[2]).strip()
    if answer == "running":
        return True
    return False if answer == "not running" else None


def _nft_state() -> bool | None:
    output = _output(["nft", "list", "ruleset"])
    return None if output is None else nft_filters_input(output)


def nft_filters_input(ruleset: str) -> bool:
    """Whether an `nft list ruleset` has a chain on the input hook that drops by default or holds
    any rule. Tables Docker or libvirt add for forwarding and NAT do not count."""
    for body in re.findall(r"chain\s+\S+\s*\{(.*?)\n\s*\}", ruleset, re.S):
        if "hook input" not in body:
            continue
        rules = [line for line in body.splitlines() if line.strip() and "hook input" not in line]
        if "policy drop" in body or rules:
            return True
    return False


def _iptables_state() -> bool | None:
    output = _output(["iptables", "-S", "INPUT"])
    return None if output is None else iptables_filters_input(output)


def iptables_filters_input(rules: str) -> bool:
    """Whether `iptables -S INPUT` shows more than the accept-everything default."""
    lines = [line.strip() for line in rules.splitlines()]
    return any(line.startswith("-A INPUT") for line in lines) or any(
        line.startswith("-P INPUT") and not line.endswith("ACCEPT") for line in lines
    )


def _linux_screen_lock() -> bool | None:
    # gsettings answers with the schema default when no desktop session is running (a server, or a
    # root cron job); that would be a guess, so ask only inside a graphical session.
    if not any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP")):
        return None
    enabled = _output(["gsettings", "get", "org.gnome.desktop.screensaver", "lock-enabled"])
    if enabled is None or enabled.strip() not in ("true", "false"):
        return None
    if enabled.strip() == "false":
        return False
    delay = _output(["gsettings", "get", "org.gnome.desktop.session", "idle-delay"]) or ""
    seconds = re.search(r"(\d+)\s*$", delay.strip())
    # Locking is on, but an idle delay of 0 means the screen never blanks, so it never locks.
    return not (seconds is not None and int(seconds.group(1)) == 0)


def _linux_auto_updates() -> bool | None:
    if shutil.which("apt-config"):
        dump = _output(["apt-config", "dump"]) or ""
        setting = re.search(r'^APT::Periodic::Unattended-Upgrade\s+"(\d+)";', dump, re.M)
        installed = bool(shutil.which("unattended-upgrade") or os.path.exists("/usr/bin/unattended-upgrade"))
        return bool(setting and setting.group(1) != "0" and installed)
    if shutil.which("dnf"):
        timers = ("dnf-automatic.timer", "dnf-automatic-install.timer")
        enabled = any(
            (_output(["systemctl", "is-enabled", timer]) or "").strip() == "enabled" for timer in timers
        )
        config = _read("/etc/dnf/automatic.conf") or ""
        applies = re.search(r"^\s*apply_updates\s*=\s*(yes|true|1)\s*$", config, re.M | re.I)
        return enabled and applies is not None
    return None


def _linux_last_update() -> tuple[str | None, str | None]:
    """When packages were last upgraded, and from where that was read: the last "upgrade" line of
    dpkg's log, then the mtime of the package database (any install or removal touches it). apt's
    update-success-stamp is left out: it dates the last index refresh, not an installed update."""
    upgraded = _last_dpkg_upgrade()
    if upgraded is not None:
        return upgraded, "/var/log/dpkg.log"
    for path in (
        "/var/lib/dpkg/status",
        "/var/lib/rpm/rpmdb.sqlite",
        "/var/lib/rpm/Packages",
        "/lib/apk/db/installed",
    ):
        moment = _mtime(path)
        if moment is not None:
            return _iso_from_timestamp(moment), path
    return None, None


def _last_dpkg_upgrade() -> str | None:
    try:
        with open("/var/log/dpkg.log", "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - (1 << 20)))  # the tail is enough: the log only grows
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return None
    return last_dpkg_upgrade(tail)


def last_dpkg_upgrade(log: str) -> str | None:
    """The time of the last "upgrade" line of a dpkg log, in UTC (dpkg writes local time)."""
    for line in reversed(log.splitlines()):
        found = re.match(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) upgrade ", line)
        if found:
            local = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S")
            return local.astimezone(timezone.utc).isoformat()  # noqa: UP017 - Python 3.8
    return None


def _macos_disk_encryption() -> bool | None:
    output = _output(["fdesetup", "status"]) or ""
    if "FileVault is On" in output:
        return True
    return False if "FileVault is Off" in output else None


def _macos_firewall() -> bool | None:
    output = _output(["/usr/libexec/ApplicationFirewall/socketfilterfw", "--getglobalstate"]) or ""
    if re.search(r"enabled|State = [12]", output):
        return True
    return False if re.search(r"disabled|State = 0", output) else None


def _macos_screen_lock() -> bool | None:
    result = _command(["sysadminctl", "-screenLock", "status"])
    if result is None:
        return None
    text = (result[1] + result[2]).lower()  # sysadminctl writes its answer to stderr
    if "screenlock is off" in text:
        return False
    return True if "screenlock delay is" in text else None


def _macos_auto_updates() -> bool | None:
    output = _output(
        [
            "defaults",
            "read",
            "/Library/Preferences/com.apple.SoftwareUpdate",
            "AutomaticallyInstallMacOSUpdates",
        ]
    )
    if output is None:
        return None
    return output.strip() == "1"


def _macos_last_update() -> tuple[str | None, str | None]:
    """The newest Software Update entry of the install history (a plist: no parsing of the
    localised `softwareupdate --history` table)."""
    path = "/Library/Receipts/InstallHistory.plist"
    try:
        with open(path, "rb") as handle:
            history = plistlib.load(handle)
    except (OSError, ValueError, plistlib.InvalidFileException):
        return None, None
    dates = [
        item["date"]
        for item in history
        if isinstance(item, dict)
        and isinstance(item.get("date"), datetime)
        and item.get("processName") in ("softwareupdated", "Software Update", "macOS Installer")
    ]
    if not dates:
        return None, None
    newest = max(dates)
    newest = newest if newest.tzinfo else newest.replace(tzinfo=timezone.utc)  # noqa: UP017
    return newest.replace(microsecond=0).isoformat(), path


def _windows_disk_encryption() -> bool | None:
    status = _powershell("(Get-BitLockerVolume -MountPoint $env:SystemDrive).ProtectionStatus")
    if status in ("On", "Off"):
        return status == "On"
    output = _output(["manage-bde", "-status", os.environ.get("SYSTEMDRIVE", "C:")]) or ""
    if "Protection On" in output:
        return True
    return False if "Protection Off" in output else None


def _windows_firewall() -> bool | None:
    """Every profile on (Domain, Private, Public), as set by Group Policy or locally."""
    profiles = {
        "DomainProfile": "DomainProfile",
        "StandardProfile": "PrivateProfile",
        "PublicProfile": "PublicProfile",
    }
    states: list[bool] = []
    for local_name, policy_name in profiles.items():
        policy = _registry_values(
            "HKLM", "SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\" + policy_name, ["EnableFirewall"]
        )
        local = _registry_values(
            "HKLM",
            "SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\" + local_name,
            ["EnableFirewall"],
        )
        value = policy.get("EnableFirewall", local.get("EnableFirewall"))
        if value is not None:
            states.append(value == 1)
    if len(states) == len(profiles):
        return all(states)
    output = _output(["netsh", "advfirewall", "show", "allprofiles", "state"]) or ""
    found = re.findall(r"^State\s+(ON|OFF)", output, re.M | re.I)
    return all(state.upper() == "ON" for state in found) if len(found) == 3 else None


def _windows_screen_lock() -> bool | None:
    machine = _registry_values(
        "HKLM", r"SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System", ["InactivityTimeoutSecs"]
    )
    if isinstance(machine.get("InactivityTimeoutSecs"), int) and machine["InactivityTimeoutSecs"] > 0:
        return True
    names = ["ScreenSaveActive", "ScreenSaverIsSecure"]
    policy = _registry_values("HKCU", r"Software\Policies\Microsoft\Windows\Control Panel\Desktop", names)
    desktop = _registry_values("HKCU", r"Control Panel\Desktop", names)
    values = {name: str(policy.get(name, desktop.get(name, ""))) for name in names}
    if values["ScreenSaveActive"] == "1" and values["ScreenSaverIsSecure"] == "1":
        return True
    return False if "0" in values.values() else None


def _windows_auto_updates() -> bool | None:
    service = _registry_values("HKLM", r"SYSTEM\CurrentControlSet\Services\wuauserv", ["Start"])
    if service.get("Start") == 4:
        return False  # the Windows Update service is disabled
    policy = _registry_values(
        "HKLM", r"SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU", ["NoAutoUpdate", "AUOptions"]
    )
    if policy.get("NoAutoUpdate") == 1:
        return False
    if "AUOptions" in policy:
        return policy["AUOptions"] in (3, 4, 5)  # 2 only notifies
    # No policy and the service not disabled: Windows installs updates automatically by design.
    return True if service else None


def _windows_last_update() -> tuple[str | None, str | None]:
    script = (
        "$h = Get-HotFix | Where-Object { $_.InstalledOn } | Sort-Object InstalledOn -Descending | "
        "Select-Object -First 1; if ($h) { $h.InstalledOn.ToUniversalTime().ToString('o') }"
    )
    output = _powershell(script)
    if not output:
        return None, None
    return output.splitlines()[0].strip(), "Get-HotFix"


# -- the report -------------------------------------------------------------------------------------


def packages_digest(packages_list: Iterable[dict[str, Any]]) -> str:
    """A digest of the package list that the server computes the same way (it imports this
    function): when the list has not changed since the server last acknowledged it, the agent sends
    only the digest."""
    rows = sorted(
        [
            str(package.get(key) or "")
            for key in ("source", "name", "version", "source_name", "source_version")
        ]
        for package in packages_list
    )
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode("utf-8")).hexdigest()


def collect() -> dict[str, Any]:
    """Everything the agent reports, as the check-in endpoint takes it."""
    family = os_family()
    found_packages = _safe(lambda: packages(family), [])
    return {
        "agent_version": AGENT_VERSION,
        "device_key": device_key(family),
        "hostname": hostname(),
        "os": _safe(lambda: os_info(family), {"family": family}),
        "hardware": _safe(
            lambda: hardware(family), {"arch": _clip(platform.machine(), 50), "model": None, "serial": None}
        ),
        "network": _safe(lambda: network(family), {"ips": [], "macs": []}),
        "packages": found_packages,
        "packages_hash": packages_digest(found_packages),
        "security": _safe(
            lambda: security(family),
            {
                "disk_encryption": None,
                "firewall": None,
                "screen_lock": None,
                "auto_updates": None,
                "last_update_at": None,
            },
        ),
        "collected_at": _now_iso(),
    }


# -- sending ----------------------------------------------------------------------------------------


class Refused(Exception):
    """The server answered and will not take this check-in; retrying cannot help."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class PackagesRequired(Exception):
    """The server does not know the package list the digest names: send the whole list."""


def _detail(body: bytes) -> str:
    try:
        problem = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return body.decode("utf-8", "replace")[:300].strip()
    if isinstance(problem, dict):
        return str(problem.get("detail") or problem.get("title") or problem)[:500]
    return str(problem)[:500]


def _ssl_context(insecure: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if insecure:
        # For a test server with a self-signed certificate: asked for explicitly, never a default.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def send(
    server: str,
    token: str,
    report: dict[str, Any],
    *,
    insecure: bool = False,
    retries: int = 5,
    retry_delay: float = 2.0,
    timeout: float = HTTP_TIMEOUT,
) -> dict[str, Any]:
    """POST one check-in; retries with exponential backoff on 5xx, 429 and network errors. Raises
    Refused for answers that retrying cannot change, ConnectionError when every attempt failed."""
    url = server.rstrip("/") + CHECKIN_PATH
    if not url.lower().startswith(("http://", "https://")):
        raise Refused(f"--server must be an http:// or https:// URL, not {server!r}", EXIT_USAGE)
    body = json.dumps(report).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-Enrolment-Token": token,
        "User-Agent": f"binelek-agent/{AGENT_VERSION} ({platform.system() or 'unknown'})",
    }
    context = _ssl_context(insecure) if url.lower().startswith("https://") else None
    last_error = "no attempt made"
    wait: float | None = None
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(wait if wait is not None else _backoff(attempt, retry_delay))
        wait = None
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310
                return _json_or_empty(response.read())
        except urllib.error.HTTPError as error:
            raw = error.read()
            detail = _detail(raw)
            if error.code == 409 and b"PACKAGES_REQUIRED" in raw:
                raise PackagesRequired(detail) from None
            if error.code in (401, 403):
                raise Refused(
                    f"the server refused the enrolment token (HTTP {error.code}): {detail}. Create a new "
                    "token in Binelek (Cybersecurity > Devices > Enrol) and run the agent with it.",
                    EXIT_REFUSED,
                ) from None
            if error.code != 429 and error.code < 500:
                raise Refused(
                    f"the server rejected the check-in (HTTP {error.code}): {detail}", EXIT_REJECTED
                ) from None
            last_error = f"HTTP {error.code}: {detail}"
            wait = _retry_after(error.headers.get("Retry-After") if error.headers else None)
        except (urllib.error.URLError, OSError) as error:
            last_error = str(getattr(error, "reason", error))
    raise ConnectionError(f"could not check in at {url} after {retries + 1} attempts: {last_error}")


def _retry_after(header: str | None) -> float | None:
    """A server that says when to come back is believed, within reason."""
    if header is None or not header.strip().isdigit():
        return None
    return float(min(int(header.strip()), 300))


def _backoff(attempt: int, base: float) -> float:
    # Exponential with jitter, so a fleet restarted together does not retry in lockstep.
    return min(base * 2.0 ** (attempt - 1), 300.0) * (0.75 + random.random() / 2)


def _json_or_empty(answer: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(answer.decode("utf-8", "replace") or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


# -- command line -----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="binelek-agent",
        description="Report this computer's software and security settings to a Binelek server.",
    )
    parser.add_argument("--server", help="the Binelek server's URL, e.g. https://binelek.example.com")
    parser.add_argument("--token", help=f"the enrolment token (or set {TOKEN_ENV})")
    parser.add_argument("--dry-run", action="store_true", help="print the report as JSON and send nothing")
    parser.add_argument(
        "--interval", type=float, help="keep running and check in every SECONDS", metavar="SECONDS"
    )
    parser.add_argument("--insecure", action="store_true", help="do not verify the server's TLS certificate")
    parser.add_argument(
        "--retries", type=int, default=5, help="retries on server or network errors (default 5)"
    )
    parser.add_argument(
        "--retry-delay", type=float, default=2.0, help="first retry delay in seconds (default 2)"
    )
    parser.add_argument("--version", action="version", version="binelek-agent " + AGENT_VERSION)
    return parser


def _say(message: str, *, error: bool = False) -> None:
    stream = sys.stderr if error else sys.stdout
    stream.write("binelek-agent: " + message + "\n")
    stream.flush()


# The digest of the package list the server last acknowledged (in --interval mode): an unchanged
# list is then sent as its digest alone.
_acknowledged_digest: list[str] = []


def _check_in_once(arguments: argparse.Namespace, token: str) -> int:
    report = collect()
    options = {
        "insecure": arguments.insecure,
        "retries": max(0, arguments.retries),
        "retry_delay": max(0.0, arguments.retry_delay),
    }
    try:
        if _acknowledged_digest and _acknowledged_digest[-1] == report["packages_hash"]:
            try:
                answer = send(arguments.server, token, {**report, "packages": None}, **options)
            except PackagesRequired:
                answer = send(arguments.server, token, report, **options)
        else:
            answer = send(arguments.server, token, report, **options)
        if isinstance(answer.get("packages_hash"), str):
            _acknowledged_digest[:] = [answer["packages_hash"]]
    except PackagesRequired as required:
        _say(f"the server asked for the package list again: {required}", error=True)
        return EXIT_REJECTED
    except Refused as refused:
        _say(str(refused), error=True)
        return refused.exit_code
    except ConnectionError as error:
        _say(str(error), error=True)
        return EXIT_UNREACHABLE
    issues = answer.get("open_issues")
    _say(
        "checked in {} ({} packages){}".format(
            report["hostname"],
            len(report["packages"]),
            f"; {issues} open issue(s) on this device" if isinstance(issues, int) and issues >= 0 else "",
        )
    )
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.dry_run:
        try:
            json.dump(collect(), sys.stdout, indent=2, sort_keys=True)
            sys.stdout.write("\n")
            sys.stdout.flush()
        except BrokenPipeError:
            # Piped into `head`: the reader has seen enough. Point stdout at devnull so the flush
            # at exit does not fail a second time.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    token = arguments.token or os.environ.get(TOKEN_ENV, "")
    if not arguments.server or not token.strip():
        _say(
            f"--server and an enrolment token (--token or {TOKEN_ENV}) are required; "
            "--dry-run needs neither.",
            error=True,
        )
        return EXIT_USAGE
    if arguments.interval is not None and arguments.interval <= 0:
        _say("--interval must be a positive number of seconds", error=True)
        return EXIT_USAGE
    try:
        while True:
            code = _check_in_once(arguments, token.strip())
            # A refused token or a rejected report will not get better by waiting: stop. A server
            # that was down may be back at the next round.
            if arguments.interval is None or code in (EXIT_REFUSED, EXIT_REJECTED, EXIT_USAGE):
                return code
            time.sleep(arguments.interval)
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
