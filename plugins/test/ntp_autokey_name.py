# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_autokey_name
short_description: Whether a string can be an Autokey host or group name
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - True for 1 to 253 letters, digits, C(.), C(-) or C(_), starting with a letter or digit.
  - Autokey names become file names (C(ntpkey_*_<name>)) and certificate subjects (C(host@group)), so
    C(/), whitespace and C(@) are refused. The same rule is the one the timesec.ntp.ntp_keygen module applies
    (one source, C(plugins/module_utils/autokey.py)).
positional: _input
options:
  _input:
    description: The name.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Check a name before it reaches ntp.conf
  ansible.builtin.assert:
    that: ntp_server_group_name is timesec.ntp.ntp_autokey_name
"""

RETURN = r"""
_value:
  description: Whether the input is a string that is a valid Autokey name.
  type: bool
"""

from ansible_collections.timesec.ntp.plugins.module_utils.autokey import NAME_RE


def ntp_autokey_name(value):
    return isinstance(value, str) and NAME_RE.match(value) is not None


class TestModule(object):
    def tests(self):
        return {'ntp_autokey_name': ntp_autokey_name}
