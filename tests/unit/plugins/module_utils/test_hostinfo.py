# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/hostinfo: dpkg states, the roles' marker, keys directories, the daemon's start against its
files, and what a move to another daemon or scheme leaves (the paths are the roles' Debian ones)."""

from __future__ import annotations

import hashlib
import os

import pytest

from ansible_collections.timesec.ntp.plugins.module_utils import hostinfo

# The platform data of the three daemons, as roles/ntp_common/vars/ has it (what layout() reads).
DAEMONS = {
    'ntp': {'packages': ['ntp', 'python3-cryptography'], 'service': 'ntp', 'conf_path': '/etc/ntp.conf',
            'keys_file': '/etc/ntp.keys', 'exec_start': '/usr/sbin/ntpd -p /var/run/ntpd.pid', 'purge': True,
            'apparmor': {'local': '/etc/apparmor.d/local/usr.sbin.ntpd'}, 'defaults_file': None,
            'nts_server_state': [], 'nts_client_state': []},
    'ntpsec': {'packages': ['ntpsec'], 'service': 'ntpsec', 'conf_path': '/etc/ntpsec/ntp.conf',
               'keys_file': '/etc/ntpsec/ntp.keys', 'exec_start': None, 'purge': True, 'apparmor': None,
               'defaults_file': '/etc/default/ntpsec', 'nts_key': '/etc/ntpsec/key.pem',
               'nts_cert': '/etc/ntpsec/cert-chain.pem', 'nts_ca': '/usr/local/share/ca-certificates/timesec-ntp-nts-ca.pem',
               'nts_upstream_ca': '/usr/local/share/ca-certificates/timesec-ntp-upstream-ca.pem',
               'nts_server_state': ['/var/lib/ntpsec/nts-keys'], 'nts_client_state': []},
    'chrony': {'packages': ['chrony'], 'service': 'chrony', 'conf_path': '/etc/chrony/chrony.conf',
               'keys_file': '/etc/chrony/chrony.keys', 'exec_start': None, 'purge': False,
               'apparmor': {'local': '/etc/apparmor.d/local/usr.sbin.chronyd'}, 'defaults_file': '/etc/default/chrony',
               'nts_key': '/etc/chrony/nts-key.pem', 'nts_cert': '/etc/chrony/nts-cert.pem',
               'nts_ca': '/etc/chrony/nts-ca.pem', 'nts_upstream_ca': '/etc/chrony/upstream-ca.pem',
               'nts_server_state': ['/var/lib/chrony/ntskeys'], 'nts_client_state': ['/var/lib/chrony/*.nts']},
}
AUTOKEY_FILES = ['/etc/ntp/ntpkey_RSAhost_cli.3900000000', '/etc/ntp/ntpkey_host_cli', '/etc/ntp/ntpkey_iffpar_grp']
# A Debian 11 Autokey client (classic ntpd) before it moves to NTS on chrony: the measured case of issue 26.
AUTOKEY_CLIENT = {
    'packages': {'ntp': 'ii', 'ntpsec': '', 'chrony': '', 'ntpdate': '', 'ntpsec-ntpdate': ''},
    'files': ['/etc/ntp.conf', '/etc/ntp.conf.orig-timesec', '/etc/systemd/system/ntp.service.d/timesec-ntp.conf',
              '/etc/apparmor.d/local/usr.sbin.ntpd'],
    'ours': ['/etc/ntp.conf'],
    'masked': [],
    'keysdirs': {'/etc/ntp.conf': {'path': '/etc/ntp', 'files': AUTOKEY_FILES}},
}
CHRONY_NTS_CLIENT = {'servers': ['tsn-srv iburst minpoll 4 maxpoll 6 nts'], 'upstream_lines': [],
                     'nts_ca': '/etc/chrony/nts-ca.pem', 'nts_server': False, 'trusted_keys': [], 'keysdir': '/etc/ntp'}


def test_dpkg_states():
    out = 'ii ntp\nrc chrony\nun ntpdate\n'
    assert hostinfo.dpkg_states(out, ['ntp', 'chrony', 'ntpdate', 'ntpsec']) == {
        'ntp': 'ii', 'chrony': 'rc', 'ntpdate': 'un', 'ntpsec': ''}
    assert [hostinfo.on_disk(state) for state in ('ii', 'rc', 'un', '', 'iU')] == [True, True, False, False, True]


def test_marker_and_keysdir():
    conf = '#\n# Autokey (IFF) configuration written by timesec.ntp.ntp_client.\ncrypto pw x\nkeysdir /etc/timesec-ntp/keys/\n'
    assert hostinfo.is_ours(conf)
    assert hostinfo.keysdir(conf) == '/etc/timesec-ntp/keys'
    assert hostinfo.keysdir('keysdir "/etc/ntp"\n') == '/etc/ntp'
    assert hostinfo.keysdir('# keysdir /etc/ntp\nserver x\n') is None
    # Debian's own files: not the roles'
    assert not hostinfo.is_ours('# /etc/ntp.conf, configuration for ntpd; see ntp.conf(5) for help\n')
    assert hostinfo.is_ours('/x r,\n# BEGIN timesec.ntp keys directory\n/etc/k/ r,\n# END timesec.ntp keys directory\n')


def test_expand_read_and_mask(tmp_path):
    (tmp_path / 'a.nts').write_text('cookie')
    (tmp_path / 'b.nts').write_text('cookie')
    (tmp_path / 'conf').write_text('x')
    os.symlink('/dev/null', str(tmp_path / 'ntp.service'))
    found = hostinfo.expand([str(tmp_path / '*.nts'), str(tmp_path / 'conf'), str(tmp_path / 'missing'),
                             str(tmp_path / 'ntp.service')])
    assert found == [str(tmp_path / 'a.nts'), str(tmp_path / 'b.nts'), str(tmp_path / 'conf'), str(tmp_path / 'ntp.service')]
    assert hostinfo.masked(str(tmp_path / 'ntp.service')) and not hostinfo.masked(str(tmp_path / 'conf'))
    assert hostinfo.read_text(str(tmp_path / 'ntp.service')) == '' and hostinfo.read_text(str(tmp_path / 'conf')) == 'x'


def test_ntp_keys(tmp_path):
    for name in ('ntpkey_host_a', 'ntpkey_RSAhost_a.1', 'other'):
        (tmp_path / name).write_text('k')
    assert hostinfo.ntp_keys(str(tmp_path)) == [str(tmp_path / 'ntpkey_RSAhost_a.1'), str(tmp_path / 'ntpkey_host_a')]
    assert hostinfo.ntp_keys(None) == []


def test_started_at_converts_the_monotonic_start():
    props = hostinfo.systemd_show('ActiveState=active\nMainPID=812\nExecMainStartTimestampMonotonic=5000000\n')
    # realtime 1000.5 when monotonic was 20.5: the start at monotonic 5.0 was realtime 985.0
    assert hostinfo.started_at(props, 1000.5, 20.5) == pytest.approx(985.0)
    for stopped in ('ActiveState=inactive\nMainPID=0\nExecMainStartTimestampMonotonic=5000000\n',
                    'ActiveState=active\nMainPID=0\nExecMainStartTimestampMonotonic=0\n'):
        assert hostinfo.started_at(hostinfo.systemd_show(stopped), 1000.5, 20.5) is None


def test_stale(tmp_path):
    old, new, keysdir = tmp_path / 'ntp.conf', tmp_path / 'ntp.keys', tmp_path / 'keys'
    old.write_text('x')
    new.write_text('k')
    keysdir.mkdir()
    os.utime(str(old), (100.0, 100.0))
    os.utime(str(new), (300.0, 300.0))
    os.utime(str(keysdir), (150.0, 150.0))
    paths = [str(old), str(new), str(keysdir), str(tmp_path / 'missing')]
    assert hostinfo.stale(paths, 200.0) == [str(new)]
    assert hostinfo.stale(paths, 120.0) == [str(new), str(keysdir)]
    assert hostinfo.stale(paths, None) == []
    # a file written a moment before the start is not newer
    assert hostinfo.stale([str(old)], 100.0) == []


def test_probe_and_read_paths():
    probe = hostinfo.probe_paths(DAEMONS)
    for path in ('/etc/ntp.conf', '/etc/ntp.conf.orig-timesec', '/etc/ntp.keys.orig-timesec',
                 '/etc/systemd/system/ntp.service.d/timesec-ntp.conf', '/etc/systemd/system/chrony.service',
                 '/var/lib/chrony/*.nts', '/var/lib/ntpsec/nts-keys', '/etc/apparmor.d/local/usr.sbin.ntpd'):
        assert path in probe
    assert len(probe) == len(set(probe))
    # what ntpsec reads: not its own cookie keys (it writes them while it runs)
    assert hostinfo.read_paths(DAEMONS['ntpsec']) == [
        '/etc/ntpsec/ntp.conf', '/etc/ntpsec/ntp.keys', '/usr/local/share/ca-certificates/timesec-ntp-nts-ca.pem',
        '/usr/local/share/ca-certificates/timesec-ntp-upstream-ca.pem', '/etc/default/ntpsec', '/etc/ntpsec/key.pem',
        '/etc/ntpsec/cert-chain.pem']
    assert hostinfo.read_paths(DAEMONS['ntp'], '/etc/ntp') == [
        '/etc/ntp.conf', '/etc/ntp.keys', '/etc/systemd/system/ntp.service.d/timesec-ntp.conf', '/etc/ntp']


def test_autokey_client_moved_to_nts_on_chrony():
    """Issue 26's measurement: ntp purged (ntp.conf holds the crypto password), every ntpkey_* file, the
    drop-in and its directory gone, ntp's enablement links cleared; the copy of the original stays."""
    plan = hostinfo.leftovers(AUTOKEY_CLIENT, DAEMONS, 'chrony', auth='nts', conf=CHRONY_NTS_CLIENT)
    assert plan['purge'] == ['ntp']
    assert plan['remove'] == AUTOKEY_FILES + ['/etc/systemd/system/ntp.service.d/timesec-ntp.conf']
    assert plan['dirs'] == ['/etc/ntp', '/etc/systemd/system/ntp.service.d']
    assert plan['services'] == ['ntp'] and plan['units']
    assert not any(path.endswith('.orig-timesec') for path in plan['remove'])
    # without conf (purge only) the same for the daemon left
    assert hostinfo.leftovers(AUTOKEY_CLIENT, DAEMONS, 'chrony')['purge'] == ['ntp']


def test_a_daemon_the_roles_never_configured_is_the_users():
    host = dict(AUTOKEY_CLIENT, ours=[], keysdirs={})
    assert hostinfo.leftovers(host, DAEMONS, 'chrony', auth='nts', conf=CHRONY_NTS_CLIENT) == {
        'purge': [], 'remove': [], 'dirs': [], 'services': [], 'units': False}


def test_autokey_to_symmetric_on_the_same_ntpd():
    """The keys directory's Autokey files go, ntp stays; a keys file the roles did not write is kept."""
    host = dict(AUTOKEY_CLIENT, files=AUTOKEY_CLIENT['files'] + ['/etc/ntp.keys'])
    conf = {'servers': ['srv iburst key 3 minpoll 4 maxpoll 6'], 'trusted_keys': [3], 'keysdir': '/etc/ntp'}
    plan = hostinfo.leftovers(host, DAEMONS, 'ntp', auth='symmetric', conf=conf)
    assert plan == {'purge': [], 'remove': AUTOKEY_FILES, 'dirs': ['/etc/ntp'], 'services': [], 'units': False}
    # still Autokey with the same keys directory: nothing goes; another keys directory: the old one's files go
    autokey = dict(conf, servers=['srv iburst autokey ident grp'], trusted_keys=[])
    assert hostinfo.leftovers(host, DAEMONS, 'ntp', auth='autokey', conf=autokey)['remove'] == []
    moved = dict(autokey, keysdir='/etc/timesec-ntp/keys')
    assert hostinfo.leftovers(host, DAEMONS, 'ntp', auth='autokey', conf=moved)['remove'] == AUTOKEY_FILES


def test_symmetric_keys_file_goes_only_when_it_is_the_roles():
    host = {'packages': {'ntpsec': 'ii'}, 'files': ['/etc/ntpsec/ntp.conf', '/etc/ntpsec/ntp.keys'],
            'ours': ['/etc/ntpsec/ntp.conf', '/etc/ntpsec/ntp.keys'], 'masked': [], 'keysdirs': {}}
    nts = {'servers': ['srv iburst nts ca /usr/local/share/ca-certificates/timesec-ntp-nts-ca.pem'], 'trusted_keys': []}
    assert hostinfo.leftovers(host, DAEMONS, 'ntpsec', auth='nts', conf=nts)['remove'] == ['/etc/ntpsec/ntp.keys']
    # upstream keys keep it; a keys file without the marker is the user's
    assert hostinfo.leftovers(host, DAEMONS, 'ntpsec', auth='nts', conf=dict(nts, trusted_keys=[42]))['remove'] == []
    users = dict(host, ours=['/etc/ntpsec/ntp.conf'])
    assert hostinfo.leftovers(users, DAEMONS, 'ntpsec', auth='nts', conf=nts)['remove'] == []


def test_nts_server_to_symmetric_on_chrony():
    """The NTS key, certificate, cookie keys and client cookies go; the CA the sources name stays."""
    files = ['/etc/chrony/chrony.conf', '/etc/chrony/nts-key.pem', '/etc/chrony/nts-cert.pem', '/etc/chrony/upstream-ca.pem',
             '/var/lib/chrony/ntskeys', '/var/lib/chrony/10.0.0.1.nts']
    host = {'packages': {'chrony': 'ii'}, 'files': files, 'ours': ['/etc/chrony/chrony.conf'], 'masked': [], 'keysdirs': {}}
    conf = {'servers': [], 'upstream_lines': ['server up.example iburst nts'], 'nts_ca': '/etc/chrony/upstream-ca.pem',
            'nts_server': False, 'trusted_keys': [1, 2]}
    plan = hostinfo.leftovers(host, DAEMONS, 'chrony', auth='symmetric', conf=conf)
    assert plan['remove'] == ['/etc/chrony/nts-key.pem', '/etc/chrony/nts-cert.pem', '/var/lib/chrony/ntskeys']
    # without the NTS upstream its CA and the cookies go too
    plain = dict(conf, upstream_lines=[], nts_ca=None)
    assert sorted(hostinfo.leftovers(host, DAEMONS, 'chrony', auth='symmetric', conf=plain)['remove']) == sorted(files[1:])


def test_chrony_left_is_not_purged_but_cleared():
    """chrony's purge would delete /etc/chrony with the copies of the user's originals: its files go one by one."""
    files = ['/etc/chrony/chrony.conf', '/etc/chrony/chrony.conf.orig-timesec', '/etc/chrony/chrony.keys',
             '/etc/chrony/chrony.keys.orig-timesec', '/etc/systemd/system/chrony.service']
    host = {'packages': {'chrony': 'ii', 'ntpsec': ''}, 'files': files, 'masked': ['/etc/systemd/system/chrony.service'],
            'ours': ['/etc/chrony/chrony.conf', '/etc/chrony/chrony.keys'], 'keysdirs': {}}
    plan = hostinfo.leftovers(host, DAEMONS, 'ntpsec', auth='nts', conf={'servers': []})
    assert plan == {'purge': [], 'remove': ['/etc/chrony/chrony.conf', '/etc/chrony/chrony.keys',
                                            '/etc/systemd/system/chrony.service'],
                    'dirs': [], 'services': ['chrony'], 'units': True}


def test_file_stat(tmp_path):
    conf = tmp_path / 'ntp.conf'
    conf.write_text('server a iburst\n')
    conf.chmod(0o640)
    (tmp_path / 'link').symlink_to(conf)
    found = hostinfo.file_stat(str(conf))
    assert found['type'] == 'file' and found['mode'] == '0640'
    assert found['checksum'] == hashlib.sha1(b'server a iburst\n').hexdigest()
    assert hostinfo.file_stat(str(tmp_path))['type'] == 'directory'
    assert hostinfo.file_stat(str(tmp_path))['checksum'] is None
    assert hostinfo.file_stat(str(tmp_path / 'link'))['type'] == 'link'  # not followed
    assert hostinfo.file_stat(str(tmp_path / 'missing')) is None
    assert hostinfo.file_stat(str(conf), limit=4)['checksum'] is None  # too large to hash: never "the same"


STAT = {'/etc/ntp.conf': {'type': 'file', 'owner': 'root', 'group': 'ntp', 'mode': '0640',
                          'checksum': '8f7c5d0b1b0e4a8b7f3f3b0d5b0b6d6c3e7a1f2a'},
        '/etc/d': {'type': 'directory', 'owner': 'root', 'group': 'root', 'mode': '0755', 'checksum': None}}


@pytest.mark.parametrize('kwargs, expected', [
    # (what the task would write, whether the host already holds exactly that)
    ({'path': '/etc/ntp.conf', 'owner': 'root', 'group': 'ntp', 'mode': '0640'}, True),
    ({'path': '/etc/ntp.conf', 'owner': 'root', 'group': 'ntp', 'mode': '0644'}, False),
    ({'path': '/etc/ntp.conf', 'owner': 'root', 'group': 'root', 'mode': '0640'}, False),
    ({'path': '/etc/ntp.conf', 'owner': 'ntp'}, False),
    ({'path': '/etc/ntp.conf', 'mode': 0o640}, False),  # an int is read as octal digits: 416 is not 0640
    ({'path': '/etc/ntp.conf', 'mode': '640'}, True),
    ({'path': '/etc/ntp.conf', 'content': 'other'}, False),
    ({'path': '/etc/ntp.conf', 'kind': 'directory'}, False),
    ({'path': '/etc/d', 'kind': 'directory'}, True),
    ({'path': '/etc/d'}, False),
    ({'path': '/etc/missing', 'kind': 'directory'}, False),
])
def test_file_matches(kwargs, expected):
    assert hostinfo.file_matches(STAT, **kwargs) is expected


def test_file_matches_content():
    stats = {'/f': {'type': 'file', 'owner': 'root', 'group': 'root', 'mode': '0644',
                    'checksum': hashlib.sha1('zeit é\n'.encode('utf-8')).hexdigest()}}
    assert hostinfo.file_matches(stats, '/f', content='zeit é\n', mode='0644')
    assert not hostinfo.file_matches(stats, '/f', content='zeit é', mode='0644')  # the newline counts
    assert not hostinfo.file_matches({}, '/f', content='zeit é\n')
    assert not hostinfo.file_matches(None, '/f')


# systemctl show -p Id -p LoadState -p ActiveState <units>, as Debian 12's systemd prints it: one block per unit,
# in order; ntp.service is ntpsec's alias there, openntpd is not installed.
UNITS_OUT = ('Id=systemd-timesyncd.service\nLoadState=loaded\nActiveState=active\n\n'
             'Id=ntpsec.service\nLoadState=loaded\nActiveState=active\n\n'
             'Id=openntpd.service\nLoadState=not-found\nActiveState=inactive\n')


@pytest.mark.parametrize('output, units, expected', [
    (UNITS_OUT, ['systemd-timesyncd.service', 'ntp.service', 'openntpd.service'],
     [{'unit': 'systemd-timesyncd.service', 'id': 'systemd-timesyncd.service', 'load': 'loaded', 'active': 'active'},
      {'unit': 'ntp.service', 'id': 'ntpsec.service', 'load': 'loaded', 'active': 'active'},
      {'unit': 'openntpd.service', 'id': 'openntpd.service', 'load': 'not-found', 'active': 'inactive'}]),
    # no systemctl (or no output): every unit unknown, nothing to stop
    ('', ['chrony.service'], [{'unit': 'chrony.service', 'id': 'chrony.service', 'load': 'not-found', 'active': 'inactive'}]),
    ('', [], []),
])
def test_systemd_units(output, units, expected):
    assert hostinfo.systemd_units(output, units) == expected


def test_unresolved():
    known = {'ntp1.lab': [('addr',)], '192.0.2.1': [('addr',)], 'empty.lab': []}

    def resolve(name, port):
        assert port is None
        if name == 'bad\udcff':
            raise UnicodeError(name)
        if name not in known:
            raise OSError(-2, 'Name or service not known')
        return known[name]

    assert hostinfo.unresolved(['ntp1.lab', '192.0.2.1', 'nosuch.invalid', 'empty.lab', 'bad\udcff'], resolve) == \
        ['nosuch.invalid', 'empty.lab', 'bad\udcff']
    assert hostinfo.unresolved(['localhost']) == []  # the real resolver


def test_host_stat_entry_judged_like_ansible_stat(tmp_path):
    from ansible_collections.timesec.ntp.plugins.module_utils import paths
    keysdir = tmp_path / 'keys'
    keysdir.mkdir()
    keysdir.chmod(0o777)
    entry = hostinfo.file_stat(str(keysdir))
    info = paths.host_stat_info(entry)
    assert info['isdir'] and not info['islink'] and info['mode'] == 0o777 and info['uid'] == os.getuid()
    assert 'mode 0777' in paths.stat_problem(info, str(keysdir), 'ntp_client_keysdir', os.getuid(), False)
    (tmp_path / 'link').symlink_to(keysdir)
    assert paths.host_stat_info(hostinfo.file_stat(str(tmp_path / 'link')))['islink']
