"""Another correct take: HttpUser, a wait of zero, one flower for every task."""

import os

from locust import HttpUser, constant, task

FLOWER = {"sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 6.0, "petal_width": 2.5}


class Client(HttpUser):
    wait_time = constant(0)

    @task(3)
    def single(self):
        self.client.post("/v2/predict", json=FLOWER, headers=self.key())

    @task
    def batch(self):
        body = {"items": [FLOWER] * 20}
        self.client.post("/v1/predict/batch", json=body, headers=self.key())

    def key(self) -> dict:
        return {"X-API-Key": os.environ["LOAD_API_KEY"]}
