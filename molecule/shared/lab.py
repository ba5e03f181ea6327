"""The scenarios' side of the lab harness (molecule/shared/labkit): run ansible-playbook the way the
scenario does, read hosts.

Used by the lifecycle and input scenarios' tests (molecule/<scenario>/tests/conftest.py puts
molecule/shared on sys.path); the ntpq side is ntpcheck.py, on the collection's own parsers.

Every ansible-playbook run inherits Molecule's provisioner environment (ANSIBLE_CONFIG,
ANSIBLE_LOG_PATH, ANSIBLE_VERBOSITY=3, ANSIBLE_DIFF_ALWAYS), so it is verbose, shows diffs and
is logged like converge; its whole output also goes to LOGS/<n>-<name>.log. Secrets reach
ansible-playbook only through vars files (-e @file, mode 0600, under WORK), never its command line.
"""

import glob
import hashlib
import json
import os
import shutil
import sys
import time

import yaml

sys.path.insert(0, os.environ['TSN_COLLECTIONS'])  # the collection's own parsers, as in molecule/shared/ntpcheck.py
from ansible_collections.timesec.ntp.plugins.module_utils import autokey  # noqa: E402
from labkit import hosts  # noqa: E402
from labkit import ntp as labkit_ntp  # noqa: E402
from labkit import playbook as labkit_playbook  # noqa: E402

SCENARIO = os.environ.get('MOLECULE_SCENARIO_NAME', 'lab')
EPHEMERAL = os.environ['MOLECULE_EPHEMERAL_DIRECTORY']
INVENTORY = os.path.dirname(os.environ['MOLECULE_INVENTORY_FILE'])
ANSIBLE_LOG = os.environ.get('ANSIBLE_LOG_PATH', '')
# Case inventories and vars files (they hold passwords: never part of the log search).
WORK = os.path.join(EPHEMERAL, SCENARIO)
# Output of every ansible-playbook run of the tests (part of the log search).
LOGS = os.path.join(EPHEMERAL, SCENARIO + '-logs')
EXPORT_DIR = os.path.join(EPHEMERAL, 'ntp_iffpar')

KEYSDIR = '/etc/ntp'
PLAYBOOK = 'timesec.ntp.site'
DEB12_IMAGE = 'timesec-ntp/debian12'

_counter = [0]


def log(msg):
    print('[%s %s] %s' % (SCENARIO, time.strftime('%H:%M:%S'), msg), flush=True)


def group_vars(group):
    with open(os.path.join(INVENTORY, 'group_vars', group)) as handle:
        return yaml.safe_load(handle) or {}


def write_secret_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        handle.write(data if isinstance(data, str) else json.dumps(data))
    return path


def run_playbook(name, limit=None, extra_vars=None, inventories=(INVENTORY,), check=False, timeout=900, playbook=PLAYBOOK):
    """Run site.yml (or ``playbook``) like the scenario's converge (same config, inventory and environment)."""
    _counter[0] += 1
    tag = '%02d-%s' % (_counter[0], name)
    extra = ['@' + write_secret_file(os.path.join(WORK, 'vars', tag + '.json'), extra_vars)] if extra_vars else []
    command = labkit_playbook.argv(playbook, inventories, limit=limit, check=check, extra_vars=extra)
    run = labkit_playbook.run(tag, command, timeout=timeout, logfile=os.path.join(LOGS, tag + '.log'))
    log('%s: rc=%s in %.0f s, recap %s' % (tag, run.rc, run.seconds, run.recap))
    return run


# --- commands on the hosts ------------------------------------------------------------------------

sh, out, out_local = hosts.sh, hosts.out, hosts.out_local
restart_container, image_exists = hosts.restart_container, hosts.image_exists


def wait_for(what, predicate, timeout, interval=2):
    """Poll ``predicate()`` until it returns a true value; returns (value, elapsed, satisfied)."""
    return labkit_ntp.wait_for(what, predicate, timeout, interval, log=log)


def ntpd_pid(target):
    return out(target, 'systemctl show -p MainPID --value ntp')


def conf_sha(target):
    return out(target, 'sha256sum /etc/ntp.conf').split()[0]


def link_target(target, link):
    return out(target, 'readlink %s/%s' % (KEYSDIR, link))


def file_sha(target, path):
    return out(target, 'sha256sum %s' % path).split()[0]


def keys_file_sha(target, link):
    """sha256 of the file a keysdir link points to."""
    return file_sha(target, '%s/%s' % (KEYSDIR, link_target(target, link)))


def cert_not_after(target, link):
    """notAfter of the certificate a keysdir link points to, read from the key file itself."""
    text = out(target, 'cat %s/%s' % (KEYSDIR, link_target(target, link)))
    return autokey.certificate_info(autokey.parse_key_text(text + '\n', link)['pem'])['not_after']


def controller_sha(path):
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


SNAPSHOT = r'''
echo "ntp.conf: $(sha256sum /etc/ntp.conf 2>&1)"
echo "keysdir:"; ls -la --time-style=full-iso /etc/ntp 2>&1
echo "unit file: $(ls -l /etc/systemd/system/ntp.service 2>&1)"
echo "ntpd: $(systemctl show -p MainPID -p ActiveEnterTimestamp -p UnitFileState ntp 2>&1 | tr '\n' ' ')"
echo "packages: $(dpkg-query -W -f='${Package}=${Version}:${db:Status-Status} ' ntp ntpsec ntpdate 2>&1)"
'''
SNAPSHOT_FIREWALL = 'echo "iptables: $(command -v iptables >/dev/null && iptables -S INPUT 2>&1 | tr "\\n" " ")"'


def snapshot(target, extra_paths=(), base=True):
    """What a failed preflight must leave alone: ntp.conf, the keys directory, ntpd, packages, firewall, and the
    listing of each of ``extra_paths``; without ``base``, only the mode and owner of each of ``extra_paths`` (a
    directory the role must not re-own, e.g. the controller's /tmp, whose contents others change)."""
    if not base:
        script = ''.join('echo "%s: $(stat -c \'%%A %%U:%%G\' %s 2>&1)"\n' % (path, path) for path in extra_paths)
        return sh(target, script, check=False).stdout if script else ''
    script = SNAPSHOT + ('' if target == 'localhost' else SNAPSHOT_FIREWALL + '\n')
    for path in extra_paths:
        script += 'echo "%s: $(stat -c \'%%A %%U:%%G\' %s 2>&1) $(ls -la %s 2>&1)"\n' % (path, path, path)
    return sh(target, script, check=False).stdout


def journal_since(target, since, unit='ntp'):
    return sh(target, 'journalctl -u %s --no-pager -o cat --since @%d' % (unit, int(since)), check=False).stdout


def secret_variants(secret):
    """The forms a secret could take in a log: as is, JSON-escaped, shell-quoted."""
    return {secret, json.dumps(secret)[1:-1], repr(secret)[1:-1]}


def verbose_log(*markers):
    """ANSIBLE_LOG_PATH's text and the paths a secret search reads: that log and the output of every
    ansible-playbook run of the tests (LOGS). Checks that the log is the -vvv log with diffs the search
    needs, holding each of ``markers`` (-vvv "Using module file .../ntp_keygen.py" lines, task names)."""
    assert ANSIBLE_LOG and os.path.isfile(ANSIBLE_LOG), 'ANSIBLE_LOG_PATH is not set to a file'
    with open(ANSIBLE_LOG, errors='replace') as handle:
        text = handle.read()
    assert '--- before' in text, 'the log holds no diff (--diff / ANSIBLE_DIFF_ALWAYS not in effect)'
    for marker in markers:
        assert marker in text, 'the log does not hold %r (-vvv module transfers, task names)' % marker
    return text, [ANSIBLE_LOG] + sorted(glob.glob(os.path.join(LOGS, '*.log')))


def logs_containing(paths, secrets):
    """'<label> in <path>' for every secret ({label: secret}) found, in any of its forms, in a log file."""
    leaks = []
    for path in paths:
        with open(path, errors='replace') as handle:
            text = handle.read()
        leaks += ['%s in %s' % (label, path) for label, secret in secrets.items()
                  if any(v in text for v in secret_variants(secret))]
    return leaks


def journal_containing(target, secrets, timeout=30):
    """The labels of ``secrets`` ({label: secret}) found, in any of their forms, in the whole journal of
    a container (every field: ``journalctl -o verbose``), searched here on the controller. A canary line
    logged first must be found the same way, or the check fails: a journal that could not be read, or
    not up to now, would otherwise prove nothing."""
    assert secrets and all(secrets.values()), 'empty secret would match every journal'
    canary = 'tsn-journal-canary-' + os.urandom(8).hex()
    sh(target, 'logger -t tsn-canary %s' % canary)

    def read():
        text = sh(target, 'journalctl --no-pager -o verbose', check=False, timeout=300).stdout
        return text if canary in text else None
    journal, _elapsed, ok = wait_for('the canary in the journal of ' + target, read, timeout, interval=1)
    assert ok, '%s: the journal was not readable up to now, so this check would prove nothing' % target
    return sorted(label for label, secret in secrets.items() if any(v in journal for v in secret_variants(secret)))


def files_containing(target, secrets):
    """Files on a container (all of / but /proc, /sys, /dev) that hold any of ``secrets``.

    The patterns travel on grep's stdin, not its command line.
    """
    patterns = '\n'.join(sorted(set(secrets)))
    assert patterns and all(s for s in secrets), 'empty pattern would match every file'
    proc = sh(target, 'grep -rlsaF -f /dev/stdin $(ls -d /* | grep -vxE "/(proc|sys|dev)")',
              stdin=patterns + '\n', check=False, timeout=300)
    assert proc.returncode in (0, 1), 'grep failed on %s: %s' % (target, proc.stderr[-300:])
    return sorted(line for line in proc.stdout.splitlines() if line)


def copy_inventory(name, drop=(), host_vars=None):
    """A copy of the scenario's inventory directory without some group variables."""
    dest = os.path.join(WORK, 'inventories', name)
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(INVENTORY, dest)
    for group_file in os.listdir(os.path.join(dest, 'group_vars')):
        path = os.path.join(dest, 'group_vars', group_file)
        with open(path) as handle:
            data = yaml.safe_load(handle) or {}
        for key in drop:
            data.pop(key, None)
        write_secret_file(path, yaml.safe_dump(data))
    return dest


def inventory_file(name, data):
    """A YAML inventory of its own (localhost or the throwaway Debian 12 container)."""
    return write_secret_file(os.path.join(WORK, 'inventories', name + '.yml'), yaml.safe_dump(data))


if sys.version_info < (3, 9):  # pragma: no cover
    raise RuntimeError('the scenario tests need Python 3.9 or newer')
