#!/usr/bin/env python3
"""A real Django app for the live interop tests (tests/it/interop_django.rs).

    DJANGO_SECRET_KEY=... [DJANGO_SECRET_KEY_FALLBACKS=a,b] PORT=8000 python3 django_app.py

Settings are in this file: the signed_cookies session engine, django.contrib.auth on
an SQLite file in DJANGO_DATA_DIR or a new temporary directory (migrated at start,
with the user `cobra`, password `cobra-password`), and django.contrib.messages kept in the session. It
listens on 127.0.0.1 only (wsgiref) and prints "ready" once it does.

Routes:
    GET /login?user=NAME&password=PW   authenticate() and Django's own login(), a
                                       message, counter = 0, trail = []
    GET /state                         the session's values and request.user, as JSON
    GET /bump?by=SIDE                  counter += 1, trail.append(SIDE)
    GET /messages                      the pending messages (consumed) as JSON
"""

import logging
import os
import sys
import tempfile

import django
from django.conf import settings

# DJANGO_DATA_DIR keeps the database across restarts (a key rotation restarts the
# app, and the user's password field, which login hashes into the session, must stay).
DATA_DIR = os.environ.get("DJANGO_DATA_DIR") or tempfile.mkdtemp(prefix="sessionlib-django-")
fallbacks = os.environ.get("DJANGO_SECRET_KEY_FALLBACKS", "")

settings.configure(
    DEBUG=False,
    SECRET_KEY=os.environ["DJANGO_SECRET_KEY"],
    SECRET_KEY_FALLBACKS=[f for f in fallbacks.split(",") if f],
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
    ],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ],
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    MESSAGE_STORAGE="django.contrib.messages.storage.session.SessionStorage",
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(DATA_DIR, "db.sqlite3"),
        }
    },
    # A fast hasher keeps start-up and login quick; the session code does not depend
    # on which hasher made the password field.
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    USE_TZ=True,
    LOGGING_CONFIG=None,
)
django.setup()

from django.contrib import messages  # noqa: E402
from django.contrib.auth import authenticate, login  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def login_view(request):
    user = authenticate(request, username=request.GET["user"],
                        password=request.GET["password"])
    if user is None:
        return HttpResponseForbidden("bad credentials")
    login(request, user)
    request.session["counter"] = 0
    request.session["trail"] = []
    messages.success(request, "Logged in successfully")
    return HttpResponse("ok")


def state(request):
    # The raw session first: reading request.user can flush the session.
    raw = dict(request.session.items())
    return JsonResponse({
        "user_id": raw.get("_auth_user_id"),
        "counter": raw.get("counter"),
        "trail": raw.get("trail"),
        "data": raw.get("data"),
        "keys": sorted(raw),
        "username": request.user.username if request.user.is_authenticated else None,
    })


def bump(request):
    request.session["counter"] = request.session.get("counter", 0) + 1
    request.session["trail"] = request.session.get("trail", []) + [
        request.GET.get("by", "django")
    ]
    return JsonResponse({"counter": request.session["counter"]})


def pending_messages(request):
    return JsonResponse(
        [[m.level, m.message, m.extra_tags] for m in messages.get_messages(request)],
        safe=False,
    )


urlpatterns = [
    path("login", login_view),
    path("state", state),
    path("bump", bump),
    path("messages", pending_messages),
]


if __name__ == "__main__":
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    logging.disable(logging.CRITICAL)
    call_command("migrate", verbosity=0, interactive=False)
    if not User.objects.filter(username="cobra").exists():
        User.objects.create_user("cobra", password="cobra-password")
    server = make_server("127.0.0.1", int(os.environ.get("PORT", "8000")),
                         get_wsgi_application(), handler_class=Quiet)
    print("ready", flush=True)
    sys.stdout.flush()
    server.serve_forever()
