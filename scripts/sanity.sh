#!/usr/bin/env bash
# ruff, ansible-test sanity and ansible-test units for timesec.ntp, offline, without containers.
#   scripts/sanity.sh                       ruff + sanity (every test) + units, Python 3.11
#   scripts/sanity.sh --test validate-modules   extra arguments go to "ansible-test sanity"
#   TSN_SANITY_UNITS=0 scripts/sanity.sh    skip "ansible-test units"
#   TSN_SANITY_KEEP=1 scripts/sanity.sh     keep the temporary copy (its path is printed)
#
# ansible-test needs the collection at .../ansible_collections/timesec/ntp and refuses
# symlinked paths, so this copies the checkout (tracked plus untracked-but-not-ignored files,
# i.e. what a commit would hold) into a temporary tree and runs there. ansible-test bootstraps
# pip in its venvs with a script from a host that is not reachable here: the cache it reads
# (~/.ansible/test/cache) is seeded with the wheels of the pip (and, up to ansible-core 2.17,
# setuptools and wheel) that this ansible-test pins, from PyPI, and a bootstrap script that
# installs them. Everything else comes from PyPI through --requirements.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
# shellcheck source=scripts/env.sh
. "$here/env.sh"
python_version=3.11

# ansible-test's shellcheck test is skipped (with a warning) when shellcheck is missing.
if ! command -v shellcheck >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "sanity.sh: apt-get install shellcheck"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null 2>&1 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; }
  else
    echo "sanity.sh: shellcheck is not installed; ansible-test will skip its shellcheck test" >&2
  fi
fi

# --- seed ansible-test's pip bootstrap cache (idempotent) ------------------------------------
at_dir=$(python -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
pip_version=$(sed -n "s/^ *pip='\([0-9.]*\)',$/\1/p" "$at_dir/_internal/python_requirements.py" | head -1)
[ -n "$pip_version" ] || { echo "sanity.sh: cannot tell which pip ansible-test bootstraps" >&2; exit 1; }
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
# ansible-test up to 2.17 also installs pinned setuptools and wheel with pip (2.18 on: pip only).
wheels=("pip==$pip_version")
for tool in setuptools wheel; do
  tool_version=$(sed -n "s/^ *$tool='\([0-9.]*\)',$/\1/p" "$at_dir/_internal/python_requirements.py" | head -1)
  [ -z "$tool_version" ] || wheels+=("$tool==$tool_version")
done
for spec in "${wheels[@]}"; do
  if ! ls "$cache/${spec%%==*}-${spec#*==}"-*.whl >/dev/null 2>&1; then
    echo "sanity.sh: downloading $spec from PyPI into $cache"
    python -m pip download -q --disable-pip-version-check --no-deps --only-binary :all: "$spec" -d "$cache"
  fi
done
get_pip="$cache/get_pip_${pip_version//./_}.py"
get_pip_text=$(cat <<PY
# Offline stand-in for ansible-test's get-pip-$pip_version.py, written by timesec.ntp's
# scripts/sanity.sh: installs pip (and any other requested package) from the wheels in this
# directory, using pip's own wheel to run the installer.
import glob
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
wheel = sorted(glob.glob(os.path.join(here, 'pip-$pip_version-*.whl')))[-1]
sys.path.insert(0, wheel)
from pip._internal.cli.main import main  # noqa: E402

args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
sys.exit(main(['install', '--no-index', '--find-links', here] + args))
PY
)
if [ ! -f "$get_pip" ] || [ "$(cat "$get_pip")" != "$get_pip_text" ]; then
  printf '%s\n' "$get_pip_text" >"$get_pip"
fi

# --- copy the checkout into a real ansible_collections tree -----------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/timesec-ntp-sanity.XXXXXX")
if [ "${TSN_SANITY_KEEP:-0}" = 1 ]; then
  echo "sanity.sh: keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi
dest="$work/ansible_collections/timesec/ntp"
mkdir -p "$dest"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf -) | tar -C "$dest" -xf -
cd "$dest"

rc=0
echo "--- ruff check plugins tests benchmarks molecule"
ruff check --no-cache plugins tests benchmarks molecule || rc=1
echo "--- ansible-test sanity --python $python_version"
ansible-test sanity --python "$python_version" --requirements --color no "$@" || rc=1
if [ "${TSN_SANITY_UNITS:-1}" = 1 ]; then
  echo "--- ansible-test units --python $python_version"
  ansible-test units --python "$python_version" --requirements --color no || rc=1
fi
exit $rc
