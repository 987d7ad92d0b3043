"""The demo's materials (flask demo-data): filled in below."""
