"""Shared readers for the document tests: engines load once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def mrz_reader(model_registry):  # type: ignore[no-untyped-def]
    from pipeline.document.mrz import MrzReader

    reader = MrzReader(registry=model_registry)
    yield reader
    reader.close()


@pytest.fixture(scope="session")
def document_reader(model_registry) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from pipeline.document.document import DocumentReader

    reader = DocumentReader(registry=model_registry)
    yield reader
    reader.close()
