"""A bare Flask hello-world: the baseline every bench figure is divided by."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/bench/hello")
def hello() -> str:
    return "hello"
