"""schemathesis against the OpenAPI document: generated requests, valid and invalid, sent to
the real app under gunicorn, anonymous and with an organiser's token. Every answer must be a
4xx or a 2xx (never a 5xx) and look as the document says: status, content type, headers and
body schema. On SQLite by default, on PostgreSQL with TEST_DATABASE_URL (`make test-fuzz`).

Checks run: not_a_server_error, status_code_conformance, content_type_conformance,
response_headers_conformance, response_schema_conformance, negative_data_rejection (a
request the document calls invalid gets a 4xx), missing_required_header, ignored_auth (a
token operation refuses a request without the token), use_after_free and
ensure_resource_availability (on the links schemathesis infers between operations).

Left out, and why:
- positive_data_acceptance: the document gives JSON types; the rules (an end after the
  start, sessions inside the event, a target group the event admits, …) are the services',
  so a well-typed body is often rightly refused with 422.
- unsupported_method and allow_header_conformance: a 405 carries no Allow header yet (the
  JSON error handler drops it; fixed in core/errors.py by another part of issue 6, after
  which both can be added here).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server import gunicorn_server

pytestmark = [pytest.mark.fuzz, pytest.mark.server]

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "missing_required_header",
        "ignored_auth",
        "use_after_free",
        "ensure_resource_availability",
        "unsupported_method",
        "allow_header_conformance",
    ]
)
MAX_TIME = os.environ.get("FUZZ_MAX_TIME", "60")
CHECKS = os.environ.get("FUZZ_CHECKS", CHECKS)  # to try others by hand
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.parametrize("who", ["anonymous", "organiser"])
def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(
    app, database_url, make_event, token, tmp_path, who
):
    make_event()  # a published event whose slug the document's examples do not know
    make_event(status="draft", title="Utkast")
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(Path(__file__).with_name("schemathesis.toml")),
        "run",
        "--checks",
        CHECKS,
        "-n",
        "25",
        "--max-time",
        MAX_TIME,
        "--request-timeout",
        "10",
        "--warnings",
        "off",
        "--generation-database",
        "none",
    ]
    if who == "organiser":
        command += ["-H", f"Authorization: Bearer {token}"]
    # Two small workers leave room on 2 cores; the run lasts MAX_TIME seconds at most.
    # gunicorn's own limit on the request line (4094) answers 414 in HTML before the app
    # sees the request; the longest it allows keeps schemathesis's long queries in the app.
    env = {"GUNICORN_CMD_ARGS": "--limit-request-line 8190"}
    with gunicorn_server(database_url, workers=2, threads=2, env=env) as base_url:
        result = subprocess.run(
            [*command, f"{base_url}/api/v1/openapi.json"],
            cwd=tmp_path,  # schemathesis writes .schemathesis/ here
            capture_output=True,
            text=True,
            timeout=int(MAX_TIME) + 120,
        )
    print(result.stdout[-3000:])  # the summary, shown with -s or -rA
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
