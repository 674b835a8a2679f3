"""Load for the throughput step: every simulated client requests BENCH_PATH again and again, without
pause. Run by `locust` in its own process (locust patches the standard library with gevent; it is never
imported into a Django or pytest process)."""

import os

from locust import FastHttpUser, constant, task

PATH = os.environ.get("BENCH_PATH", "/healthz")


class Reader(FastHttpUser):
    wait_time = constant(0)

    @task
    def read(self) -> None:
        self.client.get(PATH, name=PATH)
