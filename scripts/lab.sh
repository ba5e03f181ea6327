#!/usr/bin/env bash
# Demo lab (README's lab command): 1 Autokey/IFF server + 2 clients, Debian 11 containers on
# their own podman network, configured by playbooks/site.yml; then the seed's evidence.
#   scripts/lab.sh           bring the lab up (or re-converge it) and show the evidence
#   scripts/lab.sh destroy   remove the lab's containers and network
#   TSN_LAB=name scripts/lab.sh   a second lab beside the first (scripts/matrix.sh uses "mx")
# Never privileged, never CAP_SYS_TIME (ntpd would steer this machine's clock).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
# The lab runs on Debian 11 only: no need for the images of the other scenarios.
TSN_SCENARIOS=default "$here/bootstrap.sh"
# shellcheck source=scripts/env.sh
. "$here/env.sh"

# TSN_LAB (default "lab") names the lab: containers <lab>-ntp1, <lab>-client1/2, network tsn-<lab>.
lab=${TSN_LAB:-lab}
net=tsn-$lab
server=$lab-ntp1
clients=("$lab-client1" "$lab-client2")
labdir="$TSN_CACHE/$lab"

if [ "${1:-up}" = destroy ]; then
  podman rm -f "$server" "${clients[@]}" >/dev/null 2>&1 || true
  podman network rm "$net" >/dev/null 2>&1 || true
  rm -rf "$labdir"
  echo "lab removed"
  exit 0
fi

podman network exists "$net" || podman network create "$net" >/dev/null
for name in "$server" "${clients[@]}"; do
  if ! podman container exists "$name"; then
    podman run -d --name "$name" --hostname "$name" --network "$net" --cap-add NET_ADMIN \
      --systemd=always timesec-ntp/debian11 /sbin/init >/dev/null
  fi
  [ "$(podman inspect -f '{{.State.Running}}' "$name")" = true ] || podman start "$name" >/dev/null
done

mkdir -p "$labdir" && chmod 700 "$labdir"
# Passwords are made once per lab and kept 0600 next to the inventory.
if [ ! -f "$labdir/secrets.yml" ]; then
  umask 077
  printf 'ntp_server_crypto_password: %s\nntp_client_crypto_password: %s\n' \
    "$(python3 -c 'import secrets; print(secrets.token_urlsafe(15))')" \
    "$(python3 -c 'import secrets; print(secrets.token_urlsafe(15))')" >"$labdir/secrets.yml"
fi
cat >"$labdir/inventory.yml" <<INV
all:
  vars:
    ansible_connection: containers.podman.podman
    ansible_python_interpreter: /usr/bin/python3
    ansible_become: false   # root in the containers, no sudo there
    ntp_server_export_dir: $labdir/iffpar
  children:
    ntp_servers:
      hosts:
        $server:
    ntp_clients:
      hosts:
$(printf '        %s:\n' "${clients[@]}")
INV

cd "$repo"
ansible-playbook -i "$labdir/inventory.yml" -e "@$labdir/secrets.yml" timesec.ntp.site

# The seed's evidence, read by eye in 2008: ntpq -c as, rv 0 cert, the peer flags.
for client in "${clients[@]}"; do
  echo
  echo "==== $client"
  echo "# ntpq -c as"
  podman exec "$client" ntpq -c as
  echo "# ntpq -c \"rv 0 cert\""
  podman exec "$client" ntpq -c "rv 0 cert"
  assid=$(podman exec "$client" ntpq -n -c as | awk '$7 == "sys.peer" {print $2; exit}')
  echo "# ntpq -c \"rv $assid flags\""
  podman exec "$client" ntpq -c "rv $assid flags,ident,host"
done
echo
echo "The same as data (ansible-playbook timesec.ntp.status):"
ansible-playbook -i "$labdir/inventory.yml" timesec.ntp.status | sed -n '/TASK \[Show the table\]/,/PLAY RECAP/p' | grep -v -E '^(TASK|PLAY RECAP)'
echo
echo "Lab inventory: $labdir/inventory.yml (scripts/lab.sh destroy removes the lab)"
