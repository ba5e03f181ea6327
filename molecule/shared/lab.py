"""The scenarios' lab harness: run ansible-playbook the way the scenario does, read hosts.

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
import re
import shutil
import subprocess
import sys
import time

import yaml

sys.path.insert(0, os.environ['TSN_COLLECTIONS'])  # the collection's own parsers, as in molecule/shared/ntpcheck.py
from ansible_collections.timesec.ntp.plugins.module_utils import autokey  # noqa: E402

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

RECAP_RE = re.compile(
    r'^(?P<host>\S+)\s+: ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+'
    r'failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)\s+rescued=(?P<rescued>\d+)\s+ignored=(?P<ignored>\d+)',
    re.MULTILINE)

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


class Run:
    """One ansible-playbook run: return code, output, duration and the PLAY RECAP per host."""

    def __init__(self, name, argv, rc, output, seconds, logfile):
        self.name, self.argv, self.rc, self.output, self.seconds, self.logfile = name, argv, rc, output, seconds, logfile
        self.recap = {m.group('host'): {k: int(v) for k, v in m.groupdict().items() if k != 'host'}
                      for m in RECAP_RE.finditer(output)}
        self.flat = ' '.join(output.split())

    def says(self, text):
        """Whether the output holds ``text`` (whitespace-insensitive)."""
        return ' '.join(text.split()) in self.flat

    def errors(self, limit=6):
        """The [ERROR] / fatal lines, for assertion messages."""
        lines = [line.strip()[:400] for line in self.output.splitlines()
                 if line.startswith('[ERROR]') or line.startswith('fatal:')]
        return lines[-limit:] or ['(no error lines; see %s)' % self.logfile]

    def __repr__(self):
        return 'Run(%s rc=%s %.0fs recap=%s log=%s)' % (self.name, self.rc, self.seconds, self.recap, self.logfile)


def run_playbook(name, limit=None, extra_vars=None, inventories=(INVENTORY,), check=False, timeout=900, playbook=PLAYBOOK):
    """Run site.yml (or ``playbook``) like the scenario's converge (same config, inventory and environment)."""
    _counter[0] += 1
    tag = '%02d-%s' % (_counter[0], name)
    os.makedirs(LOGS, exist_ok=True)
    argv = ['ansible-playbook']
    for inventory in inventories:
        argv += ['-i', inventory]
    if limit:
        argv += ['--limit', limit]
    if check:
        argv.append('--check')
    if extra_vars:
        argv += ['-e', '@' + write_secret_file(os.path.join(WORK, 'vars', tag + '.json'), extra_vars)]
    argv.append(playbook)
    logfile = os.path.join(LOGS, tag + '.log')
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              timeout=timeout, text=True, errors='replace', check=False)
        rc, output = proc.returncode, proc.stdout
    except subprocess.TimeoutExpired as exc:
        rc, output = -1, (exc.stdout or b'').decode(errors='replace') + '\n[lab] TIMEOUT after %s s\n' % timeout
    seconds = time.monotonic() - start
    with open(logfile, 'w') as handle:
        handle.write('# ' + ' '.join(argv) + '\n' + output)
    run = Run(tag, argv, rc, output, seconds, logfile)
    log('%s: rc=%s in %.0f s, recap %s' % (tag, rc, seconds, run.recap))
    return run


# --- commands on the hosts ------------------------------------------------------------------------

def sh(target, script, stdin=None, check=True, timeout=120):
    """Run ``sh -c script`` on a container (podman exec) or on the controller (target 'localhost')."""
    if target == 'localhost':
        argv = ['sh', '-c', script]
    else:
        argv = ['podman', 'exec'] + (['-i'] if stdin is not None else []) + [target, 'sh', '-c', script]
    proc = subprocess.run(argv, input=stdin if stdin is not None else '', stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=timeout, errors='replace', check=False)
    if check and proc.returncode != 0:
        raise AssertionError('%s on %s: rc=%s %s' % (script[:80], target, proc.returncode, proc.stderr[-300:]))
    return proc


def out(target, script):
    return sh(target, script).stdout.strip()


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


def snapshot(target, extra_paths=()):
    """What a failed preflight must leave alone: ntp.conf, the keys directory, ntpd, packages, firewall."""
    script = SNAPSHOT + ('' if target == 'localhost' else SNAPSHOT_FIREWALL + '\n')
    for path in extra_paths:
        script += 'echo "%s: $(ls -la %s 2>&1)"\n' % (path, path)
    return sh(target, script, check=False).stdout


def journal_since(target, since, unit='ntp'):
    return sh(target, 'journalctl -u %s --no-pager -o cat --since @%d' % (unit, int(since)), check=False).stdout


def wait_for(what, predicate, timeout, interval=2):
    """Poll ``predicate()`` until it returns a true value; returns (value, elapsed, satisfied)."""
    start = time.monotonic()
    while True:
        try:
            value = predicate()
        except (AssertionError, subprocess.SubprocessError):
            value = None
        elapsed = time.monotonic() - start
        if value:
            return value, elapsed, True
        if elapsed > timeout:
            log('%s: not reached after %.0f s' % (what, elapsed))
            return value, elapsed, False
        time.sleep(interval)


def restart_container(name):
    """podman stop + start of a molecule container (its systemd then starts the enabled units)."""
    before = out_local(['podman', 'inspect', '-f', '{{.State.StartedAt}}', name])
    subprocess.run(['podman', 'stop', name], check=True, stdout=subprocess.DEVNULL, timeout=120)
    subprocess.run(['podman', 'start', name], check=True, stdout=subprocess.DEVNULL, timeout=120)
    after = out_local(['podman', 'inspect', '-f', '{{.State.StartedAt}}', name])
    return before, after


def out_local(argv):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, text=True, timeout=120).stdout.strip()


def image_exists(image):
    return subprocess.run(['podman', 'image', 'exists', image], check=False).returncode == 0


def secret_variants(secret):
    """The forms a secret could take in a log: as is, JSON-escaped, shell-quoted."""
    return {secret, json.dumps(secret)[1:-1], repr(secret)[1:-1]}


def verbose_log(*markers):
    """ANSIBLE_LOG_PATH's text and the paths a secret search reads: that log and the output of every
    ansible-playbook run of the tests (LOGS). Checks that the log is the -vvv log with diffs the search
    needs, holding each of ``markers`` (module transfers such as 'AnsiballZ_ntp_keygen.py', task names)."""
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
