"""The cryptography of WeChat Pay API v3, written on ``cryptography``:
RSA-SHA256 (PKCS#1 v1.5) signatures over newline-joined messages, the
``Authorization`` header the merchant signs requests with, the checks a
signed response or notification must pass, and AES-256-GCM for the
notification resources. Pure functions: the client and the sandbox share them."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import string
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kernel.wechatpay.errors import BadSignature, DecryptionError, StaleTimestamp, UnknownSerial

SCHEME = "WECHATPAY2-SHA256-RSA2048"
# v3 refuses, and so do we, signed messages more than five minutes off.
MAX_SKEW_S = 300
TIMESTAMP = "Wechatpay-Timestamp"
NONCE = "Wechatpay-Nonce"
SIGNATURE = "Wechatpay-Signature"
SERIAL = "Wechatpay-Serial"
_NONCE_ALPHABET = string.ascii_uppercase + string.digits
_AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')


def nonce(length: int = 32) -> str:
    """A random nonce of upper-case letters and digits, as v3's examples use."""
    # One read of the secure source, not one per character (secrets.choice
    # reads it each time: 32 reads per signature showed in the payment
    # profile). Bytes past the alphabet's last whole multiple are dropped,
    # so every character stays equally likely.
    usable = 256 - 256 % len(_NONCE_ALPHABET)
    chosen: list[str] = []
    while len(chosen) < length:
        chosen += (
            _NONCE_ALPHABET[b % len(_NONCE_ALPHABET)]
            for b in secrets.token_bytes(length)
            if b < usable
        )
    return "".join(chosen[:length])


def generate_private_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key (the sandbox's platform key, development merchants)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    """An unencrypted PKCS#8 (or PKCS#1) RSA private key in PEM."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the merchant private key must be an RSA key")
    return key


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    """An RSA public key in PEM (SubjectPublicKeyInfo), as WeChat Pay hands
    out its platform public key."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the platform public key must be an RSA key")
    return key


def load_public_key_file(path: str | Path) -> rsa.RSAPublicKey:
    """``load_public_key`` of a PEM file."""
    return load_public_key(Path(path).read_bytes())


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    """``key`` as unencrypted PKCS#8 PEM, the form WeChat's tool writes."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: rsa.RSAPublicKey) -> bytes:
    """``key`` as SubjectPublicKeyInfo PEM."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def lines(*parts: str | bytes) -> bytes:
    """v3's signed message: every part followed by a newline. Parts may be
    bytes so that a body is signed exactly as it travels."""
    return b"".join((p if isinstance(p, bytes) else p.encode()) + b"\n" for p in parts)


def sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    """base64(RSA-SHA256(message)), PKCS#1 v1.5 padding."""
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def signature_valid(key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64) is ``key``'s RSA-SHA256 over ``message``."""
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def request_message(method: str, path: str, timestamp: str, nonce_str: str, body: bytes) -> bytes:
    """What a merchant signs: method, URL path with its query, timestamp,
    nonce and body (empty for GET)."""
    return lines(method.upper(), path, timestamp, nonce_str, body)


def authorization(
    *,
    mchid: str,
    serial_no: str,
    key: rsa.RSAPrivateKey,
    method: str,
    path: str,
    body: bytes,
    timestamp: int,
    nonce_str: str | None = None,
) -> str:
    """The ``Authorization`` header of one merchant request."""
    nonce_str = nonce_str or nonce()
    signed = sign(key, request_message(method, path, str(timestamp), nonce_str, body))
    return (
        f'{SCHEME} mchid="{mchid}",nonce_str="{nonce_str}",signature="{signed}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def parse_authorization(header: str) -> dict[str, str]:
    """The fields of an ``Authorization`` header; raises ``BadSignature``
    when it is not v3's scheme or lacks a field."""
    scheme, _, rest = header.partition(" ")
    fields = dict(_AUTH_FIELD.findall(rest))
    wanted = {"mchid", "nonce_str", "signature", "timestamp", "serial_no"}
    if scheme != SCHEME or not wanted <= fields.keys():
        raise BadSignature("missing or malformed Authorization")
    return fields


def signed_headers(
    key: rsa.RSAPrivateKey, serial: str, body: bytes, timestamp: int
) -> dict[str, str]:
    """The ``Wechatpay-*`` headers a platform puts on an answer or notification."""
    nonce_str = nonce()
    message = lines(str(timestamp), nonce_str, body)
    return {
        TIMESTAMP: str(timestamp),
        NONCE: nonce_str,
        SIGNATURE: sign(key, message),
        SERIAL: serial,
    }


def check_fresh(timestamp: str, now: float, max_skew_s: int = MAX_SKEW_S) -> None:
    """Raise ``StaleTimestamp`` unless ``timestamp`` (Unix seconds) is
    within ``max_skew_s`` of ``now``, either way."""
    try:
        seconds = int(timestamp)
    except ValueError:
        raise BadSignature(f"malformed timestamp {timestamp!r}") from None
    if abs(now - seconds) > max_skew_s:
        raise StaleTimestamp(f"timestamp {seconds} is {int(now - seconds)} s off")


def verify_signed(
    headers: Mapping[str, str],
    body: bytes,
    platform_keys: Mapping[str, rsa.RSAPublicKey],
    now: float,
) -> None:
    """Check a platform answer or notification, in the order that tells the
    operator most: signing headers present, serial known, timestamp fresh,
    signature valid. Raises the matching ``SignatureError``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    found = [lowered.get(h.lower(), "") for h in (TIMESTAMP, NONCE, SIGNATURE, SERIAL)]
    timestamp, nonce_str, signature, serial = found
    if not all(found):
        raise BadSignature("missing Wechatpay-* signing headers")
    key = platform_keys.get(serial)
    if key is None:
        raise UnknownSerial(f"no platform key for serial {serial!r}")
    check_fresh(timestamp, now)
    if not signature_valid(key, lines(timestamp, nonce_str, body), signature):
        raise BadSignature("Wechatpay-Signature does not verify")


def _aes_key(apiv3_key: str) -> AESGCM:
    raw = apiv3_key.encode()
    if len(raw) != 32:
        raise ValueError("the APIv3 key is 32 bytes")
    return AESGCM(raw)


def encrypt(apiv3_key: str, plaintext: bytes, associated_data: str, nonce_str: str) -> str:
    """AES-256-GCM of ``plaintext``, base64 of ciphertext + tag (v3's form)."""
    sealed = _aes_key(apiv3_key).encrypt(nonce_str.encode(), plaintext, associated_data.encode())
    return base64.b64encode(sealed).decode()


def decrypt(apiv3_key: str, ciphertext: str, associated_data: str, nonce_str: str) -> bytes:
    """The plaintext of a v3 resource; ``DecryptionError`` if it was
    tampered with, or the key, nonce or associated data is wrong."""
    try:
        sealed = base64.b64decode(ciphertext, validate=True)
        return _aes_key(apiv3_key).decrypt(nonce_str.encode(), sealed, associated_data.encode())
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise DecryptionError("the resource does not decrypt with the APIv3 key") from exc
