"""A chart is SVG a browser draws (<svg> in the SVG namespace, no ns0: prefix), whatever else
in the process has used ElementTree's global namespace registry: WeasyPrint's PDF metadata
registers the prefix "" when the first PDF is made."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from core.charts import Chart, Series, chart_svg


def _chart() -> Chart:
    return Chart(
        id="chart-test", title="Registrations", description="Three days.", kind="bar",
        labels=["1 Dec", "2 Dec", "3 Dec"], series=[Series("Registrations", [1, 4, 2])],
    )  # fmt: skip


def test_a_chart_stays_svg_after_a_pdf_was_made():
    import weasyprint

    weasyprint.HTML(string="<p>Badge</p>").write_pdf()  # registers its own namespaces
    ET.register_namespace("", "")  # what it does to the default prefix, made explicit

    svg = str(chart_svg(_chart()))

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"'), svg[:120]
    assert "ns0:" not in svg
    assert 'role="img"' in svg and '<title id="chart-test-title">Registrations</title>' in svg
