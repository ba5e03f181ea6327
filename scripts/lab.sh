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

# The lab itself: scripts/lab.py, on the lab harness (molecule/shared/labkit).
exec python3 "$repo/scripts/lab.py" "$@"
