#!/usr/bin/env bash
# Copies CloudNativePG's CRDs (Cluster, Pooler, ScheduledBackup) from its Go module, at the version
# test/live/versions.env pins (CLOUDNATIVEPG_VERSION), into this folder, byte for byte. Run it after
# changing that pin; test/harness/schemas.spec.ts checks that the copies match the pin.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=test/live/versions.env
source "$HERE/../../../live/versions.env"
dir="$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "github.com/cloudnative-pg/cloudnative-pg@$CLOUDNATIVEPG_VERSION" \
  | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
[[ -d "$dir" ]] || { echo "cannot download github.com/cloudnative-pg/cloudnative-pg@$CLOUDNATIVEPG_VERSION" >&2; exit 1; }
for kind in clusters poolers scheduledbackups; do
  install -m 0644 "$dir/config/crd/bases/postgresql.cnpg.io_$kind.yaml" "$HERE/postgresql.cnpg.io_$kind.yaml"
done
echo "$CLOUDNATIVEPG_VERSION" >"$HERE/VERSION"
echo "copied the CRDs of cloudnative-pg $CLOUDNATIVEPG_VERSION"
