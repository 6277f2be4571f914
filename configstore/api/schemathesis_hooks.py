# Schemathesis hooks for configstore's fuzz test (schemathesis.test.ts loads them through
# SCHEMATHESIS_HOOKS): the check of the maintenance run.
import os

import schemathesis

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
