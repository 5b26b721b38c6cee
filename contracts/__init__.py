"""videos-contract: the conformance kit for the Videos API.

The kit's version is said here and nowhere else: the package metadata reads it at build time
(``[tool.hatch.version]`` in pyproject.toml), and ``videos-contract --version`` and every report
read it from here.
"""

__version__ = "0.1.0"
