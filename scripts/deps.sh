#!/usr/bin/env bash
# Install the Debian 12 packages zalo_tthc needs to build, test and run its
# demo.  Installs only what is missing; runs apt-get update at most once.
set -euo pipefail

packages=(
	build-essential pkg-config make gcc
	postgresql-15 postgresql-contrib postgresql-server-dev-15
	libcurl4-openssl-dev libjson-c-dev libmicrohttpd-dev libssl-dev
	postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl libipc-run-perl
	curl jq bc wrk
	python3-prometheus-client python3-yaml
	debhelper postgresql-server-dev-all
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

echo "zalo_tthc: installing ${missing[*]}"
sudo=()
if [[ $(id -u) != 0 ]]; then
	command -v sudo >/dev/null || { echo "zalo_tthc: run as root (or install sudo) to install ${missing[*]}" >&2; exit 1; }
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian creates and starts a default cluster with the server package; the
# project's scripts use throwaway clusters of their own.
