"""``GET sys/ledger/head``: a signed checkpoint of the hash chain's head, for operators to record
outside the store and check later with ``tokenledger ledger verify --expect-head`` (sudo)."""

from __future__ import annotations

from flask import Response

from tokenledger.application.formats import go_time
from tokenledger.application.token_service import POLICY_DENIED
from tokenledger.domain.caller import Caller
from tokenledger.domain.clock import Clock
from tokenledger.domain.errors import PermissionDenied
from tokenledger.projections.chain_checkpoint import CHECKPOINT_KEY_NAME, head_checkpoint, public_key, sign
from tokenledger.projections.hash_chain import ChainedRecorder
from tokenledger.projections.read_model_store import ReadModelStore
from tokenledger.web.envelope import error_response, vault_response


class ChainEndpoints:
    def __init__(self, recorder: ChainedRecorder, index: ReadModelStore, clock: Clock) -> None:
        self._recorder = recorder
        self._key = index.ensure_key(CHECKPOINT_KEY_NAME)
        self._clock = clock

    def ledger_head(self, caller: Caller) -> Response:
        """One chain for the whole store: only the root namespace may see its head."""
        if not caller.is_sudo or caller.namespace:
            raise PermissionDenied(POLICY_DENIED)
        checkpoint = head_checkpoint(self._recorder)
        if checkpoint is None:  # opening the ledger records the chain's genesis: it was removed since
            return error_response(500, "the hash chain has no link, not even its genesis: "
                                       "run `tokenledger ledger verify`")
        return vault_response(data={
            "position": checkpoint.position, "hash": checkpoint.hash.hex(), "checkpoint": str(checkpoint),
            "time": go_time(self._clock.now()), "signature": sign(self._key, checkpoint).hex(),
            "public_key": public_key(self._key).hex(), "algorithm": "ed25519"})
