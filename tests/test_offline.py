"""The offline guard really refuses the internet."""

import socket

import pytest

from tests.conftest import InternetAccessError


def test_connecting_outside_loopback_fails_loudly() -> None:
    with pytest.raises(InternetAccessError, match="127.0.0.1"), socket.create_connection(
        ("192.0.2.1", 80), timeout=1
    ):
        pass


def test_resolving_a_public_name_fails_loudly() -> None:
    with pytest.raises(InternetAccessError):
        socket.getaddrinfo("api.telegram.org", 443)


def test_loopback_is_allowed() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    with socket.create_connection(server.getsockname(), timeout=1):
        pass
    server.close()
