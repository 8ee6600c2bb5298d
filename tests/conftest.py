"""Puts the repository root on sys.path, so `python -m pytest tests` runs without installing the app.

Only the pure modules (no frappe import) are tested here.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
	sys.path.insert(0, str(ROOT))
