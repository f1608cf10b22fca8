#!/bin/bash
# docker-compose.yml service kafka-seed: the demo topics the sandbox guarantees (sandbox/seed.ts):
# one replicated topic per MM2 naming scheme on dc1, and the consistency-first topics on the
# stretched cluster (RF 4 = two replicas per DC, min.insync.replicas 3 > replicas per DC).
set -euo pipefail
DC1=dc1-kafka:19092
STRETCH=stretch-1:31092,stretch-2:32092,stretch-3:33092,stretch-4:34092

create() {
  local bootstrap=$1
  shift
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$bootstrap" --create --if-not-exists "$@"
}

create "$DC1" --topic orders --partitions 3 --replication-factor 1
create "$DC1" --topic payments --partitions 3 --replication-factor 1
create "$STRETCH" --topic stretch-orders --partitions 6 --replication-factor 4 \
  --config min.insync.replicas=3
create "$STRETCH" --topic stretch-payments --partitions 3 --replication-factor 4 \
  --config min.insync.replicas=3 --config retention.ms=86400000

# Creates __consumer_offsets while all four brokers are up, so that its RF-4 placement spans both
# DCs (the group does not exist; the lookup alone makes the coordinator create the topic).
/opt/kafka/bin/kafka-consumer-groups.sh --bootstrap-server "$STRETCH" --describe \
  --group switchover-sandbox-probe >/dev/null 2>&1 || true
echo "kafka-seed: topics ready"
