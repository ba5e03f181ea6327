#!/usr/bin/env bash
# The whole test suite (README's test command; .ci/run calls exactly this).
#   scripts/test.sh            every stage
#   scripts/test.sh unit lint  only the named stages
# Stages: unit, lint, sanity, galaxy, molecule. Each prints its own tool output; the last
# line is the tally "N passed, N failed" of the stages.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/bootstrap.sh" || { echo "bootstrap failed"; echo "0 passed, 1 failed"; exit 1; }
# shellcheck source=scripts/env.sh
. "$here/env.sh"
cd "$TSN_COLLECTION_DIR" || exit 1

all_stages=(unit lint sanity galaxy molecule)
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=("${all_stages[@]}")

stage_unit() {
  python -m pytest tests/unit -q -p no:cacheprovider
}

stage_lint() {
  # ansible-lint puts $ANSIBLE_HOME/collections before ANSIBLE_COLLECTIONS_PATH: an installed copy
  # of this collection there would be linted instead of the working tree.
  local shadow="$ANSIBLE_HOME/collections/ansible_collections/timesec/ntp"
  if [ -e "$shadow" ]; then
    echo "$shadow shadows this checkout for ansible-lint; remove it (rm -r $shadow)"
    return 1
  fi
  ansible-lint --offline
}

stage_sanity() {
  "$here/sanity.sh"
}

stage_galaxy() {
  python -m pytest tests/galaxy -q -p no:cacheprovider
}

stage_molecule() {
  local scenario rc=0
  for scenario in ${TSN_SCENARIOS:-$TSN_DEFAULT_SCENARIOS}; do
    echo "--- molecule test -s $scenario"
    molecule test -s "$scenario" || rc=1
  done
  return $rc
}

passed=0 failed=0 failed_names=()
for stage in "${stages[@]}"; do
  if ! declare -F "stage_$stage" >/dev/null; then
    echo "unknown stage: $stage (choose from: ${all_stages[*]})"
    exit 2
  fi
  echo "=== stage $stage"
  start=$SECONDS
  if "stage_$stage"; then
    passed=$((passed + 1)); echo "=== stage $stage passed ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); failed_names+=("$stage"); echo "=== stage $stage FAILED ($((SECONDS - start)) s)"
  fi
done
[ $failed -eq 0 ] || echo "failed stages: ${failed_names[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
