# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_pem
short_description: PEM text from a variable that holds either PEM text or a controller file path
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - The roles' certificate, key and CA variables (C(ntp_server_nts_cert), C(ntp_server_nts_key),
    C(ntp_server_nts_ca), C(ntp_client_nts_ca)) take PEM text or the path of a PEM file on the controller.
    This lookup returns the PEM text in both cases, ending in one newline, or V("") for an empty term.
  - Fails, naming O(variable), when a path does not exist or the text holds no PEM block.
  - Keys pass through it, so use it only in tasks with C(no_log) when the term can be a private key.
options:
  _terms:
    description: PEM text or an absolute (or C(~)) path on the controller, one per term.
    required: true
    type: list
    elements: str
  variable:
    description: The variable the term came from, named in error messages.
    type: str
    default: the value
"""

EXAMPLES = r"""
- name: Install a CA given as a path or as PEM text
  ansible.builtin.copy:
    content: "{{ lookup('timesec.ntp.ntp_pem', ntp_client_nts_ca, variable='ntp_client_nts_ca') }}"
    dest: /usr/local/share/ca-certificates/example.pem
    mode: "0644"
"""

RETURN = r"""
_raw:
  description: The PEM text of each term, ending in a newline (V("") for an empty term).
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.lookup import LookupBase

PEM_MARK = '-----BEGIN '


def pem_text(term, variable='the value'):
    """PEM text of term (PEM text or a controller path); '' for an empty term."""
    term = to_text(term if term is not None else '')
    if not term.strip():
        return ''
    if PEM_MARK in term:
        return term.strip() + '\n'
    path = os.path.expanduser(term.strip())
    if not os.path.isabs(path):
        raise AnsibleLookupError('%s is %r: give PEM text or the absolute path of a PEM file on the controller'
                                 % (variable, term))
    try:
        with open(path, 'rb') as handle:
            text = to_text(handle.read(), errors='surrogate_or_strict')
    except (IOError, OSError) as exc:
        raise AnsibleLookupError('%s: cannot read %s on the controller (%s)' % (variable, path, exc.strerror or exc)) from exc
    if PEM_MARK not in text:
        raise AnsibleLookupError('%s: %s on the controller holds no PEM block (-----BEGIN ...)' % (variable, path))
    return text.strip() + '\n'


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variable = self.get_option('variable')
        return [pem_text(term, variable) for term in terms]
