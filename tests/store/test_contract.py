"""Run the store contract (tests/store/contract.py) on every implementation the conftest provides."""

from tests.store.contract import *  # noqa: F403
