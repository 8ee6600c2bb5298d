"""Order review: the pure decision engine (engine.py) and its Frappe side (facts.py, actions.py)."""
