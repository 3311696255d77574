#!/usr/bin/env bash
# Runs the whole platform locally: PostgreSQL, RabbitMQ, the five services and the gateway, with demo data.
# Installs what is missing, builds, then hands over to the AppHost (Ctrl+C stops everything it started).
# Any argument is passed to the AppHost, e.g. scripts/run.sh --replicas enrollment=2
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prerequisites.sh
ensure_prerequisites

dotnet build TrainingPlatform.sln -c Release --nologo -v quiet
exec dotnet run --project AppHost/AppHost.csproj -c Release --no-build -- "$@"
