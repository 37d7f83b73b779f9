#!/bin/sh
# Argo CD Config Management Plugin `generate` for notary-pin (see plugin.yaml, README.md).
#
# Runs in the application's source directory. Renders the manifests (`kustomize build .` when a
# kustomization exists, else the directory's *.yaml files then *.yml files, in name order, not
# recursing) and pins every image with notary-pin. Prints manifests only when EVERY image was
# pinned to a signed digest; otherwise exits non-zero with the reasons on stderr, so the sync fails
# and nothing unsigned is applied.
#
# Config file, first set wins:
#   NOTARY_PIN_CONFIG             sidecar env, set by the platform team; apps cannot override it
#   PARAM_CONFIG                  the app's `config` plugin parameter
#   ARGOCD_ENV_NOTARY_PIN_CONFIG  the app's plugin env NOTARY_PIN_CONFIG
#   notary-pin.yaml               default
# App-chosen paths must be relative and stay inside the app directory.
# Mode (pin | verify): PARAM_MODE, else ARGOCD_ENV_NOTARY_PIN_MODE, else the config's spec.mode.
# Lock file: when images.lock.yaml is in the app directory (committed beside the kustomization),
# the render must match it (`--lock-file images.lock.yaml --locked`): a re-signed tag fails the
# sync until the lock is updated in Git. Argo CD never writes the lock.
# Tools: NOTARY_PIN_BUNDLE (run `node $NOTARY_PIN_BUNDLE`) else `notary-pin` on PATH; KUSTOMIZE
# (default `kustomize`, else `kubectl kustomize`).
set -eu

app=${ARGOCD_APP_NAME:-?}
die() {
  printf 'notary-pin (app %s, path %s): %s\n' "$app" "${ARGOCD_APP_SOURCE_PATH:-.}" "$*" >&2
  exit 1
}

if [ -n "${NOTARY_PIN_CONFIG:-}" ]; then
  config=$NOTARY_PIN_CONFIG
else
  config=${PARAM_CONFIG:-${ARGOCD_ENV_NOTARY_PIN_CONFIG:-notary-pin.yaml}}
  case /$config/ in
    //* | */../*) die "config path '$config' must be relative and inside the application directory" ;;
  esac
fi
[ -f "$config" ] || die "config file '$config' not found"

mode=${PARAM_MODE:-${ARGOCD_ENV_NOTARY_PIN_MODE:-}}
case $mode in
  '' | pin | verify) ;;
  *) die "mode '$mode' is not one of: pin, verify" ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/notary-pin-cmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. Render.
if [ -f kustomization.yaml ] || [ -f kustomization.yml ] || [ -f Kustomization ]; then
  if [ -n "${KUSTOMIZE:-}" ]; then
    "$KUSTOMIZE" build . >"$work/in.yaml" || die "kustomize build failed"
  elif command -v kustomize >/dev/null 2>&1; then
    kustomize build . >"$work/in.yaml" || die "kustomize build failed"
  else
    kubectl kustomize . >"$work/in.yaml" || die "kubectl kustomize failed"
  fi
else
  : >"$work/in.yaml"
  found=0
  for f in ./*.yaml ./*.yml; do
    [ -f "$f" ] || continue
    # The NotaryPin config (and the discover file) is not a manifest to deploy.
    [ "$f" = "./${config#./}" ] && continue
    [ "$f" = ./notary-pin.yaml ] && continue
    [ "$f" = ./images.lock.yaml ] && continue
    printf -- '---\n' >>"$work/in.yaml"
    cat -- "$f" >>"$work/in.yaml"
    printf '\n' >>"$work/in.yaml"
    found=$((found + 1))
  done
  [ "$found" -gt 0 ] || die "no kustomization and no *.yaml / *.yml manifests to render"
fi

# 2. Pin. Output goes to a file first: stdout gets all the manifests or nothing.
set -- --config "$config" --input "$work/in.yaml" --output "$work/out.yaml"
[ -z "$mode" ] || set -- "$@" --mode "$mode"
[ ! -f images.lock.yaml ] || set -- "$@" --lock-file images.lock.yaml --locked
status=0
if [ -n "${NOTARY_PIN_BUNDLE:-}" ]; then
  "${NODE:-node}" "$NOTARY_PIN_BUNDLE" "$@" || status=$?
else
  notary-pin "$@" || status=$?
fi
[ "$status" -eq 0 ] || die "images are not all signed (or do not match images.lock.yaml) (notary-pin exit $status): refusing to render; see the messages above"
[ -f "$work/out.yaml" ] || die "notary-pin wrote no output"
cat -- "$work/out.yaml"
