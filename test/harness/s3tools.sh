#!/usr/bin/env bash
# The S3 tools the backup tests run, from PyPI, pinned: the AWS CLI (awscli, whose s3 and s3api commands are
# those the backup image's AWS CLI v2 runs) and moto's S3-compatible server. Installed once into a virtualenv
# outside the repository and printed: its bin folder.
#
#   bash test/harness/s3tools.sh        install what is missing, print the bin folder
#
# As root the virtualenv is under /var/cache (the tests run the scripts as the postgres user, who cannot enter
# /root), from Debian's python3 (pyenv's lives under /root too); otherwise under ~/.cache/pulumi-mastodon.
set -euo pipefail

AWSCLI_VERSION=1.45.11
MOTO_VERSION=5.2.5

if [[ -n "${PULUMI_MASTODON_PY:-}" ]]; then
  dir="$PULUMI_MASTODON_PY"
elif [[ "$(id -u)" == 0 ]]; then
  dir=/var/cache/pulumi-mastodon/py
else
  dir="${PULUMI_MASTODON_CACHE:-$HOME/.cache/pulumi-mastodon}/py"
fi
python=python3
[[ -x /usr/bin/python3 ]] && python=/usr/bin/python3

ready() {
  [[ -x "$dir/bin/aws" && -x "$dir/bin/moto_server" ]] &&
    "$dir/bin/aws" --version 2>&1 | grep -q "^aws-cli/$AWSCLI_VERSION " &&
    "$dir/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('moto') != '$MOTO_VERSION')"
}

if ! ready; then
  echo "[s3tools] installing awscli $AWSCLI_VERSION and moto[server] $MOTO_VERSION into $dir" >&2
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  "$python" -m venv "$dir" >&2
  "$dir/bin/pip" install --quiet --disable-pip-version-check "awscli==$AWSCLI_VERSION" "moto[server]==$MOTO_VERSION" >&2
  chmod -R a+rX "$dir"
  ready || { echo "[s3tools] $dir/bin lacks a working aws or moto_server after the install" >&2; exit 1; }
fi
echo "$dir/bin"
