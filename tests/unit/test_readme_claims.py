# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The README's Tests section claims only what a test here backs: every claim under "What each scenario
proves" names a test function of that scenario, or a scenario file holding the named text; every scenario
the suite runs has its claims there; every path the section names exists."""

from __future__ import annotations

import glob
import os
import re
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SCENARIO_RE = re.compile(r'^- \*\*`molecule/([\w-]+)`\*\*')
CLAIM_RE = re.compile(r'^  - (.+)$')
REFERENCE_RE = re.compile(r'`(test_\w+|[\w.-]+\.yml: [^`]+)`')


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding='utf-8') as handle:
        return handle.read()


def readme_tests_section():
    text = read('README.md')
    start = text.index('\n## Tests\n')
    end = text.find('\n## ', start + 1)
    return text[start:end if end > 0 else len(text)]


def scenario_claims():
    """{scenario: [claim text]} from the bullets of "What each scenario proves"."""
    section = readme_tests_section()
    lines = section[section.index('\n### What each scenario proves\n'):].splitlines()
    claims, current = {}, None
    for line in lines:
        scenario, claim = SCENARIO_RE.match(line), CLAIM_RE.match(line)
        if scenario:
            current = scenario.group(1)
            assert current not in claims, 'molecule/%s is listed twice' % current
            claims[current] = []
        elif claim and current:
            claims[current].append(claim.group(1))
    return claims


def defined_tests(scenario):
    names = set()
    for path in glob.glob(os.path.join(ROOT, 'molecule', scenario, 'tests', 'test_*.py')):
        names.update(re.findall(r'^def (test_\w+)\(', read(path), re.M))
    return names


def suite_scenarios():
    match = re.search(r'^export TSN_DEFAULT_SCENARIOS="([^"]+)"', read('scripts', 'env.sh'), re.M)
    return match.group(1).split()


def test_every_suite_scenario_has_its_claims():
    claims = scenario_claims()
    on_disk = sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(ROOT, 'molecule', '*', 'molecule.yml')))
    assert sorted(suite_scenarios()) == on_disk, 'TSN_DEFAULT_SCENARIOS and molecule/*/molecule.yml differ'
    assert sorted(claims) == on_disk
    assert all(claims.values()), claims


@pytest.mark.parametrize('scenario', sorted(scenario_claims()))
def test_every_claim_names_what_proves_it(scenario):
    tests = defined_tests(scenario)
    unbacked, missing = [], []
    for claim in scenario_claims()[scenario]:
        references = REFERENCE_RE.findall(claim)
        if not references:
            unbacked.append(claim)
        for reference in references:
            if reference.startswith('test_'):
                if reference not in tests:
                    missing.append(reference)
                continue
            name, text = reference.split(': ', 1)
            path = os.path.join(ROOT, 'molecule', scenario, name)
            if not os.path.isfile(path) or text not in read(path):
                missing.append(reference)
    assert unbacked == [], 'claims of molecule/%s that name no test: %s' % (scenario, unbacked)
    assert missing == [], 'molecule/%s names tests or files that do not exist: %s' % (scenario, missing)


def test_every_path_in_the_tests_section_exists():
    paths = set(re.findall(r'(?<![\w/])((?:molecule|tests|scripts|docs)/[\w./-]*\w)', readme_tests_section()))
    assert paths, 'the Tests section names no path at all'
    assert sorted(p for p in paths if not os.path.exists(os.path.join(ROOT, p))) == []


def test_the_checker_catches_an_unbacked_claim(monkeypatch):
    """The check above can fail: a claim naming a test that does not exist, or naming none."""
    section = readme_tests_section()
    fake = section.replace('`test_step1_server_restart`', '`test_step1_no_such_test`', 1)
    assert fake != section
    monkeypatch.setattr(sys.modules[__name__], 'readme_tests_section', lambda: fake)
    with pytest.raises(AssertionError, match='test_step1_no_such_test'):
        test_every_claim_names_what_proves_it('lifecycle')
    fake = section.replace(': `test_step2_client_container_restart`', '', 1)
    monkeypatch.setattr(sys.modules[__name__], 'readme_tests_section', lambda: fake)
    with pytest.raises(AssertionError, match='name no test'):
        test_every_claim_names_what_proves_it('lifecycle')
