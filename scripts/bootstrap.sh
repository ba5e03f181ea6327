#!/usr/bin/env bash
# Install what the lab and the test suite need on a Debian 12 machine (run as root):
# podman + runc + debootstrap from apt, the Python tooling in a cached venv, the container
# images (Debian 11 for the lab, plus every timesec-ntp/* image the Molecule scenarios to run
# name: TSN_SCENARIOS, default TSN_DEFAULT_SCENARIOS from env.sh), and a collections tree that
# holds this checkout as timesec.ntp.
# Idempotent and quiet when everything is in place. Source scripts/env.sh afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
# shellcheck source=scripts/env.sh
. "$here/env.sh"

need_apt=()
for cmd in podman runc debootstrap; do
  command -v "$cmd" >/dev/null 2>&1 || need_apt+=("$cmd")
done
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq podman runc debootstrap python3-venv >/dev/null
fi

# promtool (the unit stage checks and tests the alert rules with it) comes with Debian's prometheus
# package. The package also enables a Prometheus server: this machine needs only promtool, so a
# server that this install started is stopped and disabled again (where systemd runs).
if ! command -v promtool >/dev/null 2>&1; then
  echo "bootstrap: apt-get install prometheus (for promtool)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
  if [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
fi

# Every container that runs molecule's secretwatch (inotify) takes an inotify instance from the
# machine-wide limit (128 on Debian 12): about 40 running containers used it up (docs/tooling.md).
if [ "$(id -u)" = 0 ] && [ "$(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null || echo 1024)" -lt 1024 ]; then
  sysctl -q -w fs.inotify.max_user_instances=1024
fi

# Each image is built once (debootstrap, ~70 s) and reused afterwards. The builds run side by side,
# and beside the venv install below: on a fresh machine that saves about two of the four minutes.
images=$(for scenario in ${TSN_SCENARIOS:-$TSN_DEFAULT_SCENARIOS}; do
  [ ! -f "$repo/molecule/$scenario/molecule.yml" ] \
    || grep -o 'image: *timesec-ntp/[a-z0-9]*' "$repo/molecule/$scenario/molecule.yml"
done | sed 's/.*timesec-ntp\///' | sort -u)
image_logs=$(mktemp -d)
image_pids=()
while read -r image; do
  [ -n "$image" ] || continue
  "$here/build-image.sh" "$image" >"$image_logs/$image.log" 2>&1 &
  image_pids+=("$!:$image")
done < <(printf '%s\n' debian11 "$images" | sort -u)

# TSN_REQUIREMENTS (default requirements-dev.txt) names the pins; scripts/matrix.sh points it and
# TSN_VENV at one venv per ansible-core version. The venv is rebuilt when its pins change.
# A preset TSN_VENV other than the default one, given without TSN_REQUIREMENTS, is used as it is
# (a run of scripts/lab.sh inside a matrix venv must not turn it into the default venv).
requirements=${TSN_REQUIREMENTS:-$repo/requirements-dev.txt}
stamp=$(sha256sum "$requirements" | cut -c1-16)
if [ -z "${TSN_REQUIREMENTS:-}" ] && [ "$TSN_VENV" != "$TSN_CACHE/venv" ] && [ -x "$TSN_VENV/bin/python" ]; then
  :
elif [ ! -f "$TSN_VENV/.stamp-$stamp" ]; then
  echo "bootstrap: Python tooling into $TSN_VENV (a few minutes the first time)"
  rm -rf "$TSN_VENV"
  hash -r   # python3 may have been found in the venv just removed
  python3 -m venv "$TSN_VENV"
  log="$TSN_VENV.pip-install.log"
  "$TSN_VENV/bin/pip" install -q --disable-pip-version-check -r "$requirements" >"$log" 2>&1 \
    || { grep -v "is ignored: it is neither a file" "$log" | tail -30; exit 1; }
  touch "$TSN_VENV/.stamp-$stamp"
fi

mkdir -p "$TSN_COLLECTIONS/ansible_collections/timesec"
ln -sfn "$repo" "$TSN_COLLECTIONS/ansible_collections/timesec/ntp"

images_failed=0
for entry in "${image_pids[@]}"; do
  wait "${entry%%:*}" || { images_failed=1; echo "bootstrap: image ${entry#*:} failed:"; }
  cat "$image_logs/${entry#*:}.log"
done
rm -rf "$image_logs"
[ "$images_failed" = 0 ]
