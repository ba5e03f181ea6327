# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Servers of one IFF group share one group key: which server's key it is, who gets a copy, whom
each server peers with, and when the key cannot be shared. Pure functions, no Ansible imports,
so that the filter ntp_iff_group and the unit tests share them."""

from __future__ import annotations

FIX_PASSWORD = (
    'The servers of one IFF group share one encrypted group key, so they need one '
    'ntp_server_crypto_password: set it once for the group (for example in the group_vars of ntp_servers), '
    'or give the odd servers an ntp_server_group_name of their own.')


class GroupError(Exception):
    pass


def _member(item):
    if not isinstance(item, dict) or not item.get('name') or not item.get('group'):
        raise GroupError('a group member needs at least name and group, got %r' % (sorted(item) if isinstance(item, dict) else item,))
    return {
        'name': str(item['name']),
        'group': str(item['group']),
        'has_key': bool(item.get('has_key')),
        'password': item.get('password'),
        'source': str(item.get('source') or ''),
    }


def group_plan(members, me):
    """The plan of server ``me`` for the group key of its IFF group.

    ``members``: one mapping per server of the play, in inventory order, with ``name`` (inventory
    host name), ``group`` (ntp_server_group_name), ``has_key`` (whether it holds a group key for
    that group), ``password`` (a token that is equal when the crypto passwords are equal, never
    shown) and ``source`` (its ntp_server_group_key_source, '' for none).

    Returns ``{group, members, source, source_reason, receives, peers, errors}``:
      - ``source``: the server whose group key is the group's: the one named by
        ntp_server_group_key_source, else the first member (inventory order) that has a key, else
        the first member, which makes it.
      - ``receives``: whether ``me`` receives the source's key (every member but the source).
      - ``peers``: the other members, in inventory order, which ``me`` lists as Autokey servers.
        All of them, so adding a server adds a line on every other server of the group. (Symmetric
        ``peer`` lines did not work on ntpd 4.2.8p15: see docs/autokey.md, "Several servers".)
      - ``errors``: why the key cannot be shared (nothing may change then); empty when it can.
    """
    described = [_member(item) for item in members]
    mine = [m for m in described if m['name'] == me]
    if not mine:
        raise GroupError('%s is not among the described servers' % me)
    group = mine[0]['group']
    in_group = [m for m in described if m['group'] == group]
    names = [m['name'] for m in in_group]
    errors = []

    passwords = []
    for m in in_group:
        if m['password'] not in passwords:
            passwords.append(m['password'])
    if len(passwords) > 1:
        sets = '; '.join(', '.join(m['name'] for m in in_group if m['password'] == pw) for pw in passwords)
        errors.append(
            'ntp_server_crypto_password differs among the servers of IFF group %s (ntp_server_group_name): '
            'they fall into %d sets with one password each: %s. %s'
            % (group, len(passwords), sets, FIX_PASSWORD))

    named = sorted(set(m['source'] for m in in_group if m['source']))
    source, reason = None, None
    if len(named) > 1 or (named and any(not m['source'] for m in in_group)):
        errors.append(
            'ntp_server_group_key_source differs among the servers of IFF group %s: %s. Set it to one '
            'server for the whole group (group_vars), or leave it unset everywhere.'
            % (group, ', '.join('%s names %s' % (m['name'], m['source'] or '(none)') for m in in_group)))
    elif named:
        source = named[0]
        other = [m for m in described if m['name'] == source and m['group'] != group]
        if other:
            errors.append(
                'ntp_server_group_key_source is %s, but %s is a server of IFF group %s, not %s: name a '
                'server of %s (%s).' % (source, source, other[0]['group'], group, group, ', '.join(names)))
        reason = 'named by ntp_server_group_key_source' + ('' if source in names else ' (not in this play)')
    else:
        holders = [m['name'] for m in in_group if m['has_key']]
        if holders:
            source, reason = holders[0], 'the first server of the group (inventory order) that has a group key'
        else:
            source, reason = names[0], 'no server of the group has a group key yet: the first one makes it'

    return {
        'group': group,
        'members': names,
        'source': source,
        'source_reason': reason,
        'receives': source is not None and source != me,
        'peers': [name for name in names if name != me],
        'errors': errors,
    }
