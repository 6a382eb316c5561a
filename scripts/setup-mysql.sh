#!/usr/bin/env bash
# Install (when absent) and start MariaDB, then create the user the MySQL-backed tests and
# examples use: MLMD cannot log in as root with an empty password over TCP. Runs as root; uses the
# local socket for the admin work; safe to run again.
set -euo pipefail
user=${HEADRACE_TEST_MYSQL_USER:-headrace}
password=${HEADRACE_MYSQL_PASSWORD:-headrace-test}
log=${HEADRACE_MYSQL_LOG:-/var/log/headrace-mariadb.log}

if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
  echo "installing mariadb-server (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
fi

if ! mariadb -uroot -e 'SELECT 1' >/dev/null 2>&1; then
  echo "starting MariaDB (log: ${log})"
  install -d -o mysql -g mysql /run/mysqld
  # mariadbd refuses to run as root; no systemd on these machines, so it runs in the background.
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- \
    --user=mysql --bind-address=127.0.0.1 --port=3306 --log-error="${log}"
  for _ in $(seq 60); do mariadb -uroot -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.5; done
  if ! mariadb -uroot -e 'SELECT 1' >/dev/null 2>&1; then
    echo "MariaDB did not start within 30 s; its log (${log}) ends with:" >&2
    tail -n 20 "${log}" >&2 || true
    exit 1
  fi
fi

mariadb -uroot <<SQL
CREATE USER IF NOT EXISTS '${user}'@'localhost' IDENTIFIED BY '${password}';
CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY '${password}';
ALTER USER '${user}'@'localhost' IDENTIFIED BY '${password}';
ALTER USER '${user}'@'%' IDENTIFIED BY '${password}';
GRANT ALL PRIVILEGES ON \`headrace%\`.* TO '${user}'@'localhost';
GRANT ALL PRIVILEGES ON \`headrace%\`.* TO '${user}'@'%';
FLUSH PRIVILEGES;
SQL
echo "MySQL user ${user} ready on 127.0.0.1:3306 (databases headrace*; password from HEADRACE_MYSQL_PASSWORD)"
