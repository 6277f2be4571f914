# The configstore image: one `configstore` command for the instances (`serve`), the operator
# (`operator`) and the operator's export/import Jobs. Build: `docker build -t configstore .`
# (no registry is reachable from the development machines: scripts/images/base-image makes
# node:24-slim locally; scripts/local-env builds this image and serves it to the kubelet).
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/bundle.ts scripts/
COPY configstore configstore
COPY operator operator
# one esbuild bundle (scripts/bundle.ts): the runtime needs no node_modules, and a pod parses
# only the chunks its command loads (the Kubernetes client for the operator, the AWS SDK for S3)
RUN npx tsx scripts/bundle.ts /app/bundle && rm /app/bundle/*.map
# V8's code cache for the bundle (NODE_COMPILE_CACHE, below): one `serve` started against no etcd
# and stopped compiles what a start compiles; a pod then loads that instead of compiling it
# (about 10 % of its start). Node keys the cache by user id, so it is made as the runtime's
# user, at the runtime's path; an unwritable cache directory at run time is only not updated.
RUN mkdir /app/compile-cache && chown 1000:1000 /app/compile-cache
USER 1000:1000
RUN CONFIGSTORE_LISTEN=127.0.0.1:0 CONFIGSTORE_ETCD_ENDPOINTS=http://127.0.0.1:1 CONFIGSTORE_OBJECT_STORAGE=file:///tmp/prime \
    CONFIGSTORE_LOG_LEVEL=error NODE_COMPILE_CACHE=/app/compile-cache timeout -s TERM 4 node /app/bundle/main.mjs serve; \
    ls /app/compile-cache/*/* >/dev/null

FROM node:24-slim
ENV NODE_ENV=production NODE_COMPILE_CACHE=/app/compile-cache
WORKDIR /app
COPY --from=build /app/bundle ./bundle
COPY --from=build /app/compile-cache ./compile-cache
# the entrypoint sizes V8's heap from the container's memory limit (cgroup), then runs the bundle
COPY scripts/images/configstore /usr/local/bin/configstore
# numeric, so that runAsNonRoot (the chart's securityContext) can verify it: `node` of the base image
USER 1000:1000
EXPOSE 4000
ENTRYPOINT ["configstore"]
CMD ["--help"]
