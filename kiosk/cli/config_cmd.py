"""``kiosk config show | init | path``: the one configuration file."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from kiosk.cli._base import EXIT_OK, Output, Parser
from kiosk.errors import UsageError


@dataclass(frozen=True, slots=True)
class PathsView:
    config_file: str
    config_file_exists: bool
    data_dir: str
    models_dir: str
    cache_dir: str
    log_dir: str


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    from kiosk.cli import command

    config = sub.add_parser("config", help="show or create the configuration file")
    csub = config.add_subparsers(dest="config_command", parser_class=Parser, metavar="ACTION")
    config.set_defaults(handler=_need_action)
    command(csub, "show", _show, "the effective configuration and where things are kept")
    command(csub, "path", _path, "where the configuration file is")
    init = command(csub, "init", _init, "write the documented default configuration file")
    init.add_argument("--force", action="store_true", help="replace an existing file")


def _need_action(args: argparse.Namespace, out: Output) -> int:
    raise UsageError("kiosk config: choose an action: show, path or init.")


def _paths() -> PathsView:
    from kiosk.config import config_file_path, kiosk_paths

    p = kiosk_paths()
    path = config_file_path()
    return PathsView(
        str(path),
        path.is_file(),
        str(p.data_dir),
        str(p.models_dir),
        str(p.cache_dir),
        str(p.log_dir),
    )


def _show(args: argparse.Namespace, out: Output) -> int:
    from kiosk.config import active_profile, load_config, policy_path

    config = load_config()
    policy = policy_path()
    paths = _paths()
    payload = {
        "paths": paths,
        "profile": active_profile().value,
        "policy_file": str(policy) if policy else "<bundled default>",
        "config": config,
    }

    def human(console: Any) -> None:
        console.print(
            f"config file: {paths.config_file}"
            + ("" if paths.config_file_exists else " (absent: defaults)")
        )
        console.print(
            f"data dir:    {paths.data_dir}\nmodels dir:  {paths.models_dir}\n"
            f"logs:        {paths.log_dir}"
        )
        console.print(f"profile:     {payload['profile']}\npolicy:      {payload['policy_file']}")
        console.print(
            f"logging:     {config.log_level}, rotate at {config.log_max_bytes} bytes, "
            f"keep {config.log_backups}"
        )
        console.print(
            f"retention:   evidence {config.evidence_days} d, case data "
            f"{config.case_data_days} d, decisions {config.decision_days} d"
        )

    out.emit(payload, human)
    return EXIT_OK


def _path(args: argparse.Namespace, out: Output) -> int:
    paths = _paths()
    out.emit(paths, lambda c: c.print(paths.config_file))
    return EXIT_OK


def _init(args: argparse.Namespace, out: Output) -> int:
    import os
    import tempfile
    from pathlib import Path

    from kiosk.config import config_file_path, default_config_text

    path = config_file_path()
    if path.exists() and not args.force:
        raise UsageError(f"{path} exists; use --force to replace it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kiosk-", suffix=".toml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(default_config_text())
    Path(tmp).replace(path)
    out.emit({"written": str(path)}, lambda c: c.print(f"written: {path}"))
    return EXIT_OK
