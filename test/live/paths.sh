# Sourced by toolchain.sh and cluster.sh (after they set HERE): the repository root, the pinned
# versions and the tools' cache.
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=test/live/versions.env
source "$HERE/versions.env"
CACHE="${PULUMI_MASTODON_CACHE:-$HOME/.cache/pulumi-mastodon}"
BIN="$CACHE/bin"
