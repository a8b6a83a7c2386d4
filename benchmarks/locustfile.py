"""The load mix of `make bench` (workload 6): 70 % portal search, 20 % subject pages, 10 % API
subject detail. Loopback only; the bench runs it headless with bounded users and run time.
Queries and references come from BENCH_LOAD_FILE (JSON written by benchmarks/served.py)."""

import json
import os
import random

from locust import HttpUser, constant_throughput, task

DATA = json.loads(open(os.environ["BENCH_LOAD_FILE"], encoding="utf-8").read())  # noqa: SIM115
RATE = float(os.environ.get("BENCH_USER_RATE", "5"))


class Visitor(HttpUser):
    wait_time = constant_throughput(RATE)

    @task(70)
    def search(self):
        self.client.get("/search/", params={"q": random.choice(DATA["queries"])}, name="search")

    @task(20)
    def subject_page(self):
        self.client.get(f"/subjects/{random.choice(DATA['refs'])}/", name="subject page")

    @task(10)
    def api_detail(self):
        self.client.get(
            f"/api/v1/subjects/{random.choice(DATA['identifiers'])}/",
            headers={"Authorization": f"Token {DATA['token']}"},
            name="api detail",
        )
