"""Locust mix of the load suite (tests/reliability/test_load.py), the portal's realistic
share: 70 % portal search, 20 % subject pages, 10 % API (4 % the agency's sanction feed,
3 % screening, 3 % subject detail). Each user paces itself at LOAD_USER_RATE requests per
second (constant throughput), so users × rate is the offered load the suite steps up.
Loopback only; the suite bounds users and run time. Queries, subject references,
identifiers and the token come from LOAD_DATA_FILE."""

import json
import os
import random

from locust import HttpUser, constant_throughput, task

DATA = json.loads(open(os.environ["LOAD_DATA_FILE"], encoding="utf-8").read())  # noqa: SIM115
RATE = float(os.environ.get("LOAD_USER_RATE", "2"))


class Client(HttpUser):
    wait_time = constant_throughput(RATE)

    def _auth(self) -> dict:
        return {"Authorization": f"Token {DATA['token']}"}

    @task(70)
    def search(self):
        self.client.get("/search/", params={"q": random.choice(DATA["queries"])}, name="search")

    @task(20)
    def subject_page(self):
        self.client.get(f"/subjects/{random.choice(DATA['refs'])}/", name="subject page")

    @task(4)
    def feed(self):
        self.client.get(
            "/api/v1/sanctions/feed/",
            params={"limit": "100"},
            headers=self._auth(),
            name="feed",
        )

    @task(3)
    def screening(self):
        self.client.post(
            "/api/v1/screenings/",
            json={"identifiers": random.sample(DATA["identifiers"], 20)},
            headers=self._auth(),
            name="screening",
        )

    @task(3)
    def api_subject(self):
        self.client.get(
            f"/api/v1/subjects/{random.choice(DATA['identifiers'])}/",
            headers=self._auth(),
            name="api subject",
        )
