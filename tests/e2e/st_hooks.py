"""Schemathesis hooks for Gazette: NDJSON bodies (POST /api/v1/import) are sent as the text
the fuzzer generates, like text/plain."""

import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "text/plain")
