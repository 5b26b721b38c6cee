"""Root conftest: kept thin. The suite's options and fixtures come from the plugin module
(also registered as a pytest11 entry point when the package is installed)."""

pytest_plugins = ["contracts.pytest_plugin", "pytester"]  # pytester: tests/test_pytest_face.py
