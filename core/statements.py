"""For the benchmark: BENCH_COUNT_STATEMENTS=1 counts the SQL statements each request sends
(everything that reaches a database cursor, BEGIN included where the app emits it) and answers
the count in an X-Statements header; bench/run.py reads it. Off by default, and then nothing is
installed: no listener, no header, no cost."""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, has_app_context

from core.db import db


def init_app(app: Flask) -> None:
    if os.environ.get("BENCH_COUNT_STATEMENTS") != "1":
        return

    def count(*_args: Any) -> None:
        if has_app_context():
            g.bench_statements = g.get("bench_statements", 0) + 1

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)

    @app.after_request
    def header(response: Response) -> Response:
        response.headers["X-Statements"] = str(g.get("bench_statements", 0))
        return response
