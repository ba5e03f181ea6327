# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_controller_dir
short_description: Check the controller directories the roles create and own, before any change
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - For each directory, checks on the controller that it may hold what the roles put there, and says
    whether it exists. The roles create a missing directory themselves (mode 0700) and never change
    the owner or mode of one that exists.
  - Fails, naming the variable and the fix, for a path that is not absolute, holds a C(.) or C(..)
    segment or a control character, is a shared system directory (C(/), C(/etc), C(/tmp), C(/home), ... -
    the list is C(SHARED_DIRS) in C(plugins/module_utils/paths.py)) or the user's home directory, also
    through a symbolic link; and for an existing directory that is not owned by the user running Ansible,
    that group or others may write to, or - with C(private) - that group or others may read.
  - C(~) is expanded.
options:
  _terms:
    description:
      - One mapping per directory - C(path), C(variable) (the variable it comes from, named in messages)
        and C(private) (true for directories that hold secrets - private keys, the symmetric key store).
    required: true
    type: list
    elements: dict
"""

EXAMPLES = r"""
- name: Check the export directory before any change
  ansible.builtin.set_fact:
    export_dirs: "{{ query('timesec.ntp.ntp_controller_dir', {'path': ntp_server_export_dir,
                                                               'variable': 'ntp_server_export_dir', 'private': false}) }}"
"""

RETURN = r"""
_raw:
  description: One mapping per directory.
  type: list
  elements: dict
  contains:
    path:
      description: The path, C(~) expanded.
      type: str
    variable:
      description: The variable it comes from.
      type: str
    private:
      description: Whether it holds secrets.
      type: bool
    exists:
      description: Whether it exists (a directory fit for the roles' files); a missing one is for the roles to create.
      type: bool
"""

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.lookup import LookupBase

from ansible_collections.timesec.ntp.plugins.module_utils import paths


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        results, problems = [], []
        for term in terms:
            if not isinstance(term, dict) or 'path' not in term or not term.get('variable'):
                raise AnsibleLookupError('ntp_controller_dir takes mappings with path, variable and private')
            variable = to_text(term['variable'])
            path = term['path'] if isinstance(term['path'], str) else None
            expanded, exists, problem = paths.controller_dir(path, variable, bool(term.get('private')))
            if problem:
                problems.append(problem)
            results.append({'path': expanded, 'variable': variable, 'private': bool(term.get('private')), 'exists': exists})
        if problems:
            raise AnsibleLookupError(' '.join(dict.fromkeys(problems)) + ' Nothing was changed.')
        return results
