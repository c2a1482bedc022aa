"""The ADB wire protocol as adbd speaks it (restated from AOSP's protocol.txt).

Every message is a 24-byte little-endian header — command, arg0, arg1, data length, data check
(the plain byte sum of the payload) and magic (command XOR 0xFFFFFFFF) — followed by the payload.
This module packs and unpacks those messages and checks the AUTH signatures of host keys; the
simulated phone's server (``sim.server``) uses it to talk to adb-shell and the host ``adb``.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass

import numpy as np

HEADER = struct.Struct("<6I")


def _cmd(name: bytes) -> int:
    return int.from_bytes(name, "little")


CNXN, AUTH, OPEN, OKAY, WRTE, CLSE, STLS = (_cmd(c) for c in (
    b"CNXN", b"AUTH", b"OPEN", b"OKAY", b"WRTE", b"CLSE", b"STLS"))
NAMES = {CNXN: "CNXN", AUTH: "AUTH", OPEN: "OPEN", OKAY: "OKAY", WRTE: "WRTE", CLSE: "CLSE",
         STLS: "STLS"}

VERSION = 0x01000000
VERSION_SKIP_CHECKSUM = 0x01000001  # from this version a receiver may skip the data check
MAX_PAYLOAD = 1024 * 1024  # what the simulated device offers in CNXN
AUTH_TOKEN, AUTH_SIGNATURE, AUTH_RSAPUBLICKEY = 1, 2, 3
ANDROID_PUBKEY_WORDS = 64  # 2048-bit moduli, the only size adb uses


class ProtocolError(ValueError):
    """A message that breaks the protocol; the server closes that connection."""


def checksum(data: bytes) -> int:
    # numpy: a 1 MiB payload is summed in well under a millisecond, pure Python takes ~30 ms.
    if not data:
        return 0
    return int(np.frombuffer(data, dtype=np.uint8).sum(dtype=np.uint64)) & 0xFFFFFFFF


@dataclass
class Message:
    command: int
    arg0: int
    arg1: int
    data: bytes = b""

    @property
    def name(self) -> str:
        return NAMES.get(self.command, f"0x{self.command:08x}")

    def pack(self) -> bytes:
        return HEADER.pack(self.command, self.arg0 & 0xFFFFFFFF, self.arg1 & 0xFFFFFFFF,
                           len(self.data), checksum(self.data),
                           self.command ^ 0xFFFFFFFF) + self.data


def unpack_header(raw: bytes, max_payload: int) -> tuple[int, int, int, int, int]:
    """(command, arg0, arg1, length, check) of a header, or ProtocolError saying what is wrong."""
    if len(raw) != HEADER.size:
        raise ProtocolError(f"short header ({len(raw)} of {HEADER.size} bytes)")
    command, arg0, arg1, length, check, magic = HEADER.unpack(raw)
    if command not in NAMES:
        raise ProtocolError(f"unknown command 0x{command:08x}")
    if magic != command ^ 0xFFFFFFFF:
        raise ProtocolError(f"bad magic 0x{magic:08x} for {NAMES[command]}")
    if length > max_payload:
        raise ProtocolError(f"{NAMES[command]} payload of {length} bytes exceeds {max_payload}")
    return command, arg0, arg1, length, check


def parse_banner(data: bytes) -> dict[str, str]:
    """'device::ro.product.name=x;features=a,b' → {'kind': 'device', 'ro.product.name': 'x', ...}."""
    text = data.rstrip(b"\0").decode("utf-8", "replace")
    kind, _, rest = text.partition("::")
    out = {"kind": kind}
    for item in rest.split(";"):
        key, sep, value = item.partition("=")
        if sep:
            out[key] = value
    return out


# -- host keys (AUTH) ---------------------------------------------------------------------------
def decode_android_pubkey(text: bytes | str) -> tuple[int, int]:
    """(modulus, exponent) of a key in adb's format: base64 of {u32 words, u32 n0inv,
    n[words] little-endian, rr[words], u32 exponent}, then optionally ' user@host'."""
    if isinstance(text, str):
        text = text.encode()
    b64 = text.strip(b"\0 \n").split(b" ")[0]
    try:
        raw = base64.b64decode(b64, validate=True)
    except ValueError as e:
        raise ProtocolError(f"public key is not base64: {e}") from None
    size = ANDROID_PUBKEY_WORDS * 4
    if len(raw) != 8 + 2 * size + 4:
        raise ProtocolError(f"public key of {len(raw)} bytes; adb keys have {8 + 2 * size + 4}")
    words = int.from_bytes(raw[0:4], "little")
    if words != ANDROID_PUBKEY_WORDS:
        raise ProtocolError(f"public key modulus of {words} words; adb uses 64")
    n = int.from_bytes(raw[8:8 + size], "little")
    e = int.from_bytes(raw[8 + 2 * size:], "little")
    return n, e


def verify_token(pubkey: tuple[int, int], token: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the host key's PKCS#1 v1.5 signature of the token, where adb
    signs the 20-byte token as if it were a SHA-1 digest."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

    n, e = pubkey
    key = rsa.RSAPublicNumbers(e, n).public_key()
    try:
        key.verify(signature, token, padding.PKCS1v15(), utils.Prehashed(hashes.SHA1()))
    except (InvalidSignature, ValueError):
        return False
    return True
