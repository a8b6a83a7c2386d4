"""Settings for `make bench`: production settings (DEBUG off, via the environment the bench
sets) with the per-client rate limits lifted, since one benchmark client sends thousands of
requests a minute from one address and one token on purpose."""

from scs.settings import *  # noqa: F403

SCOPES = ("search", "submit", "report", "verify", "track")
PORTAL_RATE_LIMITS = {scope: (10**9, 60) for scope in SCOPES}
