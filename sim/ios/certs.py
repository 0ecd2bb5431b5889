"""Pairing material for the simulated iPhones: one host identity and one device identity per process.

pymobiledevice3 refuses to start any service without a pair record (HostID + SystemBUID); in TLS
mode it also loads HostCertificate/HostPrivateKey from it. RSA key generation costs ~0.1 s a key,
so everything is generated once per process and shared by every simulated device (a real host
also has a single HostID/SystemBUID across all its pairings).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import ssl
import tempfile
import uuid
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class PairMaterial:
    host_id: str
    system_buid: str
    root_cert: bytes
    root_key: bytes
    host_cert: bytes
    host_key: bytes
    device_cert: bytes
    device_key: bytes


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert(subject: str, key: rsa.RSAPrivateKey, issuer: str, issuer_key: rsa.RSAPrivateKey, ca: bool) -> bytes:
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@functools.cache
def pair_material() -> PairMaterial:
    root_key, host_key, device_key = _key(), _key(), _key()
    return PairMaterial(
        host_id=str(uuid.uuid4()).upper(),
        system_buid=str(uuid.uuid4()).upper(),
        root_cert=_cert("Root Certification Authority", root_key, "Root Certification Authority", root_key, True),
        root_key=_pem_key(root_key),
        host_cert=_cert("Host", host_key, "Root Certification Authority", root_key, False),
        host_key=_pem_key(host_key),
        device_cert=_cert("Device", device_key, "Root Certification Authority", root_key, False),
        device_key=_pem_key(device_key),
    )


def pair_record(wifi_mac: str) -> dict[str, object]:
    """The record usbmuxd hands out in ReadPairRecord (keys as a real usbmuxd/pmd3 record has them)."""
    m = pair_material()
    return {
        "HostID": m.host_id,
        "SystemBUID": m.system_buid,
        "HostCertificate": m.host_cert,
        "HostPrivateKey": m.host_key,
        "DeviceCertificate": m.device_cert,
        "RootCertificate": m.root_cert,
        "RootPrivateKey": m.root_key,
        "WiFiMACAddress": wifi_mac,
    }


@functools.cache
def server_ssl_context() -> ssl.SSLContext:
    """The device side of lockdownd/service TLS. pmd3 uses CERT_NONE, so a self-signed cert suffices;
    the client cert it presents is not verified either (lockdownd would, we don't need to)."""
    m = pair_material()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    # load_cert_chain only reads files: write the PEMs to a private temp file and remove it at once
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(m.device_cert + m.device_key)
        ctx.load_cert_chain(path)
    finally:
        os.unlink(path)
    return ctx
