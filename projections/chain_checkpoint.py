"""Checkpoints of the hash chain's head, ``HASH@POSITION``, signed with the store's Ed25519 key.

A checkpoint recorded outside the database is what defeats cutting the log short: the chain of
what is left verifies, but no longer holds the recorded link (``check_expected``). The
signature says which store's key vouched for a checkpoint; whoever can rewrite the database
holds that key too, so it cannot tell a rewritten log from the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tokenledger.projections.hash_chain import GENESIS, ChainedRecorder, ChainReport

CHECKPOINT_KEY_NAME = "ledger-checkpoint-ed25519"  # in ledger_keys: the private key's 32 bytes
_SIGNED_PREFIX = b"tokenledger ledger checkpoint\n"
_FORM = re.compile(r"([0-9a-f]{64})@([0-9]{1,18})")


class CheckpointError(ValueError):
    """A checkpoint or signature that is not in the form ``ledger head`` prints."""


@dataclass(frozen=True)
class Checkpoint:
    position: int
    hash: bytes

    def __str__(self) -> str:
        return f"{self.hash.hex()}@{self.position}"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        match = _FORM.fullmatch(text.strip().lower())
        if match is None:
            raise CheckpointError(f"a checkpoint is HASH@POSITION: {2 * len(GENESIS)} hex digits, '@', "
                                  "a position (as `tokenledger ledger head` prints it)")
        return cls(int(match[2]), bytes.fromhex(match[1]))


def head_checkpoint(recorder: ChainedRecorder) -> Checkpoint | None:
    """The chain's last link as it is stored (``verify_chain`` says whether it holds)."""
    head = recorder.chain_head()
    return None if head is None else Checkpoint(head[0], head[1])


def sign(key: bytes, checkpoint: Checkpoint) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(key).sign(_SIGNED_PREFIX + str(checkpoint).encode())


def public_key(key: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(key).public_key().public_bytes_raw()


def signature_holds(public: bytes, checkpoint: Checkpoint, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, _SIGNED_PREFIX + str(checkpoint).encode())
    except (InvalidSignature, ValueError):
        return False
    return True


def parse_signature(text: str) -> bytes:
    try:
        signature = bytes.fromhex(text.strip())
    except ValueError:
        signature = b""
    if len(signature) != 64:
        raise CheckpointError("a checkpoint signature is 128 hex digits (as `tokenledger ledger head` prints it)")
    return signature


def check_expected(recorder: ChainedRecorder, report: ChainReport, expected: Checkpoint) -> None:
    """Set ``report.problem`` unless the verified chain holds ``expected`` as one of its links."""
    if not report.intact:
        return
    stored = next(iter(recorder.chain_links(expected.position - 1, expected.position, 1)), None)
    if stored is None:
        head = recorder.chain_head()
        end = head[0] if head is not None else 0
        report.problem = (f"the log ends at position {end}, before the expected head {expected}: "
                          "events were removed from its end" if end < expected.position else
                          f"the chain has no link at position {expected.position}: "
                          f"the expected head {expected} is not in this log")
    elif stored[1] != expected.hash:
        report.problem = (f"the chain's link at position {expected.position} is {stored[1].hex()}, not the "
                          f"expected {expected.hash.hex()}: the log up to there was rewritten")
