"""Run the web part of the store contract (tests/store/contract_web.py) on every implementation."""

from tests.store.contract_web import *  # noqa: F403
