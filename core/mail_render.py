"""What email templates need besides Flask-Babel's `_`, registered on the app itself.

Email is rendered by core.outbox.render_email inside a request, in the CLI and in the worker;
none of them may depend on a views module having been imported. The date filters and
`format_span`/`zone_label` come from core.i18n.init_app; this adds the absolute links.
"""

from __future__ import annotations

from flask import Flask

from core.urls import external_url


def init_app(app: Flask) -> None:
    # Absolute links in email templates (and pages), inside a request or not.
    app.jinja_env.globals["external_url"] = external_url
