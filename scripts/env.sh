# shellcheck shell=bash
# Sourced by the project's scripts (and usable by hand: `. scripts/env.sh`).
# - podman settings that work on this host (runc, cgroupfs, lowered ulimits)
# - the cached venv with the pinned tooling, first on PATH
# - a collections tree in which this checkout is timesec.ntp
_tsn_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_tsn_repo=$(dirname "$_tsn_here")
export CONTAINERS_CONF="$_tsn_here/containers.conf"
export TSN_CACHE="${TSN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/timesec-ntp}"
export TSN_VENV="${TSN_VENV:-$TSN_CACHE/venv}"
# One tree per checkout, so that a CI clone never tests another checkout's files.
TSN_COLLECTIONS="$TSN_CACHE/collections-$(printf %s "$_tsn_repo" | sha256sum | cut -c1-12)"
export TSN_COLLECTIONS
export ANSIBLE_COLLECTIONS_PATH="$TSN_COLLECTIONS"
export TSN_COLLECTION_DIR="$TSN_COLLECTIONS/ansible_collections/timesec/ntp"
# ansible-lint and Molecule's prerun treat $ANSIBLE_HOME/collections as their cache and put it
# first; a shared ~/.ansible would let one checkout's installed copy shadow another's files.
export ANSIBLE_HOME="$TSN_COLLECTIONS/ansible-home"
case ":$PATH:" in *":$TSN_VENV/bin:"*) ;; *) export PATH="$TSN_VENV/bin:$PATH" ;; esac
export ANSIBLE_FORCE_COLOR="${ANSIBLE_FORCE_COLOR:-0}"
# The Molecule scenarios of the suite (scripts/test.sh), in order; TSN_SCENARIOS overrides it.
# scripts/bootstrap.sh builds the images they name.
export TSN_DEFAULT_SCENARIOS="firewall group nts lifecycle symmetric default input keygen"
export PY_COLORS="${PY_COLORS:-0}"
