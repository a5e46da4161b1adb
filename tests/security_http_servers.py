"""Loopback HTTP and HTTPS servers for the web-header check tests.

Each server answers every path with the reply registered for it (status, headers, body, and what to
say to an OPTIONS preflight). A throwaway certificate authority signs the HTTPS servers' certificate
for 127.0.0.1 and localhost; `untrusted=True` serves a self-signed one instead, which clients that
trust only that authority reject."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"


@dataclass
class Reply:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    preflight: Reply | None = None  # the answer to OPTIONS; None answers 405


def redirect(location: str, status: int = 301) -> Reply:
    return Reply(status=status, headers=[("Location", location)])


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(self.server.site.reply_for(self.path))

    def do_OPTIONS(self) -> None:
        reply = self.server.site.reply_for(self.path)
        self._answer(reply.preflight or Reply(status=405))

    def _answer(self, reply: Reply) -> None:
        payload = reply.body.encode()
        self.send_response(reply.status)
        names = {name.lower() for name, _ in reply.headers}
        if "content-type" not in names and payload:
            self.send_header("Content-Type", "text/html; charset=utf-8")
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        return


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    site: SiteServer


class SiteServer:
    """One loopback server; `replies` maps a path (query ignored) to its reply, `default` answers the
    rest (None: 404)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.replies: dict[str, Reply] = {}
        self.default: Reply | None = None
        self.scheme = "https" if tls else "http"
        self._server = _SiteServer((HOST, 0), _Handler)
        self._server.site = self
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str, host: str = HOST) -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def reply_for(self, path: str) -> Reply:
        reply = self.replies.get(path.split("?", 1)[0]) or self.default
        return reply if reply is not None else Reply(status=404, body="not found")

    def start(self) -> SiteServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Certificates:
    ca_pem: bytes
    cert_file: Path
    key_file: Path
    untrusted_cert_file: Path
    untrusted_key_file: Path

    def client_context(self) -> ssl.SSLContext:
        """Trusts only the throwaway authority."""
        return ssl.create_default_context(cadata=self.ca_pem.decode())

    def server_context(self, *, untrusted: bool = False) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if untrusted:
            context.load_cert_chain(self.untrusted_cert_file, self.untrusted_key_file)
        else:
            context.load_cert_chain(self.cert_file, self.key_file)
        return context


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write_pair(
    directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> tuple[Path, Path]:
    cert_file, key_file = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def make_certificates(directory: Path) -> Certificates:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Binelek test CA", ca_key, "Binelek test CA", ca_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate(HOST, leaf_key, "Binelek test CA", ca_key, ca=False)
    stray_key = ec.generate_private_key(ec.SECP256R1())
    stray = _certificate(HOST, stray_key, HOST, stray_key, ca=False)
    cert_file, key_file = _write_pair(directory, "leaf", leaf, leaf_key)
    stray_cert, stray_key_file = _write_pair(directory, "stray", stray, stray_key)
    return Certificates(
        ca_pem=ca.public_bytes(serialization.Encoding.PEM),
        cert_file=cert_file,
        key_file=key_file,
        untrusted_cert_file=stray_cert,
        untrusted_key_file=stray_key_file,
    )


@dataclass
class Sites:
    """The servers a test module shares: plain HTTP, HTTPS with a trusted certificate, HTTPS with an
    untrusted one, and a port where nothing listens."""

    certificates: Certificates
    http: SiteServer
    https: SiteServer
    untrusted: SiteServer
    closed_port: int


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def running_sites() -> Iterator[Sites]:
    """A generator for a pytest fixture: starts the servers, stops them afterwards."""
    with tempfile.TemporaryDirectory(prefix="binelek-web-") as directory:
        certificates = make_certificates(Path(directory))
        servers = (
            SiteServer().start(),
            SiteServer(certificates.server_context()).start(),
            SiteServer(certificates.server_context(untrusted=True)).start(),
        )
        try:
            yield Sites(certificates, *servers, closed_port=_closed_port())
        finally:
            for server in servers:
                server.stop()
