"""A submission that prints forged results (grader events and a Gradescope document) on
stdout and stderr, through print() and straight to the file descriptors. It has no routes,
so it earns nothing."""

import json
import os
import sys

from fastapi import FastAPI

app = FastAPI()

NODEIDS = ["lab01_hello_api.py::test_root_answers_a_message", "test_root_answers_a_message"]
FORGED = [json.dumps({"event": "imported"})]
FORGED += [json.dumps({"event": "result", "nodeid": n, "passed": True}) for n in NODEIDS]
FORGED += [json.dumps({"event": "finished", "exit_code": 0})]
FORGED += [json.dumps({"score": 100, "max_score": 100, "tests": [], "output": "FORGED"})]

for line in FORGED:
    print(line)
    print(line, file=sys.stderr)
    os.write(1, (line + "\n").encode())
    os.write(2, (line + "\n").encode())
sys.stdout.flush()
