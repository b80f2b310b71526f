"""Schemathesis hook of `make fuzz` (scripts/fuzz-api.sh loads it; docs/api-fuzzing.md).

An Idempotency-Key is a client's nonce: one per user action, the same for its retries. The
document can say what a key looks like, but not that a client must not reuse it for another
request, and Schemathesis draws keys like any other string: the same few values (one fixed
example per coverage scenario, shrunk minimal ones) for many different bodies. The server
answers a key reused for a different request with 422 IDEMPOTENCY_KEY_REUSED, as it must, and
the fuzzer would report each such answer as a valid request refused (ST202).

So, just before a request goes out, its Idempotency-Key is made specific to the request: every
letter and digit of the drawn key is replaced by one of the same kind (0-9, a-f, g-z, A-F, G-Z)
chosen by a hash of the request (operation, path, query, body) and the key drawn. The key keeps
its length and its shape (a UUID stays a UUID, a pattern still matches), so the server is still
tested on the keys the document allows; a different request gets a different key, and the same
request sent again gets the same key (a retry, answered from the stored answer). A missing key
stays missing, and a key drawn to break the schema (negative mode) is sent as drawn, so the
server's own checks of the header are fuzzed as before.

What this cannot fix: a key of a few characters has few variants, so short keys still collide.
If the document allows them, expect IDEMPOTENCY_KEY_REUSED findings for them.

The flows run (FUZZ_FLOWS=1, positive data only) also names what exists: drawn ids rarely name
a merchant, diner, tier, card type or fragment the demo data has, so money would hardly move
and the ledger check after the runs would have little to check. There, three requests in four
get the demo's ids in place of the drawn ones (chosen by the same hash), so recharges, payment
codes, scans, refunds, trades and syntheses really happen, and the fourth still asks for
what does not exist.
"""

from __future__ import annotations

import hashlib
import json
import string

import os

import schemathesis
from schemathesis.core.parameters import ParameterLocation

HEADER = "idempotency-key"
KINDS = [string.digits, "abcdef", "ghijklmnopqrstuvwxyz", "ABCDEF", "GHIJKLMNOPQRSTUVWXYZ"]
KIND_OF = {char: kind for kind in KINDS for char in kind}


def specific_key(drawn: str, request: list) -> str:
    """`drawn` with each letter and digit replaced by one of its kind, chosen by `request`."""
    seed = json.dumps([request, drawn], sort_keys=True, default=repr).encode()
    stream = b""
    counter = 0
    while len(stream) < len(drawn):
        stream += hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return "".join(
        KIND_OF[char][byte % len(KIND_OF[char])] if char in KIND_OF else char
        for char, byte in zip(drawn, stream)
    )


# What the demo data holds (db::seed, service::demo), by the name a request gives it.
KNOWN = {
    "merchant_id": ["demo"],
    "uid": ["wx-demo-001", "wx-demo-002"],
    "tier": ["T100", "T300"],
    "card_type": ["FREE_APPETIZER", "HOTPOT_30"],
    "fragment": ["CHILI", "PEPPER", "PANDA"],
}


def pick(seed: list, name: str, drawn):
    """A known value for field `name` three times in four, else the drawn one."""
    digest = hashlib.sha256(json.dumps([seed, name], sort_keys=True, default=repr).encode())
    number = int.from_bytes(digest.digest()[:4], "big")
    if number % 4 == 3:
        return drawn
    choices = KNOWN[name]
    return choices[(number // 4) % len(choices)]


def name_known_things(case) -> None:
    seed = [case.operation.label, case.query, case.body]
    for part in (case.body, case.query):
        if isinstance(part, dict):
            for name in KNOWN:
                if isinstance(part.get(name), str):
                    part[name] = pick(seed, name, part[name])


@schemathesis.hook
def before_call(context, case, kwargs):
    if os.environ.get("FUZZ_FLOWS") == "1":
        name_known_things(case)
    set_key(case)


def set_key(case) -> None:
    headers = case.headers
    if not headers:
        return
    name = next((key for key in headers if key.lower() == HEADER), None)
    if name is None or not isinstance(headers[name], str):
        return
    # A header drawn to violate the schema is the point of that case: leave it as it is.
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        return
    request = [case.operation.label, case.path_parameters, case.query, case.body]
    headers[name] = specific_key(headers[name], request)
