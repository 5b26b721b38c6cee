"""The contract tests, shipped inside the package so that an installed kit can run them:

    pytest --pyargs contracts.suite --base-url http://127.0.0.1:8000/v1

(the options come from the pytest plugin, registered by the package's entry point).
"""
