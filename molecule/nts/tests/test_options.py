"""Options of 0.3.0 (issue 27), read back from the running daemons, and one time daemon per host.

- No second time daemon: six hosts (Debian 11, 12 and 13; ntpd, ntpsec and chrony hosts) ran one before
  converge (prepare.yml: systemd-timesyncd, openntpd, chrony, or a hand-installed unit no package removes; Debian
  13's systemd-timesyncd cannot run without CAP_SYS_TIME, so there it was enabled only).
  Afterwards its unit is neither active nor enabled, no time daemon process runs outside the roles' own unit,
  and the roles' daemon reports its authenticated system peer.
- Lines of your own reach the running daemon: ntpq -c monstats shows "mru maxdepth" (ntpd, ntpsec), chronyc
  smoothing shows "smoothtime ... leaponly" (chrony); a chrony host without the line answers "505".
- Step threshold and limit: each daemon's mapping in the file it runs, no configuration error in its log, and
  on chrony 4.6 the threshold itself, with chronyc's own source offset: an offset below it is slewed, one above
  it is stepped ("Could not step system clock" with -x in a container) at an update long after the start
  (limit -1).
- Refused input fails before any change: a time source among the extra lines, a step limit on ntpsec.
Waits are bounded; nothing is timed.
"""

import os
import re
import shlex
import subprocess
import time

import pytest
from labkit.hosts import container_host

from ntpcheck import wait_authenticated

SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# host: (the second daemon prepare.yml started there, the unit it ran as, the roles' daemon unit, summary key)
SECOND = {
    'tsn-nts-ak-cli': ('systemd-timesyncd', 'systemd-timesyncd', 'ntp', 'identity_verified'),   # Debian 11, ntpd
    'tsn-nts-cli12a': ('systemd-timesyncd', 'systemd-timesyncd', 'ntpsec', 'nts'),              # Debian 12, ntpsec
    'tsn-nts-chrc13': ('openntpd', 'openntpd', 'chrony', 'nts'),                                # Debian 13, chrony
    'tsn-nts-cli12b': ('chrony', 'chrony', 'ntpsec', 'nts'),                                    # Debian 12
    'tsn-nts-ntpc13': ('systemd-timesyncd', 'systemd-timesyncd', 'ntpsec', 'nts'),              # Debian 13 (enabled only)
    'tsn-nts-cli13a': ('hand', 'openntpd', 'ntpsec', 'nts'),                                    # Debian 13
}
# Process names of time daemons (openntpd's processes are "ntpd" too; timesyncd's name is cut at 15 characters).
TIME_DAEMONS = {'ntpd', 'chronyd', 'systemd-timesyn', 'openntpd'}
# host: the mru maxdepth its extra line sets (ntpd, ntpsec)
MRU = {'tsn-nts-ak-cli': 2048, 'tsn-nts-cli12a': 4096, 'tsn-nts-srv13': 8192}
# chrony hosts with "smoothtime 400 0.001 leaponly" among their extra lines; and one without
SMOOTH, NO_SMOOTH = ['tsn-nts-chr12', 'tsn-nts-chrc13'], 'tsn-nts-chrk12'
# host: (configuration file, the step line the options map to)
STEP = {'tsn-nts-ak-cli': ('/etc/ntp.conf', 'tinker step 0'),              # ntp_client_step_limit 0
        'tsn-nts-cli12a': ('/etc/ntpsec/ntp.conf', 'tinker step 0.5'),     # ntp_client_step_threshold 0.5
        'tsn-nts-chrc13': ('/etc/chrony/chrony.conf', 'makestep 2 -1'),  # threshold 2, limit -1
        'tsn-nts-chrk12': ('/etc/chrony/chrony.conf', 'makestep 1 3')}     # the defaults
UNITS = {'/etc/ntp.conf': 'ntp', '/etc/ntpsec/ntp.conf': 'ntpsec', '/etc/chrony/chrony.conf': 'chrony'}


def get(name):
    return container_host(name)


def conf_lines(host, path):
    return [line for line in host.file(path).content_string.splitlines() if line and not line.startswith('#')]


def journal(host, unit, since=None):
    """The unit's log since it last started (its current systemd invocation), or since a cursor."""
    if since:
        # quoted: a cursor holds ';' (unquoted, the shell cut it at the first one and journalctl printed nothing)
        return host.check_output('journalctl --no-pager -o cat -u %s --after-cursor=%s' % (unit, shlex.quote(since)))
    return host.check_output('journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID=$(systemctl show -p InvocationID '
                             '--value %s)' % unit)


def cursor(host):
    return host.check_output('journalctl --no-pager -n 0 --show-cursor -q | sed -n "s/^-- cursor: //p"')


def converge_fails(limit, extra_vars):
    run = subprocess.run(['ansible-playbook', '-i', os.environ['MOLECULE_INVENTORY_FILE'],
                          os.path.join(SCENARIO, 'converge.yml'), '--limit', limit, '-e', extra_vars],
                         capture_output=True, text=True, check=False)
    output = ' '.join((run.stdout + run.stderr).split())
    assert run.returncode != 0, output[-3000:]
    return output


# -- one time daemon ---------------------------------------------------------------------------------

@pytest.mark.parametrize('name', sorted(SECOND))
def test_no_second_time_daemon_runs(name):
    host = get(name)
    kind, unit, ours, key = SECOND[name]
    assert host.run('systemctl is-active %s' % unit).stdout.strip() != 'active'
    # masked (systemd-timesyncd, openntpd), disabled, or gone with its package
    assert host.run('systemctl is-enabled %s' % unit).stdout.strip() in ('masked', 'disabled', ''), unit
    if kind != 'hand':
        # Debian's packages conflict (time-daemon): installing ours removed the other one
        assert not host.package(kind).is_installed, kind
    else:
        assert host.run('systemctl is-enabled openntpd').stdout.strip() == 'masked'
    rows = [line.split() for line in host.check_output('ps -eo unit=,comm=,pid=').splitlines()]
    daemons = [row for row in rows if len(row) == 3 and row[1] in TIME_DAEMONS]
    assert daemons and {row[0] for row in daemons} == {'%s.service' % ours}, daemons
    # and the roles' daemon has its authenticated system peer (its own tools: ntpq or chronyc)
    state = wait_authenticated(host, timeout=120, key=key)
    assert state['authenticated'], state


# -- lines of your own -------------------------------------------------------------------------------

@pytest.mark.parametrize('name', sorted(MRU))
def test_extra_line_reaches_ntpd(name):
    monstats = get(name).check_output('ntpq -c monstats')
    assert re.search(r'^maximum addresses:\s+%d$' % MRU[name], monstats, re.M), monstats


@pytest.mark.parametrize('name', SMOOTH + [NO_SMOOTH])
def test_extra_line_reaches_chronyd(name):
    result = get(name).run('chronyc smoothing')
    if name == NO_SMOOTH:   # the same query where no line enabled it: chronyd refuses
        assert result.rc != 0 and '505 Facility not enabled' in result.stdout + result.stderr, result.stdout
    else:
        # smoothing is active or not by chronyd's own judgement of the clock; leaponly is the line's
        assert result.rc == 0 and re.search(r"^Active\s*: (Yes|No) \(leap second only\)$", result.stdout,
                                            re.M), result.stdout


@pytest.mark.parametrize('name', SMOOTH)
def test_chrony_writes_rtcsync(name):
    host = get(name)
    assert 'rtcsync' in conf_lines(host, '/etc/chrony/chrony.conf')
    assert host.service('chrony').is_running   # chronyd refuses to start on a line it cannot parse


# -- step threshold and limit ------------------------------------------------------------------------

@pytest.mark.parametrize('name', sorted(STEP))
def test_step_options_map_to_the_daemon(name):
    host = get(name)
    path, line = STEP[name]
    conf = conf_lines(host, path)
    assert [c for c in conf if c.startswith(('tinker', 'makestep'))] == [line], conf
    log = journal(host, UNITS[path])
    assert not re.search(r'syntax error|[Uu]nknown|[Ii]nvalid|Could not parse', log), log[-2000:]


def test_chrony_steps_above_the_threshold_only():
    """ntp_client_step_threshold 2, ntp_client_step_limit -1 on a Debian 13 chrony client (4.6): with chronyc's own
    correction of its source's offset (chronyc offset, then reset sources and a burst), 1 s is slewed and 5 s
    stepped, long after the first updates (limit -1). chronyd runs with -x here, so a step it decides on is logged
    as "Could not step system clock" (and a slew of more than 1 s as "System clock wrong by")."""
    host = get('tsn-nts-chrc13')
    source = host.check_output('chronyc -n -c sources').split(',')[2]

    def ref_time():
        return re.search(r'^Ref time \(UTC\)\s*:\s*(.+)$', host.check_output('chronyc tracking'), re.M).group(1)

    def offset(seconds, updates=2, until=None):
        """Correct the source by ``seconds`` and ask for a burst of measurements; returns chronyd's log over the
        next ``updates`` clock updates (a new ref time each), or as soon as it shows ``until``."""
        mark = cursor(host)
        assert host.run('chronyc offset %s %s' % (source, seconds)).rc == 0
        # drop the samples taken before the correction, so that the next updates use it at once
        assert host.run('chronyc reset sources').rc == 0
        for _update in range(updates):
            before, deadline = ref_time(), time.monotonic() + 90
            host.run('chronyc burst 3/4')
            while ref_time() == before:
                assert time.monotonic() < deadline, 'no clock update within 90 s after chronyc offset %s' % seconds
                time.sleep(1)
            log = journal(host, 'chrony', since=mark)
            if until and until in log:
                break
        return log

    try:
        below = offset(1)
        assert 'Could not step' not in below, below
        offset(0, updates=1)
        above = offset(5, updates=3, until='Could not step system clock')
        assert 'Could not step system clock' in above, above
    finally:
        host.run('chronyc offset %s 0' % source)
    state = wait_authenticated(host, timeout=120, key='nts')
    assert state['authenticated'], state


# -- refused before any change -----------------------------------------------------------------------

def test_extra_line_with_a_time_source_is_refused_before_any_change():
    host = get('tsn-nts-cli12a')
    before = host.check_output('md5sum /etc/ntpsec/ntp.conf')
    output = converge_fails('tsn-nts-cli12a',
                            '{"ntp_client_extra_lines": ["mru maxdepth 4096", "server 192.0.2.1 iburst"]}')
    assert ('ntp_client_extra_lines[1] "server 192.0.2.1 iburst": \'server\' adds a time source the role does not '
            'authenticate') in output, output[-3000:]
    assert host.check_output('md5sum /etc/ntpsec/ntp.conf') == before


def test_step_limit_on_ntpsec_is_refused_before_any_change():
    host = get('tsn-nts-cli12a')
    before = host.check_output('md5sum /etc/ntpsec/ntp.conf')
    output = converge_fails('tsn-nts-cli12a', '{"ntp_client_step_limit": 3}')
    assert 'ntp_client_step_limit is 3, but ntpsec counts no clock updates' in output, output[-3000:]
    assert host.check_output('md5sum /etc/ntpsec/ntp.conf') == before
