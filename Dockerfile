# The switchover orchestrator for docker-compose.yml (service switchover). It reads its environment
# file from SWITCHOVER_CONFIG, which compose mounts from deploy/compose/switchover.yaml.
FROM node:20-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, from the lockfile only, so source edits do not invalidate this layer. Dev
# dependencies stay: the TypeScript sources run through tsx.
COPY package.json package-lock.json ./
RUN npm ci --include=dev && npm cache clean --force

COPY . .

# The audit JSONL copy lives on a volume mounted here (docker-compose.yml); a fresh named volume
# takes this directory's owner, so node can write it.
ENV SWITCHOVER_AUDIT_JSONL=/var/lib/switchover/audit.jsonl
RUN mkdir -p /var/lib/switchover && chown node:node /var/lib/switchover

USER node
ENV SWITCHOVER_CONFIG=/etc/switchover/switchover.yaml
CMD ["npm", "start"]
