"""A few iris flowers to serve (given: you do not need to change this file).

Measurements are in centimetres, taken from the classic iris data set.
"""

FLOWERS = [
    {"id": 1, "species": "setosa", "sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},
]
