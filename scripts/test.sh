#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test. Needs nothing
# outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The checkpoint interoperability tests read shards with Python's safetensors package.
python3 -c "import safetensors, numpy" 2>/dev/null || python3 -m pip install -q safetensors numpy
swift build --build-tests
swift test
