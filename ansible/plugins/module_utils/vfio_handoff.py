# -*- coding: utf-8 -*-
# Copyright: vfio-handoff developers
# GNU General Public License v2.0+ (see COPYING or https://www.gnu.org/licenses/old-licenses/gpl-2.0.txt)
"""What the modules share: running the vfio-handoff CLI with --json and reading its answer."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

CLI_ARGUMENT_SPEC = dict(
    binary=dict(type="path", default="vfio-handoff"),
)


def message_text(message):
    """One message of the CLI's JSON v1 ({subject, reason, fix}) as the CLI prints it."""
    text = message.get("reason") or ""
    if message.get("subject"):
        text = "%s: %s" % (message["subject"], text)
    if message.get("fix"):
        text = "%s (fix: %s)" % (text, message["fix"])
    return text


class VfioHandoff(object):
    """The vfio-handoff command line, as a module runs it."""

    def __init__(self, module):
        self.module = module
        binary = module.params["binary"]
        if "/" not in binary:
            binary = module.get_bin_path(binary, required=True)
        self.binary = binary
        self.warnings = []

    def run(self, args, ok_codes=(0,)):
        """Runs `vfio-handoff ARGS --json`; returns (rc, document). An exit status not in
        ok_codes fails the task with the CLI's own messages (reason and fix)."""
        cmd = [self.binary] + list(args) + ["--json"]
        rc, out, err = self.module.run_command(cmd)
        try:
            doc = json.loads(out) if out.strip() else None
        except ValueError:
            doc = None
        if doc is None:
            self.module.fail_json(
                msg="%s: printed no JSON document (exit %d): %s"
                % (" ".join(cmd), rc, err.strip() or out.strip()),
                rc=rc, cmd=cmd)
        for w in doc.get("warnings", []):
            text = message_text(w)
            if text not in self.warnings:
                self.warnings.append(text)
                self.module.warn(text)
        if rc not in ok_codes:
            self.fail(cmd, rc, doc)
        return rc, doc

    def fail(self, cmd, rc, doc):
        errors = [message_text(e) for e in doc.get("errors", [])]
        self.module.fail_json(
            msg="; ".join(errors) or "%s failed (exit %d)" % (" ".join(cmd), rc),
            errors=doc.get("errors", []), rc=rc, cmd=cmd)
