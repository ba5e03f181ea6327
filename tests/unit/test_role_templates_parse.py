# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every Jinja expression in the roles' YAML (tasks, vars, defaults, handlers) and every template
parses: a syntax error in a rarely taken branch (an assert's fail_msg, say) would otherwise show up
only on the host that takes it."""

from __future__ import annotations

import glob
import os

import jinja2
import pytest
import yaml

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
YAML_FILES = sorted(glob.glob(os.path.join(ROOT, 'roles', '*', '*', '*.yml'))
                    + glob.glob(os.path.join(ROOT, 'playbooks', '*.yml')))
TEMPLATES = sorted(glob.glob(os.path.join(ROOT, 'roles', '*', 'templates', '*.j2')))


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def env():
    environment = jinja2.Environment(extensions=['jinja2.ext.loopcontrols', 'jinja2.ext.do'])
    return environment


def test_found_files():
    assert len(YAML_FILES) > 30 and len(TEMPLATES) >= 3


@pytest.mark.parametrize('path', YAML_FILES, ids=lambda p: os.path.relpath(p, ROOT))
def test_yaml_expressions_parse(path):
    with open(path) as handle:
        data = yaml.safe_load(handle)
    environment = env()
    for text in strings(data):
        if '{{' in text or '{%' in text:
            try:
                environment.parse(text)
            except jinja2.TemplateSyntaxError as exc:
                pytest.fail('%s: %s in %r' % (os.path.relpath(path, ROOT), exc, text[:300]))


@pytest.mark.parametrize('path', TEMPLATES, ids=lambda p: os.path.relpath(p, ROOT))
def test_templates_parse(path):
    with open(path) as handle:
        env().parse(handle.read())
