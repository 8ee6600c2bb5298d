"""Helpers the shipped print formats call from Jinja (hooks.jinja): barcodes and grouped lines."""
