"""Shared test material for the store: records with known personal data, raw DB access.

Used by the pytest suite, the crash evaluation and the benchmark.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.store import CaseDecision, CaseRecord, EvidenceItem, EvidenceKind, KdfParams
from kiosk.store.keys import MasterKey, derive_kek, read_keyfile, unwrap_master
from kiosk.store.store import StorePaths
from pipeline.types import Timings

# Cheap Argon2id for tests only; the keyfile records the parameters it was made with.
FAST_KDF = KdfParams.insecure_for_tests(time_cost=1, memory_kib=8 * 1024, parallelism=1)
PASSPHRASE = "correct horse battery staple"
OTHER_PASSPHRASE = "a different long passphrase"

# Personal data that must never appear in clear on disk or in the audit log.
KNOWN_SURNAME = "VANDERQUACKENBOSCH"
KNOWN_GIVEN = "ELSPETH MARGUERITE"
KNOWN_DOCNUM = "X7Q4P2K9L"
JPEG_SOI = b"\xff\xd8\xff\xe0"
JPEG_JFIF = b"\x00\x10JFIF\x00"

POLICY_HASH = "3" * 64
MODEL_HASHES = (("sface", "a" * 64), ("yunet", "b" * 64))


def fake_jpeg(size: int, rng: random.Random) -> bytes:
    """JPEG-looking bytes: SOI + JFIF APP0 header, random (incompressible) body, EOI."""
    header = JPEG_SOI + JPEG_JFIF + b"\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    body = rng.randbytes(max(0, size - len(header) - 2))
    return header + body + b"\xff\xd9"


def case_json(surname: str = KNOWN_SURNAME, docnum: str = KNOWN_DOCNUM) -> bytes:
    body = {
        "document": {
            "fields": {
                "surname": surname,
                "given_names": KNOWN_GIVEN,
                "document_number": docnum,
                "date_of_birth": "1984-03-07",
                "nationality": "NLD",
            },
            "mrz_lines": [f"P<NLD{surname}<<{KNOWN_GIVEN.replace(' ', '<')}", f"{docnum}<8NLD"],
        },
        "signals": {"face_match": {"cosine": 0.71}, "liveness": {"passed": True}},
    }
    return json.dumps(body).encode("utf-8")


def make_record(
    rng: random.Random,
    *,
    created_at: datetime | None = None,
    evidence_sizes: tuple[int, ...] = (200_000, 60_000, 30_000),
    decision: CaseDecision = CaseDecision.APPROVED,
    surname: str = KNOWN_SURNAME,
    docnum: str = KNOWN_DOCNUM,
) -> CaseRecord:
    """A deterministic case for ``rng``: same seed, same id and bytes."""
    kinds = (EvidenceKind.DOCUMENT_IMAGE, EvidenceKind.SELFIE_FRAME, EvidenceKind.PORTRAIT_CROP)
    evidence = tuple(
        EvidenceItem(kinds[i % len(kinds)], fake_jpeg(size, rng), "image/jpeg")
        for i, size in enumerate(evidence_sizes)
    )
    return CaseRecord(
        case_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        created_at=created_at or datetime.now(UTC),
        decision=decision,
        reasons=("face_match_ok", "liveness_ok"),
        policy_hash=POLICY_HASH,
        model_hashes=MODEL_HASHES,
        case_json=case_json(surname, docnum),
        timings=Timings((("document", 812.5), ("selfie", 2310.0), ("decide", 1.2))),
        evidence=evidence,
    )


def ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def master_key(data_dir: Path, passphrase: str = PASSPHRASE) -> MasterKey:
    """The current master key, unwrapped the way an attacker with the passphrase would."""
    keyfile = read_keyfile(StorePaths.for_data_dir(data_dir).keyfile)
    kek = derive_kek(passphrase, keyfile.kdf)
    master = unwrap_master(keyfile.master, kek, keyfile.install_id, keyfile.kek_generation)
    assert master is not None
    return master


def raw_connection(data_dir: Path, key: MasterKey | None = None) -> Any:
    """A sqlcipher3 connection with the database key only (no audit key): the attacker's view."""
    import sqlcipher3

    key = key or master_key(data_dir)
    conn = sqlcipher3.connect(str(StorePaths.for_data_dir(data_dir).database), isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = {key.sqlcipher_pragma_value()}")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


def opens_with(data_dir: Path, key: MasterKey) -> bool:
    import sqlcipher3

    try:
        raw_connection(data_dir, key).close()
    except sqlcipher3.DatabaseError:
        return False
    return True


def files_under(root: Path) -> Iterator[Path]:
    return (p for p in sorted(root.rglob("*")) if p.is_file())


def file_hashes(root: Path, *, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    import hashlib

    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files_under(root)
        if p.name not in exclude
    }


# --- SQLCipher page decryption (tests only) ------------------------------------------
# SQLCipher 4 defaults: 4096-byte pages, 80 reserved bytes (16 IV + 64 HMAC-SHA512),
# AES-256-CBC; page 1 starts with the 16-byte salt. A raw key is used as is.
PAGE = 4096
RESERVE = 80


def _decrypt_page(key: bytes, pgno: int, raw: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    start = 16 if pgno == 1 else 0
    iv = raw[PAGE - RESERVE : PAGE - RESERVE + 16]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(raw[start : PAGE - RESERVE]) + decryptor.finalize()


def decrypted_pages(data_dir: Path, key: MasterKey) -> Iterator[tuple[str, int, bytes]]:
    """Every page of the database file and every WAL frame, decrypted, free pages included."""
    database = StorePaths.for_data_dir(data_dir).database
    data = database.read_bytes()
    for offset in range(0, len(data) - PAGE + 1, PAGE):
        pgno = offset // PAGE + 1
        yield "db", pgno, _decrypt_page(key.sqlcipher_key, pgno, data[offset : offset + PAGE])
    wal = database.with_name(database.name + "-wal")
    if wal.exists():
        frames = wal.read_bytes()
        offset = 32
        while offset + 24 + PAGE <= len(frames):
            pgno = int.from_bytes(frames[offset : offset + 4], "big")
            page = frames[offset + 24 : offset + 24 + PAGE]
            yield "wal", pgno, _decrypt_page(key.sqlcipher_key, pgno, page)
            offset += 24 + PAGE
