"""The audit tests drive the sharing workflow to produce events."""

from tests.registry.conftest import set_route, shared_dataset, submit  # noqa: F401
