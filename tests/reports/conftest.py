"""The reports' tests use the portal's cast (tests/publicity/conftest.py)."""

from tests.publicity.conftest import *  # noqa: F403  (the portal's cast)
from tests.publicity.conftest import _fast_passwords, _fresh_cache  # noqa: F401
