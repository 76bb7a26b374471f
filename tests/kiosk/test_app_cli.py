"""``kiosk app`` (a launcher for ``python -m ui``) and ``kiosk staff``."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli.app_cmd import add_app_arguments, ui_argv

KIOSK = [sys.executable, "-m", "kiosk"]


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KIOSK, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    e.update(KIOSK_DATA_DIR=str(tmp_path / "data"), KIOSK_CONFIG_DIR=str(tmp_path / "config"))
    return e


def test_app_options_survive_the_hand_over_to_python_m_ui() -> None:
    parser = argparse.ArgumentParser()
    add_app_arguments(parser)
    argv = [
        "--demo",
        "--autorun",
        "--screenshots",
        "/tmp/s",
        "--camera",
        "clip.avi",
        "--document",
        "scanner:test:0",
        "--seed",
        "7",
        "--lang",
        "de",
        "--no-store",
    ]
    first = parser.parse_args(argv)
    assert parser.parse_args(ui_argv(first)) == first


def test_python_m_kiosk_without_arguments_starts_the_app(env: dict[str, str]) -> None:
    for key in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(key, None)
    proc = run([], env)
    # the app itself answered: no display here, and it says so without a traceback
    assert proc.returncode == 2
    assert "No display is available" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_kiosk_app_help_lists_the_demo_and_autorun(env: dict[str, str]) -> None:
    proc = run(["app", "--help"], env)
    assert proc.returncode == 0
    assert "--demo" in proc.stdout and "--autorun" in proc.stdout


def test_staff_pins_are_managed_behind_the_store_credential(
    env: dict[str, str], tmp_path: Path
) -> None:
    from kiosk.store import Store
    from tests.kiosk.store.helpers import FAST_KDF, PASSPHRASE

    no_store = run(["staff", "add", "clerk01", "--pin-stdin", "--json"], env, "582947\n")
    assert no_store.returncode == 2
    assert json.loads(no_store.stdout)["error"]["code"] == "store_not_initialized"

    Store.create(tmp_path / "data", PASSPHRASE, kdf=FAST_KDF).close()
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase at all\n")
    env["KIOSK_PASSPHRASE_FILE"] = str(wrong)
    refused = run(["staff", "add", "clerk01", "--pin-stdin", "--json"], env, "582947\n")
    assert json.loads(refused.stdout)["error"]["code"] == "store_wrong_passphrase"
    assert not (tmp_path / "data" / "staff_pins.json").exists()

    right = tmp_path / "right"
    right.write_text(PASSPHRASE + "\n")
    env["KIOSK_PASSPHRASE_FILE"] = str(right)
    weak = run(["staff", "add", "clerk01", "--pin-stdin", "--json"], env, "123456\n")
    assert json.loads(weak.stdout)["error"]["code"] == "staff_invalid_pin"
    ok = run(["staff", "add", "clerk01", "--pin-stdin", "--json"], env, "582947\n")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    listed = json.loads(run(["staff", "list", "--json"], env).stdout)
    assert listed["staff"] == ["clerk01"]
    assert "582947" not in (tmp_path / "data" / "staff_pins.json").read_text()
