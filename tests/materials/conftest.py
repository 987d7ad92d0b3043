"""Materials made through the service (each test has a file store of its own: UPLOAD_DIR in
tests/conftest.py's base_config)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from materials import services
from tests.materials.helpers import PDF, material_data


@pytest.fixture
def make_material(organiser):
    def do(by=None, data: bytes = PDF, filename: str = "Avtalsklausul.pdf", **overrides: Any):
        upload = services.Upload(io.BytesIO(data), filename) if data is not None else None
        return services.create_material(by or organiser, material_data(**overrides), upload)

    return do
