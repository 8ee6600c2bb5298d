"""Return Requests (RMA): pure rules (eligibility.py, status.py) and their Frappe side
(deliveries.py, validation.py, review.py). Settlement (return Delivery Note, credit note,
refund, replacement) builds on these."""
