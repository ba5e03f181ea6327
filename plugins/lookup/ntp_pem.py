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
  - Fails, naming O(variable), when a path does not exist or the text holds no PEM block. The message never
    shows the value (a private key with a mistyped header is neither PEM text nor a path), and shows a path
    only when it is a plain absolute path (no whitespace or control characters).
  - Keys pass through it, so use it only in tasks with C(no_log) when the term can be a private key; with
    O(check), it returns the problem instead of the text, for a message outside the C(no_log) task.
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
  check:
    description:
      - Return, for each term, V("") when it is usable and the reason (naming O(variable)) when not, instead of
        the PEM text and an error. Never returns the text.
    type: bool
    default: false
    version_added: 0.3.0
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
  description: The PEM text of each term, ending in a newline (V("") for an empty term); with O(check), V("") or the problem.
  type: list
  elements: str
"""

import os
import re

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.lookup import LookupBase

PEM_MARK = '-----BEGIN '
# A path that may appear in a message: absolute, no whitespace or control characters (not a key's text).
SHOWN_PATH_RE = re.compile(r'/[^\s\x00-\x1f\x7f]{0,4095}\Z')


def _shown(path):
    return path if SHOWN_PATH_RE.match(path) else '(the path, not shown)'


def pem_text(term, variable='the value'):
    """PEM text of term (PEM text or a controller path); '' for an empty term."""
    term = to_text(term if term is not None else '')
    if not term.strip():
        return ''
    if PEM_MARK in term:
        return term.strip() + '\n'
    path = os.path.expanduser(term.strip())
    if not os.path.isabs(path) or not SHOWN_PATH_RE.match(path):
        # the value is not shown: it may be a private key whose "-----BEGIN " line was mistyped
        raise AnsibleLookupError('%s is neither PEM text (it has no "-----BEGIN " line) nor the absolute path of a PEM '
                                 'file on the controller (its value is not shown): give one of those' % variable)
    try:
        with open(path, 'rb') as handle:
            text = to_text(handle.read(), errors='surrogate_or_strict')
    except (IOError, OSError, UnicodeError) as exc:
        raise AnsibleLookupError('%s: cannot read %s on the controller (%s)'
                                 % (variable, _shown(path), getattr(exc, 'strerror', None) or type(exc).__name__)) from None
    if PEM_MARK not in text:
        raise AnsibleLookupError('%s: %s on the controller holds no PEM block (-----BEGIN ...)' % (variable, _shown(path)))
    return text.strip() + '\n'


def pem_problem(term, variable='the value'):
    """'' when pem_text(term) works, else its message (never the text)."""
    try:
        pem_text(term, variable)
    except AnsibleLookupError as exc:
        return str(exc)
    return ''


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variable = self.get_option('variable')
        if self.get_option('check'):
            return [pem_problem(term, variable) for term in terms]
        return [pem_text(term, variable) for term in terms]
