"""Surveys: definitions, invitations, answering, results, and the impact report."""
