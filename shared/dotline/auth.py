"""Supabase access tokens: verified here, in the function, before any data is touched."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from dotline.errors import Unauthenticated

if TYPE_CHECKING:
    import jwt

    from dotline.settings import Settings

ASYMMETRIC_ALGORITHMS = frozenset({"ES256", "RS256"})
REQUIRED_CLAIMS = ["exp", "sub", "aud", "iss"]
# The Postgres role a user's token carries; `anon` and `service_role` keys are no user's.
USER_ROLE = "authenticated"
JWKS_TIMEOUT_S = 3
CLOCK_SKEW_S = 30
# Tokens verified before, kept until they expire: an app sends the same token with every request
# for up to an hour, and verifying it again costs more than the rest of a simple read's Python.
VERIFIED_TOKENS_KEPT = 1024


@dataclass(frozen=True)
class Principal:
    """Who is calling: the verified claims of their access token."""

    user_id: UUID
    claims: dict[str, Any]

    @property
    def email(self) -> str | None:
        """The email the token carries, if any."""
        value = self.claims.get("email")
        return value if isinstance(value, str) and value else None

    @property
    def is_admin(self) -> bool:
        """True when the server-set `app_metadata` grants the admin role."""
        app_metadata = self.claims.get("app_metadata") or {}
        return isinstance(app_metadata, dict) and app_metadata.get("role") == "admin"


class TokenVerifier:
    """Verifies tokens by the project's JWKS (ES256/RS256) or its HS256 secret."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.supabase_jwt_secret
        self._audience = settings.supabase_jwt_audience
        self._issuer = settings.jwt_issuer
        self._jwks_url = settings.jwks_url
        self._jwks_ttl_s = settings.jwks_cache_ttl_s
        self._jwks: jwt.PyJWKClient | None = None
        self._jwks_lock = threading.Lock()
        self._verified: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._verified_lock = threading.Lock()

    def verify(self, authorization: str | None) -> Principal:
        """The principal behind an `Authorization: Bearer` header, or Unauthenticated."""
        token = _bearer_token(authorization)
        with self._verified_lock:
            kept = self._verified.get(token)
            if kept is not None:
                if time.time() < kept[0]:
                    self._verified.move_to_end(token)
                    return kept[1]
                del self._verified[token]  # expired since: verified again, and refused
        principal = self._verify(token)
        expires_at = float(principal.claims["exp"]) + CLOCK_SKEW_S
        with self._verified_lock:
            self._verified[token] = (expires_at, principal)
            if len(self._verified) > VERIFIED_TOKENS_KEPT:
                self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> Principal:
        import jwt  # with cryptography, on the first token: functions run by schedules need neither

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The access token is malformed.") from exc
        algorithm = str(header.get("alg"))
        key = self._key_for(algorithm, token)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=CLOCK_SKEW_S,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The access token has expired.") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthenticated("The access token is not meant for this API.") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthenticated("The access token was issued by someone else.") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"The access token lacks the '{exc.claim}' claim.") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The access token's signature is not valid.") from exc
        if claims.get("role") != USER_ROLE:
            raise Unauthenticated(f"The access token's role must be '{USER_ROLE}'.")
        return Principal(user_id=_subject(claims), claims=claims)

    def _key_for(self, algorithm: str, token: str) -> Any:
        import jwt

        if algorithm == "HS256":
            if self._secret is None:
                raise Unauthenticated("HS256 tokens are not accepted by this project.")
            return self._secret.get_secret_value()
        if algorithm in ASYMMETRIC_ALGORITHMS:
            try:
                return self._jwks_client().get_signing_key_from_jwt(token).key
            except jwt.PyJWKClientConnectionError as exc:
                raise Unauthenticated("The signing keys could not be fetched.") from exc
            except jwt.PyJWTError as exc:
                raise Unauthenticated("The access token's signing key is unknown.") from exc
        raise Unauthenticated(f"Tokens signed with '{algorithm}' are not accepted.")

    def _jwks_client(self) -> jwt.PyJWKClient:
        import jwt

        with self._jwks_lock:
            if self._jwks is None:
                self._jwks = jwt.PyJWKClient(
                    self._jwks_url,
                    cache_keys=True,
                    lifespan=max(self._jwks_ttl_s, 1),
                    timeout=JWKS_TIMEOUT_S,
                )
            return self._jwks


def _bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("An 'Authorization: Bearer <token>' header is required.")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("The Authorization header must be 'Bearer <token>'.")
    return token.strip()


def _subject(claims: dict[str, Any]) -> UUID:
    try:
        return UUID(str(claims["sub"]))
    except (KeyError, ValueError) as exc:
        raise Unauthenticated("The access token's subject is not a user id.") from exc
