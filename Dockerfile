# 走访助手 Zoufang — container image. Build: docker build -t zoufang .
# Settings, database, photos and backups all live in the /app/data volume (.env included);
# see the README's Deployment section for setup, run, upgrade and restore with Docker.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles itself when no prebuilt binary can be downloaded.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    TZ=Asia/Shanghai \
    ZOUFANG_ENV_FILE=/app/data/.env \
    DATABASE_PATH=/app/data/zoufang.db \
    PHOTO_DIR=/app/data/photos \
    BACKUP_DIR=/app/data/backups
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json .env.example ./
COPY bin ./bin
COPY cards ./cards
COPY migrations ./migrations
RUN useradd --system --uid 10001 --home-dir /app zoufang && mkdir -p /app/data && chown zoufang:zoufang /app/data
USER zoufang
VOLUME /app/data
EXPOSE 3000
# A stop drains for up to 20 s: run with --stop-timeout 30 (docker stop waits 10 s by default).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# The heap options and malloc setting of npm run start:prod (why: package.json, "//").
ENV MALLOC_ARENA_MAX=2
CMD ["node", "--max-old-space-size=512", "--heap-growing-percent=20", "--min-semi-space-size=4", "--max-semi-space-size=4", "dist/main.js"]
