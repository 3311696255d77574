#!/usr/bin/env bash
# Runs every test: installs what is missing (PostgreSQL, RabbitMQ, and Chromium for the portal's browser tests),
# builds, and runs the xUnit suites against real PostgreSQL and RabbitMQ servers that the tests start themselves
# (private instances on free ports, in a temporary folder, stopped when the tests end). Prints one closing line:
# "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prerequisites.sh
ensure_prerequisites
ensure_test_browser
ensure_kubectl

dotnet build TrainingPlatform.sln -c Release --nologo -v quiet

log=$(mktemp)
export TRAININGPLATFORM_TEST_ROOT
TRAININGPLATFORM_TEST_ROOT=$(mktemp -d -t trainingplatform-testrun-XXXXXX)
chmod 755 "$TRAININGPLATFORM_TEST_ROOT" # the servers run as the postgres and rabbitmq users
trap 'rm -f "$log"; rm -rf "$TRAININGPLATFORM_TEST_ROOT"' EXIT
status=0
# One test assembly at a time: each starts its own PostgreSQL and RabbitMQ, and the machine has two cores.
dotnet test TrainingPlatform.sln -c Release --no-build --nologo -m:1 \
  --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?

# The per-assembly summaries read "Passed: N" / "Failed: N"; awk alone, since a grep finding nothing would end the script.
passed=$(awk '$1 == "Passed:" {s += $2} END {print s + 0}' "$log")
failed=$(awk '$1 == "Failed:" {s += $2} END {print s + 0}' "$log")
if [ "$failed" -ne 0 ]; then
  # CI shows only the end of a long log: name each failed test and the first lines of its reason here.
  echo
  echo "failed tests:"
  awk '/^  Failed [A-Za-z]/ {print; n = 6; next} n > 0 {print; n--}' "$log"
fi
echo
echo "tests: ${passed} passed, ${failed} failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
