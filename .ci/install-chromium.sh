#!/usr/bin/env bash
# Debian chromium for the GraphiQL browser test (test/browser/graphiql.test.ts drives /usr/bin/chromium
# through playwright-core; never `npx playwright install`). Idempotent: does nothing when already present.
set -euo pipefail
command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
