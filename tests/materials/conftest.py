"""A file store of the test's own, and materials made through the service."""

from __future__ import annotations

import io
from typing import Any

import pytest

from materials import services
from tests.materials.helpers import PDF, material_data


@pytest.fixture
def app(make_app, tmp_path):
    from flask import request_started

    from tests.conftest import _fresh_request_globals

    app = make_app(UPLOAD_DIR=str(tmp_path / "uploads"))
    request_started.connect(_fresh_request_globals, app)
    with app.app_context():
        yield app


@pytest.fixture
def make_material(organiser):
    def do(by=None, data: bytes = PDF, filename: str = "Avtalsklausul.pdf", **overrides: Any):
        upload = services.Upload(io.BytesIO(data), filename) if data is not None else None
        return services.create_material(by or organiser, material_data(**overrides), upload)

    return do
