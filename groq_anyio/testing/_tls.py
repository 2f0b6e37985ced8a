"""Certificates for ``groq-anyio serve --tls``: a throw-away CA and a loopback certificate.

Made with the ``cryptography`` package when it is installed (it is not a dependency of
groq_anyio: ``pip install cryptography``); without it, pass your own ``--certfile`` and
``--keyfile`` (for example from ``mkcert 127.0.0.1 localhost``, or
``openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7
-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout key.pem
-out cert.pem``, whose certificate is then also the CA file).

The CA is generated fresh each time, valid for a week, and its key is never written: only
the leaf's key (needed by the server) and the two certificates go to the directory.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TLSFiles", "make_certificates", "server_context"]


class TLSUnavailableError(RuntimeError):
    """``cryptography`` is not installed, so no certificate can be generated."""


@dataclass(frozen=True)
class TLSFiles:
    """Where the generated PEM files are."""

    ca: Path
    cert: Path
    key: Path


def make_certificates(
    directory: Path, hosts: tuple[str, ...] = ("127.0.0.1", "::1", "localhost")
) -> TLSFiles:
    """Write ``ca.pem``, ``server.pem`` and ``server-key.pem`` for ``hosts`` to ``directory``.

    Raises:
        TLSUnavailableError: the ``cryptography`` package is missing.
    """
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError:
        raise TLSUnavailableError(
            "generating a certificate needs the 'cryptography' package "
            "(pip install cryptography), or pass --certfile and --keyfile"
        ) from None
    now = datetime.datetime.now(datetime.UTC)
    lifetime = datetime.timedelta(days=7)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "groq-anyio local test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + lifetime)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + lifetime)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    files = TLSFiles(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files.key.touch(mode=0o600)
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


def server_context(cert: Path | str, key: Path | str) -> ssl.SSLContext:
    """A TLS 1.2+ server context with this certificate chain and key."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    return ctx
