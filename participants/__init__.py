"""Organisations, registrations, quotas, the waiting list, check-in and exports."""
