"""The one place per ERPNext touchpoint: every ERPNext document this app creates or reads is handled here."""
