#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vfio-handoff developers
# GNU General Public License v2.0+ (see COPYING or https://www.gnu.org/licenses/old-licenses/gpl-2.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: hostdev
short_description: Give a libvirt domain PCI devices that vfio-handoff hands off
version_added: "0.1.0"
description:
  - Adds enabled PCI devices to a libvirt domain, or removes them, through C(vfio-handoff add)
    and C(vfio-handoff remove), which edit the domain's definition through the libvirt API
    (C(<hostdev managed='no'>), locked memory and a hard limit), and with C(live) hot-plug or
    unplug them in the running domain too.
  - A device's IOMMU group companions (a GPU's audio function) go with it.
  - Idempotent; a device not enabled for the domain, or that the host depends on, fails the task
    with vfio-handoff's reason and fix.
author:
  - vfio-handoff developers
options:
  domain:
    description: The libvirt domain, by name or UUID.
    type: str
    required: true
  devices:
    description:
      - The devices, each a PCI address or a vendor:device ID that matches one device.
    type: list
    elements: str
    required: true
  state:
    description: C(present) adds them; C(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
  live:
    description:
      - Also hot-plug (or unplug) them in the running domain (C(--persistent)); a domain that
        does not run has its definition changed alone.
      - Without it, a running domain's definition is not changed, and the task fails saying so,
        since its devices would differ from what it runs with until it restarts.
    type: bool
    default: false
extends_documentation_fragment:
  - vfio_handoff.passthrough.cli
  - vfio_handoff.passthrough.cli.libvirt
notes:
  - Supports check mode (C(--dry-run)) and diff mode (the domain's definition before and
    after).
seealso:
  - module: vfio_handoff.passthrough.device
"""

EXAMPLES = r"""
- name: Give win11 the GPU (and its audio function)
  vfio_handoff.passthrough.hostdev:
    domain: win11
    devices: ["0000:01:00.0"]

- name: Hot-plug a VF into the running nas domain, and keep it there
  vfio_handoff.passthrough.hostdev:
    domain: nas
    devices: ["0000:03:10.0"]
    live: true

- name: Take it away again
  vfio_handoff.passthrough.hostdev:
    domain: nas
    devices: ["0000:03:10.0"]
    state: absent
    live: true
"""

RETURN = r"""
changes:
  description: What was (or, in check mode, would be) changed in the domain.
  returned: always
  type: list
  elements: str
notes:
  description: What was left as it was, and why.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.vfio_handoff.passthrough.plugins.module_utils.vfio_handoff import (
    CLI_ARGUMENT_SPEC,
    VfioHandoff,
)


def main():
    argument_spec = dict(
        domain=dict(type="str", required=True),
        devices=dict(type="list", elements="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        live=dict(type="bool", default=False),
        uri=dict(type="str"),
    )
    argument_spec.update(CLI_ARGUMENT_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    cli = VfioHandoff(module)
    args = ["add" if params["state"] == "present" else "remove", params["domain"]]
    args += params["devices"]
    if params["live"]:
        args.append("--persistent")
    if params["uri"]:
        args += ["-c", params["uri"]]
    if module.check_mode:
        args.append("--dry-run")
    rc, doc = cli.run(args)
    # a dry run changes nothing, and says what it would
    result = dict(changed=doc["changed"] or bool(doc["changes"]), changes=doc["changes"],
                  notes=doc["notes"])
    if result["changed"] and doc.get("diff"):
        result["diff"] = dict(prepared=doc["diff"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
