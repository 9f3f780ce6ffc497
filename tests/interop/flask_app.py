#!/usr/bin/env python3
"""A real Flask app for the live interop tests (tests/it/interop_flask.rs).

    FLASK_SECRET_KEY=... [FLASK_SECRET_KEY_FALLBACKS=a,b] PORT=5000 python3 flask_app.py

It listens on 127.0.0.1 only and prints "ready" once it does.

Routes:
    GET /login?user=NAME   logs in, stores one value of every tagged type, flashes
    GET /state             the session as JSON, with a check that every type survived
    GET /bump?by=SIDE      counter += 1, trail.append(SIDE)
    GET /flashes           get_flashed_messages(with_categories=True)
"""

import logging
import os
import uuid
from datetime import datetime, timezone

from flask import Flask, flash, get_flashed_messages, jsonify, request, session
from markupsafe import Markup

TYPES = {
    "point": (3, 4),
    "raw": b"\x00\x01 bytes \xff",
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "at": datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc),
    "html": Markup("<b>safe</b>"),
    "nested": {" t": ["not", "a", "tuple"]},
}

app = Flask(__name__)
app.secret_key = os.environ["FLASK_SECRET_KEY"]
fallbacks = os.environ.get("FLASK_SECRET_KEY_FALLBACKS", "")
app.config["SECRET_KEY_FALLBACKS"] = [f for f in fallbacks.split(",") if f]


@app.get("/login")
def login():
    session.clear()
    session.permanent = True
    session["user_id"] = request.args["user"]
    session["counter"] = 0
    session["trail"] = []
    session["types"] = dict(TYPES)
    flash("Logged in successfully")
    return "ok"


@app.get("/state")
def state():
    types = session.get("types", {})
    same = {k: (k in types and types[k] == v and type(types[k]) is type(v))
            for k, v in TYPES.items()}
    return jsonify(
        user_id=session.get("user_id"),
        counter=session.get("counter"),
        trail=session.get("trail"),
        types_ok=same,
        keys=sorted(session.keys()),
    )


@app.get("/bump")
def bump():
    session["counter"] = session.get("counter", 0) + 1
    session["trail"] = session.get("trail", []) + [request.args.get("by", "flask")]
    return jsonify(counter=session["counter"], trail=session["trail"])


@app.get("/flashes")
def flashes():
    return jsonify([list(m) for m in get_flashed_messages(with_categories=True)])


if __name__ == "__main__":
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = make_server("127.0.0.1", int(os.environ.get("PORT", "5000")), app)
    print("ready", flush=True)
    server.serve_forever()
