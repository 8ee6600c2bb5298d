"""Fulfilment of approved orders with ERPNext's stock documents: pick lists and delivery notes."""
