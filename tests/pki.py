"""A real test PKI on loopback: a CA, a time-stamping authority (RFC 3161), OCSP and CRLs.

Certomancer (by pyHanko's author) builds the certificates from a YAML description and
serves the TSA, the OCSP responder, the CRLs and the certificates over HTTP; here its
WSGI app runs on a free loopback port in a thread. The keys are made afresh for each
test session (EC P-256), so nothing secret is kept in the repository.

Layout (one architecture, ``cosign-test``)::

    root CA ── interm CA ── site   (the site's signing certificate; OCSP + CRL)
           │            └── ocsp   (the OCSP responder for interm's certificates)
           ├── tsa                 (time stamping; CRL of the root)
           └── tsa-next            (a second TSA, for archive timestamps)
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.serving import BaseWSGIServer, make_server

if TYPE_CHECKING:
    from certomancer.registry import PKIArchitecture

ARCH = "cosign-test"
KEYS = ("root", "interm", "ocsp", "tsa", "tsa-next", "site")

_CONFIG = """\
external-url-prefix: "{prefix}"
keysets:
  cosign-test:
    path-prefix: keys
    keys:
{keys}
pki-architectures:
  cosign-test:
    keyset: cosign-test
    entity-defaults:
      country-name: BE
      organization-name: cosign test PKI
    entities:
      root: {{common-name: Test Root CA}}
      interm: {{common-name: Test Intermediate CA}}
      ocsp: {{common-name: Test OCSP Responder}}
      tsa: {{common-name: Test Time Stamping Authority}}
      tsa-next: {{common-name: Test Time Stamping Authority 2}}
      site: {{common-name: cosign test site}}
    certs:
      root:
        subject: root
        issuer: root
        validity: {{valid-from: "{start}", valid-to: "{far}"}}
        extensions:
          - {{id: basic_constraints, critical: true, value: {{ca: true}}}}
          - id: key_usage
            critical: true
            smart-value: {{schema: key-usage, params: [digital_signature, key_cert_sign, crl_sign]}}
      interm:
        issuer: root
        validity: {{valid-from: "{start}", valid-to: "{far}"}}
        extensions:
          - {{id: basic_constraints, critical: true, value: {{ca: true, path-len-constraint: 0}}}}
          - id: key_usage
            critical: true
            smart-value: {{schema: key-usage, params: [digital_signature, key_cert_sign, crl_sign]}}
          - id: crl_distribution_points
            smart-value: {{schema: crl-dist-url, params: {{crl-repo-names: [root]}}}}
      ocsp:
        issuer: interm
        validity: {{valid-from: "{start}", valid-to: "{far}"}}
        extensions:
          - id: key_usage
            critical: true
            smart-value: {{schema: key-usage, params: [digital_signature]}}
          - {{id: extended_key_usage, critical: true, value: [ocsp_signing]}}
          - id: ocsp_no_check
      tsa:
        issuer: root
        validity: {{valid-from: "{start}", valid-to: "{tsa_end}"}}
        extensions:
          - id: key_usage
            critical: true
            smart-value: {{schema: key-usage, params: [digital_signature]}}
          - {{id: extended_key_usage, critical: true, value: [time_stamping]}}
          - id: crl_distribution_points
            smart-value: {{schema: crl-dist-url, params: {{crl-repo-names: [root]}}}}
      tsa-next:
        template: tsa
        subject: tsa-next
        subject-key: tsa-next
        validity: {{valid-from: "{start}", valid-to: "{far}"}}
      site:
        issuer: interm
        validity: {{valid-from: "{start}", valid-to: "{site_end}"}}
        extensions:
          - id: key_usage
            critical: true
            smart-value: {{schema: key-usage, params: [digital_signature, non_repudiation]}}
          - id: crl_distribution_points
            smart-value: {{schema: crl-dist-url, params: {{crl-repo-names: [interm]}}}}
          - id: authority_information_access
            smart-value:
              schema: aia-urls
              params:
                ocsp-responder-names: [interm]
                ca-issuer-links: [{{repo: root}}]
    services:
      ocsp:
        interm: {{for-issuer: interm, responder-cert: ocsp, signing-key: ocsp}}
      crl-repo:
        root: {{for-issuer: root, signing-key: root, simulated-update-schedule: "P30D"}}
        interm: {{for-issuer: interm, signing-key: interm, simulated-update-schedule: "P7D"}}
      cert-repo:
        root: {{for-issuer: root, publish-issued-certs: yes}}
      time-stamping:
        tsa: {{signing-key: tsa, signing-cert: tsa}}
        tsa-next: {{signing-key: tsa-next, signing-cert: tsa-next}}
"""


@dataclass
class TestPki:
    """A running test PKI: its URLs and the files a site needs to use it."""

    url: str  # http://127.0.0.1:PORT
    directory: Path
    arch: PKIArchitecture
    _server: BaseWSGIServer | None = None

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa"

    @property
    def next_tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa-next"

    @property
    def root_pem(self) -> Path:
        return self.directory / "root.cert.pem"

    @property
    def site_key(self) -> Path:
        return self.directory / "site.key.pem"

    @property
    def site_cert(self) -> Path:
        return self.directory / "site.cert.pem"

    @property
    def site_chain(self) -> Path:
        return self.directory / "site.chain.pem"

    def cert(self, label: str):
        from certomancer.registry import CertLabel

        return self.arch.get_cert(CertLabel(label))

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()


def _pem(cert) -> bytes:
    import base64

    body = base64.encodebytes(cert.dump()).decode().replace("\n", "")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines)
            + "\n-----END CERTIFICATE-----\n").encode()


def start(directory: Path, *, tsa_valid_days: int = 3650, site_valid_days: int = 3650) -> TestPki:
    """Make keys and certificates in ``directory`` and serve the PKI on a free loopback port."""
    from certomancer.integrations.animator import Animator, AnimatorArchStore
    from certomancer.registry import ArchLabel, CertomancerConfig

    directory = Path(directory)
    (directory / "keys").mkdir(parents=True, exist_ok=True)
    for label in KEYS:
        key = ec.generate_private_key(ec.SECP256R1())
        (directory / "keys" / f"{label}.key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))

    # the port is known before the configuration is read: the URLs go into the certificates
    holder: dict = {}

    def app(environ, start_response):
        return holder["animator"](environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    stamp = "%Y-%m-%dT%H:%M:%S+0000"
    text = _CONFIG.format(
        prefix=url,
        keys="\n".join(f"      {k}: {{path: {k}.key.pem}}" for k in KEYS),
        start=(now - dt.timedelta(days=1)).strftime(stamp),
        far=(now + dt.timedelta(days=36500)).strftime(stamp),
        tsa_end=(now + dt.timedelta(days=tsa_valid_days)).strftime(stamp),
        site_end=(now + dt.timedelta(days=site_valid_days)).strftime(stamp),
    )
    (directory / "certomancer.yml").write_text(text)
    config = CertomancerConfig.from_file(str(directory / "certomancer.yml"),
                                         key_search_dir=str(directory))
    arch = config.get_pki_arch(ArchLabel(ARCH))
    holder["animator"] = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    pki = TestPki(url=url, directory=directory, arch=arch, _server=server)
    pki.root_pem.write_bytes(_pem(pki.cert("root")))
    pki.site_cert.write_bytes(_pem(pki.cert("site")))
    pki.site_chain.write_bytes(_pem(pki.cert("interm")))
    pki.site_key.write_bytes((directory / "keys" / "site.key.pem").read_bytes())
    pki.site_key.chmod(0o600)
    return pki
