#!/usr/bin/env bash
# Makes sure the PostgreSQL and MariaDB servers the tests use are up (this kind of machine has
# them installed and normally started; this starts one that has stopped).
set -euo pipefail

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "==> starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
fi
if ! mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
  echo "==> starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
for _ in $(seq 1 30); do
  if pg_isready -q -h 127.0.0.1 -p 5432 && mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "PostgreSQL or MariaDB did not come up" >&2
exit 1
