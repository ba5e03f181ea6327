# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Renders what the roles would hand ntp_common, and ntp_common's templates, with Ansible's own Templar.

Run as a program by tests/unit/test_support_matrix.py and test_template_matrix.py (one process per test
module): Ansible's collection loader, which the collection's filters in the roles' vars need
(timesec.ntp.ntp_server_lines, ntp_upstreams, ntp_restrict), is installed in this process only, not in the
pytest process whose other tests import the collection from sys.path.

    python role_render.py <directory holding ansible_collections>  < jobs.json  > results.json

The context is the roles' own files, not a copy: ntp_common's vars (platform_defaults.yml, support.yml,
chrony.yml), the fact ntp_common_platform as tasks/platform.yml sets it, and the caller's ntp_common_conf
templated from roles/ntp_<role>/defaults/main.yml and vars/main.yml. Only what a play would have found at
run time is given here (facts, the servers the client's lookups read, the server's IFF group plan and
symmetric key IDs): see STUBS.
"""

from __future__ import annotations

import functools
import json
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = os.path.join(ROOT, 'roles')
PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
# What a play finds at run time, per role and scheme: the servers the client's lookup returned
# (servers.yml: ntp_iffpar, ntp_nts_ca, ntp_symmetric), the server's IFF group plan (check_autokey.yml) and the
# IDs of its clients' symmetric keys (symmetric.yml).
STUBS = {
    ('server', 'autokey'): {'__ntp_server_group': {'peers': ['10.0.0.2'], 'orphan_stratum': 8}},
    ('server', 'symmetric'): {'__ntp_server_symmetric': {'trusted': [3, 4]}},
    ('client', 'autokey'): {'__ntp_client_found': [{'name': 'srv1', 'address': '10.0.0.1', 'present': True, 'group': 'grp'}]},
    ('client', 'nts'): {'__ntp_client_found': [{'name': 'srv1', 'address': '10.0.0.1', 'present': True, 'content': PEM}]},
    ('client', 'symmetric'): {'__ntp_client_found': [{'name': 'srv1', 'address': '10.0.0.1', 'present': True, 'key_id': 7}]},
}
FACTS = {'distribution': 'Debian', 'os_family': 'Debian', 'distribution_major_version': '12', 'distribution_version': '12'}


def setup(collections_parent):
    if collections_parent not in sys.path:
        sys.path.insert(0, collections_parent)
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
    _AnsibleCollectionFinder(paths=[collections_parent], scan_sys_paths=False)._install()


def trusted(node):
    """Mark strings as templates (ansible-core 2.19 templates only trusted strings; older cores all)."""
    try:
        from ansible.template import trust_as_template
    except ImportError:
        return node
    if isinstance(node, str):
        return trust_as_template(node)
    if isinstance(node, dict):
        return {key: trusted(value) for key, value in node.items()}
    if isinstance(node, list):
        return [trusted(value) for value in node]
    return node


@functools.lru_cache(maxsize=None)
def load(*parts):
    with open(os.path.join(ROLES, *parts)) as handle:
        return trusted(yaml.safe_load(handle))


def templar(variables):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    return Templar(loader=DataLoader(), variables=variables)


def common_vars(facts, auth, daemon, prefix):
    variables = {}
    for name in ('platform_defaults.yml', 'support.yml', 'chrony.yml'):
        variables.update(load('ntp_common', 'vars', name))
    variables.update(ansible_facts=dict(FACTS, **facts), ntp_common_auth=auth, ntp_common_daemon=daemon,
                     ntp_common_prefix=prefix, inventory_hostname='host1')
    return variables


def expression(text, variables):
    return templar(variables).template(trusted(text))


def platform(variables):
    """__ntp_common_use and ntp_common_platform, as tasks/platform.yml sets them."""
    tasks = load('ntp_common', 'tasks', 'platform.yml')
    use = [t for t in tasks if '__ntp_common_use' in t.get('ansible.builtin.set_fact', {})][0]
    variables['__ntp_common_use'] = expression(use['ansible.builtin.set_fact']['__ntp_common_use'], variables)
    fact = [t for t in tasks if 'ntp_common_platform' in t.get('ansible.builtin.set_fact', {})][0]
    variables['ntp_common_platform'] = expression(fact['ansible.builtin.set_fact']['ntp_common_platform'], variables)
    return variables


def role_conf(role, auth, variables, role_vars=None):
    """The ntp_common_conf the role passes (its vars/main.yml __ntp_<role>_conf), and its password; ``role_vars``
    are the user's settings of the role's public variables."""
    own = dict(load('ntp_' + role, 'defaults', 'main.yml'))
    own.update(load('ntp_' + role, 'vars', 'main.yml'))
    own.update({'ntp_%s_auth' % role: auth, 'ntp_%s_crypto_password' % role: 'Pw-Render-1'})
    if role == 'server':
        own['ntp_server_allowed_networks'] = ['10.0.0.0/24']
    else:
        own['ntp_client_servers'] = ['srv1']
    own.update(trusted(STUBS.get((role, auth), {})))
    own.update(trusted(role_vars or {}))
    context = dict(variables, **own)
    conf = expression('{{ __ntp_%s_conf }}' % role, context)
    password = expression('{{ %s }}' % ('__ntp_server_password' if role == 'server'
                                        else "ntp_client_crypto_password | default('')"), context)
    return conf, password


def render_template(name, variables):
    with open(os.path.join(ROLES, 'ntp_common', 'templates', name)) as handle:
        text = handle.read()
    variables = dict(variables, ansible_managed='Ansible managed')
    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core before 2.19: the template action's way
        templar_ = templar(variables)
        with templar_.set_temporary_context(trim_blocks=True, newline_sequence='\n'):
            return templar_.do_template(text, preserve_trailing_newlines=True, escape_backslashes=False)
    return templar(variables).template(trust_as_template(text), escape_backslashes=False,
                                       overrides={'trim_blocks': True, 'newline_sequence': '\n'})


def run(job):
    variables = common_vars(job.get('facts', {}), job['auth'], job.get('daemon', 'auto'), job.get('prefix', 'ntp_server'))
    if job['kind'] == 'expression':
        if job.get('platform', True):
            platform(variables)
        variables.update(trusted(job.get('vars', {})))
        if 'auths' in job:  # one platform fact, the expression for each of these schemes
            return {auth: expression(job['expression'], dict(variables, ntp_common_auth=auth)) for auth in job['auths']}
        return expression(job['expression'], variables)
    # a template for a role x daemon x scheme cell: the role's conf for the scheme (a refused cell too)
    platform(variables)
    conf, password = role_conf(job['role'], job['auth'], variables, job.get('role_vars'))
    variables.update(ntp_common_conf=conf, ntp_common_password=password, ntp_common_prefix='ntp_' + job['role'])
    return render_template(expression('{{ __ntp_common_selected.template }}', variables), variables)


def main():
    setup(sys.argv[1])
    results = []
    for job in json.load(sys.stdin):
        try:
            results.append({'ok': True, 'value': run(job)})
        # the test reads the message of any failure
        except Exception as exc:  # pylint: disable=broad-except
            results.append({'ok': False, 'error': '%s: %s' % (type(exc).__name__, exc)})
    json.dump(results, sys.stdout, default=str)


if __name__ == '__main__':
    main()
