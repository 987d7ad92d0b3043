"""Clients for the registration tests (a module may still define its own)."""

from __future__ import annotations

import pytest


@pytest.fixture
def en(client):
    """Pages in English (the choice is remembered in the session)."""
    client.get("/?lang=en")
    return client


@pytest.fixture
def signed_in(client, organiser, login):
    """The organiser signed in, pages in English."""
    login()
    client.get("/?lang=en")
    return client
