#!/usr/bin/env bash
# Create the MariaDB/MySQL user the MySQL-backed tests use (MLMD cannot log in as root with an
# empty password over TCP). Runs as root over the local socket; safe to run again.
set -euo pipefail
user=${HEADRACE_TEST_MYSQL_USER:-headrace}
password=${HEADRACE_MYSQL_PASSWORD:-headrace-test}
if ! mariadb -uroot -e 'SELECT 1' >/dev/null 2>&1; then
  echo "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 30); do mariadb -uroot -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 1; done
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
echo "MySQL user ${user} ready on 127.0.0.1:3306 (databases headrace*)"
