"""Metrics (issue 29) with symmetric keys: a classic ntpd client (Debian 11) and a chrony 4.0 client (Debian
11) run node exporter and the collector every 10 s (ntp_client_metrics_interval, the smallest allowed);
tsn-sym-srv12, another container, scrapes them over HTTP. The key IDs and states agree with ntpq and
chronyc (read raw) and with playbooks/status.yml. Then both clients get a wrong key: the metric drops
within two timer periods, and the alert rule fires in `promtool test rules` on the recorded series.
The keys are put back at the end (test_symmetric.py runs after this file).

Runs before test_symmetric.py (file order), which needs the clients authenticated with their own keys.
"""

import json
import os
import re
import time

import pytest

import lab
import metrics
from labkit import hosts

SCRAPER = 'tsn-sym-srv12'
# client: (daemon, keys file, service)
CLIENTS = {'tsn-sym-cli11': ('ntp', '/etc/ntp.keys', 'ntp'), 'tsn-sym-chrc11': ('chrony', '/etc/chrony/chrony.keys', 'chrony')}
SERVERS = ('tsn-sym-srv11', 'tsn-sym-srv12', 'tsn-sym-chr13')
INTERVAL = 10
STEP = 5          # seconds between the recorded scrapes of the alert test
BACKUP = '.tsn-metrics-test'
STORE = os.path.join(lab.EPHEMERAL, 'symmetric-keys', 'keys.json')
RECORD_DIR = os.path.join(lab.EPHEMERAL, 'metrics')


def key_ids():
    with open(STORE) as handle:
        return {name: entry['id'] for name, entry in json.load(handle)['keys'].items()}


def server_addresses():
    return {hosts.address(name): name for name in SERVERS}


def scrape(name):
    return metrics.ours(metrics.scrape(SCRAPER, hosts.address(name)))


def raw_peers(name):
    """{server address: (authenticated, key id, selected)} from the daemon's own tool, read raw."""
    daemon = CLIENTS[name][0]
    peers = {}
    if daemon == 'chrony':
        # sources: mode,state,address,stratum,poll,reach,...; authdata: address,mode,keyid,...
        sources = {fields[2]: fields for fields in (line.split(',') for line in lab.out(name, 'chronyc -n -c sources').splitlines())}
        for line in lab.out(name, 'chronyc -n -c authdata').splitlines():
            fields = line.split(',')
            source = sources[fields[0]]
            # chronyd drops replies that fail authentication: a reached SK source is an authenticated one
            peers[fields[0]] = (fields[1] == 'SK' and int(source[5], 8) != 0, int(fields[2]), source[1] == '*')
        return peers
    for line in lab.out(name, 'ntpq -n -c as').splitlines():
        row = line.split()
        if len(row) >= 7 and row[0].isdigit():
            peer = lab.out(name, 'ntpq -n -c "rv %s srcadr,keyid"' % row[1])
            address = re.search(r'srcadr=([0-9.]+)', peer).group(1)
            peers[address] = (row[5] == 'ok', int(re.search(r'keyid=(\d+)', peer).group(1)), row[6] == 'sys.peer')
    return peers


def scraped_peers(samples, daemon):
    peers = {}
    for labels, value in metrics.find(samples, 'timesec_ntp_peer_key_id', daemon=daemon, scheme='symmetric'):
        server = labels['server']
        common = {'daemon': daemon, 'server': server, 'scheme': 'symmetric'}
        peers[server] = (metrics.one(samples, 'timesec_ntp_peer_authenticated', **common) == 1, int(value),
                         metrics.one(samples, 'timesec_ntp_peer_selected', **common) == 1)
    return peers


def all_authenticated(name):
    def check():
        samples = scrape(name)
        peers = scraped_peers(samples, CLIENTS[name][0])
        return (metrics.one(samples, 'timesec_ntp_authenticated') == 1 and len(peers) == len(SERVERS)
                and all(auth for auth, _key, _sel in peers.values()) and samples)
    return check


@pytest.mark.parametrize('name', sorted(CLIENTS))
def test_scraped_key_ids_agree_with_the_daemon(name):
    daemon = CLIENTS[name][0]
    samples, elapsed, ok = lab.wait_for('%s authenticated by every server' % name, all_authenticated(name), 120)
    assert ok, 'not authenticated by every server in the metrics within 120 s'
    key_id = key_ids()[name]
    addresses = server_addresses()
    scraped = scraped_peers(samples, daemon)
    assert sorted(scraped) == sorted(addresses), scraped
    assert {key for _auth, key, _sel in scraped.values()} == {key_id}

    def agree():
        return scraped_peers(scrape(name), daemon) == raw_peers(name)
    assert lab.wait_for('%s metrics agree with its daemon' % name, agree, 2 * INTERVAL + 10)[2], \
        (scraped_peers(scrape(name), daemon), raw_peers(name))
    assert metrics.one(samples, 'timesec_ntp_collector_success') == 1
    durations = metrics.one(samples, 'timesec_ntp_collector_duration_seconds')
    ok, body = metrics.get(SCRAPER, metrics.url(hosts.address(name)))
    lab.log('%s: the timesec_ntp lines of one scrape:\n%s' % (name, '\n'.join(
        line for line in body.splitlines() if 'timesec_ntp_' in line and not line.startswith('#'))))
    lab.log('%s: authenticated in the metrics after %.0f s; the last collector run took %.3f s' % (name, elapsed, durations))


def status_rows(output, name):
    """The table rows playbooks/status.yml printed for one host: {address: (condition, auth, key)}."""
    block = re.search(r'ok: \[%s\] => \{\s*"msg": \[(.*?)\]' % re.escape(name), output, re.S)
    assert block, 'no status block for %s' % name
    rows = {}
    for line in re.findall(r'"([^"]*)"', block.group(1)):
        match = re.match(r'^(\S+)\s+(\S+)\s+auth=(\S+)\s+key=(\d+) ', line)
        if match:
            rows[match.group(1)] = (match.group(2), match.group(3), int(match.group(4)))
    return rows


def test_status_playbook_and_metrics_agree():
    """Both read the daemon with the same code (ntp_status_info's readers, installed unchanged for the collector)."""
    for name in CLIENTS:
        found = metrics.installed_readers_match(name)
        assert all(host_sum == local_sum for host_sum, local_sum in found.values()), found
    run = lab.run_playbook('status-metrics', playbook='timesec.ntp.status', limit=','.join(sorted(CLIENTS)))
    assert run.rc == 0, run.errors()
    for name, (daemon, _keys, _service) in CLIENTS.items():
        rows = status_rows(run.output, name)
        scraped = scraped_peers(scrape(name), daemon)
        assert sorted(rows) == sorted(scraped), (rows, scraped)
        for address, (condition, auth, key) in rows.items():
            assert scraped[address] == (auth == 'ok', key, condition == 'sys.peer'), (address, rows, scraped)


def wrong_key_line(name):
    daemon = CLIENTS[name][0]
    key_id = key_ids()[name]
    if daemon == 'chrony':
        return '%d AES128 HEX:%s\n' % (key_id, 'ff' * 16)
    return '%d AES128CMAC %s\n' % (key_id, 'ff' * 16)


def grid(records, start, step):
    """The last record at or before each ``step`` from ``start`` to the last record: a regular series."""
    points, when, index = [], start, 0
    while when <= records[-1][0] + 1e-6:
        while index + 1 < len(records) and records[index + 1][0] <= when:
            index += 1
        points.append(records[index][1])
        when += step
    return points


def authenticated(samples):
    """timesec_ntp_authenticated of one scrape; None when the run had no daemon state (the daemon restarting)."""
    found = metrics.find(samples, 'timesec_ntp_authenticated')
    return found[0][1] if found else None


def test_wrong_key_changes_the_metric_within_two_periods_and_the_alert_fires():
    for name in CLIENTS:
        assert lab.wait_for('%s authenticated' % name, all_authenticated(name), 120)[2]
    records = {name: [] for name in CLIENTS}   # (monotonic time, samples)
    first_drop, raw_drop = {}, {}

    def take(phase_end, pace):
        while time.monotonic() < phase_end:
            tick = time.monotonic()
            for name in CLIENTS:
                samples = scrape(name)
                records[name].append((time.monotonic(), samples))
                if broken_at and name not in first_drop and authenticated(samples) == 0:
                    first_drop[name] = time.monotonic()
                if broken_at and name not in raw_drop:
                    try:
                        raw = raw_peers(name)
                    except (AssertionError, AttributeError, IndexError, KeyError, ValueError):
                        raw = {}   # the daemon, restarting, does not answer yet
                    if not any(auth and selected for auth, _key, selected in raw.values()):
                        raw_drop[name] = time.monotonic()
            time.sleep(max(0.0, pace - (time.monotonic() - tick)))

    broken_at = None
    take(time.monotonic() + 3 * STEP, STEP)   # authenticated before the break
    try:
        broken_at = time.monotonic()
        for name, (_daemon, keys, service) in CLIENTS.items():
            lab.sh(name, 'cp -p {k} {k}{b} && cat > {k} && systemctl restart {s}'.format(k=keys, b=BACKUP, s=service),
                   stdin=wrong_key_line(name))
        take(broken_at + 2 * INTERVAL + 10, 1)   # the drop, to the second
        take(broken_at + 60, STEP)               # and that it lasts
        # the daemons' own verdict: ntpd marks every association auth bad; chronyd never reaches one
        for name, (daemon, _keys, _service) in CLIENTS.items():
            raw = raw_peers(name)
            assert len(raw) == len(SERVERS) and not any(auth for auth, _k, _s in raw.values()), (name, raw)
            if daemon == 'ntp':
                def all_bad(name=name):
                    return [line.split()[5] for line in lab.out(name, 'ntpq -n -c as').splitlines()[2:]] == ['bad'] * 3
                assert lab.wait_for('%s: ntpq shows auth bad' % name, all_bad, 30)[2]
    finally:
        for name, (_daemon, keys, service) in CLIENTS.items():
            lab.sh(name, 'mv -f {k}{b} {k} && systemctl restart {s}'.format(k=keys, b=BACKUP, s=service), check=False)

    for name, (daemon, _keys, _service) in CLIENTS.items():
        assert name in first_drop, '%s: the metric never dropped' % name
        lab.log('%s: wrong key at 0 s; %s shows no authenticated system peer at %.1f s, the scraped metric at %.1f s '
                '(timer period %d s)' % (name, daemon, raw_drop.get(name, float('nan')) - broken_at,
                                         first_drop[name] - broken_at, INTERVAL))
        assert first_drop[name] - broken_at <= 2 * INTERVAL, '%s: the metric changed after more than two periods' % name
        after = [samples for when, samples in records[name] if when >= first_drop[name]]
        assert all(authenticated(s) in (0, None) for s in after), 'authenticated again with a wrong key'
        read = [s for s in after if authenticated(s) is not None]
        assert read and all(len(metrics.find(s, 'timesec_ntp_peer_key_id', scheme='symmetric')) == len(SERVERS)
                            for s in read), 'the per-server series lost their labels'

    # promtool on the recorded series: the recorded values on a STEP grid, the last one kept on for the
    # rule's 5 minutes (the break lasted all of the recording; the daemons' verdict above).
    start = min(records[name][0][0] for name in CLIENTS)
    input_series, firing = [], []
    fire_at = {}
    for name, (daemon, _keys, _service) in CLIENTS.items():
        points = grid(records[name], start, STEP)
        instance = {'instance': '%s:%d' % (name, metrics.PORT), 'job': 'node'}
        values = [authenticated(s) for s in points]
        input_series.append({'series': metrics.series_text('timesec_ntp_authenticated', dict(instance, daemon=daemon)),
                             'values': metrics.promtool_values(values, extend=70)})
        for labels, _v in metrics.find(points[-1], 'timesec_ntp_peer_reachable', scheme='symmetric'):
            reach = [(metrics.find(s, 'timesec_ntp_peer_reachable', **labels) or [(None, None)])[0][1] for s in points]
            input_series.append({'series': metrics.series_text('timesec_ntp_peer_reachable', dict(instance, **labels)),
                                 'values': metrics.promtool_values(reach, extend=70)})
        # a scrape of a daemon that was restarting has no value: '_' for promtool, which then looks back to the last one
        zero = values.index(0)
        assert zero > 0 and values[0] == 1 and all(v in (1, None) for v in values[:zero]), values
        assert all(v in (0, None) for v in values[zero:]) and values[-1] == 0, values
        fire_at[name] = zero * STEP + 300
        firing.append({'exp_labels': dict(instance, daemon=daemon, severity='critical')})
    quiet_until = min(fire_at.values()) - STEP
    alert_tests = [
        {'alertname': 'TimesecNtpNoAuthenticatedPeer', 'eval_time': '%ds' % quiet_until, 'exp_alerts': []},
        {'alertname': 'TimesecNtpNoAuthenticatedPeer', 'eval_time': '%ds' % max(fire_at.values()), 'exp_alerts': firing},
    ]
    proc, path = metrics.promtool_test(RECORD_DIR, 'symmetric-wrong-key', '%ds' % STEP, input_series, alert_tests)
    lab.log('promtool test rules %s: rc=%d %s' % (path, proc.returncode, proc.stdout.strip().replace('\n', ' ')))
    with open(path) as handle:
        lab.log('the recorded promtool test:\n' + handle.read())
    assert proc.returncode == 0, proc.stdout + proc.stderr

    # the right keys again: authenticated again (test_symmetric.py needs it)
    for name in CLIENTS:
        samples, elapsed, ok = lab.wait_for('%s authenticated again' % name, all_authenticated(name), 180)
        assert ok, '%s: not authenticated again after its key was put back' % name
        lab.log('%s: authenticated again in the metrics %.0f s after its key was put back' % (name, elapsed))
