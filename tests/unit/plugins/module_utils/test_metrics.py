# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The metrics collector (module_utils/metrics.py) on real ntpq and chronyc output: Autokey (classic
ntpd), NTS (ntpsec, chrony), symmetric keys (good and wrong key), an orphan server, a stopped daemon;
the certificate parser against cryptography; the file node exporter reads."""

from __future__ import annotations

import datetime
import os
import re
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.timesec.ntp.plugins.module_utils import metrics
from ansible_collections.timesec.ntp.tests.unit.utils import read_fixture


def ntpq_transport(kind, prefix):
    """ntpq.collect's transport answering from fixtures/<kind>/<prefix>_as.txt, _rv0.txt, _rv_<assid>.txt."""
    def run(command):
        if command == 'as':
            return 0, read_fixture(kind, prefix + '_as.txt'), ''
        if command == 'rv 0':
            return 0, read_fixture(kind, prefix + '_rv0.txt'), ''
        assid = command.split()[1]
        name = prefix + ('_rv_assoc.txt' if kind == 'symmetric' else '_rv_%s.txt' % assid)
        return 0, read_fixture(kind, name), ''
    return run


def chronyc_transport(prefix):
    return lambda command: (0, read_fixture('chrony', '%s_%s.txt' % (prefix, command)), '')


def values(found):
    """{(name, frozenset(labels)): value}"""
    return {(name, frozenset(labels.items())): value for name, labels, value in found}


def value(found, name, **labels):
    return values(found)[(name, frozenset(labels.items()))]


def names(found):
    return [name for name, _labels, _value in found]


# -- the daemon's state ---------------------------------------------------------------------------------

def test_autokey_client():
    found, errors = metrics.collect(ntpq_transport('ntpq', 'client1'), 'ntp', 'autokey', renew_before_days=30)
    assert errors == []
    peer = dict(daemon='ntp', server='10.89.0.2', scheme='autokey')
    assert value(found, 'authenticated', daemon='ntp') == 1
    assert value(found, 'identity_verified', daemon='ntp') == 1
    assert value(found, 'synchronized', daemon='ntp') == 1
    assert value(found, 'stratum', daemon='ntp') == 6
    assert value(found, 'orphan', daemon='ntp') == 0
    assert value(found, 'leap_indicator', daemon='ntp') == 0
    assert value(found, 'offset_seconds', daemon='ntp') == pytest.approx(0.000024911)
    assert value(found, 'peer_selected', **peer) == 1
    assert value(found, 'peer_reachable', **peer) == 1
    assert value(found, 'peer_authenticated', **peer) == 1
    assert value(found, 'peer_identity_verified', **peer) == 1
    assert 'peer_nts_cookies' not in names(found) and 'peer_key_id' not in names(found)
    # the certificates ntpd holds, each subject once with its earliest expiry (ntpq's until=, UTC)
    expiry = {dict(labels)['subject']: when for name, labels, when in found
              if name == 'certificate_expiry_timestamp_seconds'}
    assert expiry == {'lab-client1@lab-ntp1': 1827231600, 'lab-ntp1@lab-ntp1': 1827231600}
    assert value(found, 'certificate_renewal_window_seconds', daemon='ntp') == 30 * 86400


def test_autokey_client_starting_is_labelled_autokey_before_its_flags():
    found, _errors = metrics.collect(ntpq_transport('ntpq', 'client1_starting'), 'ntp', 'autokey')
    peers = [dict(labels) for name, labels, _v in found if name == 'peer_authenticated']
    assert [p['scheme'] for p in peers] == ['autokey']
    assert value(found, 'authenticated', daemon='ntp') == 0
    assert value(found, 'peer_identity_verified', **peers[0]) == 0


def test_orphan_server_without_associations():
    found, errors = metrics.collect(ntpq_transport('ntpq', 'ntp1'), 'ntp', 'autokey')
    assert errors == []
    assert value(found, 'orphan', daemon='ntp') == 1
    assert value(found, 'stratum', daemon='ntp') == 5
    assert value(found, 'synchronized', daemon='ntp') == 0
    assert not [n for n in names(found) if n.startswith('peer_')]


@pytest.mark.parametrize('prefix, cookies, authenticated', [
    ('deb12_client', 8, 1), ('deb13_client', 8, 1), ('deb12_wrongca', -1, 0)])
def test_ntpsec_nts_client(prefix, cookies, authenticated):
    found, errors = metrics.collect(ntpq_transport('ntpsec', prefix), 'ntpsec', 'nts')
    assert errors == []
    (peer,) = [dict(labels) for name, labels, _v in found if name == 'peer_nts_cookies']
    assert peer['scheme'] == 'nts' and peer['daemon'] == 'ntpsec'
    assert value(found, 'peer_nts_cookies', **peer) == cookies
    assert value(found, 'peer_authenticated', **peer) == authenticated
    assert value(found, 'authenticated', daemon='ntpsec') == authenticated
    assert 'peer_identity_verified' not in names(found)


@pytest.mark.parametrize('prefix, cookies, authenticated', [
    ('deb11_client', 8, 1), ('deb12_client', 8, 1), ('deb13_client_ntpsecsrv', 8, 1), ('deb12_wrongca', 0, 0)])
def test_chrony_nts_client(prefix, cookies, authenticated):
    found, errors = metrics.collect(chronyc_transport(prefix), 'chrony', 'nts')
    assert errors == []
    (peer,) = [dict(labels) for name, labels, _v in found if name == 'peer_nts_cookies']
    assert peer['scheme'] == 'nts'
    assert value(found, 'peer_nts_cookies', **peer) == cookies
    assert value(found, 'peer_authenticated', **peer) == authenticated
    assert value(found, 'peer_selected', **peer) == authenticated
    assert value(found, 'synchronized', daemon='chrony') == authenticated


def test_chrony_server_on_its_local_reference_is_an_orphan():
    found, _errors = metrics.collect(chronyc_transport('deb12_server'), 'chrony', 'nts')
    assert value(found, 'orphan', daemon='chrony') == 1


@pytest.mark.parametrize('client, key, authenticated', [
    ('deb11', 'good', 1), ('deb12', 'good', 1), ('deb11', 'wrong', 0), ('deb12', 'wrong', 0)])
def test_symmetric_client(client, key, authenticated):
    daemon = 'ntp' if client == 'deb11' else 'ntpsec'
    found, errors = metrics.collect(ntpq_transport('symmetric', '%s_client_%skey' % (client, key)), daemon, 'symmetric')
    assert errors == []
    (peer,) = [dict(labels) for name, labels, _v in found if name == 'peer_key_id']
    assert peer['scheme'] == 'symmetric'
    assert value(found, 'peer_key_id', **peer) == 4
    assert value(found, 'peer_authenticated', **peer) == authenticated
    assert value(found, 'authenticated', daemon=daemon) == authenticated


def test_stopped_daemon_is_a_failed_run_with_the_message_on_stderr(capsys):
    def refused(_command):
        return 0, '', read_fixture('ntpq', 'refused_stderr.txt')
    found, errors = metrics.collect(refused, 'ntp', 'autokey')
    assert found == [] and len(errors) == 1 and 'ntpd is not running' in errors[0]


def test_stopped_chronyd():
    def stopped(_command):
        return 1, read_fixture('chrony', 'deb12_stopped_stdout.txt'), read_fixture('chrony', 'deb12_stopped_stderr.txt')
    found, errors = metrics.collect(stopped, 'chrony', 'nts')
    assert found == [] and 'chronyd is not running' in errors[0]


def test_scheme_label():
    assert metrics.association_scheme({'auth': 'none'}, 'nts') == 'none'
    assert metrics.association_scheme({'auth': 'bad'}, 'autokey') == 'autokey'
    assert metrics.association_scheme({'auth': 'bad', 'nts': True}, 'autokey') == 'nts'
    assert metrics.association_scheme({'auth': 'bad', 'symmetric': True}, 'nts') == 'symmetric'
    assert metrics.association_scheme({'auth': 'ok', 'flags': {'value': 0x80021}}, 'none') == 'autokey'
    assert metrics.association_scheme({'auth': 'ok'}, 'none') == 'none'


def test_duplicate_associations_become_one_series():
    system = {'stratum': 3, 'refid': '10.0.0.1', 'leap': 'none', 'daemon': 'ntp', 'sync': 'ntp'}
    assoc = {'address': '10.0.0.1', 'auth': 'none', 'condition': 'sys.peer', 'reach': 'yes'}
    found = metrics.samples(system, [assoc, dict(assoc, condition='reject')], 'ntp', 'none')
    assert value(found, 'peer_selected', daemon='ntp', server='10.0.0.1', scheme='none') == 1
    assert names(found).count('peer_selected') == 1


# -- certificates ---------------------------------------------------------------------------------------

def make_certificate(not_after, common_name='ntp1.example.net'):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'timesec'),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
               .not_valid_after(not_after))
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.parametrize('not_after', [
    datetime.datetime(2027, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc),    # UTCTime
    datetime.datetime(2051, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)])  # GeneralizedTime
def test_certificate_expiry_agrees_with_cryptography(not_after):
    pem = make_certificate(not_after)
    parsed = x509.load_pem_x509_certificate(pem.encode())
    subject, when = metrics.certificate_expiry(pem + make_certificate(not_after, 'ca'))
    assert subject == 'ntp1.example.net'
    assert when == int(parsed.not_valid_after_utc.timestamp()) == int(not_after.timestamp())


def test_nts_server_certificate_file(tmp_path):
    path = tmp_path / 'cert-chain.pem'
    path.write_text(make_certificate(datetime.datetime(2027, 1, 2, tzinfo=datetime.timezone.utc), 'srv'))
    found, errors = metrics.collect(chronyc_transport('deb12_server'), 'chrony', 'nts', nts_cert=str(path),
                                    renew_before_days=30)
    assert errors == []
    assert value(found, 'certificate_expiry_timestamp_seconds', daemon='chrony', scheme='nts', subject='srv') == 1798848000


@pytest.mark.parametrize('text', ['', 'no pem', '-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----',
                                  '-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----'])
def test_certificate_garbage_is_an_error(text):
    with pytest.raises(metrics.MetricsError):
        metrics.certificate_expiry(text)


def test_missing_certificate_file_fails_the_run_but_keeps_the_daemon_metrics(tmp_path):
    found, errors = metrics.collect(chronyc_transport('deb12_server'), 'chrony', 'nts', nts_cert=str(tmp_path / 'none.pem'))
    assert len(errors) == 1 and 'cannot read the NTS certificate' in errors[0]
    assert value(found, 'orphan', daemon='chrony') == 1


# -- the file -------------------------------------------------------------------------------------------

SAMPLE_RE = re.compile(r'^timesec_ntp_[a-z_]+\{(?:[a-z]+="(?:[^"\\]|\\.)*",?)*\} -?[0-9.e+-]+$')


def test_main_writes_the_exposition_atomically(tmp_path, capsys):
    out = tmp_path / metrics.FILE_NAME
    out.write_text('old\n')
    ticks = iter([10.0, 10.25])
    rc = metrics.main(['--daemon', 'ntp', '--scheme', 'autokey', '--output', str(out), '--renew-before-days', '30'],
                      run=ntpq_transport('ntpq', 'client1'), clock=lambda: 1800000000.5, monotonic=lambda: next(ticks))
    assert rc == 0 and capsys.readouterr().err == ''
    text = out.read_text()
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o644
    assert sorted(os.listdir(tmp_path)) == [metrics.FILE_NAME], 'a temporary file was left behind'
    lines = text.splitlines()
    samples = [line for line in lines if not line.startswith('#')]
    assert samples and all(SAMPLE_RE.match(line) for line in samples), samples
    # HELP and TYPE once per metric, before its samples
    for name in {line.split('{')[0] for line in samples}:
        assert lines.count('# TYPE %s gauge' % name) == 1
    assert 'timesec_ntp_collector_success{daemon="ntp"} 1' in lines
    assert 'timesec_ntp_collector_duration_seconds{daemon="ntp"} 0.25' in lines
    assert 'timesec_ntp_collector_last_run_timestamp_seconds{daemon="ntp"} 1800000000.5' in lines
    assert 'timesec_ntp_peer_identity_verified{daemon="ntp",scheme="autokey",server="10.89.0.2"} 1' in lines


def test_write_replaces_the_file_and_never_writes_into_it(tmp_path):
    """A reader that opened the old file keeps reading the old content: the new one came in by rename."""
    path = tmp_path / metrics.FILE_NAME
    path.write_text('old\n')
    with open(path) as reader:
        metrics.write_atomically(str(path), 'new\n')
        assert reader.read() == 'old\n'
    assert path.read_text() == 'new\n'
    assert sorted(os.listdir(tmp_path)) == [metrics.FILE_NAME]


def test_main_reports_a_failed_read_as_a_metric(tmp_path, capsys):
    out = tmp_path / metrics.FILE_NAME
    rc = metrics.main(['--daemon', 'ntpsec', '--scheme', 'nts', '--output', str(out)],
                      run=lambda _c: (0, '', read_fixture('ntpsec', 'deb12_refused_stderr.txt')))
    assert rc == 0
    assert 'timesec_ntp_collector_success{daemon="ntpsec"} 0' in out.read_text().splitlines()
    assert 'error: ntpd is not running' in capsys.readouterr().err


def test_main_fails_when_the_file_cannot_be_written(tmp_path, capsys):
    rc = metrics.main(['--daemon', 'ntp', '--output', str(tmp_path / 'missing' / metrics.FILE_NAME)],
                      run=ntpq_transport('ntpq', 'ntp1'))
    assert rc == 1 and 'cannot write' in capsys.readouterr().err


def test_label_values_are_escaped():
    text = metrics.render([('peer_stratum', {'server': 'a"b\\c\nd', 'daemon': 'ntp', 'scheme': 'none'}, 2)])
    assert 'timesec_ntp_peer_stratum{daemon="ntp",scheme="none",server="a\\"b\\\\c\\nd"} 2' in text


def test_render_refuses_unknown_metrics():
    with pytest.raises(ValueError):
        metrics.render([('made_up', {}, 1)])


def test_every_metric_is_documented_in_the_readme():
    readme = open(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'README.md')).read()
    for name in metrics.METRICS:
        assert '`%s%s`' % (metrics.PREFIX, name) in readme, name
