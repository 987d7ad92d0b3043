"""Charts as server-side SVG: one component for every report (the organisers' dashboard now;
materials' statistics, survey results and the impact report later).

`Chart` holds the data once; `chart_svg(chart)` draws it with pygal, and the macro
`chart(...)` in templates/_chart.html puts the SVG inline (role="img", its <title> and <desc>
as the accessible name and description) beside a table of the same numbers, so the figure is
readable without JavaScript, without colour and without the picture.

Why pygal: it is maintained (3.1, 2026), pure Python, and writes real SVG with <text> (which
scales and can be read) from a few lines; matplotlib would bring numpy and a 40 MB install,
writes `style="..."` on every element (the Content-Security-Policy forbids inline style) and
draws letters as paths. pygal puts its CSS in a <style> element and a <script> in each SVG,
which the policy forbids too, so chart_svg() takes them out and the same rules ship once as a
static file, static/css/charts.css, written by `python -m core.charts` (a test keeps it
current): the classes pygal writes are styled by that file.

Colour never carries meaning alone: every colour of PALETTE has at least 3:1 contrast with
the white background (WCAG 1.4.11), each series after the first also has its own hatching
(bars) or dashes (lines), the values are printed on the chart, the legend names each series,
and the table beside it has every number.
"""

from __future__ import annotations

import html
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pygal
from flask import Flask
from markupsafe import Markup
from pygal.style import Style

SVG_NS = "http://www.w3.org/2000/svg"

# Contrast with white (#ffffff): 5.2, 4.9, 6.4, 11.2, 7.3, 7.0, 8.6:1 (WCAG 1.4.11 asks 3:1).
PALETTE = ("#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#912b88", "#505a5f", "#6f4e00")
TEXT = "#0b0c0c"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif'
WIDTH, HEIGHT = 640, 360
KINDS = ("bar", "hbar", "line")
ROOT_CLASS = "mp-chart"
STYLESHEET = Path(__file__).resolve().parents[1] / "static" / "css" / "charts.css"

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground=TEXT,
    foreground_strong=TEXT,
    foreground_subtle="#505a5f",
    opacity="1",
    opacity_hover="1",
    stroke_opacity="1",
    stroke_opacity_hover="1",
    stroke_width="3",
    stroke_width_hover="3",
    transition="none",
    colors=PALETTE,
    value_colors=(TEXT,) * len(PALETTE),
    font_family=FONT,
    title_font_size=18,
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=16,
    value_font_size=14,
    value_label_font_size=14,
    tooltip_font_size=14,
    no_data_font_size=18,
    guide_stroke_color="#b1b4b6",
    major_guide_stroke_color="#505a5f",
)

# Ours, after pygal's rules: hatching and dashes so each series differs without colour, and
# the figure's layout (the chart beside its table on a wide screen, above it on a narrow one).
EXTRA_CSS = """
.mp-chart { display: block; width: 100%; height: auto; max-width: 40rem; }
.mp-chart .serie-1 .rect { fill: url(#mp-chart-hatch-1); }
.mp-chart .serie-2 .rect { fill: url(#mp-chart-hatch-2); }
.mp-chart .serie-3 .rect { fill: url(#mp-chart-hatch-3); }
.mp-chart .serie-1 .line { stroke-dasharray: 10 5; }
.mp-chart .serie-2 .line { stroke-dasharray: 3 4; }
.mp-chart .serie-3 .line { stroke-dasharray: 12 4 3 4; }
.mp-chart .text-overlay text.value { paint-order: stroke; stroke: #ffffff; stroke-width: 4px; }
.mp-chart-defs { position: absolute; width: 0; height: 0; overflow: hidden; }
.mp-chart-figure { margin: 0 0 2rem; }
.mp-chart-figure .mp-chart-table { min-width: 0; }
.mp-chart-table caption, .mp-chart-table th, .mp-chart-table td, .dashboard-fill th,
.dashboard-fill td {
  overflow-wrap: anywhere; }
@media (min-width: 60em) {
  .mp-chart-figure { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr);
                     gap: 2rem; align-items: start; }
}
.mp-charts-stacked .mp-chart-figure { display: block; }
"""


@dataclass(frozen=True)
class Series:
    """One row of numbers: its name (in the legend and the table's column) and a value per
    label."""

    name: str
    values: Sequence[int | float]


@dataclass(frozen=True)
class Chart:
    """What a chart shows, once: the chart and its table are drawn from it.

    - `id`: unique on the page (the SVG's <title> and <desc> are named by it).
    - `title`: the accessible name and the table's caption; `description`: one or two
      sentences saying what the chart shows (its main finding).
    - `kind`: "bar" (columns), "hbar" (bars, for long labels) or "line" (over time).
    - `labels`: the categories or days; `series`: the numbers, one value per label.
    - `label_heading`: the table's first column's heading (e.g. "Day", "Target group").
    """

    id: str
    title: str
    description: str
    kind: str
    labels: Sequence[str]
    series: Sequence[Series]
    label_heading: str = ""
    options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        if not re.fullmatch(r"[A-Za-z][\w-]*", self.id):
            raise ValueError("id must be a valid HTML id")
        for series in self.series:
            if len(series.values) != len(self.labels):
                raise ValueError(f"series {series.name!r} needs one value per label")

    @property
    def rows(self) -> list[tuple[str, list[int | float]]]:
        """The table: (label, the value of each series) per label."""
        return [(label, [s.values[i] for s in self.series]) for i, label in enumerate(self.labels)]


def _pygal_chart(chart: Chart | None = None) -> pygal.graph.graph.Graph:
    kind = chart.kind if chart else "bar"
    cls = {"bar": pygal.Bar, "hbar": pygal.HorizontalBar, "line": pygal.Line}[kind]
    labels = list(chart.labels) if chart else []
    config = {
        "style": STYLE,
        "width": WIDTH,
        "height": HEIGHT,
        "explicit_size": False,
        "disable_xml_declaration": True,
        "js": [],
        "classes": [ROOT_CLASS],
        "show_legend": bool(chart and len(chart.series) > 1),
        "legend_at_bottom": True,
        "print_values": kind != "line" or len(labels) <= 12,
        "print_zeroes": False,
        "show_minor_x_labels": len(labels) <= 14,
        "x_labels_major_every": max(1, -(-len(labels) // 7)) if len(labels) > 14 else None,
        "truncate_legend": -1,
        "truncate_label": -1,
        "min_scale": 2,
        "max_scale": 6,
        "margin": 12,
        "margin_right": 32,
        "spacing": 12,
        "dots_size": 4,
        "x_label_rotation": 35 if kind == "line" and len(labels) > 5 else 0,
    }
    if chart:
        config.update(chart.options)
    return cls(**config)


def _values_for_scale(chart: Chart) -> dict:
    """Whole numbers on the axis when the data are counts."""
    values = [v for s in chart.series for v in s.values]
    if values and all(isinstance(v, int) for v in values):
        top = max(values) or 1
        step = max(1, round(top / 5))
        return {"y_labels": list(range(0, top + step, step)), "value_formatter": str}
    return {}


def chart_svg(chart: Chart) -> Markup:
    """The chart as inline SVG markup: role="img", named by its <title> and described by its
    <desc>, without pygal's <style>, <script>, tooltips or ids (static/css/charts.css styles
    it; nothing in it runs)."""
    drawing = _pygal_chart(chart)
    for option, value in _values_for_scale(chart).items():
        setattr(drawing, option, value)
    drawing.x_labels = list(chart.labels)
    for series in chart.series:
        drawing.add(series.name, list(series.values))
    root = ET.fromstring(drawing.render(is_unicode=True))
    _clean(root)
    root.attrib.pop("id", None)
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart.id}-title")
    root.set("aria-describedby", f"{chart.id}-desc")
    root.set("focusable", "false")
    title = ET.Element(f"{{{SVG_NS}}}title", {"id": f"{chart.id}-title"})
    title.text = chart.title
    desc = ET.Element(f"{{{SVG_NS}}}desc", {"id": f"{chart.id}-desc"})
    desc.text = chart.description
    root.insert(0, desc)
    root.insert(0, title)
    # Registered at each use: the registry is global, and WeasyPrint's PDF metadata takes the
    # prefix "" for itself when the first PDF is made, after which every chart came out as
    # <ns0:svg>, which browsers do not draw.
    ET.register_namespace("", SVG_NS)
    return Markup(ET.tostring(root, encoding="unicode", short_empty_elements=True))


def _clean(element: ET.Element) -> None:
    """Take out what the policy forbids or what only served pygal's script: <style>,
    <script>, the tooltip layer, hover <title>s and <desc>s, style= and id= attributes."""
    for child in list(element):
        tag = child.tag.rpartition("}")[2]
        classes = child.get("class", "").split()
        if tag in ("style", "script", "title", "desc") or "tooltip-overlay" in classes:
            element.remove(child)
            continue
        child.attrib.pop("style", None)
        child.attrib.pop("id", None)
        _clean(child)
        if tag == "defs" and not len(child):
            element.remove(child)


def _hatch(n: int) -> str:
    """A pattern of lines over the series' colour: diagonal, crossing or vertical."""
    color = PALETTE[n % len(PALETTE)]
    lines = {
        1: '<path d="M0 8 L8 0" stroke="#ffffff" stroke-width="2"/>',
        2: '<path d="M0 0 L8 8 M0 8 L8 0" stroke="#ffffff" stroke-width="1.5"/>',
        3: '<path d="M4 0 V8" stroke="#ffffff" stroke-width="2"/>',
    }[n]
    return (
        f'<pattern id="mp-chart-hatch-{n}" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{color}"/>{lines}</pattern>'
    )


def chart_defs() -> Markup:
    """The hatching patterns, once per page with charts (templates/_chart.html's
    chart_assets()): patterns defined once keep the ids unique when a page has many charts."""
    patterns = "".join(_hatch(n) for n in (1, 2, 3))
    return Markup(
        f'<svg class="mp-chart-defs" aria-hidden="true" focusable="false" width="0" height="0">'
        f"<defs>{patterns}</defs></svg>"
    )


def stylesheet() -> str:
    """static/css/charts.css: pygal's rules for our STYLE, for every colour of the palette,
    scoped to the chart's class instead of one chart's id, and then ours (EXTRA_CSS)."""
    drawing = _pygal_chart()
    drawing.js = []
    drawing.x_labels = ["0"]
    for n in range(len(PALETTE)):
        drawing.add(str(n), [1])
    svg = drawing.render(is_unicode=True)
    css = html.unescape("".join(re.findall(r"<style[^>]*>(.*?)</style>", svg, re.S)))
    css = re.sub(r"#chart-[0-9a-f-]+", f"svg.{ROOT_CLASS}", css)
    css = css.replace(f"svg.{ROOT_CLASS}{{", f"svg.{ROOT_CLASS} {{")
    header = (
        "/* Charts (core/charts.py). pygal's CSS (LGPL-3.0-or-later, (c) Kozea) for our style,"
        " then ours.\n   Generated: python -m core.charts > static/css/charts.css */\n"
    )
    return header + css.replace("}", "}\n") + EXTRA_CSS


def init_app(app: Flask) -> None:
    """chart_svg and chart_defs for templates/_chart.html."""
    app.jinja_env.globals.update(chart_svg=chart_svg, chart_defs=chart_defs)


if __name__ == "__main__":  # python -m core.charts > static/css/charts.css
    sys.stdout.write(stylesheet())
