#!/bin/bash
# Runs once, on the first start of influxdb:2.7 (empty volume), after the setup made the org,
# the bucket and the admin token (the influx CLI is already configured with it).
# 1. DBRP mapping: InfluxQL queries on database $MINEWATCH_INFLUX_DB (retention policy autogen)
#    read the bucket. minewatch reads through /query with it; Grafana too.
# 2. A v1 auth (username/password) that may read the bucket: Grafana's InfluxQL datasource logs in with it.
set -euo pipefail

: "${DOCKER_INFLUXDB_INIT_BUCKET_ID:?the influxdb image exports the bucket id to init scripts}"
: "${DOCKER_INFLUXDB_INIT_ORG:?}"
: "${MINEWATCH_INFLUX_DB:=minewatch}"
: "${GRAFANA_INFLUX_USER:=grafana}"
: "${GRAFANA_INFLUX_PASSWORD:?set GRAFANA_INFLUX_PASSWORD}"

influx v1 dbrp create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --db "${MINEWATCH_INFLUX_DB}" \
  --rp autogen \
  --default

influx v1 auth create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --username "${GRAFANA_INFLUX_USER}" \
  --password "${GRAFANA_INFLUX_PASSWORD}" \
  --read-bucket "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --description "Grafana (InfluxQL, read-only)"

echo "minewatch: DBRP ${MINEWATCH_INFLUX_DB}/autogen -> bucket ${DOCKER_INFLUXDB_INIT_BUCKET_ID}; v1 auth ${GRAFANA_INFLUX_USER} (read)"
