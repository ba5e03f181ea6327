# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntp_status_info module with run_command answering from real ntpq output: classic ntp 4.2.8
(fixtures/ntpq) and ntpsec 1.2 with NTS (fixtures/ntpsec)."""

from __future__ import annotations

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.timesec.ntp.plugins.modules import ntp_status_info
from ansible_collections.timesec.ntp.tests.unit.utils import read_fixture, refuse_run_command, run_module

NTPQ = '/usr/bin/ntpq'
# The real function, before the autouse fixture replaces it.
RUNNING_DAEMONS = ntp_status_info.running_daemons
ASSID = 17683


def argv(command, host='localhost', timeout_ms=5000):
    return [NTPQ, '-n', '-c', 'timeout %d' % timeout_ms, '-c', command, host]


class FakeNtpq:
    """Stands in for ``AnsibleModule.run_command`` running ntpq: answers each ntpq command
    (the argument after the ``timeout`` command) with (rc, stdout, stderr) from ``answers``."""

    def __init__(self, answers):
        self.answers = answers
        self.argvs = []
        self.environ = []

    def __call__(self, args, environ_update=None, **kwargs):
        self.argvs.append(list(args))
        self.environ.append(dict(environ_update or {}))
        self.kwargs = kwargs
        return self.answers[args[5]]


def captured(prefix, assids=(), directory='ntpq'):
    """The answers of one captured state: stdout of the fixture files, empty stderr."""
    answers = {'as': (0, read_fixture(directory, prefix + '_as.txt'), ''),
               'rv 0': (0, read_fixture(directory, prefix + '_rv0.txt'), '')}
    for assid in assids:
        answers['rv %d' % assid] = (0, read_fixture(directory, '%s_rv_%d.txt' % (prefix, assid)), '')
    return answers


TIMEOUT = (0, read_fixture('ntpq', 'timeout_stdout.txt'), read_fixture('ntpq', 'timeout_stderr.txt'))
REFUSED = (0, '\n', read_fixture('ntpq', 'refused_stderr.txt'))


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(AnsibleModule, 'warn', lambda self, msg: seen.append(msg))
    return seen


@pytest.fixture(autouse=True)
def environment(monkeypatch, module_exits):
    monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, arg, required=False, opt_dirs=None: NTPQ)
    # daemon=auto looks for running daemons: the machine running the tests must not decide.
    monkeypatch.setattr(ntp_status_info, 'running_daemons', lambda proc='/proc': set())


def run(monkeypatch, answers, args=None, check_mode=False):
    fake = FakeNtpq(answers)
    monkeypatch.setattr(AnsibleModule, 'run_command', fake)
    return run_module(ntp_status_info, args or {}, check_mode=check_mode), fake


@pytest.mark.parametrize('check_mode', [False, True])
def test_authenticated_client(monkeypatch, check_mode):
    result, fake = run(monkeypatch, captured('client1', [ASSID]), check_mode=check_mode)
    assert fake.argvs == [argv('as'), argv('rv 0'), argv('rv %d' % ASSID)]
    assert fake.environ == [{'LC_ALL': 'C'}] * 3
    assert result['changed'] is False and 'failed' not in result
    assert result['daemon'] == 'ntpd'
    assert result['summary'] == {'synchronized': True, 'authenticated': True, 'identity_verified': True, 'nts': False, 'symmetric': False, 'key_id': None,
                                 'sys_peer': '10.89.0.2'}
    (peer,) = result['associations']
    assert (peer['assid'], peer['address'], peer['auth'], peer['condition'], peer['identity'], peer['ident'],
            peer['host']) == (ASSID, '10.89.0.2', 'ok', 'sys.peer', 'iff', 'lab-ntp1', 'lab-ntp1@lab-ntp1')
    assert peer['flags']['hex'] == '0x29c7f23' and peer['flags']['nid_name'] == 'sha256WithRSAEncryption'
    assert 'VRFY' in peer['flags']['names'] and 'IFF' in peer['flags']['names']
    system = result['system']
    assert (system['leap'], system['sync'], system['stratum'], system['refid'], system['host']) == (
        'none', 'ntp', 6, '10.89.0.2', 'lab-client1@lab-ntp1')
    assert [(c['subject'], c['issuer'], c['flags']['value'], c['expires']) for c in system['certificates']] == [
        ('lab-client1@lab-ntp1', 'lab-ntp1@lab-ntp1', 4, '2027-11-26T12:21:00+00:00'),
        ('lab-ntp1@lab-ntp1', 'lab-ntp1@lab-ntp1', 5, '2027-11-26T12:20:00+00:00'),
        ('lab-client1@lab-ntp1', 'lab-client1@lab-ntp1', 0, '2027-11-26T12:20:00+00:00')]


def test_starting_client_is_not_authenticated(monkeypatch):
    result, fake = run(monkeypatch, captured('client1_starting', [ASSID]))
    assert result['summary'] == {'synchronized': False, 'authenticated': False, 'identity_verified': False, 'nts': False, 'symmetric': False, 'key_id': None,
                                 'sys_peer': None}
    assert result['associations'][0]['condition'] == 'reject'
    assert result['associations'][0]['flags']['names'] == ['ENAB', 'TAI', 'IFF', 'AUTO']
    assert result['system']['leap'] == 'alarm'


def test_server_without_associations(monkeypatch):
    result, fake = run(monkeypatch, captured('ntp1'))
    assert fake.argvs == [argv('as'), argv('rv 0')]
    assert result['associations'] == []
    assert result['summary']['synchronized'] is False
    assert result['system']['identity'] == 'iff'
    assert result['system']['certificates'][0]['flags'] == {'value': 1, 'names': ['TRUST']}


def test_host_and_timeout_options(monkeypatch):
    result, fake = run(monkeypatch, captured('client1', [ASSID]), {'host': '::1', 'timeout': 2})
    assert fake.argvs == [argv('as', '::1', 2000), argv('rv 0', '::1', 2000), argv('rv %d' % ASSID, '::1', 2000)]
    assert result['summary']['authenticated'] is True


def test_association_dropped_between_queries(monkeypatch, warnings):
    answers = captured('client1')
    answers['rv %d' % ASSID] = (0, read_fixture('ntpq', 'unknown_assid_stdout.txt'),
                                read_fixture('ntpq', 'unknown_assid_stderr.txt').replace('65000', str(ASSID)))
    result, fake = run(monkeypatch, answers)
    assert 'failed' not in result
    assert warnings == ['ntpd dropped association %d before its variables could be read' % ASSID]
    assert result['associations'][0]['address'] is None
    assert result['summary'] == {'synchronized': True, 'authenticated': False, 'identity_verified': False, 'nts': False, 'symmetric': False, 'key_id': None,
                                 'sys_peer': None}


# -- ntpsec (NTS) ------------------------------------------------------------------------------

NTS_ASSID = 17767


@pytest.mark.parametrize('release, address', [('deb12', '10.89.2.2'), ('deb13', '10.89.2.5')])
def test_ntpsec_nts_client(monkeypatch, release, address):
    result, fake = run(monkeypatch, captured(release + '_client', [NTS_ASSID], 'ntpsec'))
    assert fake.argvs == [argv('as'), argv('rv 0'), argv('rv %d' % NTS_ASSID)]
    assert fake.kwargs == {'errors': 'replace'}
    assert result['summary'] == {'synchronized': True, 'authenticated': True, 'identity_verified': False,
                                 'nts': True, 'symmetric': False, 'key_id': None, 'sys_peer': address}
    assert result['system']['daemon'] == 'ntpsec'
    (peer,) = result['associations']
    assert (peer['nts'], peer['cookies'], peer['auth'], peer['condition']) == (True, 8, 'ok', 'sys.peer')


@pytest.mark.parametrize('release, address', [('deb12', '10.89.0.2'), ('deb13', '10.89.0.8')])
def test_ntpsec_nts_client_of_a_chrony_server(monkeypatch, release, address):
    """ntpsec 1.2.2/1.2.3 clients of a chrony 4.3/4.6 NTS server (fixtures/chrony/README.md, docs/chrony.md)."""
    result, fake = run(monkeypatch, captured(release + '_client_chronysrv', [NTS_ASSID], 'ntpsec'))
    assert result['summary'] == {'synchronized': True, 'authenticated': True, 'identity_verified': False,
                                 'nts': True, 'symmetric': False, 'key_id': None, 'sys_peer': address}
    (peer,) = result['associations']
    assert (peer['name'], peer['cookies'], peer['stratum']) == ('tsn-chr-s' + release[3:], 8, 10)


def test_ntpsec_wrong_ca_client(monkeypatch):
    result, fake = run(monkeypatch, captured('deb13_wrongca', [NTS_ASSID], 'ntpsec'))
    assert result['summary'] == {'synchronized': False, 'authenticated': False, 'identity_verified': False,
                                 'nts': False, 'symmetric': False, 'key_id': None, 'sys_peer': None}
    (peer,) = result['associations']
    assert (peer['nts'], peer['cookies'], peer['auth'], peer['condition']) == (True, -1, 'bad', 'reject')


def test_ntpsec_server(monkeypatch):
    result, fake = run(monkeypatch, captured('deb12_server', (), 'ntpsec'))
    assert fake.argvs == [argv('as'), argv('rv 0')]
    assert result['associations'] == [] and result['system']['stratum'] == 5


def test_ntpsec_association_dropped_between_queries(monkeypatch, warnings):
    answers = captured('deb12_client', (), 'ntpsec')
    answers['rv %d' % NTS_ASSID] = (0, read_fixture('ntpsec', 'deb12_unknown_assid_stdout.txt'),
                                    read_fixture('ntpsec', 'deb12_unknown_assid_stderr.txt'))
    result, fake = run(monkeypatch, answers)
    assert warnings == ['ntpd dropped association %d before its variables could be read' % NTS_ASSID]
    assert result['summary']['authenticated'] is False


def test_ntpsec_not_running(monkeypatch):
    refused = (0, read_fixture('ntpsec', 'deb13_refused_stdout.txt'), read_fixture('ntpsec', 'deb13_refused_stderr.txt'))
    result, fake = run(monkeypatch, {'as': refused})
    assert_failed(result, 'ntpd is not running on localhost')


# -- failures: a message, no traceback --------------------------------------------------------

def assert_failed(result, start):
    assert result['failed'] is True
    assert result['msg'].startswith(start), result['msg']
    assert 'exception' not in result and 'Traceback' not in result['msg']


def test_ntpq_missing(monkeypatch):
    monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, arg, required=False, opt_dirs=None: None)
    monkeypatch.setattr(AnsibleModule, 'run_command', refuse_run_command)
    result = run_module(ntp_status_info, {})
    assert_failed(result, 'ntpq not found on the target: install the ntp package')


def test_ntpd_not_running(monkeypatch):
    result, fake = run(monkeypatch, {'as': REFUSED})
    assert_failed(result, 'ntpd is not running on localhost')
    assert fake.argvs == [argv('as')]


def test_ntpd_not_answering(monkeypatch):
    result, fake = run(monkeypatch, {'as': TIMEOUT}, {'host': '127.0.0.2'})
    assert_failed(result, 'ntpd on 127.0.0.2 did not answer')
    assert 'Request timed out' in result['msg']


def test_ntpd_stops_between_queries(monkeypatch):
    answers = captured('client1')
    answers['rv 0'] = REFUSED
    result, fake = run(monkeypatch, answers)
    assert_failed(result, 'ntpd is not running on localhost')
    assert fake.argvs == [argv('as'), argv('rv 0')]


def test_unknown_host(monkeypatch):
    result, fake = run(monkeypatch, {'as': (0, '', read_fixture('ntpq', 'unknown_host_stderr.txt'))},
                       {'host': 'nosuchhost.invalid'})
    assert_failed(result, 'ntpq cannot resolve host nosuchhost.invalid')


@pytest.mark.parametrize('command, stdout', [
    ('as', 'ntpq 4.2.8p15 says something new\n'),
    ('rv 0', 'cert="truncated\n'),
    ('rv %d' % ASSID, 'flags=0xnothex\n'),
])
def test_unparsable_output(monkeypatch, command, stdout):
    answers = captured('client1', [ASSID])
    answers[command] = (0, stdout, '')
    result, fake = run(monkeypatch, answers)
    assert_failed(result, 'cannot parse the output of ntpq: ')


@pytest.mark.parametrize('args, start', [
    ({'host': '-c'}, "host is not a host name or address (not shown)"),
    ({'host': 'a b'}, "host is not a host name or address (not shown)"),
    ({'timeout': 0}, 'timeout must be between 1 and 300 seconds'),
])
def test_bad_options(monkeypatch, args, start):
    monkeypatch.setattr(AnsibleModule, 'run_command', refuse_run_command)
    assert_failed(run_module(ntp_status_info, args), start)


def fake_proc(tmp_path, processes):
    """A /proc with {pid: (comm, argv)} entries, plus a few that are not processes."""
    for pid, (comm, args) in processes.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / 'comm').write_text(comm + '\n')
        (tmp_path / str(pid) / 'cmdline').write_bytes(b'\0'.join(a.encode() for a in args) + b'\0')
    (tmp_path / 'self').mkdir()
    (tmp_path / 'uptime').write_text('1 1\n')
    return str(tmp_path)


def test_local_daemon_reads_the_running_configuration(tmp_path):
    proc = fake_proc(tmp_path, {
        1: ('systemd', ['/sbin/init']),
        412: ('ntpd', ['/usr/sbin/ntpd', '-p', '/var/run/ntpd.pid', '-g', '-c', '/run/ntp.conf.dhcp', '-u', '105:112']),
    })
    assert ntp_status_info.local_daemon('ntp', proc) == {
        'pid': 412, 'argv': ['/usr/sbin/ntpd', '-p', '/var/run/ntpd.pid', '-g', '-c', '/run/ntp.conf.dhcp', '-u', '105:112'],
        'config_file': '/run/ntp.conf.dhcp'}


def test_local_daemon_without_ntpd(tmp_path):
    assert ntp_status_info.local_daemon('ntp', fake_proc(tmp_path, {1: ('systemd', ['/sbin/init'])})) is None


@pytest.mark.parametrize('host, expect_process', [('localhost', True), ('::1', True), ('10.89.0.2', False)])
def test_process_only_for_the_local_ntpd(monkeypatch, host, expect_process):
    seen = []
    monkeypatch.setattr(ntp_status_info, 'local_daemon', lambda daemon: seen.append(daemon) or {'config_file': '/etc/ntp.conf'})
    result, fake = run(monkeypatch, captured('ntp1'), args={'host': host})
    assert fake.argvs[0][-1] == host
    assert result['process'] == ({'config_file': '/etc/ntp.conf'} if expect_process else None)
    assert seen == (['ntp'] if expect_process else [])


# -- chronyd (chronyc) -------------------------------------------------------------------------

CHRONYC = '/usr/bin/chronyc'


def chronyc_argv(command, host=None, timeout_ms=5000):
    return [CHRONYC, '-n', '-c'] + (['-h', host] if host else []) + ['-m', 'timeout %d' % timeout_ms, command]


class FakeChronyc(FakeNtpq):
    """``run_command`` running chronyc: answers by the chronyc command (the last argument)."""

    def __call__(self, args, environ_update=None, **kwargs):
        self.argvs.append(list(args))
        self.environ.append(dict(environ_update or {}))
        self.kwargs = kwargs
        return self.answers[args[-1]]


def chrony_captured(prefix):
    return {command: (0, read_fixture('chrony', '%s_%s.txt' % (prefix, command)), '') for command in
            ('sources', 'authdata', 'tracking')}


def binaries(monkeypatch, installed):
    """Only the programs in ``installed`` (names) exist on the target."""
    paths = {'ntpq': NTPQ, 'chronyc': CHRONYC}
    monkeypatch.setattr(AnsibleModule, 'get_bin_path',
                        lambda self, arg, required=False, opt_dirs=None: paths[arg] if arg in installed else None)


def run_chronyc(monkeypatch, answers, args=None):
    fake = FakeChronyc(answers)
    monkeypatch.setattr(AnsibleModule, 'run_command', fake)
    return run_module(ntp_status_info, args or {}), fake


@pytest.fixture
def chrony_host(monkeypatch):
    """A target with both programs installed, chronyd running, no /proc reading for the process."""
    binaries(monkeypatch, ('ntpq', 'chronyc'))
    monkeypatch.setattr(ntp_status_info, 'running_daemons', lambda proc='/proc': {'chronyd'})
    monkeypatch.setattr(ntp_status_info, 'local_daemon', lambda daemon: {'daemon': daemon})


@pytest.mark.parametrize('release, address', [('deb12', '10.89.0.2'), ('deb13', '10.89.0.8')])
@pytest.mark.parametrize('args', [{}, {'daemon': 'chronyd'}])
def test_chronyd_nts_client(monkeypatch, chrony_host, release, address, args):
    result, fake = run_chronyc(monkeypatch, chrony_captured(release + '_client'), args)
    assert fake.argvs == [chronyc_argv('sources'), chronyc_argv('authdata'), chronyc_argv('tracking')]
    assert fake.environ == [{'LC_ALL': 'C'}] * 3
    assert result['changed'] is False and result['daemon'] == 'chronyd'
    assert result['summary'] == {'synchronized': True, 'authenticated': True, 'identity_verified': False,
                                 'nts': True, 'symmetric': False, 'key_id': None, 'sys_peer': address}
    (peer,) = result['associations']
    assert (peer['nts'], peer['cookies'], peer['auth'], peer['condition']) == (True, 8, 'ok', 'sys.peer')
    assert result['system']['daemon'] == 'chrony'
    assert result['process'] == {'daemon': 'chrony'}


@pytest.mark.parametrize('prefix', ['deb12_wrongca', 'deb13_wrongca', 'deb12_wrongca_plain_require', 'deb13_plain'])
def test_chronyd_not_authenticated(monkeypatch, chrony_host, prefix):
    result, fake = run_chronyc(monkeypatch, chrony_captured(prefix))
    assert result['summary']['authenticated'] is False and result['summary']['nts'] is False
    assert 'failed' not in result


def test_chronyd_remote_host_and_timeout(monkeypatch, chrony_host):
    result, fake = run_chronyc(monkeypatch, chrony_captured('deb12_client'),
                               {'daemon': 'chronyd', 'host': '10.89.0.2', 'timeout': 2})
    assert fake.argvs == [chronyc_argv(c, '10.89.0.2', 2000) for c in ('sources', 'authdata', 'tracking')]
    assert result['process'] is None


@pytest.mark.parametrize('prefix, start', [
    ('deb13_stopped', 'chronyd is not running on localhost'),
    ('deb12_unknown_host', 'chronyc cannot reach host localhost'),
])
def test_chronyd_failures(monkeypatch, chrony_host, prefix, start):
    answer = (1, read_fixture('chrony', prefix + '_stdout.txt'), read_fixture('chrony', prefix + '_stderr.txt'))
    result, fake = run_chronyc(monkeypatch, {'sources': answer})
    assert_failed(result, start)
    assert fake.argvs == [chronyc_argv('sources')]


def test_chronyd_unparsable(monkeypatch, chrony_host):
    answers = chrony_captured('deb12_client')
    answers['tracking'] = (0, 'something new\n', '')
    result, fake = run_chronyc(monkeypatch, answers)
    assert_failed(result, 'cannot parse the output of chronyc: ')


def test_chronyc_missing(monkeypatch):
    binaries(monkeypatch, ('ntpq',))
    monkeypatch.setattr(AnsibleModule, 'run_command', refuse_run_command)
    assert_failed(run_module(ntp_status_info, {'daemon': 'chronyd'}), 'chronyc not found on the target')


# daemon=auto: (running processes, installed programs, host) -> the daemon read
@pytest.mark.parametrize('running, installed, host, expected', [
    ({'chronyd'}, ('ntpq', 'chronyc'), 'localhost', 'chronyd'),
    ({'chronyd'}, ('chronyc',), '::1', 'chronyd'),
    ({'ntpd'}, ('ntpq', 'chronyc'), 'localhost', 'ntpd'),
    ({'ntpd', 'chronyd'}, ('ntpq', 'chronyc'), 'localhost', 'ntpd'),
    (set(), ('ntpq', 'chronyc'), 'localhost', 'ntpd'),        # nothing runs: as before the option existed
    (set(), ('chronyc',), 'localhost', 'chronyd'),
    ({'chronyd'}, ('ntpq', 'chronyc'), '10.89.0.2', 'ntpd'),  # a remote host: local processes do not count
    (set(), ('chronyc',), '10.89.0.2', 'chronyd'),
])
def test_auto_daemon(monkeypatch, running, installed, host, expected):
    binaries(monkeypatch, installed)
    monkeypatch.setattr(ntp_status_info, 'running_daemons', lambda proc='/proc': running)
    monkeypatch.setattr(ntp_status_info, 'local_daemon', lambda daemon: None)
    answers = dict(captured('client1', [ASSID]), **chrony_captured('deb12_client'))
    fake = FakeChronyc(answers) if expected == 'chronyd' else FakeNtpq(answers)
    monkeypatch.setattr(AnsibleModule, 'run_command', fake)
    result = run_module(ntp_status_info, {'host': host})
    assert result['daemon'] == expected
    assert fake.argvs[0][0] == (CHRONYC if expected == 'chronyd' else NTPQ)


def test_explicit_ntpd_ignores_a_running_chronyd(monkeypatch, chrony_host):
    result, fake = run(monkeypatch, captured('client1', [ASSID]), {'daemon': 'ntpd'})
    assert result['daemon'] == 'ntpd' and fake.argvs[0] == argv('as')


def test_local_chronyd_process(tmp_path):
    proc = fake_proc(tmp_path, {
        1: ('systemd', ['/sbin/init']),
        571: ('chronyd', ['/usr/sbin/chronyd', '-F', '1', '-x']),
        600: ('ntpd', ['/usr/sbin/ntpd', '-c', '/etc/ntpsec/ntp.conf']),
    })
    assert ntp_status_info.local_daemon('chrony', proc) == {
        'pid': 571, 'argv': ['/usr/sbin/chronyd', '-F', '1', '-x'], 'config_file': '/etc/chrony/chrony.conf'}
    assert ntp_status_info.local_daemon('ntpsec', proc)['pid'] == 600
    assert RUNNING_DAEMONS(proc) == {'chronyd', 'ntpd'}
    (tmp_path / 'none').mkdir()
    assert RUNNING_DAEMONS(fake_proc(tmp_path / 'none', {})) == set()


def test_steppers_left_on_the_target(monkeypatch, tmp_path):
    """Hooks that step the clock from plain NTP are reported (the client's verify step fails on them)."""
    from ansible_collections.timesec.ntp.plugins.module_utils import hostinfo
    (tmp_path / 'ntpsec-ntpdate').write_text('#!/bin/sh\n')
    monkeypatch.setattr(hostinfo, 'STEPPERS', (str(tmp_path / 'ntpsec-ntpdate'), str(tmp_path / 'ntpdate')))
    result, dummy = run(monkeypatch, captured('client1', [ASSID]))
    assert result['steppers'] == [str(tmp_path / 'ntpsec-ntpdate')]


# O(daemon) by the roles' names and the earlier ones: (option, reader) - never a guess from processes or programs
@pytest.mark.parametrize('daemon, expected', [
    ('ntp', 'ntpd'), ('ntpsec', 'ntpd'), ('ntpd', 'ntpd'), ('chrony', 'chronyd'), ('chronyd', 'chronyd'),
])
def test_daemon_names(monkeypatch, chrony_host, daemon, expected):
    answers = dict(captured('client1', [ASSID]), **chrony_captured('deb12_client'))
    fake = FakeChronyc(answers) if expected == 'chronyd' else FakeNtpq(answers)
    monkeypatch.setattr(AnsibleModule, 'run_command', fake)
    result = run_module(ntp_status_info, {'daemon': daemon})
    assert result['daemon'] == expected and fake.argvs[0][0] == (CHRONYC if expected == 'chronyd' else NTPQ)
