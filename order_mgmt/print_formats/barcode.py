"""Code 128 barcodes as inline SVG images, so they render in the browser and in wkhtmltopdf alike."""

from __future__ import annotations

import base64
import io

from barcode import Code128
from barcode.writer import SVGWriter


def barcode_svg(value: str | None) -> str:
	"""A data: URI of the value's Code 128 barcode (empty for no value)."""
	if not value:
		return ""
	buffer = io.BytesIO()
	Code128(str(value), writer=SVGWriter()).write(
		buffer, options={"module_height": 9.0, "module_width": 0.25, "quiet_zone": 1.0, "write_text": False}
	)
	return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
