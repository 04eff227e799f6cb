#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vfio-handoff developers
# GNU General Public License v2.0+ (see COPYING or https://www.gnu.org/licenses/old-licenses/gpl-2.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: facts
short_description: What vfio-handoff knows of a host, as facts
version_added: "0.1.0"
description:
  - Sets C(ansible_facts.vfio_handoff) from C(vfio-handoff check), C(list) and C(status), each
    the JSON v1 document the command prints, for inventories and C(assert) tasks.
  - Changes nothing on the host.
author:
  - vfio-handoff developers
options:
  gather:
    description: Which documents to gather.
    type: list
    elements: str
    choices: [check, list, status]
    default: [check, list, status]
extends_documentation_fragment:
  - vfio_handoff.passthrough.cli
  - vfio_handoff.passthrough.cli.libvirt
notes:
  - C(check) fails on a host that cannot do passthrough (no IOMMU, say); that is a fact here,
    C(ansible_facts.vfio_handoff.check.ok) false, not a failed task.
"""

EXAMPLES = r"""
- name: Read what vfio-handoff knows
  vfio_handoff.passthrough.facts:

- name: This host can do passthrough
  ansible.builtin.assert:
    that: ansible_facts.vfio_handoff.check.ok
    fail_msg: "{{ ansible_facts.vfio_handoff.check.checks | selectattr('status', 'equalto', 'fail') | list }}"

- name: The devices that can be passed
  ansible.builtin.debug:
    msg: "{{ ansible_facts.vfio_handoff.list.devices | selectattr('passable') | map(attribute='address') | list }}"
"""

RETURN = r"""
ansible_facts:
  description: The facts.
  returned: always
  type: dict
  contains:
    vfio_handoff:
      description:
        - C(check), C(list) and C(status), each the document C(vfio-handoff COMMAND --json)
          prints (schemas in C(/usr/share/vfio-handoff/schema)); C(check) gains C(ok), whether
          it passed.
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.vfio_handoff.passthrough.plugins.module_utils.vfio_handoff import (
    CLI_ARGUMENT_SPEC,
    VfioHandoff,
)


def main():
    argument_spec = dict(
        gather=dict(type="list", elements="str", choices=["check", "list", "status"],
                    default=["check", "list", "status"]),
        uri=dict(type="str"),
    )
    argument_spec.update(CLI_ARGUMENT_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    cli = VfioHandoff(module)
    facts = {}
    for verb in module.params["gather"]:
        args = [verb]
        if verb == "check" and module.params["uri"]:
            args += ["-c", module.params["uri"]]
        # check exits 1 when a check fails: an answer, not an error
        rc, doc = cli.run(args, ok_codes=(0, 1) if verb == "check" else (0,))
        if verb == "check":
            doc["ok"] = rc == 0
        facts[verb] = doc
    module.exit_json(changed=False, ansible_facts=dict(vfio_handoff=facts))


if __name__ == "__main__":
    main()
