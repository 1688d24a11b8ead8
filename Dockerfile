# grantry's ready server: `grantry serve --host 0.0.0.0` on SQLite in the /data volume, as the unprivileged `node` user.
#   docker build -t grantry .
#   docker run -p 8080:8080 -v grantry-data:/data -e GRANTRY_ISSUER=https://auth.example.com grantry
# Build tools stay in the build stage: better-sqlite3 compiles there when no prebuilt binary fits.

FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json README.md LICENSE CHANGELOG.md ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
# npm pack builds dist/ (prepack) and makes the same tarball npm would publish; it is installed like a user would.
RUN npm pack --pack-destination /tmp \
 && mkdir /app && cd /app && npm init -y >/dev/null \
 && npm install /tmp/grantry-*.tgz --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production GRANTRY_PORT=8080 GRANTRY_DATA_DIR=/data PATH=/app/node_modules/.bin:$PATH
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.GRANTRY_PORT}/livez`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `docker exec <container> grantry clients create ...` finds the same data through GRANTRY_DATA_DIR.
ENTRYPOINT ["grantry"]
CMD ["serve", "--host", "0.0.0.0"]
