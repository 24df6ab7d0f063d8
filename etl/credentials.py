"""Reading a Glue connection's database credentials, in each form Glue stores them.

A JDBC connection in the Glue Data Catalog holds its credentials in one of four forms:

1. ``SECRET_ID`` in ``ConnectionProperties``: a Secrets Manager secret (the RDS-managed
   ``{"username", "password", "engine", ...}`` shape, or the console's ``{"username",
   "password"}``).
2. ``AuthenticationConfiguration.SecretArn`` (the newer connection shape, ``AuthenticationType``
   ``BASIC``): a secret with ``username``/``password``, or ``USERNAME``/``PASSWORD`` as Glue
   writes it when the connection was created with ``BasicAuthenticationCredentials``.
3. ``USERNAME`` with ``ENCRYPTED_PASSWORD``: when the Data Catalog's
   ``ConnectionPasswordEncryption.ReturnConnectionPasswordEncrypted`` is on, ``GetConnection``
   returns the password encrypted under the catalog's ``ConnectionPasswordEncryption.AwsKmsKeyId``
   instead of in clear (API_ConnectionPasswordEncryption).
4. ``USERNAME`` with ``PASSWORD`` in clear.

:class:`AwsCredentials` reads them with boto3, in that order.  The connection is first read with
``HidePassword=True`` (the caller's connection resolver does that); only forms 3 and 4 need the
password, so only they cost a second ``GetConnection`` with ``HidePassword=False``: a job whose
connection names a secret never receives a password from the Glue API.

:class:`GlueContextCredentials` is for jobs running on Glue: Glue's own
``GlueContext.extract_jdbc_conf`` resolves every form it knows with the job's role, as Glue's
readers do.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from etl.errors import ConnectionResolutionError
from etl.secrets import quiet_aws_debug_logging, register_secret

_T = TypeVar("_T")

# Key pairs a credentials secret may use, in the order they are tried.
_SECRET_KEYS = (("username", "password"), ("USERNAME", "PASSWORD"))


@dataclasses.dataclass(frozen=True)
class Credentials:
    """A database user and password.  The password is excluded from ``repr`` and registered
    for log redaction."""

    user: str
    password: str = dataclasses.field(repr=False)

    def __post_init__(self) -> None:
        register_secret(self.password)


class CredentialSource(Protocol):
    """Reads the credentials of connection ``name``, given its ``GetConnection`` answer
    (``HidePassword=True``)."""

    def credentials(self, name: str, connection: Mapping[str, Any]) -> Credentials: ...


def aws_call(failure: str, needs: str, call: Callable[[], _T]) -> _T:
    """``call()``, with an AWS failure turned into an error saying what failed (``failure``),
    the AWS error code, and what the caller ``needs`` for it to work."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        with quiet_aws_debug_logging():  # answers hold secrets or passwords
            return call()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "unknown")
        raise ConnectionResolutionError(f"{failure} ({code}); {needs}") from None
    except BotoCoreError as exc:  # no answer at all: usually no route to the endpoint
        raise ConnectionResolutionError(
            f"{failure} ({type(exc).__name__}): no answer from the service; the job's subnet "
            f"needs a route to its endpoint (in a private VPC: an interface endpoint); {needs}"
        ) from None


def credentials_from_secret(name: str, form: str, text: str | None) -> Credentials:
    """Credentials from a secret's ``SecretString``: a JSON object with ``username`` and
    ``password`` (or ``USERNAME`` and ``PASSWORD``)."""
    try:
        secret = json.loads(text) if text is not None else None
    except ValueError:
        secret = None
    if not isinstance(secret, dict):
        raise ConnectionResolutionError(
            f"the secret of Glue connection '{name}' ({form}) is not a JSON object; store it "
            'as {"username": ..., "password": ...}'
        )
    for user_key, password_key in _SECRET_KEYS:
        if user_key in secret and password_key in secret:
            return Credentials(str(secret[user_key]), str(secret[password_key]))
    raise ConnectionResolutionError(
        f"the secret of Glue connection '{name}' ({form}) has keys {sorted(secret)} but needs "
        "'username' and 'password' (or 'USERNAME' and 'PASSWORD')"
    )


class AwsCredentials:
    """Read credentials with boto3 from Glue, Secrets Manager and KMS (see the module)."""

    def __init__(self, session: Any = None) -> None:
        if session is None:
            import boto3

            session = boto3.session.Session()
        self._session = session

    def credentials(self, name: str, connection: Mapping[str, Any]) -> Credentials:
        props: Mapping[str, str] = connection.get("ConnectionProperties") or {}
        auth: Mapping[str, Any] = connection.get("AuthenticationConfiguration") or {}
        if props.get("SECRET_ID"):
            return self._from_secret(name, "SECRET_ID", props["SECRET_ID"])
        if auth.get("SecretArn"):
            kind = auth.get("AuthenticationType") or "BASIC"
            if kind != "BASIC":
                raise ConnectionResolutionError(
                    f"Glue connection '{name}' uses {kind} authentication; a JDBC source needs "
                    "BASIC (a user and password)"
                )
            return self._from_secret(
                name, "AuthenticationConfiguration.SecretArn", auth["SecretArn"]
            )
        if props.get("USERNAME"):
            return self._from_connection_password(name)
        raise ConnectionResolutionError(
            f"Glue connection '{name}' has no credentials: give it SECRET_ID (a Secrets Manager "
            "secret with username and password), an AuthenticationConfiguration with a "
            "SecretArn, or USERNAME and PASSWORD"
        )

    def _from_secret(self, name: str, form: str, secret_id: str) -> Credentials:
        client = self._session.client("secretsmanager")
        answer = aws_call(
            f"the secret of Glue connection '{name}' ({form}) could not be read",
            "the job's role needs secretsmanager:GetSecretValue on it (and kms:Decrypt on its "
            "key through Secrets Manager) and the secretsmanager endpoint",
            lambda: client.get_secret_value(SecretId=secret_id),
        )
        return credentials_from_secret(name, form, answer.get("SecretString"))

    def _from_connection_password(self, name: str) -> Credentials:
        glue = self._session.client("glue")
        found = aws_call(
            f"the password of Glue connection '{name}' (USERNAME/PASSWORD) could not be read",
            "the job's role needs glue:GetConnection on it",
            lambda: glue.get_connection(Name=name, HidePassword=False)["Connection"],
        )
        props: Mapping[str, str] = found.get("ConnectionProperties") or {}
        user = props.get("USERNAME", "")
        if props.get("ENCRYPTED_PASSWORD"):
            return Credentials(user, self._decrypt(name, props["ENCRYPTED_PASSWORD"]))
        if "PASSWORD" in props:
            return Credentials(user, props["PASSWORD"])
        raise ConnectionResolutionError(
            f"Glue connection '{name}' has USERNAME but neither PASSWORD nor ENCRYPTED_PASSWORD; "
            "set its password, or use SECRET_ID"
        )

    def _decrypt(self, name: str, encrypted: str) -> str:
        """The clear text of an ``ENCRYPTED_PASSWORD``.

        AWS documents the key (the catalog's ``ConnectionPasswordEncryption.AwsKmsKeyId``) but
        not the encoding.  Assumed, as for every binary value in a string-typed API field: the
        base64 of a KMS ``CiphertextBlob`` made without an encryption context.  A symmetric
        ciphertext names its key, so ``Decrypt`` needs no ``KeyId`` (and the job no
        ``glue:GetDataCatalogEncryptionSettings``).
        """
        try:
            blob = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise ConnectionResolutionError(
                f"the ENCRYPTED_PASSWORD of Glue connection '{name}' is not base64; recreate "
                "the connection or move its credentials to SECRET_ID"
            ) from None
        kms = self._session.client("kms")
        answer = aws_call(
            f"the ENCRYPTED_PASSWORD of Glue connection '{name}' could not be decrypted",
            "the job's role needs kms:Decrypt on the Data Catalog's connection-password key "
            "and the kms endpoint",
            lambda: kms.decrypt(CiphertextBlob=blob),
        )
        return bytes(answer["Plaintext"]).decode("utf-8")


class GlueContextCredentials:
    """On Glue: credentials from ``GlueContext.extract_jdbc_conf(name)``.

    ``extract_jdbc_conf`` (aws-glue-libs ``awsglue/context.py``) calls the Glue runtime's
    ``extractJDBCConf`` and documents its answer as a map with keys ``user``, ``password``,
    ``vendor`` and ``url``; its ``url`` has no database name, so the URL always comes from
    ``GetConnection``.  Glue resolves ``SECRET_ID`` and encrypted passwords itself, with the
    job's role.  If it gives no user or password (a connection form the runtime predates), the
    credentials are read as off Glue (``fallback``, default :class:`AwsCredentials`).
    """

    def __init__(self, glue_context: Any, fallback: CredentialSource | None = None) -> None:
        self._glue_context = glue_context
        self._fallback = fallback or AwsCredentials()

    def credentials(self, name: str, connection: Mapping[str, Any]) -> Credentials:
        try:
            with quiet_aws_debug_logging():
                conf = self._glue_context.extract_jdbc_conf(name)
        except Exception as exc:  # a Py4JJavaError from the Glue runtime
            raise ConnectionResolutionError(
                f"Glue could not resolve the credentials of connection '{name}' "
                f"(extract_jdbc_conf: {type(exc).__name__}); the job's role needs "
                "glue:GetConnection on it and, for SECRET_ID, secretsmanager:GetSecretValue"
            ) from None
        user, password = conf.get("user"), conf.get("password")
        if not user or password is None:
            return self._fallback.credentials(name, connection)
        return Credentials(str(user), str(password))
