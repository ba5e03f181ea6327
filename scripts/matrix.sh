#!/usr/bin/env bash
# ansible-core version matrix (a separate stage, not in scripts/test.sh or .ci/run: 16-28 min per version measured).
#   scripts/matrix.sh              every minor that meta/runtime.yml promises: 2.16 2.17 2.18 2.19
#   scripts/matrix.sh 2.16 2.19    only these
# Per version: a cached venv $TSN_CACHE/venv-core-X (ansible-core==X.*, the matching `ansible`
# bundle for containers.podman & co., pytest, cryptography, ruff; rebuilt when these pins change),
# then the stages unit (pytest tests/unit), sanity (scripts/sanity.sh: ruff, ansible-test sanity
# and units of that core) and lab (scripts/lab.sh as lab "mx216" etc.: 1 Autokey/IFF server + 2 clients,
# site.yml over the podman connection, whose verify waits for IFF-authenticated sync; then
# scripts/lab.sh destroy). Molecule is not used: molecule 26.10 refuses ansible-core 2.17.
# TSN_MATRIX_STAGES picks stages (default "unit sanity lab"; the venv is always made): scripts/test.sh's
# "core" stage runs "unit lab" on 2.16. The lab of a version holds a lock (/run/lock/tsn-lab-mxXYZ.lock):
# its containers have fixed names on this machine.
# Ends with a table version x stage and the line "N passed, N failed" (stages).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
# shellcheck source=scripts/env.sh
. "$here/env.sh"

# ansible-core minor -> the `ansible` community bundle built on it.
declare -A bundle=([2.16]=9 [2.17]=10 [2.18]=11 [2.19]=12)
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(2.16 2.17 2.18 2.19)
read -r -a picked <<< "${TSN_MATRIX_STAGES:-unit sanity lab}"
stages=(venv "${picked[@]}")
for stage in "${picked[@]}"; do
  case $stage in unit|sanity|lab) ;; *) echo "matrix: unknown stage $stage (unit, sanity, lab)" >&2; exit 2 ;; esac
done

declare -A result
passed=0 failed=0
mkdir -p "$TSN_CACHE/matrix"
for v in "${versions[@]}"; do
  if [ -z "${bundle[$v]:-}" ]; then
    echo "matrix: no ansible bundle known for ansible-core $v (known: ${!bundle[*]})" >&2
    exit 2
  fi
done

run_stage() {  # version stage command...: runs, times and records one stage
  local v=$1 stage=$2 start=$SECONDS rc
  shift 2
  echo "=== ansible-core $v: stage $stage"
  "$@"; rc=$?
  if [ $rc -eq 0 ]; then
    result[$v.$stage]="ok $((SECONDS - start))s"; passed=$((passed + 1))
  else
    result[$v.$stage]="FAIL $((SECONDS - start))s"; failed=$((failed + 1))
  fi
  echo "=== ansible-core $v: stage $stage: ${result[$v.$stage]}"
  return $rc
}

stage_unit() {
  (cd "$TSN_COLLECTION_DIR" && nice -n 19 python -m pytest tests/unit -q -p no:cacheprovider)
}

stage_lab() {  # the lab up (converge + verify), then always down again
  local lab=mx${1//./}
  # shellcheck disable=SC2016
  flock "/run/lock/tsn-lab-$lab.lock" bash -c 'rc=0; TSN_LAB=$1 nice -n 19 "$2/lab.sh" || rc=$?
    TSN_LAB=$1 "$2/lab.sh" destroy; exit $rc' lab "$lab" "$here"
}

for v in "${versions[@]}"; do
  reqs="$TSN_CACHE/matrix/requirements-core-$v.txt" state="$TSN_CACHE/matrix/state-core-$v"
  {
    echo "# scripts/matrix.sh: ansible-core $v and what the unit tests, sanity and the lab need"
    echo "ansible-core==$v.*"
    echo "ansible==${bundle[$v]}.*"
    grep -E '^(pytest|cryptography|ruff)[<>=!~ ]' "$repo/requirements-dev.txt"
  } >"$reqs"
  (
    export TSN_VENV="$TSN_CACHE/venv-core-$v" TSN_REQUIREMENTS="$reqs"
    if ! run_stage "$v" venv nice -n 19 "$here/bootstrap.sh"; then
      declare -p result passed failed >"$state"; exit 0
    fi
    export PATH="$TSN_VENV/bin:$PATH"
    ansible --version | head -1
    for stage in "${picked[@]}"; do
      case $stage in
        unit) run_stage "$v" unit stage_unit ;;
        sanity) run_stage "$v" sanity nice -n 19 "$here/sanity.sh" ;;
        lab) run_stage "$v" lab stage_lab "$v" ;;
      esac
    done
    declare -p result passed failed >"$state"
  )
  # shellcheck disable=SC1090
  . "$state"
done

echo
printf '%-12s' "ansible-core"; printf ' | %-10s' "${stages[@]}"; echo
for v in "${versions[@]}"; do
  printf '%-12s' "$v"
  for stage in "${stages[@]}"; do printf ' | %-10s' "${result[$v.$stage]:-not run}"; done
  echo
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
