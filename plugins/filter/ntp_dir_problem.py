# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_dir_problem
short_description: Why a host directory cannot be one the roles create and own (empty when it can)
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Judges a directory on a managed host, such as the Autokey keys directory, from its path and from
    C(ansible.builtin.stat)'s result for it. Returns V("") when the roles may use it, else a message
    that names O(variable) and the fix.
  - Refused - a path that is not absolute, holds a C(.) or C(..) segment or a control character, or is
    a shared system directory (C(/), C(/etc), C(/usr), C(/var), C(/tmp), ... - the list is C(SHARED_DIRS)
    in C(plugins/module_utils/paths.py)), also through a symbolic link; an existing directory not owned
    by root, writable by group or others, or that O(reader_group) cannot read. The roles create a
    missing directory themselves and never change the owner or mode of one that exists.
positional: _input, variable
options:
  _input:
    description: The path.
    type: str
    required: true
  variable:
    description: The variable the path comes from, named in the message.
    type: str
    required: true
  stat:
    description:
      - The C(stat) of C(ansible.builtin.stat) for the path (C(follow) true), or the path's entry of the module
        timesec.ntp.ntp_host_info's RV(timesec.ntp.ntp_host_info#module:stat) (links not followed); omit it to judge
        the path alone.
    type: dict
  reader_group:
    description: A group that must be able to read an existing directory (the daemon's).
    type: str
"""

EXAMPLES = r"""
- name: Check the keys directory
  ansible.builtin.assert:
    that: problem | length == 0
    fail_msg: "{{ problem }}"
  vars:
    problem: "{{ ntp_client_keysdir | timesec.ntp.ntp_dir_problem('ntp_client_keysdir', stat=keysdir_stat.stat, reader_group='ntp') }}"
"""

RETURN = r"""
_value:
  description: V("") when the directory is fit (or missing, for the role to create), else why not and what to do.
  type: str
"""

from ansible_collections.timesec.ntp.plugins.module_utils import paths


def ntp_dir_problem(path, variable, stat=None, reader_group=None):
    problem = paths.lexical_problem(path, variable)
    if problem is None and stat:
        info = paths.host_stat_info(stat)
        if info is not None:
            problem = paths.stat_problem(info, path, variable, 0, False, reader_group=reader_group)
    return problem or ''


class FilterModule:
    def filters(self):
        return {'ntp_dir_problem': ntp_dir_problem}
