# Schemathesis hooks for configstore's fuzz test (schemathesis.test.ts loads them through
# SCHEMATHESIS_HOOKS): the schemas' own formats, an import's media type, refs to objects the
# test made, and the check of the maintenance run.
import base64
import json
import os
import zlib

import schemathesis
from hypothesis import strategies as st

# The routes that answer in maintenance mode (config alwaysOn in the server).
ALWAYS_ON = ("/api/v1alpha/maintenance", "/api/v1alpha/export", "/api/v1alpha/import")

if os.environ.get("CONFIGSTORE_FUZZ_MAINTENANCE") == "1":

    @schemathesis.check
    def maintenance_fence(ctx, response, case):
        """In maintenance: resource routes answer 503 maintenanceMode, nothing else answers any 5xx."""
        try:
            code = response.json().get("code")
        except Exception:
            code = None
        where = f"{case.operation.method.upper()} {case.operation.path}"
        if case.operation.path in ALWAYS_ON:
            if response.status_code >= 500:
                raise AssertionError(f"{where} answered {response.status_code} ({code}) in maintenance mode")
        elif response.status_code != 503 or code != "maintenanceMode":
            raise AssertionError(f"{where} answered {response.status_code} ({code}) in maintenance mode, not 503 maintenanceMode")
        return None


# The schemas' own formats (configstore/api/validation.ts), which the fuzzer cannot know:
# values the server accepts. Values outside a format are the negative cases' business.
def _cursor(after, level):
    data = {"after": after} if level is None else {"after": after, "level": level}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


# short plain names: the encoded cursor stays within the schema's 200 characters
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"
schemathesis.openapi.format("cursor", st.builds(_cursor, st.text(alphabet=_NAME_CHARS, max_size=30), st.none() | st.integers(0, 5)))
schemathesis.openapi.format(
    "http-url",
    st.from_regex(r"\Ahttps?://[a-z][a-z0-9-]{0,20}(\.[a-z]{2,6}){0,2}(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~-]{0,12}){0,3}\Z"),
)
# any text of letters and digits compiles; so do these
schemathesis.openapi.format("regexp", st.from_regex(r"\A[A-Za-z0-9]{1,20}\Z") | st.sampled_from(["^main$", "^release/.*", "v[0-9]+\\.[0-9]+", "(a|b)*"]))
# an import's body: ndjson lines (never a whole valid export: that needs the sha256 of the rest)
schemathesis.openapi.media_type("application/x-ndjson", st.lists(st.text(max_size=40), max_size=4).map(lambda ls: "\n".join(ls).encode()))


# Objects the test made (CONFIGSTORE_FUZZ_SEED, JSON): half the schema-valid cases name them
# instead of the generated refs, which name nothing (404) but in the coverage phase, so the
# checks reach past the lookups. Schema-violating cases keep what was generated.
SEED = json.loads(os.environ.get("CONFIGSTORE_FUZZ_SEED", "{}"))

if SEED:

    @schemathesis.hook
    def map_case(context, case):
        meta = case.meta
        params = case.path_parameters
        if meta is None or not meta.generation.mode.is_positive or not params:
            return case
        if zlib.crc32(repr(sorted(params.items())).encode()) % 2:
            return case
        segments = case.operation.path.split("/")  # "", "api", "v1alpha", resource, ...
        seeded = dict(params)
        if "ref" in seeded and segments[3] in SEED:
            seeded["ref"] = SEED[segments[3]]
        if "userRef" in seeded:
            seeded["userRef"] = SEED["users"]
        if "id" in seeded:
            seeded["id"] = SEED["linkedaccount"]
        if "name" in seeded:
            seeded["name"] = SEED["token"] if "tokens" in segments else SEED["secret"] if "secrets" in segments else SEED["variable"]
        case.path_parameters = seeded
        return case
