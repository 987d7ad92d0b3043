"""The bare Flask app the benchmark compares against: one small page and one JSON POST, served
by gunicorn with the same production settings as the real app.

    gunicorn -c gunicorn.conf.py --pythonpath bench baseline_app:app
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from jinja2 import DictLoader

app = Flask(__name__)

PAGE = """<!doctype html>
<html lang="sv">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<main>
<h1>{{ title }}</h1>
<p>{{ when }}</p>
<ul>{% for item in agenda %}<li>{{ item }}</li>{% endfor %}</ul>
</main>
</body>
</html>
"""


app.jinja_loader = DictLoader({"page.html": PAGE})  # compiled once and cached, as files are


@app.get("/events/<slug>")
def event(slug: str) -> str:
    return render_template(
        "page.html",
        title=slug.replace("-", " ").capitalize(),
        when="tisdag 8 december 2026 kl. 9.00–16.00",
        agenda=["Välkommen", "Sysselsättningskrav i praktiken", "Workshop", "Avslutning"],
    )


@app.post("/api/v1/events/<slug>/registrations")
def register(slug: str) -> tuple[Response, int]:
    data = request.get_json()
    return jsonify({"status": "confirmed", "email": data["email"], "event": slug}), 201
