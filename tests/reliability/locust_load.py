"""Locust mix of the load suite (tests/reliability/test_load.py): portal search and the
agency feed, back to back (no wait: the rate is what the machine holds). Loopback only;
the suite bounds users and run time. Queries and the token come from LOAD_DATA_FILE."""

import json
import os
import random

from locust import HttpUser, task

DATA = json.loads(open(os.environ["LOAD_DATA_FILE"], encoding="utf-8").read())  # noqa: SIM115


class Client(HttpUser):
    @task(3)
    def search(self):
        self.client.get("/search/", params={"q": random.choice(DATA["queries"])}, name="search")

    @task(1)
    def feed(self):
        self.client.get(
            "/api/v1/sanctions/feed/",
            params={"limit": "100"},
            headers={"Authorization": f"Token {DATA['token']}"},
            name="feed",
        )
