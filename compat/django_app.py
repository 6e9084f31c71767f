"""Django + Django REST framework + simplejwt + dj-rest-auth, configured as dj-rest-auth's docs
recommend for browser clients: the access token in the JSON body, the refresh token in an
HttpOnly cookie scoped to /auth/, refresh tokens rotated with the used one blacklisted
(ROTATE_REFRESH_TOKENS + BLACKLIST_AFTER_ROTATION), logout blacklists and clears it.
Also serves the compat test page and the package. Usage: python django_app.py PORT PKG_DIR."""
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import django
from django.conf import settings

port, pkg = sys.argv[1], str(Path(sys.argv[2]).resolve())
here = Path(__file__).resolve().parent
settings.configure(
    DEBUG=False,
    SECRET_KEY="compat-suite-secret-not-for-production-0123456789",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    # A fresh file per run (an in-memory database is per thread under runserver's threads).
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{tempfile.mkdtemp()}/db.sqlite3"}},
    INSTALLED_APPS=[
        "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
        "rest_framework", "rest_framework.authtoken", "rest_framework_simplejwt.token_blacklist", "dj_rest_auth",
    ],
    MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
    REST_FRAMEWORK={"DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"]},
    SIMPLE_JWT={
        "ACCESS_TOKEN_LIFETIME": timedelta(seconds=4),
        "ROTATE_REFRESH_TOKENS": True,
        "BLACKLIST_AFTER_ROTATION": True,
        "UPDATE_LAST_LOGIN": False,
    },
    REST_AUTH={
        "USE_JWT": True,
        "JWT_AUTH_HTTPONLY": True,
        "JWT_AUTH_REFRESH_COOKIE": "refresh-token",
        "JWT_AUTH_REFRESH_COOKIE_PATH": "/auth/",
        "JWT_AUTH_SECURE": False,  # plain-http loopback (Secure over https)
        "JWT_AUTH_SAMESITE": "Strict",
        "JWT_AUTH_RETURN_EXPIRATION": True,
        "SESSION_LOGIN": False,
    },
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.urls import include, path, re_path  # noqa: E402
from django.views.static import serve  # noqa: E402
from rest_framework.decorators import api_view  # noqa: E402
from rest_framework.response import Response  # noqa: E402


@api_view(["GET"])
def me(request):
    if not request.user.is_authenticated:
        return Response({"error": "not_authenticated"}, status=401)
    return Response({"sub": request.user.username})


urlpatterns = [
    path("auth/", include("dj_rest_auth.urls")),
    path("api/me", me),
    path("", serve, {"path": "page.html", "document_root": str(here)}),
    re_path(r"^pkg/(?P<path>.*)$", serve, {"document_root": pkg}),
]

if __name__ == "__main__":
    call_command("migrate", verbosity=0)
    User.objects.create_user("demo", password="demo")
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)
