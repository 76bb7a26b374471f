"""Where the unlock secret comes from: a passphrase file, the OS keyring, or a prompt.

Order for commands (:func:`resolve_credential`): ``KIOSK_PASSPHRASE_FILE``,
then a master key remembered in the OS keyring, then ``getpass`` when stdin
is a terminal, else :class:`NoCredential`. Every keyring failure (no backend,
a locked or broken one) counts as "not available": the kiosk then asks for
the passphrase instead of failing.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.errors import ConfigError
from kiosk.store.errors import KeyringUnavailable, NoCredential, PassphraseFileExposed
from kiosk.store.keys import Credential, Passphrase, RememberedKey

log = logging.getLogger("kiosk.store")

PASSPHRASE_FILE_ENV = "KIOSK_PASSPHRASE_FILE"
KEYRING_SERVICE = "kiosk-kyc-store"

Prompt = Callable[[str], str]


def check_passphrase_file_private(path: Path) -> None:
    """Refuse a passphrase file that users other than its owner can read.

    Read bits for group or others count when that group or others can also
    enter the file's directory: a 0644 file in a 0700 directory is out of their
    reach (it is accepted, with a warning in the log).

    Raises:
        PassphraseFileExposed: readable by group or others.
        OSError: it cannot be examined.
    """
    mode = path.stat().st_mode
    loose = mode & 0o077
    if not loose:
        return
    parent = path.resolve().parent.stat().st_mode
    group_can = mode & 0o040 and parent & 0o010
    others_can = mode & 0o004 and parent & 0o001
    if group_can or others_can:
        raise PassphraseFileExposed(
            f"The passphrase file {path} is readable by "
            f"{'other users' if others_can else 'its group'} (mode {mode & 0o777:04o}).",
            hint=f"chmod 600 {path}",
        )
    log.warning("passphrase file mode %04o is wider than 0600 (chmod 600 it)", mode & 0o777)


def read_passphrase_file(path: Path) -> str:
    """The passphrase in ``path``: UTF-8, one trailing newline removed.

    Raises:
        PassphraseFileExposed: group or others can read it (see
            :func:`check_passphrase_file_private`).
        ConfigError: unreadable, not UTF-8, or empty.
    """
    try:
        check_passphrase_file_private(Path(path))
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"The passphrase file cannot be read ({exc.strerror}).",
            hint=f"check {PASSPHRASE_FILE_ENV}",
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("The passphrase file is not UTF-8 text.") from None
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text:
        raise ConfigError("The passphrase file is empty.", hint=f"check {PASSPHRASE_FILE_ENV}")
    return text


def passphrase_from_env() -> Passphrase | None:
    """The passphrase named by ``KIOSK_PASSPHRASE_FILE``, or None when it is unset."""
    name = os.environ.get(PASSPHRASE_FILE_ENV)
    if not name:
        return None
    return Passphrase(read_passphrase_file(Path(name).expanduser()))


def _backend() -> Any:
    """The keyring module when a real backend is configured.

    Raises:
        KeyringUnavailable: keyring missing or only its "fail" backend.
    """
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:  # any import or backend-discovery failure means "no keyring"
        raise KeyringUnavailable() from None
    if isinstance(backend, fail.Keyring):
        raise KeyringUnavailable(hint="install and unlock an OS keyring (Secret Service)")
    return keyring


def keyring_available() -> bool:
    try:
        _backend()
    except KeyringUnavailable:
        return False
    return True


def remember_master_key(install_id: str, key_id: str, raw: bytes) -> None:
    """Store the master key in the OS keyring under this installation's id.

    Raises:
        KeyringUnavailable: no backend, or it refused the write.
    """
    keyring = _backend()
    value = json.dumps({"key_id": key_id, "key": base64.b64encode(raw).decode("ascii")})
    try:
        keyring.set_password(KEYRING_SERVICE, install_id, value)
    except Exception:
        raise KeyringUnavailable("The OS keyring refused to store the key.") from None


def recall_master_key(install_id: str) -> RememberedKey | None:
    """The remembered master key, or None (no keyring, no entry, unreadable entry)."""
    try:
        value = _backend().get_password(KEYRING_SERVICE, install_id)
    except Exception:
        return None
    if not value:
        return None
    try:
        body = json.loads(value)
        return RememberedKey(str(body["key_id"]), base64.b64decode(body["key"], validate=True))
    except (ValueError, KeyError, TypeError, binascii.Error):
        log.warning("ignoring an unreadable keyring entry for the store")
        return None


def forget_master_key(install_id: str) -> bool:
    """Delete the keyring entry; True if one was deleted."""
    try:
        keyring = _backend()
        if keyring.get_password(KEYRING_SERVICE, install_id) is None:
            return False
        keyring.delete_password(KEYRING_SERVICE, install_id)
    except Exception:
        return False
    return True


def has_remembered_key(install_id: str, key_id: str) -> bool:
    remembered = recall_master_key(install_id)
    return remembered is not None and remembered.key_id == key_id


def replace_remembered_key(install_id: str, old_key_id: str, new_key_id: str, raw: bytes) -> bool:
    """After a rotation, update a keyring entry that held the old key; True if updated.

    A stale entry that cannot be updated is deleted, so the keyring never
    offers a key the store no longer accepts.
    """
    remembered = recall_master_key(install_id)
    if remembered is None or remembered.key_id != old_key_id:
        return False
    try:
        remember_master_key(install_id, new_key_id, raw)
    except KeyringUnavailable:
        forget_master_key(install_id)
        return False
    return True


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _getpass(prompt: str) -> str:
    import getpass

    return getpass.getpass(prompt)


def resolve_credential(
    install_id: str,
    *,
    allow_keyring: bool = True,
    prompt: Prompt | None = None,
    interactive: bool | None = None,
) -> Credential:
    """The first available unlock credential (see the module docstring for the order).

    Args:
        install_id: the store's install id (keys the keyring entry).
        allow_keyring: False where the passphrase itself is needed (rekey, passwd).
        prompt: asks for a secret; ``getpass`` by default.
        interactive: whether prompting is allowed; default: stdin is a terminal.

    Raises:
        NoCredential: nothing available.
        ConfigError: ``KIOSK_PASSPHRASE_FILE`` is set but unusable.
    """
    from_file = passphrase_from_env()
    if from_file is not None:
        return from_file
    if allow_keyring:
        remembered = recall_master_key(install_id)
        if remembered is not None:
            return remembered
    if interactive if interactive is not None else _stdin_is_tty():
        return Passphrase((prompt or _getpass)("Store passphrase: "))
    raise NoCredential(
        hint=f"set {PASSPHRASE_FILE_ENV} to a file holding the passphrase, or run on a terminal"
    )


def resolve_new_passphrase(
    path: Path | None, *, prompt: Prompt | None = None, interactive: bool | None = None
) -> str:
    """A new passphrase from ``path``, else typed twice on a terminal.

    Raises:
        NoCredential: no file and no terminal.
        ConfigError: the two entries differ, or the file is unusable.
    """
    if path is not None:
        return read_passphrase_file(path)
    if not (interactive if interactive is not None else _stdin_is_tty()):
        raise NoCredential(
            "No new passphrase given.", hint="pass --new-passphrase-file FILE or run on a terminal"
        )
    ask = prompt or _getpass
    first = ask("New store passphrase: ")
    if ask("Repeat the new passphrase: ") != first:
        raise ConfigError("The two passphrases differ.")
    return first
