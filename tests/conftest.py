"""Shared test setup.

The ``helpers_*.py`` modules hold code shared by several test modules (imported as
``from .helpers_x import ...``; ``tests`` is a package). Their asserts get pytest's assertion
rewriting, like the tests' own, so a failing check shows the compared values.
"""
import pytest

pytest.register_assert_rewrite("tests.helpers_diagnostics", "tests.helpers_ir", "tests.helpers_language")
