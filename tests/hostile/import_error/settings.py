"""Reads a settings file that the lab folder does not have."""

import json


def read_settings(path: str) -> dict:
    with open(path) as handle:
        return json.load(handle)


SETTINGS = read_settings("settings.json")
