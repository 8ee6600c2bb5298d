"""Customer Order intake: pure rules (rules.py, status.py) and their Frappe side (intake.py)."""
