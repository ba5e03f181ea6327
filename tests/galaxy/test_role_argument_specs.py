# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each role's meta/argument_specs.yml states exactly the defaults of its defaults/main.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (REPO / 'roles').iterdir() if (p / 'meta' / 'argument_specs.yml').is_file())


def load(path):
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def test_every_role_has_an_argument_spec():
    assert ROLES == sorted(p.name for p in (REPO / 'roles').iterdir() if p.is_dir())


@pytest.mark.parametrize('role', ROLES)
def test_argument_spec_defaults_match_role_defaults(role):
    defaults = load(REPO / 'roles' / role / 'defaults' / 'main.yml')
    options = load(REPO / 'roles' / role / 'meta' / 'argument_specs.yml')['argument_specs']['main'].get('options') or {}
    spec_defaults = {name: spec['default'] for name, spec in options.items() if 'default' in spec}
    # A default that is an expression cannot be stated as the default of a non-string option (the docs
    # linter, antsibull-docs, refuses a string default on an int option): such an option has no spec default,
    # and its description quotes the expression instead.
    for name, value in defaults.items():
        spec = options.get(name, {})
        if 'default' not in spec and isinstance(value, str) and '{{' in value and spec.get('type') in ('int', 'float', 'bool'):
            assert value in ' '.join(spec.get('description') or []), '%s: the description must quote %r' % (name, value)
            spec_defaults[name] = value

    assert sorted(set(defaults) - set(spec_defaults)) == [], 'defaults/main.yml variables without a spec default'
    assert sorted(set(spec_defaults) - set(defaults)) == [], 'spec defaults missing from defaults/main.yml'
    for name, value in defaults.items():
        assert spec_defaults[name] == value, '%s: argument spec default %r != defaults/main.yml %r' % (
            name, spec_defaults[name], value)
    # Required options have no default anywhere; every documented option is the role's own.
    for name, spec in options.items():
        assert name.startswith(role + '_'), name
        if spec.get('required'):
            assert 'default' not in spec and name not in defaults, name
