"""The benchmark's baseline: the smallest Flask app, served by gunicorn exactly as tokenledger is."""

from flask import Flask, jsonify

app = Flask("hello")


@app.get("/hello")
def hello():  # type: ignore[no-untyped-def]
    return jsonify({"data": {"hello": "world"}})
