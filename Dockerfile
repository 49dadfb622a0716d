# Weighbridge in a container (not built in this repository's CI; see README "Operations").
#   docker build -t weighbridge .
#   docker run -p 8787:8787 -v wb-data:/data -e WEIGHBRIDGE_ADMIN_TOKEN=... weighbridge
# With no --config it runs the demo (simulated vendors on loopback, no keys, no network).
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY probes ./probes
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY probes ./probes
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8787
VOLUME ["/data"]
ENTRYPOINT ["node", "dist/bin.js", "serve", "--db", "/data/weighbridge.db"]
# Listen on all interfaces inside the container: pass a config with server.host 0.0.0.0.
CMD ["--config", "probes/demo.yaml"]
