"""Lab 12 · the load test: simulated clients of the Iris API, for Locust.

Each user sends single predictions and, less often, batches of 50 flowers, with no pause
between requests (the point is to find the server's limit, not to imitate people). The API
key comes from LOAD_API_KEY. Run it through load_report.py, or alone:

    LOAD_API_KEY=your-key uv run locust -f locustfile.py --headless --host http://127.0.0.1:8000 \\
        --users 4 --spawn-rate 4 --run-time 10s
"""

import os
import random

from locust import FastHttpUser, task

FLOWERS = [
    {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},
    {"sepal_length": 7.0, "sepal_width": 3.2, "petal_length": 4.7, "petal_width": 1.4},
    {"sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 6.0, "petal_width": 2.5},
    {"sepal_length": 5.8, "sepal_width": 2.7, "petal_length": 4.1, "petal_width": 1.0},
]
BATCH_SIZE = 50


class PredictionClient(FastHttpUser):
    """A client that predicts as fast as the server answers."""

    def on_start(self) -> None:
        self.headers = {"X-API-Key": os.environ.get("LOAD_API_KEY", "")}

    @task(4)
    def one_flower(self) -> None:
        """A single prediction: one flower, chosen at random."""
        self.client.post("/v2/predict", json=random.choice(FLOWERS), headers=self.headers)

    @task(1)
    def many_flowers(self) -> None:
        """A batch: BATCH_SIZE flowers in one request."""
        items = [FLOWERS[index % len(FLOWERS)] for index in range(BATCH_SIZE)]
        self.client.post("/v1/predict/batch", json={"items": items}, headers=self.headers)
