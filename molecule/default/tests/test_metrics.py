"""Metrics (issue 29) on classic ntpd with Autokey: the server and client1 run node exporter and the
collector (ntp_*_metrics: true); client2, another container, scrapes them over HTTP. The values agree
with ntpd's own ntpq output (read raw here, not through the collection's parser), the collector runs
as its unprivileged user from the timer, and its readers are the collection's files, unchanged."""

import calendar
import re

import pytest
from labkit.hosts import container_host

import lab
import metrics

SERVER, CLIENT, SCRAPER = 'tsn-default-server', 'tsn-default-client1', 'tsn-default-client2'
ADDRESS = {SERVER: '10.201.131.11', CLIENT: '10.201.131.21'}
INTERVAL = 30
LABELS = {'daemon', 'server', 'scheme', 'subject'}


def raw_certificates(rv0):
    """{subject: earliest expiry} from ntpq's raw rv 0: cert="subject issuer flags", until=YYYYMMDDhhmm."""
    found = {}
    for subject, until in re.findall(r'cert="(\S+) \S+ \S+",\s*until=(\d{12})', rv0):
        when = calendar.timegm((int(until[:4]), int(until[4:6]), int(until[6:8]), int(until[8:10]), int(until[10:]), 0))
        found[subject] = min(when, found.get(subject, when))
    return found


def scraped_certificates(samples):
    return {labels['subject']: value for labels, value in metrics.find(samples, 'timesec_ntp_certificate_expiry_timestamp_seconds')}


def wait_scrape(name, predicate, timeout=2 * INTERVAL + 30):
    """Scrape ``name`` from client2 until ``predicate(samples)``; returns the last samples."""
    value, elapsed, ok = metrics.wait_scrape(SCRAPER, ADDRESS[name], predicate, timeout, lab.log)
    assert ok, '%s: the scraped metrics did not reach the expected state within %d s' % (name, timeout)
    lab.log('%s: metrics as expected after %.0f s' % (name, elapsed))
    return value


@pytest.mark.parametrize('name', [SERVER, CLIENT])
def test_collector_runs_unprivileged_from_its_timer(name):
    host = container_host(name)
    timer = host.service('timesec-ntp-metrics.timer')
    assert timer.is_enabled and timer.is_running
    show = host.check_output('systemctl show -p User -p Result -p ExecMainStatus timesec-ntp-metrics.service')
    assert 'User=%s' % metrics.USER in show and 'Result=success' in show and 'ExecMainStatus=0' in show, show
    out = host.file('%s/%s' % (metrics.OWN_DIR, metrics.FILE))
    assert (out.user, out.mode) == (metrics.USER, 0o644)
    link = host.file('%s/%s' % (metrics.TEXTFILE_DIR, metrics.FILE))
    assert link.is_symlink and link.linked_to == out.path
    assert host.file(metrics.TEXTFILE_DIR).user == 'root', 'the textfile directory must stay root\'s'
    assert host.file(metrics.OWN_DIR).user == metrics.USER
    # the user can write nothing of ntpd's
    assert host.run('setpriv --reuid=%s --regid=%s --clear-groups touch /etc/ntp/x' % (metrics.USER, metrics.USER)).rc != 0


@pytest.mark.parametrize('name', [SERVER, CLIENT])
def test_collector_imports_the_collections_readers_unchanged(name):
    found = metrics.installed_readers_match(name)
    assert all(host_sum == local_sum for host_sum, local_sum in found.values()), found


def test_client_metrics_agree_with_ntpq():
    samples = wait_scrape(CLIENT, lambda s: metrics.find(s, 'timesec_ntp_authenticated')
                          and metrics.one(s, 'timesec_ntp_authenticated') == 1)
    assert metrics.one(samples, 'timesec_ntp_collector_success') == 1
    associations = lab.out(CLIENT, 'ntpq -n -c as')
    rows = [line.split() for line in associations.splitlines()[2:] if line.strip()]
    assert len(rows) == 1 and rows[0][5:7] == ['ok', 'sys.peer'], associations
    assid = rows[0][1]
    peer = lab.out(CLIENT, 'ntpq -n -c "rv %s srcadr,flags,stratum"' % assid)
    server = re.search(r'srcadr=([0-9.]+)', peer).group(1)
    flags = int(re.search(r'flags=(0x[0-9a-f]+)', peer).group(1), 16)
    assert server == ADDRESS[SERVER] and flags & 0x200 and flags & 0x20, peer   # VRFY, IFF
    labels = {'daemon': 'ntp', 'server': server, 'scheme': 'autokey'}
    for name in ('selected', 'reachable', 'authenticated', 'identity_verified'):
        assert metrics.one(samples, 'timesec_ntp_peer_' + name, **labels) == 1, name
    assert metrics.one(samples, 'timesec_ntp_peer_stratum', **labels) == int(re.search(r'stratum=(\d+)', peer).group(1))
    assert metrics.one(samples, 'timesec_ntp_identity_verified') == 1
    rv0 = lab.out(CLIENT, 'ntpq -n -c "rv 0"')
    assert metrics.one(samples, 'timesec_ntp_stratum') == int(re.search(r'stratum=(\d+)', rv0).group(1))
    assert metrics.one(samples, 'timesec_ntp_orphan') == 0
    certificates = raw_certificates(rv0)
    assert len(certificates) >= 2 and scraped_certificates(samples) == certificates
    assert metrics.one(samples, 'timesec_ntp_certificate_renewal_window_seconds') == 30 * 86400


def test_server_is_an_orphan_per_ntpq():
    samples = metrics.ours(metrics.scrape(SCRAPER, ADDRESS[SERVER]))
    rv0 = lab.out(SERVER, 'ntpq -n -c "rv 0 refid,stratum"')
    assert 'refid=127.0.0.1' in rv0 and 'stratum=5' in rv0, rv0
    assert metrics.one(samples, 'timesec_ntp_orphan', daemon='ntp') == 1
    assert metrics.one(samples, 'timesec_ntp_stratum', daemon='ntp') == 5
    assert metrics.one(samples, 'timesec_ntp_synchronized', daemon='ntp') == 0
    assert not metrics.find(samples, 'timesec_ntp_peer_reachable'), 'the orphan server has no associations'
    assert scraped_certificates(samples) == raw_certificates(lab.out(SERVER, 'ntpq -n -c "rv 0"'))


def test_the_timer_renews_the_file():
    first = metrics.run_stamp(metrics.ours(metrics.scrape(SCRAPER, ADDRESS[CLIENT])))
    wait_scrape(CLIENT, lambda s: metrics.run_stamp(s) > first, timeout=INTERVAL + 15)


def test_no_secret_and_only_bounded_labels():
    passwords = [lab.group_vars('ntp_servers')['ntp_server_crypto_password'],
                 lab.group_vars('ntp_clients')['ntp_client_crypto_password']]
    for name in (SERVER, CLIENT):
        ok, body = metrics.get(SCRAPER, metrics.url(ADDRESS[name]))
        assert ok and 'node_textfile_scrape_error 0' in body, body[-500:]
        assert not [p for p in passwords if p in body]
        for _name, labels, _value in metrics.ours(metrics.parse(body)):
            assert set(labels) <= LABELS, labels


def test_node_exporter_listens_where_it_was_told():
    """The server listens on all addresses (the default :9100); client1 on 10.201.131.21:9100 only
    (ntp_client_metrics_listen_address), so 127.0.0.1:9100 gets no answer there."""
    assert metrics.get(SERVER, metrics.url('127.0.0.1'))[0]
    ok, error = metrics.get(CLIENT, metrics.url('127.0.0.1'))
    assert not ok and 'refused' in error.lower(), error
    assert metrics.get(CLIENT, metrics.url(ADDRESS[CLIENT]))[0]
    dropin = container_host(CLIENT).file('/etc/systemd/system/prometheus-node-exporter.service.d/timesec-ntp.conf')
    assert '--web.listen-address=10.201.131.21:9100 --collector.textfile.directory=%s $ARGS' % metrics.TEXTFILE_DIR \
        in dropin.content_string
