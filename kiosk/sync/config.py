"""Sync settings: the ``[sync]`` table of ``<config dir>/kiosk.toml``, overridden by
``KIOSK_SYNC_*`` environment variables.

======================  ===================================  ===============================
``[sync]`` key          environment variable                 meaning
======================  ===================================  ===============================
``url``                 ``KIOSK_SYNC_URL``                   receiver base URL; decisions go
                                                             to ``<url>/v1/decisions``
``secret_file``         ``KIOSK_SYNC_SECRET_FILE``           per-device HMAC secret (mode 0600)
``site_id``             ``KIOSK_SYNC_SITE_ID``               this site's identifier
``device_id``           ``KIOSK_SYNC_DEVICE_ID``             default: the store's install id
``ed25519_key_file``    ``KIOSK_SYNC_ED25519_KEY_FILE``      optional Ed25519 signing key
``pin_sha256``          ``KIOSK_SYNC_PIN_SHA256``            sha256 of the server's DER
                                                             certificate or SPKI (list; comma-
                                                             separated in the environment)
``ca_file``             ``KIOSK_SYNC_CA_FILE``               CA bundle for https
``reference_secret_file`` ``KIOSK_SYNC_REFERENCE_SECRET_FILE``  per-site customer-reference key
``allow_insecure_http`` ``KIOSK_SYNC_ALLOW_INSECURE_HTTP``   permit http:// to a non-loopback
                                                             host (``true``/``false``)
``timeout_s``           ``KIOSK_SYNC_TIMEOUT_S``             per-request time-out (default 10)
``concurrency``         ``KIOSK_SYNC_CONCURRENCY``           requests in flight (default 4)
======================  ===================================  ===============================

Sync is off when no URL is set. Plain ``http://`` is accepted only for a
loopback host (``localhost``, ``127.0.0.0/8``, ``::1``) unless
``allow_insecure_http`` is true: the body is signed but not encrypted, and
although it holds no personal data by default, the decision and the timing
of a customer's visit are still the bank's business. With ``https://`` the
server certificate is checked against ``ca_file`` (or the system CAs); with
``pin_sha256`` the pin must match too, and without ``ca_file`` the pin alone
is the trust anchor (for a self-signed receiver). Relative paths in the file
are relative to the file. Secrets are read from files only, never from the
environment or the command line, and never logged.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kiosk.errors import ConfigError
from kiosk.sync.signing import Secret, check_key_material, load_ed25519_private_key, load_secret

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

CONFIG_FILE_NAME = "kiosk.toml"
ENDPOINT_PATH = "/v1/decisions"
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
PIN_RE = re.compile(r"^[0-9a-f]{64}$")

ENV = {
    "url": "KIOSK_SYNC_URL",
    "secret_file": "KIOSK_SYNC_SECRET_FILE",
    "site_id": "KIOSK_SYNC_SITE_ID",
    "device_id": "KIOSK_SYNC_DEVICE_ID",
    "ed25519_key_file": "KIOSK_SYNC_ED25519_KEY_FILE",
    "pin_sha256": "KIOSK_SYNC_PIN_SHA256",
    "ca_file": "KIOSK_SYNC_CA_FILE",
    "reference_secret_file": "KIOSK_SYNC_REFERENCE_SECRET_FILE",
    "allow_insecure_http": "KIOSK_SYNC_ALLOW_INSECURE_HTTP",
    "timeout_s": "KIOSK_SYNC_TIMEOUT_S",
    "concurrency": "KIOSK_SYNC_CONCURRENCY",
}
_PATH_KEYS = ("secret_file", "ed25519_key_file", "ca_file", "reference_secret_file")


@dataclass(frozen=True, slots=True)
class SyncSettings:
    """Validated sync settings. Secrets and keys are excluded from ``repr``.

    Attributes:
        url: receiver base URL (scheme, host, optional port and path).
        secret: the per-device HMAC secret.
        site_id: identifier of the site (branch).
        device_id: identifier of this kiosk; selects its keys at the receiver.
        ed25519_key: optional Ed25519 private key for the second signature.
        pins: accepted sha256 (hex) of the server's DER certificate or SPKI.
        ca_file: CA bundle for certificate verification.
        reference_secret: per-site key of the customer reference (None: no reference).
        allow_insecure_http: permit http:// to a non-loopback host.
        timeout_s: per-request connect/read time-out in seconds.
        concurrency: requests in flight at once (1-16).
    """

    url: str
    secret: Secret
    site_id: str
    device_id: str
    ed25519_key: Ed25519PrivateKey | None = field(default=None, repr=False)
    pins: tuple[str, ...] = ()
    ca_file: Path | None = None
    reference_secret: Secret | None = None
    allow_insecure_http: bool = False
    timeout_s: float = 10.0
    concurrency: int = 4

    def __post_init__(self) -> None:
        check_url(self.url, allow_insecure_http=self.allow_insecure_http)
        for name in ("site_id", "device_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not ID_RE.fullmatch(value):
                raise ConfigError(
                    f"sync {name} must be 1-64 characters of letters, digits and _.:- "
                    "(an identifier, not a name)."
                )
        for pin in self.pins:
            if not PIN_RE.fullmatch(pin):
                raise ConfigError("sync pin_sha256 entries must be 64 hex digits (sha256).")
        if self.pins and urlsplit(self.url).scheme != "https":
            raise ConfigError("sync pin_sha256 needs an https:// URL.")
        if not 0.05 <= self.timeout_s <= 600:
            raise ConfigError("sync timeout_s must be between 0.05 and 600 seconds.")
        if not 1 <= self.concurrency <= 16:
            raise ConfigError("sync concurrency must be between 1 and 16.")
        if self.reference_secret is not None:
            ref = self.reference_secret.value
            # one key for two jobs: whoever verifies signatures could confirm identities
            if hmac.compare_digest(ref, self.secret.value):
                raise ConfigError(
                    "The customer-reference key is the same as the device secret.",
                    hint="give reference_secret_file its own key: openssl rand -hex 32",
                )
            check_key_material(ref, "customer-reference key")

    @property
    def endpoint(self) -> str:
        """Where decisions are POSTed: ``<url>/v1/decisions``."""
        return self.url.rstrip("/") + ENDPOINT_PATH


def check_url(url: str, *, allow_insecure_http: bool = False) -> None:
    """Validate a receiver URL.

    Raises:
        ConfigError: not http(s), no host, credentials in the URL, a query or
            fragment, or http:// to a non-loopback host without permission.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ConfigError("sync url is not a valid URL.") from None
    del port
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("sync url must be an http:// or https:// URL with a host.")
    if parts.username or parts.password:
        raise ConfigError(
            "sync url must not hold credentials.", hint="the device is authenticated by signature"
        )
    if parts.query or parts.fragment:
        raise ConfigError("sync url must not have a query or fragment.")
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
        raise ConfigError(
            "sync url uses plain http to a host that is not loopback.",
            hint="use https://, or set allow_insecure_http = true if the network is trusted",
        )


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback IP address."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def config_file_path() -> Path:
    """``<config dir>/kiosk.toml`` (``KIOSK_CONFIG_DIR`` overrides the platform default)."""
    from kiosk.config import kiosk_paths

    return kiosk_paths().config_dir / CONFIG_FILE_NAME


def load_sync_settings(
    *, environ: Mapping[str, str] | None = None, config_path: Path | None = None
) -> SyncSettings | None:
    """The sync settings, or None when no URL is configured.

    Args:
        environ: environment to read (default ``os.environ``).
        config_path: the kiosk config file (default :func:`config_file_path`).

    Raises:
        ConfigError: an unknown ``[sync]`` key, a wrong type, a missing secret file or
            site id, an unreadable key file, or an invalid value (named, never shown
            when secret).
    """
    env = os.environ if environ is None else environ
    path = config_path if config_path is not None else config_file_path()
    raw = _file_table(path)
    for key, var in ENV.items():
        value = env.get(var)
        if value:
            raw[key] = _from_env(key, value)
    url = raw.get("url")
    if not url:
        return None
    secret_file = raw.get("secret_file")
    if not secret_file:
        raise ConfigError(
            "sync needs a secret file.", hint=f"set {ENV['secret_file']} or [sync] secret_file"
        )
    site_id = raw.get("site_id")
    if not site_id:
        raise ConfigError("sync needs a site id.", hint=f"set {ENV['site_id']} or [sync] site_id")
    device_id = raw.get("device_id") or _install_id()
    if not device_id:
        raise ConfigError(
            "sync needs a device id and there is no store to take its install id from.",
            hint=f"set {ENV['device_id']} or [sync] device_id, or run: kiosk store init",
        )
    key_file = raw.get("ed25519_key_file")
    ref_file = raw.get("reference_secret_file")
    ca_file = raw.get("ca_file")
    if ca_file and not Path(ca_file).is_file():
        raise ConfigError(f"sync ca_file {ca_file} is not a file.")
    pins = raw.get("pin_sha256", ())
    return SyncSettings(
        url=str(url),
        secret=load_secret(Path(secret_file), "sync secret file"),
        site_id=str(site_id),
        device_id=str(device_id),
        ed25519_key=load_ed25519_private_key(Path(key_file)) if key_file else None,
        pins=tuple(_normalise_pin(p) for p in ([pins] if isinstance(pins, str) else pins)),
        ca_file=Path(ca_file) if ca_file else None,
        reference_secret=load_secret(Path(ref_file), "customer-reference secret file")
        if ref_file
        else None,
        allow_insecure_http=bool(raw.get("allow_insecure_http", False)),
        timeout_s=float(raw.get("timeout_s", 10.0)),
        concurrency=int(raw.get("concurrency", 4)),
    )


_TYPES: dict[str, tuple[type, ...]] = {
    "url": (str,),
    "secret_file": (str,),
    "site_id": (str,),
    "device_id": (str,),
    "ed25519_key_file": (str,),
    "pin_sha256": (str, list),
    "ca_file": (str,),
    "reference_secret_file": (str,),
    "allow_insecure_http": (bool,),
    "timeout_s": (int, float),
    "concurrency": (int,),
}


def _file_table(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} is not readable TOML: {exc}.") from None
    table = data.get("sync", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [sync] must be a table.")
    out: dict[str, Any] = {}
    for key, value in table.items():
        types = _TYPES.get(key)
        if types is None:
            import difflib

            close = difflib.get_close_matches(key, list(_TYPES), n=1)
            raise ConfigError(
                f"{path}: unknown key sync.{key}"
                + (f" (did you mean '{close[0]}'?)" if close else "")
                + "."
            )
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise ConfigError(f"{path}: sync.{key} has the wrong type.")
        if key in _PATH_KEYS:
            value = str((path.parent / Path(str(value)).expanduser()).resolve())
        out[key] = value
    return out


def _from_env(key: str, value: str) -> Any:
    var = ENV[key]
    if key == "allow_insecure_http":
        lowered = value.strip().lower()
        if lowered not in ("1", "0", "true", "false", "yes", "no"):
            raise ConfigError(f"{var} must be true or false.")
        return lowered in ("1", "true", "yes")
    if key == "timeout_s":
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{var} must be a number of seconds.") from None
    if key == "concurrency":
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{var} must be a whole number.") from None
    if key == "pin_sha256":
        return [p for p in (s.strip() for s in value.split(",")) if p]
    if key in _PATH_KEYS:
        return str(Path(value).expanduser())
    return value.strip()


def _normalise_pin(pin: Any) -> str:
    if not isinstance(pin, str):
        raise ConfigError("sync pin_sha256 entries must be strings.")
    return pin.replace(":", "").strip().lower()


def _install_id() -> str | None:
    from kiosk.config import kiosk_paths
    from kiosk.store import is_initialized, read_store_keyfile

    data_dir = kiosk_paths().data_dir
    if not is_initialized(data_dir):
        return None
    return read_store_keyfile(data_dir).install_id
