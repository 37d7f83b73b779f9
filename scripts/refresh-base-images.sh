#!/usr/bin/env bash
# Rewrites the Dockerfile's FROM lines to the digests their tags name today (index digests, so every
# platform stays covered). Needs skopeo and network access to the registries; review the diff after.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
while IFS= read -r line; do
  if [[ $line =~ ^FROM\ ([^@[:space:]]+)(@sha256:[0-9a-f]{64})?(.*)$ ]]; then
    image=${BASH_REMATCH[1]}
    digest="sha256:$(skopeo inspect --raw "docker://$image" | sha256sum | cut -d' ' -f1)"
    echo "$image -> $digest" >&2
    line="FROM $image@$digest${BASH_REMATCH[3]}"
  fi
  printf '%s\n' "$line"
done < Dockerfile > "$tmp"
cat "$tmp" > Dockerfile
