# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The alert rules (files/prometheus/timesec-ntp.rules.yml): promtool (Debian's prometheus package,
installed by scripts/bootstrap.sh) checks them and runs their unit tests
(tests/prometheus/timesec-ntp.rules.test.yml); every alert is tested firing and not firing, and every
metric the rules read is one the collector writes (module_utils/metrics.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from ansible_collections.timesec.ntp.plugins.module_utils import metrics

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / 'files' / 'prometheus' / 'timesec-ntp.rules.yml'
RULE_TESTS = REPO / 'tests' / 'prometheus' / 'timesec-ntp.rules.test.yml'


def promtool(*args):
    binary = shutil.which('promtool')
    assert binary, 'promtool is missing: install Debian\'s prometheus package (scripts/bootstrap.sh does)'
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=120, check=False)


def alerts():
    return [rule for group in yaml.safe_load(RULES.read_text())['groups'] for rule in group['rules'] if 'alert' in rule]


def test_promtool_checks_the_rules():
    proc = promtool('check', 'rules', str(RULES))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'SUCCESS: %d rules found' % len(alerts()) in proc.stdout


def test_promtool_unit_tests_pass():
    proc = promtool('test', 'rules', str(RULE_TESTS))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'SUCCESS' in proc.stdout


def test_every_alert_is_tested_firing_and_not_firing():
    cases = [case for test in yaml.safe_load(RULE_TESTS.read_text())['tests'] for case in test['alert_rule_test']]
    for rule in alerts():
        mine = [case for case in cases if case['alertname'] == rule['alert']]
        assert any(case['exp_alerts'] for case in mine), '%s never fires in the tests' % rule['alert']
        assert any(not case['exp_alerts'] for case in mine), '%s is never shown quiet in the tests' % rule['alert']


def test_rules_read_only_metrics_the_collector_writes():
    used = set()
    for rule in alerts():
        used |= set(re.findall(r'\b(%s[a-z_]+)' % metrics.PREFIX, rule['expr']))
    assert used and used <= {metrics.PREFIX + name for name in metrics.METRICS}, sorted(used)
