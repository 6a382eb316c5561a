# The MySQL of tools/cluster/overlay: Debian bookworm's MariaDB on the local Debian base (no
# registry serves mysql:8 here). Its entrypoint honours the variables manifests/base/mysql.yaml
# gives the official image (MYSQL_ROOT_PASSWORD, MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD).
# Built with --network host (apt reaches Debian's mirror from the build machine's network).
ARG BASE_IMAGE=headrace-base/python:3.11-bookworm
FROM ${BASE_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mariadb-server \
    && rm -rf /var/lib/apt/lists/* /var/lib/mysql/* \
    && install -d -o mysql -g mysql /run/mysqld
COPY mariadb-entrypoint.sh /usr/local/bin/mariadb-entrypoint.sh
ENTRYPOINT ["/usr/local/bin/mariadb-entrypoint.sh"]
