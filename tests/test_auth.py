"""Access tokens through the real gateway: HS256 with the project secret, ES256/RS256 by JWKS."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from dotline.settings import LOCAL_JWT_SECRET, Settings

EC_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
STRANGER_EC_KEY = ec.generate_private_key(ec.SECP256R1())


def claims_for(user: Any, settings: Settings, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "sub": str(user.user_id),
        "aud": "authenticated",
        "exp": now + 600,
        "iat": now,
        "role": "authenticated",
        "email": user.email,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def hs256(claims: dict[str, Any], secret: str = LOCAL_JWT_SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    """A real HTTP endpoint publishing the project's public keys, as Supabase Auth does."""
    keys = [
        {
            **json.loads(ECAlgorithm.to_jwk(EC_KEY.public_key())),
            "kid": "ec-1",
            "alg": "ES256",
            "use": "sig",
        },
        {
            **json.loads(RSAAlgorithm.to_jwk(RSA_KEY.public_key())),
            "kid": "rsa-1",
            "alg": "RS256",
            "use": "sig",
        },
    ]
    body = json.dumps({"keys": keys}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/auth/v1/.well-known/jwks.json"
    server.shutdown()


@pytest.fixture(scope="module")
def jwks_gateway(start_gateway: Callable[..., str], jwks_url: str) -> str:
    """A gateway for a project on asymmetric keys only (no HS256 secret)."""
    return start_gateway({"SUPABASE_JWKS_URL": jwks_url, "SUPABASE_JWT_SECRET": ""})


def get_me(base_url: str, authorization: str | None) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return httpx.get(f"{base_url}/v1/me", headers=headers, timeout=10)


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/unauthenticated")
    assert "user_id" not in problem
    assert "Traceback" not in response.text


def test_valid_hs256_token_is_accepted(gateway: str, make_user: Any, settings: Settings) -> None:
    user = make_user()

    response = get_me(gateway, f"Bearer {hs256(claims_for(user, settings))}")

    assert response.status_code == 200
    assert response.json()["user_id"] == str(user.user_id)


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "not-bearer",
        "empty-bearer",
        "malformed",
        "expired",
        "wrong-signature",
        "alg-none",
        "wrong-audience",
        "wrong-issuer",
        "no-subject",
        "no-expiry",
        "subject-not-uuid",
        "unsupported-alg",
        "service-role",
        "anon-role",
        "no-role",
    ],
)
def test_bad_token_is_401_problem(
    gateway: str, make_user: Any, settings: Settings, case: str
) -> None:
    user = make_user()
    good = claims_for(user, settings)
    authorization = {
        "missing": None,
        "not-bearer": f"Basic {hs256(good)}",
        "empty-bearer": "Bearer",
        "malformed": "Bearer not.a.jwt",
        "expired": f"Bearer {hs256({**good, 'exp': int(time.time()) - 3600})}",
        "wrong-signature": f"Bearer {hs256(good, secret='another-secret-of-at-least-32-characters')}",
        "alg-none": f"Bearer {jwt.encode(good, key=None, algorithm='none')}",
        "wrong-audience": f"Bearer {hs256({**good, 'aud': 'anon'})}",
        "service-role": f"Bearer {hs256({**good, 'role': 'service_role'})}",
        "anon-role": f"Bearer {hs256({**good, 'role': 'anon'})}",
        "no-role": f"Bearer {hs256({k: v for k, v in good.items() if k != 'role'})}",
        "wrong-issuer": f"Bearer {hs256({**good, 'iss': 'https://evil.example/auth/v1'})}",
        "no-subject": f"Bearer {hs256(claims_for(user, settings, sub=None))}",
        "no-expiry": f"Bearer {hs256(claims_for(user, settings, exp=None))}",
        "subject-not-uuid": f"Bearer {hs256({**good, 'sub': 'admin'})}",
        "unsupported-alg": f"Bearer {jwt.encode(good, LOCAL_JWT_SECRET, algorithm='HS384')}",
    }[case]

    assert_unauthenticated(get_me(gateway, authorization))


@pytest.mark.parametrize(
    ("key", "kid", "alg"), [(EC_KEY, "ec-1", "ES256"), (RSA_KEY, "rsa-1", "RS256")]
)
def test_asymmetric_token_is_verified_through_jwks(
    jwks_gateway: str, make_user: Any, settings: Settings, key: Any, kid: str, alg: str
) -> None:
    user = make_user()
    token = jwt.encode(claims_for(user, settings), key, algorithm=alg, headers={"kid": kid})

    response = get_me(jwks_gateway, f"Bearer {token}")

    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == str(user.user_id)


@pytest.mark.parametrize("case", ["unknown-kid", "forged-with-known-kid", "hs256-when-disabled"])
def test_asymmetric_project_rejects_forgeries(
    jwks_gateway: str, make_user: Any, settings: Settings, case: str
) -> None:
    user = make_user()
    good = claims_for(user, settings)
    token = {
        "unknown-kid": jwt.encode(good, EC_KEY, algorithm="ES256", headers={"kid": "nope"}),
        "forged-with-known-kid": jwt.encode(
            good, STRANGER_EC_KEY, algorithm="ES256", headers={"kid": "ec-1"}
        ),
        "hs256-when-disabled": hs256(good),
    }[case]

    assert_unauthenticated(get_me(jwks_gateway, f"Bearer {token}"))


def test_a_verified_token_is_kept_until_it_expires(
    make_user: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dotline.auth as auth

    verifier = auth.TokenVerifier(settings)
    user = make_user()
    # Expired 29 s ago: still within the clock-skew leeway (30 s) for about a second.
    token = hs256(claims_for(user, settings, exp=int(time.time()) - auth.CLOCK_SKEW_S + 1))
    first = verifier.verify(f"Bearer {token}")
    calls: list[str] = []
    monkeypatch.setattr(verifier, "_verify", lambda t: calls.append(t) or first)

    again = verifier.verify(f"Bearer {token}")

    assert again is first and calls == []  # kept: not verified again
    monkeypatch.undo()
    other = hs256(claims_for(user, settings), secret="not-the-project-secret-" + "x" * 20)
    with pytest.raises(auth.Unauthenticated):
        verifier.verify(f"Bearer {other}")  # another token is verified, and refused
    time.sleep(1.2)  # past exp + leeway: the kept entry is dropped
    with pytest.raises(auth.Unauthenticated, match="expired"):
        verifier.verify(f"Bearer {token}")
