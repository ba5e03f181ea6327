#!/usr/bin/env bash
# Demo lab (README's lab command): 1 Autokey/IFF server + 2 clients, Debian 11 containers on
# their own podman network, configured by playbooks/site.yml; then the seed's evidence.
#   scripts/lab.sh           bring the lab up (or re-converge it) and show the evidence
#   scripts/lab.sh destroy   remove the lab's containers and network
# Never privileged, never CAP_SYS_TIME (ntpd would steer this machine's clock).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
"$here/bootstrap.sh"
# shellcheck source=scripts/env.sh
. "$here/env.sh"

net=tsn-lab
server=lab-ntp1
clients=(lab-client1 lab-client2)
labdir="$TSN_CACHE/lab"

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

echo
echo "Waiting for every client to authenticate its server (sys.peer, auth ok, IFF) ..."
for client in "${clients[@]}"; do
  start=$SECONDS
  until podman exec "$client" ntpq -n -c as 2>/dev/null | grep -q ' ok   sys.peer'; do
    if [ $((SECONDS - start)) -gt 240 ]; then echo "$client: not authenticated after 240 s"; exit 1; fi
    sleep 3
  done
done

for client in "${clients[@]}"; do
  echo
  echo "==== $client"
  echo "# ntpq -c as"
  podman exec "$client" ntpq -c as
  echo "# ntpq -c \"rv 0 cert\""
  podman exec "$client" ntpq -c "rv 0 cert"
  assid=$(podman exec "$client" ntpq -n -c as | awk '$7 == "sys.peer" {print $2; exit}')
  echo "# ntpq -c \"rv $assid flags\""
  flags=$(podman exec "$client" ntpq -c "rv $assid flags,ident,host")
  echo "$flags"
  python3 - "$flags" <<'PY'
import re, sys
bits = {'ENAB': 0x1, 'IFF': 0x20, 'CERT': 0x100, 'VRFY': 0x200, 'PROV': 0x400, 'COOK': 0x800,
        'AUTO': 0x1000, 'SIGN': 0x2000, 'LEAP': 0x4000}
value = int(re.search(r'flags=(0x[0-9a-f]+)', sys.argv[1]).group(1), 16)
print('decoded: ' + ' '.join(name for name, bit in bits.items() if value & bit)
      + ('  -> identity proven with IFF' if value & 0x220 == 0x220 else '  -> NOT verified by IFF'))
PY
done
echo
echo "Lab inventory: $labdir/inventory.yml (scripts/lab.sh destroy removes the lab)"
