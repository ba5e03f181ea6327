"""The metrics of issue 29 as Prometheus sees them: scrape a host's node exporter from another container
(a real HTTP client: python3's urllib there), parse the text format, compare with the daemon's own
tools, record series, and run the alert rules on recorded series with promtool.

Used by the default, nts and symmetric scenarios (molecule/<scenario>/tests/test_metrics.py).
"""

import os
import re
import shlex
import subprocess
import time

import yaml

from labkit import hosts

PORT = 9100
OWN_DIR = '/var/lib/timesec-ntp-metrics'
FILE = 'timesec_ntp.prom'
TEXTFILE_DIR = '/var/lib/prometheus/node-exporter'
READERS_DIR = '/usr/local/lib/timesec-ntp/ansible_collections/timesec/ntp/plugins/module_utils'
READERS = ('status.py', 'ntpq.py', 'chronyc.py', 'metrics.py')
USER = '_timesec-metrics'
# chronyd answers authdata only on its Unix socket (chrony 4.0 and 4.6.1): the collector runs as chronyd's user
USERS = {'ntp': USER, 'ntpsec': USER, 'chrony': '_chrony'}
COLLECTION = (os.environ.get('TSN_COLLECTION_DIR')
              or os.path.join(os.environ['TSN_COLLECTIONS'], 'ansible_collections', 'timesec', 'ntp'))
RULES = os.path.join(COLLECTION, 'files', 'prometheus', 'timesec-ntp.rules.yml')

# Runs in the scraping container: GET the URL, print the body; exit 3 with the error otherwise.
CLIENT = r'''
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])) as response:
        sys.stdout.write('HTTP %d\n' % response.status)
        sys.stdout.write(response.read().decode())
except Exception as exc:
    sys.stderr.write('%s: %s\n' % (type(exc).__name__, exc))
    sys.exit(3)
'''
SAMPLE_RE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)(?:\s+\d+)?$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def url(address, port=PORT):
    return 'http://%s:%d/metrics' % ('[%s]' % address if ':' in address else address, port)


def get(client, target_url, timeout=5):
    """(ok, body or error) of an HTTP GET from container ``client``."""
    proc = hosts.sh(client, 'python3 -c %s %s %s' % (shlex.quote(CLIENT), shlex.quote(target_url), timeout),
                    check=False, timeout=timeout + 60)
    if proc.returncode != 0:
        return False, proc.stderr.strip()
    status, _sep, body = proc.stdout.partition('\n')
    return status == 'HTTP 200', body


def parse(text):
    """[(name, {labels}, value)] of the text exposition format (comments skipped)."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        match = SAMPLE_RE.match(line)
        assert match, 'not a sample line: %r' % line
        labels = {key: value.replace('\\"', '"').replace('\\n', '\n').replace('\\\\', '\\')
                  for key, value in LABEL_RE.findall(match.group('labels') or '')}
        samples.append((match.group('name'), labels, float(match.group('value'))))
    return samples


def scrape(client, address, port=PORT):
    """The samples of node exporter on ``address`` as container ``client`` gets them; fails when the GET does."""
    ok, body = get(client, url(address, port))
    assert ok, 'GET %s from %s failed: %s' % (url(address, port), client, body[-300:])
    return parse(body)


def find(samples, name, **labels):
    """The samples of metric ``name`` whose labels include ``labels``: [(labels, value)]."""
    return [(lab, value) for sample_name, lab, value in samples
            if sample_name == name and all(lab.get(k) == v for k, v in labels.items())]


def one(samples, name, **labels):
    """The value of the one sample of ``name`` with ``labels``."""
    found = find(samples, name, **labels)
    assert len(found) == 1, '%s%r: %d samples: %r' % (name, labels, len(found), found)
    return found[0][1]


def ours(samples):
    return [sample for sample in samples if sample[0].startswith('timesec_ntp_')]


def run_stamp(samples):
    return one(samples, 'timesec_ntp_collector_last_run_timestamp_seconds')


def sha256(target, paths):
    out = hosts.out(target, 'sha256sum %s' % ' '.join(shlex.quote(p) for p in paths))
    return {line.split()[1]: line.split()[0] for line in out.splitlines()}


def installed_readers_match(target):
    """{file: (sha256 on the host, sha256 in the collection)} of the readers the collector imports."""
    on_host = sha256(target, ['%s/%s' % (READERS_DIR, name) for name in READERS])
    result = {}
    for name in READERS:
        local = subprocess.run(['sha256sum', os.path.join(COLLECTION, 'plugins', 'module_utils', name)], check=True,
                               capture_output=True, text=True).stdout.split()[0]
        result[name] = (on_host.get('%s/%s' % (READERS_DIR, name)), local)
    return result


# -- recorded series and promtool ------------------------------------------------------------------------

class Recorder:
    """Scrapes of one host at a steady pace (``step`` seconds), kept with the time they were taken."""

    def __init__(self, client, address, instance, step):
        self.client, self.address, self.instance, self.step = client, address, instance, step
        self.records = []  # (monotonic time, samples)

    def take(self):
        samples = ours(scrape(self.client, self.address))
        self.records.append((time.monotonic(), samples))
        return samples

    def series(self, name, **labels):
        """The recorded values of one series (None where a scrape lacked it)."""
        values = []
        for _when, samples in self.records:
            found = find(samples, name, **labels)
            values.append(found[0][1] if found else None)
        return values


def promtool_values(values, extend=0):
    """promtool's values notation: the recorded values ('_' for missing), then the last value ``extend`` times more."""
    text = ' '.join('_' if v is None else ('%d' % v if float(v).is_integer() else repr(v)) for v in values)
    if extend:
        last = [v for v in values if v is not None][-1]
        text += ' %sx%d' % ('%d' % last if float(last).is_integer() else repr(last), extend - 1)
    return text


def rules_without_annotations(path):
    """The shipped rules with their annotations removed: promtool compares annotations too, and their texts
    are tested by tests/prometheus; here the expressions, durations and labels are what counts."""
    with open(RULES) as handle:
        rules = yaml.safe_load(handle)
    for group in rules['groups']:
        for rule in group['rules']:
            rule.pop('annotations', None)
    with open(path, 'w') as handle:
        yaml.safe_dump(rules, handle, sort_keys=False)
    return path


def promtool_test(directory, name, interval, input_series, alert_tests):
    """Write a promtool test file (input series recorded from the lab) and run ``promtool test rules``;
    returns (completed process, test file path)."""
    os.makedirs(directory, exist_ok=True)
    rules = rules_without_annotations(os.path.join(directory, name + '.rules.yml'))
    test = {'rule_files': [rules], 'evaluation_interval': interval,
            'tests': [{'interval': interval, 'input_series': input_series, 'alert_rule_test': alert_tests}]}
    path = os.path.join(directory, name + '.test.yml')
    with open(path, 'w') as handle:
        yaml.safe_dump(test, handle, sort_keys=False, width=1000)
    proc = subprocess.run(['promtool', 'test', 'rules', path], capture_output=True, text=True, timeout=120, check=False)
    return proc, path


def wait_scrape(client, address, predicate, timeout, log):
    """Scrape ``address`` from ``client`` until ``predicate(samples)``; returns (samples, elapsed, satisfied)."""
    def ready():
        samples = ours(scrape(client, address))
        return samples if predicate(samples) else None
    return log_wait('metrics of %s' % address, ready, timeout, log)


def log_wait(what, predicate, timeout, log, interval=2):
    start = time.monotonic()
    while True:
        try:
            value = predicate()
        except AssertionError:
            value = None
        elapsed = time.monotonic() - start
        if value:
            return value, elapsed, True
        if elapsed > timeout:
            log('%s: not reached after %.0f s' % (what, elapsed))
            return value, elapsed, False
        time.sleep(interval)


def series_text(name, labels):
    return '%s{%s}' % (name, ','.join('%s="%s"' % (k, labels[k]) for k in sorted(labels)))
