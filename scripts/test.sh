#!/usr/bin/env bash
# The whole test suite (README's test command; .ci/run calls exactly this).
#   scripts/test.sh            every stage
#   scripts/test.sh unit lint  only the named stages
# Stages: unit, lint, sanity, galaxy, importer, docs, core, molecule. Each prints its own tool output; the last
# line is the tally "N passed, N failed" of the stages.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/bootstrap.sh" || { echo "bootstrap failed"; echo "0 passed, 1 failed"; exit 1; }
# shellcheck source=scripts/env.sh
. "$here/env.sh"
cd "$TSN_COLLECTION_DIR" || exit 1

all_stages=(unit lint sanity galaxy importer docs core molecule)
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

# Galaxy's import checks on the built tarball (galaxy-importer; its containerised ansible-test off, the
# sanity stage covers that): no error, no warning, every plugin listed and documented under its name.
stage_importer() {
  python "$here/release_check.py" importer
}

# antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all on the installed tarball.
stage_docs() {
  python "$here/release_check.py" docs
}

# ansible-core 2.16, the oldest that meta/runtime.yml promises (the suite's own core is 2.19): its cached
# venv, the unit tests and the lab (site.yml: converge, verify, IFF-verified sync that ntpd's raw ntpq
# output confirms) on that core. 2.17 and 2.18, and ansible-test sanity of the older cores, are
# scripts/matrix.sh's (README, "ansible-core versions").
stage_core() {
  TSN_MATRIX_STAGES="unit lab" "$here/matrix.sh" 2.16
}

# Scenarios run TSN_MOLECULE_JOBS at a time (default 3): most of their time is spent waiting for
# ntpd (Autokey needs about a minute) and for podman exec round trips, not on the CPU. Each
# scenario has its own containers and network; logs are printed whole, in order, when all are done.
stage_molecule() {
  local scenario rc=0 logs names=() scenarios
  # A blank or unknown selection must fail: a stage that ran nothing would otherwise pass.
  read -r -a scenarios <<< "${TSN_SCENARIOS:-$TSN_DEFAULT_SCENARIOS}"
  if [ ${#scenarios[@]} -eq 0 ]; then
    echo "no Molecule scenario selected (TSN_SCENARIOS is blank): the stage would prove nothing"
    return 1
  fi
  for scenario in "${scenarios[@]}"; do
    [ -f "molecule/$scenario/molecule.yml" ] || { echo "no scenario molecule/$scenario (TSN_SCENARIOS)"; return 1; }
  done
  logs=$(mktemp -d)
  for scenario in "${scenarios[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "${TSN_MOLECULE_JOBS:-3}" ]; do sleep 2; done
    echo "--- molecule test -s $scenario (started at +$((SECONDS - start)) s)"
    # One run of a scenario at a time on this machine (its containers and network have fixed names):
    # a second checkout's run of the same scenario waits here instead of destroying this one's hosts.
    ( s=$SECONDS; flock "/run/lock/tsn-molecule-$scenario.lock" molecule test -s "$scenario" > "$logs/$scenario.log" 2>&1; r=$?
      echo "--- molecule test -s $scenario: rc=$r after $((SECONDS - s)) s" >> "$logs/$scenario.log"
      echo "$r" > "$logs/$scenario.rc" ) &
    names+=("$scenario")
  done
  # Each scenario's own return code, from its file: bash's `wait PID` answered 127 for a job that had
  # ended while the loop above polled `jobs` (session 5: lifecycle passed, rc=0, yet "FAILED").
  wait
  for scenario in "${names[@]}"; do
    [ "$(cat "$logs/$scenario.rc" 2>/dev/null)" = 0 ] || { rc=1; echo "--- scenario $scenario FAILED"; }
  done
  for scenario in "${names[@]}"; do
    echo "--- log of molecule test -s $scenario"
    cat "$logs/$scenario.log"
  done
  for scenario in "${names[@]}"; do tail -n 1 "$logs/$scenario.log"; done
  # A failed scenario's reasons once more, last: a reader who sees only the tail of a long CI log
  # (stop 32 showed the tail only) still learns which test or task failed, and its assertion.
  for scenario in "${names[@]}"; do
    [ "$(cat "$logs/$scenario.rc" 2>/dev/null)" = 0 ] && continue
    echo "--- why molecule test -s $scenario failed (excerpt of its log above)"
    grep -E '^(FAILED|ERROR) |^E   |^fatal: |^failed: |^CRITICAL|=+ .*(failed|error)' "$logs/$scenario.log" | cut -c1-300 | tail -n 40
  done
  rm -rf "$logs"
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
