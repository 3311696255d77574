#!/usr/bin/env bash
# Runs the whole platform locally with .NET Aspire: PostgreSQL, RabbitMQ, the five services, the portal and the
# gateway, with demo data, and the Aspire dashboard. Installs what is missing, builds, then hands over to the AppHost,
# which prints the portal's address, the dashboard's sign-in link and the operator's sign-in once everything is
# healthy (Ctrl+C stops everything it started).
# Any argument is passed to the AppHost, e.g. scripts/run.sh --replicas enrollment=2 (scripts/run.sh --help lists them)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prerequisites.sh
ensure_prerequisites

dotnet build TrainingPlatform.sln -c Release --nologo -v quiet
exec dotnet run --project AppHost/AppHost.csproj -c Release --no-build -- "$@"
