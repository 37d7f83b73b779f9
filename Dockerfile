# syntax=docker/dockerfile:1
# notary-pin: one image for the KRM function (default entrypoint) and the webhook (`webhook` argument).
#
#   docker build -t notary-pin .
#   kustomize build . | docker run -i --rm notary-pin --config /cfg/config.yaml   (mount the config)
#   docker run notary-pin webhook --config ... --tls-cert-file ... --tls-private-key-file ...
#
# Build stage: install exact dependencies from the lockfile and bundle the CLI: notary-pin.mjs (the
# entry point, a small loader) and notary-pin.cjs (everything else; the loader keeps V8's compiled
# code of it on disk between runs, see src/cli/code-cache.ts).
#
# Base images are pinned by digest (the tag stays for reading), like every image notary-pin pins.
# Refresh both with `bash scripts/refresh-base-images.sh` (skopeo reads the registries' current
# digests and rewrites the two FROM lines), then review the diff.
FROM node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/build.mjs
COPY src/ src/
RUN node scripts/build.mjs && node dist/notary-pin.mjs --version

# Run stage: distroless Node (current LTS line), no shell, no package manager, non-root.
FROM gcr.io/distroless/nodejs24-debian12:nonroot@sha256:14d42e2511532589a7c7e01a753667a74fcc96266e137e8125006b87b0c32d0a
LABEL org.opencontainers.image.title="notary-pin" \
      org.opencontainers.image.description="Pin container images to digests signed with Notary v1 or Notation (KRM function and admission webhook)" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
COPY --from=build /src/dist/notary-pin.mjs /app/notary-pin.mjs
COPY --from=build /src/dist/notary-pin.cjs /app/notary-pin.cjs
COPY --from=build /src/dist/notary-pin.cjs.LEGAL.txt /app/THIRD-PARTY-LICENSES.txt
ENV NODE_ENV=production
USER 65532:65532
# The KRM function reads a ResourceList on stdin; `webhook` serves HTTPS on 8443.
EXPOSE 8443
ENTRYPOINT ["/nodejs/bin/node", "/app/notary-pin.mjs"]
