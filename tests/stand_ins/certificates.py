"""Throwaway TLS certificates: a CA made for one rehearsal, and certificates it issues for the stand-in names.

Python clients trust the CA through SSL_CERT_FILE (httpx and the ssl module's default context both read it);
Chromium trusts a certificate's key through --ignore-certificate-errors-spki-list, which accepts a chain that
does not validate when one of its keys is listed, so a certificate from any other CA still fails as it would.
"""

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization


@dataclass(frozen=True)
class Certificate:
    """PEM files a TLS server loads, and the SHA-256 of the leaf's public key (SubjectPublicKeyInfo, base64)."""

    cert_file: Path
    key_file: Path
    spki_sha256: str


class ThrowawayCA:
    """A certificate authority that exists only in `folder`, for this run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._ca = trustme.CA(organization_name="p2p rehearsal (throwaway)")
        self.ca_file = folder / "rehearsal-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_file))
        self._issued = 0

    def issue(self, *names: str) -> Certificate:
        """A certificate for `names` (DNS names or IP addresses) with a key of its own."""
        self._issued += 1
        leaf = self._ca.issue_cert(*names)
        cert_file = self.folder / f"rehearsal-{self._issued}-cert.pem"
        key_file = self.folder / f"rehearsal-{self._issued}-key.pem"
        leaf.cert_chain_pems[0].write_to_path(str(cert_file))
        for intermediate in leaf.cert_chain_pems[1:]:
            intermediate.write_to_path(str(cert_file), append=True)
        leaf.private_key_pem.write_to_path(str(key_file))
        return Certificate(cert_file, key_file, spki_sha256(leaf.cert_chain_pems[0].bytes()))


def spki_sha256(cert_pem: bytes) -> str:
    """The base64 SHA-256 of a certificate's SubjectPublicKeyInfo, as Chromium's SPKI flags take it."""
    key = x509.load_pem_x509_certificate(cert_pem).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()
