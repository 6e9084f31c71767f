"""flask-jwt-extended, configured as its docs recommend for browser clients: the access token in
the JSON body (sent back as `Authorization: Bearer`), the refresh token in an HttpOnly cookie
scoped to /auth, double-submit CSRF on cookie-authenticated requests (`csrf_refresh_token`
cookie -> `X-CSRF-TOKEN` header), refresh tokens rotated and the used one blocklisted.
Also serves the compat test page and the package. Usage: python flask_app.py PORT PKG_DIR."""
import sys
from datetime import timedelta
from pathlib import Path

from flask import Flask, jsonify, request, send_from_directory
from flask_jwt_extended import (JWTManager, create_access_token, create_refresh_token, get_jwt,
                                get_jwt_identity, jwt_required, set_refresh_cookies,
                                unset_jwt_cookies, verify_jwt_in_request)

port, pkg = int(sys.argv[1]), Path(sys.argv[2]).resolve()
here = Path(__file__).resolve().parent
app = Flask(__name__)
app.config.update(
    JWT_SECRET_KEY="compat-suite-secret-not-for-production-0123456789",
    JWT_TOKEN_LOCATION=["headers", "cookies"],
    JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=4),
    JWT_REFRESH_COOKIE_PATH="/auth",
    JWT_COOKIE_CSRF_PROTECT=True,
    JWT_COOKIE_SECURE=False,  # plain-http loopback (Secure over https)
    JWT_COOKIE_SAMESITE="Strict",
)
jwt = JWTManager(app)
USERS = {"demo": "demo"}
revoked = set()  # used and logged-out refresh tokens (the docs' blocklist pattern)
counts = {"logins": 0, "refreshes": 0, "refresh_rejected": 0, "api_unauthorized": 0}


@jwt.token_in_blocklist_loader
def is_revoked(_header, payload):
    return payload["jti"] in revoked


@app.post("/auth/login")
def login():
    data = request.form if request.form else (request.get_json(silent=True) or {})
    if USERS.get(data.get("username")) != data.get("password"):
        return jsonify(error="invalid_credentials"), 401
    counts["logins"] += 1
    who = data["username"]
    res = jsonify(access_token=create_access_token(identity=who))
    set_refresh_cookies(res, create_refresh_token(identity=who))
    return res


@app.post("/auth/refresh")
@jwt_required(refresh=True)
def refresh():
    counts["refreshes"] += 1
    revoked.add(get_jwt()["jti"])  # rotation: the presented refresh token is used up
    who = get_jwt_identity()
    res = jsonify(access_token=create_access_token(identity=who))
    set_refresh_cookies(res, create_refresh_token(identity=who))
    return res


@app.post("/auth/logout")
def logout():
    verify_jwt_in_request(refresh=True, optional=True)
    jti = (get_jwt() or {}).get("jti")
    if jti:
        revoked.add(jti)
    res = jsonify(ok=True)
    unset_jwt_cookies(res)
    return res


@app.get("/api/me")
@jwt_required()
def me():
    return jsonify(sub=get_jwt_identity())


@app.after_request
def count(res):
    if res.status_code == 401:
        counts["refresh_rejected" if request.path == "/auth/refresh" else "api_unauthorized"] += 1
    return res


@app.get("/__compat/counts")
def show_counts():
    return jsonify(counts)


@app.get("/")
def page():
    return send_from_directory(here, "page.html")


@app.get("/pkg/<path:name>")
def package(name):
    return send_from_directory(pkg, name)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=port, threaded=True)
