# Sourced by the project's scripts: podman settings that work on this host.
_tsn_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CONTAINERS_CONF="$_tsn_here/containers.conf"
