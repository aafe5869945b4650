"""Fixtures for digest tests: SMTP servers on loopback, TLS certificates, sample digests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.doubles.smtp import SmtpServer, TlsCerts


@pytest.fixture(scope="session")
def certs() -> TlsCerts:
    return TlsCerts()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server
