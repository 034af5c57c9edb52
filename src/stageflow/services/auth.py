"""Who is calling: passwords (argon2), API tokens (SHA-256 of a random secret), throttling of
failed logins."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from stageflow.errors import InvalidInput, NotFound, PermissionDenied, Problem, StageflowError
from stageflow.services.permissions import Role
from stageflow.services.runtime import Runtime, transaction
from stageflow.store import people as store
from stageflow.store.people import User

_hasher = PasswordHasher()
FREE_FAILURES = 5  # failed logins before the account is locked for a while
MIN_PASSWORD = 8


class NotAuthenticated(StageflowError):
    """No valid credentials (HTTP 401)."""

    exit_code = 5


@dataclass(frozen=True)
class NewToken:
    id: str
    username: str
    token: str  # shown once; only its hash is stored


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def password_hash(password: str) -> str:
    """The hash to store for a password, once it is long enough (refused before any write)."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            Problem(f"a password has at least {MIN_PASSWORD} characters", field="password")
        )
    return _hasher.hash(password)


def set_password(rt: Runtime, username: str, password: str) -> None:
    hashed = password_hash(password)  # hashing takes a while: not inside the transaction
    with transaction(rt) as tx:
        if store.user(tx.conn, username) is None:
            raise NotFound(Problem(f"no user {username!r}", field="username"))
        store.update_user(tx.conn, username, password_hash=hashed)


def end_sessions(rt: Runtime, username: str) -> None:
    """Log the user out of every browser: their session cookies are refused from now on."""
    with transaction(rt) as tx:
        store.end_sessions(tx.conn, username)


def lock_time(failures: int) -> timedelta | None:
    """How long an account stays locked after `failures` failed logins in a row."""
    if failures < FREE_FAILURES:
        return None
    lock: timedelta = timedelta(seconds=30) * 2 ** min(failures - FREE_FAILURES, 7)
    return min(lock, timedelta(hours=1))


def authenticate(rt: Runtime, username: str, password: str) -> User:
    """The user, when the password is right; refuses while the account is locked."""
    with transaction(rt) as tx:
        store.lock_user(tx.conn, username)  # parallel attempts count one after another
        count, locked_until = store.failures(tx.conn, username)
        if locked_until is not None and locked_until > tx.now:
            raise NotAuthenticated(
                f"too many failed logins for {username!r}; try again after "
                f"{locked_until:%H:%M:%S} UTC"
            )
        user = store.user(tx.conn, username)
        stored = store.password_hash(tx.conn, username)
        if user is not None and user.active and stored and _verify(stored, password):
            store.set_failures(tx.conn, username, 0, None)
            return user
        count += 1
        lock = lock_time(count)
        store.set_failures(tx.conn, username, count, tx.now + lock if lock else None)
    raise NotAuthenticated("wrong username or password")


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def create_token(rt: Runtime, username: str, name: str = "api") -> NewToken:
    with transaction(rt) as tx:
        if store.user(tx.conn, username) is None:
            raise NotFound(Problem(f"no user {username!r}", field="username"))
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        store.add_token(tx.conn, token_id, username, name, _secret_hash(secret), tx.now)
    return NewToken(token_id, username, f"sf_{token_id}_{secret}")


def user_for_token(rt: Runtime, token: str) -> User:
    """The active user a bearer token belongs to."""
    prefix, _, rest = token.partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != "sf" or not token_id or not secret:
        raise NotAuthenticated("malformed token: expected sf_<id>_<secret>")
    with transaction(rt) as tx:
        found = store.token(tx.conn, token_id)
        if found is None or found.revoked_at is not None:
            raise NotAuthenticated("unknown or revoked token")
        if not hmac.compare_digest(found.secret_hash, _secret_hash(secret)):
            raise NotAuthenticated("unknown or revoked token")
        user = store.user(tx.conn, found.username)
        if user is None or not user.active:
            raise NotAuthenticated("the token's user is inactive")
        store.touch_token(tx.conn, token_id, tx.now)
        return user


def revoke_token(rt: Runtime, token_id: str, by: User) -> None:
    with transaction(rt) as tx:
        found = store.token(tx.conn, token_id)
        if found is None:
            raise NotFound(Problem(f"no token {token_id}", field="token"))
        if found.username != by.username and by.role != Role.ADMIN.value:
            raise PermissionDenied("only its owner or an admin can revoke a token")
        store.revoke_token(tx.conn, token_id, tx.now)
