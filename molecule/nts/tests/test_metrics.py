"""Metrics (issue 29) on NTS: two ntpsec servers (Debian 12 with iptables, node exporter reachable from the
IPv6 network only; Debian 13 with nftables, from anywhere), an ntpsec client and a chrony client run node
exporter and the collector (ntp_*_metrics: true); tsn-nts-cli12b, another container, scrapes them over
HTTP. The values agree with the daemons' own tools (ntpq, chronyc, openssl), read raw here, not through
the collection's parser. (Not the chrony server: test_chrony.py's renewal runs site.yml with another
renewal window and then expects no change, and the collector's unit carries the window.)"""

import calendar
import ipaddress
import re
import time

import pytest
from labkit.hosts import container_host

import lab
import metrics

SCRAPER = 'tsn-nts-cli12b'
NTPSEC_SERVER, NFT_SERVER = 'tsn-nts-srv12', 'tsn-nts-srv13'
NTPSEC_CLIENT, CHRONY_CLIENT = 'tsn-nts-cli12a', 'tsn-nts-chrc13'
CERTS = {NTPSEC_SERVER: ('ntpsec', '/etc/ntpsec/cert-chain.pem'), NFT_SERVER: ('ntpsec', '/etc/ntpsec/cert-chain.pem')}
INTERVAL = 30
V6_NET = ipaddress.ip_network('fd42:201:125::/64')


def address(name, version):
    found = [ipaddress.ip_address(a) for a in container_host(name).interface('eth0').addresses]
    (one,) = [a for a in found if a.version == version and not a.is_link_local]
    return str(one)


def scrape(name):
    return metrics.ours(metrics.scrape(SCRAPER, address(name, 6)))


def wait_scrape(name, predicate, timeout=2 * INTERVAL + 30):
    value, elapsed, ok = metrics.wait_scrape(SCRAPER, address(name, 6), predicate, timeout, lab.log)
    assert ok, '%s: the scraped metrics did not reach the expected state within %d s' % (name, timeout)
    lab.log('%s: metrics as expected after %.0f s' % (name, elapsed))
    return value


def openssl_expiry(name, path):
    """(subject CN, notAfter as Unix time) of a certificate file, by openssl on the host."""
    out = lab.out(name, 'openssl x509 -in %s -noout -enddate -subject -nameopt RFC2253' % path)
    end = re.search(r'notAfter=(.+ GMT)', out).group(1)
    common_name = re.search(r'CN=([^,\n]+)', out).group(1)
    return common_name, calendar.timegm(time.strptime(end, '%b %d %H:%M:%S %Y %Z'))


@pytest.mark.parametrize('name', sorted(CERTS))
def test_nts_server_certificate_expiry_and_orphan(name):
    daemon, path = CERTS[name]
    subject, not_after = openssl_expiry(name, path)
    samples = wait_scrape(name, lambda s: metrics.find(s, 'timesec_ntp_certificate_expiry_timestamp_seconds', subject=subject))
    assert metrics.one(samples, 'timesec_ntp_certificate_expiry_timestamp_seconds', daemon=daemon, scheme='nts',
                       subject=subject) == not_after
    assert metrics.one(samples, 'timesec_ntp_certificate_renewal_window_seconds', daemon=daemon) == 30 * 86400
    assert metrics.one(samples, 'timesec_ntp_collector_success', daemon=daemon) == 1
    # the servers run on their own clock: ntpsec as an orphan (refid 127.0.0.1)
    assert 'refid=127.0.0.1' in lab.out(name, 'ntpq -n -c "rv 0 refid"')
    assert metrics.one(samples, 'timesec_ntp_orphan', daemon=daemon) == 1


def test_node_exporter_port_is_open_to_the_allowed_network_only():
    """ntp_server_metrics_allowed_networks [fd42:201:125::/64] on tsn-nts-srv12 (iptables): the scraper gets
    the metrics over IPv6, while its IPv4 requests are dropped (the node exporter listens on all addresses:
    127.0.0.1 on the server itself still answers)."""
    v4 = address(NTPSEC_SERVER, 4)
    ok, error = metrics.get(SCRAPER, metrics.url(v4), timeout=4)
    assert not ok and 'timed out' in error, 'IPv4 got through: %s' % error[-200:]
    assert metrics.get(SCRAPER, metrics.url(address(NTPSEC_SERVER, 6)))[0]
    assert metrics.get(NTPSEC_SERVER, metrics.url('127.0.0.1'))[0]
    rules = lab.out(NTPSEC_SERVER, 'iptables -S INPUT; ip6tables -S INPUT')
    assert re.search(r'^-A INPUT -s %s -p tcp -m tcp --dport 9100 .*-j ACCEPT$' % re.escape(str(V6_NET)), rules, re.M), rules
    assert re.search(r'^-A INPUT ! -i lo -p tcp -m tcp --dport 9100 .*-j DROP$', rules, re.M), rules


def test_nftables_drop_in_opens_node_exporter_to_any_source():
    """tsn-nts-srv13 (nftables, ntp_server_metrics_allowed_networks []): its own drop-in, next to the udp/123 one."""
    drop_in = lab.out(NFT_SERVER, 'cat /etc/nftables.d/timesec.ntp-metrics.nft')
    assert 'insert rule inet filter input tcp dport 9100 accept comment "timesec.ntp"' in drop_in, drop_in
    rules = lab.out(NFT_SERVER, 'nft list chain inet filter input')
    assert 'tcp dport 9100 accept comment "timesec.ntp"' in rules and 'udp dport 123 accept' in rules, rules
    assert metrics.get(SCRAPER, metrics.url(address(NFT_SERVER, 4)))[0]


def test_ntpsec_client_agrees_with_ntpq():
    samples = wait_scrape(NTPSEC_CLIENT, lambda s: metrics.find(s, 'timesec_ntp_authenticated')
                          and metrics.one(s, 'timesec_ntp_authenticated') == 1)
    rows = [line.split() for line in lab.out(NTPSEC_CLIENT, 'ntpq -n -c as').splitlines() if re.match(r'^\s*\d+\s', line)]
    assert len(rows) == 1 and rows[0][5:7] == ['ok', 'sys.peer'], rows
    peer = lab.out(NTPSEC_CLIENT, 'ntpq -n -c "rv %s srcadr,ntscookies"' % rows[0][1])
    server = re.search(r'srcadr=(\S+?),', peer).group(1)
    labels = {'daemon': 'ntpsec', 'server': server, 'scheme': 'nts'}
    for name in ('selected', 'reachable', 'authenticated'):
        assert metrics.one(samples, 'timesec_ntp_peer_' + name, **labels) == 1, name

    def cookies_agree():
        before = int(re.search(r'ntscookies=(-?\d+)', lab.out(NTPSEC_CLIENT, 'ntpq -n -c "rv %s ntscookies"' % rows[0][1])).group(1))
        scraped = metrics.one(scrape(NTPSEC_CLIENT), 'timesec_ntp_peer_nts_cookies', **labels)
        return before >= 1 and scraped == before
    assert lab.wait_for('ntpsec cookies agree', cookies_agree, 2 * INTERVAL)[2]


def test_chrony_client_agrees_with_chronyc():
    """chronyc as the collector's unprivileged user cannot use chronyd's socket: it asks the command port on
    localhost, which answers sources, authdata and tracking."""
    samples = wait_scrape(CHRONY_CLIENT, lambda s: metrics.find(s, 'timesec_ntp_authenticated')
                          and metrics.one(s, 'timesec_ntp_authenticated') == 1)
    (source,) = [line.split(',') for line in lab.out(CHRONY_CLIENT, 'chronyc -n -c sources').splitlines()]
    assert source[1] == '*', source
    labels = {'daemon': 'chrony', 'server': source[2], 'scheme': 'nts'}
    for name in ('selected', 'reachable', 'authenticated'):
        assert metrics.one(samples, 'timesec_ntp_peer_' + name, **labels) == 1, name
    assert metrics.one(samples, 'timesec_ntp_peer_stratum', **labels) == int(source[3])

    def cookies_agree():
        (auth,) = [line.split(',') for line in lab.out(CHRONY_CLIENT, 'chronyc -n -c authdata').splitlines()]
        scraped = metrics.one(scrape(CHRONY_CLIENT), 'timesec_ntp_peer_nts_cookies', **labels)
        return auth[1] == 'NTS' and int(auth[8]) >= 1 and scraped == int(auth[8])
    assert lab.wait_for('chrony cookies agree', cookies_agree, 2 * INTERVAL)[2]
    # the same commands work for the collector's user (chronyd's own, through its Unix socket)
    user = metrics.USERS['chrony']
    as_user = lab.sh(CHRONY_CLIENT, 'setpriv --reuid=%s --regid=%s --clear-groups chronyc -n -c authdata'
                     % (user, user), check=False)
    assert as_user.returncode == 0 and ',NTS,' in as_user.stdout, as_user
    # and its unit hides chronyd's secrets from it
    hidden = lab.sh(CHRONY_CLIENT, 'systemctl show -p InaccessiblePaths timesec-ntp-metrics.service', check=False)
    assert '/etc/chrony/chrony.keys' in hidden.stdout, hidden.stdout


@pytest.mark.parametrize('name', [CHRONY_CLIENT, NTPSEC_SERVER])
def test_collector_imports_the_collections_readers_unchanged(name):
    found = metrics.installed_readers_match(name)
    assert all(host_sum == local_sum for host_sum, local_sum in found.values()), found
    show = lab.out(name, 'systemctl show -p User -p Result timesec-ntp-metrics.service')
    user = metrics.USERS['chrony' if name == CHRONY_CLIENT else 'ntpsec']
    assert 'User=%s' % user in show and 'Result=success' in show, show
