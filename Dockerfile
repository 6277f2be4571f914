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

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/bundle ./bundle
# the entrypoint sizes V8's heap from the container's memory limit (cgroup), then runs the bundle
COPY scripts/images/configstore /usr/local/bin/configstore
# numeric, so that runAsNonRoot (the chart's securityContext) can verify it: `node` of the base image
USER 1000:1000
EXPOSE 4000
ENTRYPOINT ["configstore"]
CMD ["--help"]
