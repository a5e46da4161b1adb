"""Test helpers for the TLS check: a certificate factory (a private test CA built with `cryptography`)
and a threaded TLS server on 127.0.0.1 that completes handshakes with whatever context it is given."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class IssuedCert:
    cert_pem: bytes
    key_pem: bytes


def _pem(cert: x509.Certificate, key: PrivateKey) -> IssuedCert:
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return IssuedCert(cert.public_bytes(serialization.Encoding.PEM), key_pem)


class TestCA:
    """A root CA that tests hand to the check through `extra_ca_pem`."""

    __test__ = False  # not a pytest test class

    def __init__(self, name: str = "Binelek Test Root CA") -> None:
        self.key = ec_key()
        now = _now()
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(
        self,
        names: list[str],
        *,
        key: PrivateKey | None = None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> IssuedCert:
        """A leaf for `names` (the first is also the CN); valid from yesterday for 90 days unless told."""
        leaf_key = key or ec_key()
        now = _now()
        builder = _leaf_builder(
            names,
            leaf_key,
            issuer=self.cert.subject,
            not_before=not_before or now - dt.timedelta(days=1),
            not_after=not_after or now + dt.timedelta(days=90),
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
        )
        cert = builder.sign(self.key, hashes.SHA256())
        return _pem(cert, leaf_key)

    def issue_sha1(self, names: list[str]) -> IssuedCert | None:
        """A leaf signed with SHA-1, made by the `openssl` command line because `cryptography` refuses
        to sign with SHA-1. None when no `openssl` binary is there or it refuses too."""
        openssl = shutil.which("openssl")
        if openssl is None:
            return None
        leaf_key = ec_key()
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(_name(names[0]))
            .sign(leaf_key, hashes.SHA256())
        )
        issued_ca = _pem(self.cert, self.key)
        with tempfile.TemporaryDirectory(prefix="binelek-tls-") as directory:
            folder = Path(directory)
            (folder / "ca.pem").write_bytes(issued_ca.cert_pem)
            (folder / "ca.key").write_bytes(issued_ca.key_pem)
            (folder / "leaf.csr").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
            san = ",".join(f"DNS:{name}" for name in names)
            (folder / "ext.cnf").write_text(
                f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            )
            # fmt: off
            command = [
                openssl, "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-set_serial", str(x509.random_serial_number()), "-sha1", "-days", "30",
                "-extfile", "ext.cnf", "-out", "leaf.pem",
            ]
            # fmt: on
            done = subprocess.run(command, cwd=folder, capture_output=True, check=False, timeout=10)
            if done.returncode != 0:
                return None
            cert_pem = (folder / "leaf.pem").read_bytes()
        return IssuedCert(cert_pem, _pem(self.cert, leaf_key).key_pem)


def self_signed(names: list[str], *, key: PrivateKey | None = None) -> IssuedCert:
    leaf_key = key or ec_key()
    now = _now()
    builder = _leaf_builder(
        names,
        leaf_key,
        issuer=_name(names[0]),
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=90),
    )
    return _pem(builder.sign(leaf_key, hashes.SHA256()), leaf_key)


def _leaf_builder(
    names: list[str], key: PrivateKey, *, issuer: x509.Name, not_before: dt.datetime, not_after: dt.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_san(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )


def server_context(
    issued: IssuedCert,
    *,
    minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
    maximum: ssl.TLSVersion = ssl.TLSVersion.MAXIMUM_SUPPORTED,
    ciphers: str | None = None,
) -> ssl.SSLContext:
    """A server context; `ciphers` (an OpenSSL cipher string, add `@SECLEVEL=0` for legacy setups)
    restricts TLS 1.2-and-older suites."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if ciphers is not None:
        context.set_ciphers(ciphers)  # before loading the key: the security level decides if it loads
    context.minimum_version = minimum
    context.maximum_version = maximum
    with tempfile.TemporaryDirectory(prefix="binelek-tls-") as directory:
        cert_path, key_path = Path(directory, "cert.pem"), Path(directory, "key.pem")
        cert_path.write_bytes(issued.cert_pem)
        key_path.write_bytes(issued.key_pem)
        context.load_cert_chain(cert_path, key_path)
    return context


class _Handler(socketserver.BaseRequestHandler):
    server: _TlsTcpServer

    def handle(self) -> None:
        raw: socket.socket = self.request
        raw.settimeout(5)
        try:
            with self.server.context.wrap_socket(raw, server_side=True) as tls:
                self.server.handshakes += 1
                tls.recv(1)  # wait for the client to hang up, so it never sees a reset mid-handshake
        except (OSError, ssl.SSLError):
            pass  # refused versions and ciphers end here: that is the point of the probes


class _TlsTcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.handshakes = 0
        super().__init__(("127.0.0.1", 0), _Handler)


@dataclass
class RunningServer:
    host: str
    port: int
    server: _TlsTcpServer

    @property
    def handshakes(self) -> int:
        return self.server.handshakes


@contextmanager
def tls_server(context: ssl.SSLContext) -> Iterator[RunningServer]:
    server = _TlsTcpServer(context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield RunningServer("127.0.0.1", server.server_address[1], server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


@contextmanager
def plain_tcp_server() -> Iterator[int]:
    """A listener that accepts and answers in plain text: reachable, but not TLS."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            with suppress(OSError):
                self.request.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)
