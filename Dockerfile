# One image for every service; the command picks the entry point.
FROM node:20-bookworm-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/api/package.json services/api/
COPY services/message/package.json services/message/
COPY services/search/package.json services/search/
COPY services/ws/package.json services/ws/
COPY services/notification/package.json services/notification/
COPY services/monolith/package.json services/monolith/
COPY services/web/package.json services/web/
COPY packages/client/package.json packages/client/
RUN npm ci --omit=dev --no-audit --no-fund
COPY shared shared
COPY services services
COPY packages packages
COPY infra infra
ENV NODE_ENV=production
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "services/monolith/src/main.ts"]
