"""A small authoritative DNS server for tests, built on dnslib, answering over UDP and TCP on one
ephemeral 127.0.0.1 port from records given as a python dict.

    records = {
        "example.test": {"SOA": [SOA], "TXT": ["v=spf1 -all"], "MX": ["10 mx.example.test."]},
        "_dmarc.example.test": {"TXT": ["v=DMARC1; p=reject"]},
    }
    with LocalDnsServer(records, signed={"example.test"}, ds={"example.test"}) as server:
        server.address  # ("127.0.0.1", port)

Values are zone-file rdata text, except TXT: a python str is one record (split into 255-byte
character-strings as a real server would publish it) and a tuple of str gives the strings explicitly.
A name that is absent and has no names below it answers NXDOMAIN; a present name without the asked
type answers NOERROR with no data (the closest SOA in the authority section, as real servers do).

DNSSEC is simulated, not real: a zone listed in `signed` serves a DNSKEY (made-up key bytes) and, to
queries with the DO bit, an RRSIG (made-up signature) next to every answer RRset. `ds` adds a DS at
the apex; `authentic_data` sets the AD flag as a validating resolver would. Good enough to test that a
checker asks the right questions; no signature here would verify.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType

from dnslib import CNAME, DNSKEY, DS, EDNS0, QTYPE, RCODE, RR, RRSIG, TXT, DNSError, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer, TCPServer, UDPServer

SOA = "ns1.test. hostmaster.test. 1 3600 600 86400 300"
TTL = 300
PLAIN_UDP_LIMIT = 512  # a client that sends no EDNS0 OPT record accepts no more than this over UDP
DNSSEC_ALGORITHM = 13  # ECDSA P-256 SHA-256, only a label here

ZoneRecords = Mapping[str, Mapping[str, Sequence[str | tuple[str, ...]]]]


def _normalise(name: str) -> str:
    return name.rstrip(".").lower()


def _txt_strings(value: str | tuple[str, ...]) -> list[bytes]:
    if isinstance(value, tuple):
        return [part.encode() for part in value]
    encoded = value.encode()
    return [encoded[start : start + 255] for start in range(0, len(encoded), 255)] or [b""]


class _ZoneResolver(BaseResolver):  # type: ignore[misc]
    def __init__(
        self,
        records: ZoneRecords,
        *,
        signed: Iterable[str],
        ds: Iterable[str],
        authentic_data: bool,
        servfail: Iterable[str],
        drop: Iterable[str],
    ) -> None:
        self.signed = {_normalise(zone) for zone in signed}
        self.ds = {_normalise(zone) for zone in ds}
        self.authentic_data = authentic_data
        self.servfail = {_normalise(name) for name in servfail}
        self.drop = {_normalise(name) for name in drop}
        self.queries: list[tuple[str, str]] = []  # (name, type) in arrival order, for assertions
        self.rrsets: dict[tuple[str, str], list[RR]] = {}
        for name, by_type in records.items():
            for rtype, values in by_type.items():
                for value in values:
                    self._add(_normalise(name), rtype.upper(), value)
        for zone in self.signed:
            self._add_dnssec_material(zone)

    def _add(self, name: str, rtype: str, value: str | tuple[str, ...]) -> None:
        if rtype == "TXT":
            record = RR(name, QTYPE.TXT, rdata=TXT(_txt_strings(value)), ttl=TTL)
        else:
            assert isinstance(value, str)
            (record,) = RR.fromZone(f"{name}. {TTL} IN {rtype} {value}")
        self.rrsets.setdefault((name, rtype), []).append(record)

    def _add_dnssec_material(self, zone: str) -> None:
        if (zone, "DNSKEY") not in self.rrsets:
            for flags in (257, 256):  # a key-signing key and a zone-signing key
                key = DNSKEY(flags, 3, DNSSEC_ALGORITHM, os.urandom(64))
                self.rrsets.setdefault((zone, "DNSKEY"), []).append(
                    RR(zone, QTYPE.DNSKEY, rdata=key, ttl=TTL)
                )
        if zone in self.ds and (zone, "DS") not in self.rrsets:
            digest = DS(12345, DNSSEC_ALGORITHM, 2, os.urandom(32))
            self.rrsets[(zone, "DS")] = [RR(zone, QTYPE.DS, rdata=digest, ttl=TTL)]

    def _exists(self, name: str) -> bool:
        suffix = "." + name
        return any(owner == name or owner.endswith(suffix) for owner, _ in self.rrsets)

    def _closest_zone(self, name: str) -> str | None:
        labels = name.split(".")
        for start in range(len(labels)):
            candidate = ".".join(labels[start:])
            if (candidate, "SOA") in self.rrsets:
                return candidate
        return None

    def _signer(self, name: str) -> str | None:
        labels = name.split(".")
        for start in range(len(labels)):
            candidate = ".".join(labels[start:])
            if candidate in self.signed:
                return candidate
        return None

    def _signature(self, rrset: list[RR], signer: str) -> RR:
        first = rrset[0]
        owner = str(first.rname).rstrip(".")
        now = int(time.time())
        signature = RRSIG(
            first.rtype,
            DNSSEC_ALGORITHM,
            len(owner.split(".")),
            TTL,
            now + 86400,
            now - 3600,
            12345,
            signer + ".",
            os.urandom(64),
        )
        return RR(owner, QTYPE.RRSIG, rdata=signature, ttl=TTL)

    def _answer(self, reply: DNSRecord, name: str, rtype: str, dnssec_ok: bool, depth: int = 0) -> bool:
        """Adds the RRset (following a local CNAME); False when the name has no data of that type."""
        rrset = self.rrsets.get((name, rtype))
        if rrset is None and rtype != "CNAME" and depth < 8:
            alias = self.rrsets.get((name, "CNAME"))
            if alias:
                self._add_signed(reply, alias, name, dnssec_ok)
                target = _normalise(str(alias[0].rdata.label)) if isinstance(alias[0].rdata, CNAME) else ""
                self._answer(reply, target, rtype, dnssec_ok, depth + 1)
                return True
        if not rrset:
            return False
        self._add_signed(reply, rrset, name, dnssec_ok)
        return True

    def _add_signed(self, reply: DNSRecord, rrset: list[RR], name: str, dnssec_ok: bool) -> None:
        reply.add_answer(*rrset)
        signer = self._signer(name)
        if dnssec_ok and signer is not None:
            reply.add_answer(self._signature(rrset, signer))

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        question = request.q
        name, rtype = _normalise(str(question.qname)), QTYPE.get(question.qtype)
        self.queries.append((name, rtype))
        if name in self.drop:
            raise DNSError("dropped on purpose")  # the handler then sends nothing: a timeout
        opt = next((extra for extra in request.ar if extra.rtype == QTYPE.OPT), None)
        dnssec_ok = bool(opt is not None and opt.edns_do)
        reply = request.reply()
        if name in self.servfail:
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        found = self._answer(reply, name, rtype, dnssec_ok)
        if not found:
            if not self._exists(name):
                reply.header.rcode = RCODE.NXDOMAIN
            zone = self._closest_zone(name)
            if zone is not None:
                reply.add_auth(*self.rrsets[(zone, "SOA")])
        if dnssec_ok and self.authentic_data and self._signer(name) is not None:
            reply.header.ad = 1
        if opt is not None:
            reply.add_ar(EDNS0(flags="do" if dnssec_ok else "", udp_len=1232))
        return self._fit_udp(reply, opt, handler)

    @staticmethod
    def _fit_udp(reply: DNSRecord, opt: RR | None, handler: DNSHandler) -> DNSRecord:
        """Sets TC on an answer too big for the client's UDP buffer, so it retries over TCP."""
        if getattr(handler, "protocol", "udp") != "udp":
            return reply
        limit = max(PLAIN_UDP_LIMIT, opt.rclass) if opt is not None else PLAIN_UDP_LIMIT
        if len(reply.pack()) <= limit:
            return reply
        truncated: DNSRecord = reply.truncate()
        truncated.add_question(*reply.questions)
        return truncated


class LocalDnsServer:
    """Runs the zone on 127.0.0.1, UDP and TCP on the same ephemeral port, in daemon threads."""

    def __init__(
        self,
        records: ZoneRecords,
        *,
        signed: Iterable[str] = (),
        ds: Iterable[str] = (),
        authentic_data: bool = False,
        servfail: Iterable[str] = (),
        drop: Iterable[str] = (),
    ) -> None:
        self.resolver = _ZoneResolver(
            records, signed=signed, ds=ds, authentic_data=authentic_data, servfail=servfail, drop=drop
        )
        self._servers: list[DNSServer] = []
        self.port = 0

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    @property
    def queries(self) -> list[tuple[str, str]]:
        return self.resolver.queries

    def start(self) -> LocalDnsServer:
        logger = DNSLogger(log="-request,-reply,-truncated,-error", logf=lambda _: None)
        # UDP takes a free port first; TCP must then get the same number, which another process may
        # hold: try a few ports.
        for _ in range(20):
            udp = DNSServer(self.resolver, address="127.0.0.1", port=0, logger=logger, server=UDPServer)
            port = int(udp.server.server_address[1])
            try:
                tcp = DNSServer(
                    self.resolver, address="127.0.0.1", port=port, logger=logger, server=TCPServer
                )
            except OSError:
                udp.server.server_close()
                continue
            self._servers = [udp, tcp]
            self.port = port
            for server in self._servers:
                # a short poll interval makes stop() quick
                thread = threading.Thread(target=server.server.serve_forever, args=(0.05,), daemon=True)
                thread.start()
            return self
        raise RuntimeError("no port free for both UDP and TCP")

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
            server.server.server_close()
        self._servers = []

    def __enter__(self) -> LocalDnsServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def silent_udp_port() -> tuple[socket.socket, int]:
    """A bound UDP socket nobody reads: queries sent there time out (the caller closes it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock, int(sock.getsockname()[1])


def tcp_query(address: tuple[str, int], name: str, rtype: str) -> DNSRecord:
    """One query over TCP, to check the server's TCP side without the code under test."""
    payload = DNSRecord.question(name, rtype).pack()
    with socket.create_connection(address, timeout=2) as sock:
        sock.sendall(struct.pack("!H", len(payload)) + payload)
        length = struct.unpack("!H", _read_exactly(sock, 2))[0]
        return DNSRecord.parse(_read_exactly(sock, length))


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("connection closed early")
        data += chunk
    return data
