"""Development tools (not shipped in the wheel): headless Chromium, the README screenshot, the demo run,
the mock's media assets. Run from a checkout, e.g. ``.venv/bin/python -m tools.screenshot``."""
