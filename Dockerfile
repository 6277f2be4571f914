# The configstore image: one `configstore` command for the instances (`serve`), the operator
# (`operator`) and the operator's export/import Jobs. Build: `docker build -t configstore .`
# (not built in this workplace: there is no Docker engine here; see README "Image").
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY configstore configstore
COPY operator operator
# TypeScript to plain JS (dist/), so the runtime needs neither tsx nor any dev dependency
RUN npx tsc -p tsconfig.build.json

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
RUN printf '#!/bin/sh\nexec node /app/dist/configstore/cli/main.js "$@"\n' > /usr/local/bin/configstore \
 && chmod 755 /usr/local/bin/configstore
# numeric, so that runAsNonRoot (the chart's securityContext) can verify it: `node` of the base image
USER 1000:1000
EXPOSE 4000
ENTRYPOINT ["configstore"]
CMD ["--help"]
