/* The page's one way to the host: the vfio-handoff CLI and its JSON v1 documents (vfio-handoff(8)
 * JSON; the schemas in /usr/share/vfio-handoff/schema/). Reads run with the superuser when the
 * user has it, so the page sees what root sees; changes require it, as the CLI does. */
/* global cockpit */

const _ = cockpit.gettext;

export class CliError extends Error {
    /* @errors: the document's [{subject, reason, fix}], or one made of what went wrong */
    constructor(message, errors, doc) {
        super(message);
        this.errors = errors;
        this.doc = doc;
    }
}

function parse(output) {
    try {
        return JSON.parse(output);
    } catch (e) {
        return null;
    }
}

/* Runs `vfio-handoff ARGS... --json`; resolves with its document when it exits 0, else rejects
 * with a CliError carrying the document's errors (a refusal is a document too). */
export function vh(args, { write = false } = {}) {
    const argv = ["vfio-handoff", ...args, "--json"];

    return new Promise((resolve, reject) => {
        cockpit.spawn(argv, { superuser: write ? "require" : "try", err: "message", environ: ["LC_ALL=C.UTF-8"] })
                .then(output => {
                    const doc = parse(output);
                    if (doc === null)
                        reject(new CliError(cockpit.format(_("vfio-handoff $0: its output is not JSON"), args[0]), []));
                    else
                        resolve(doc);
                })
                .catch((ex, output) => {
                    const doc = parse(output || "");
                    if (doc !== null && Array.isArray(doc.errors) && doc.errors.length > 0) {
                        reject(new CliError(doc.errors.map(e => e.reason).join("; "), doc.errors, doc));
                    } else if (ex.problem === "not-found") {
                        reject(new CliError(_("vfio-handoff is not installed"), [{
                            subject: "vfio-handoff",
                            reason: _("the command is not installed on this host"),
                            fix: _("install the vfio-handoff package")
                        }]));
                    } else if (ex.problem === "access-denied") {
                        reject(new CliError(ex.message, [{
                            subject: args[0],
                            reason: _("needs administrative access"),
                            fix: _("turn on administrative access (the lock at the top of Cockpit)")
                        }]));
                    } else {
                        const text = (ex.message || String(ex)).replace(/^vfio-handoff: /, "");
                        reject(new CliError(text, [{ subject: args[0], reason: text, fix: null }], doc));
                    }
                });
    });
}

/* What the page reads each time it refreshes. A part that fails is null, with its error kept:
 * libvirt may be down while the inventory is fine. */
export async function readHost() {
    const parts = {
        list: vh(["list"]),
        check: vh(["check"]).catch(e => e.doc || Promise.reject(e)), // exit 1: a check failed
        status: vh(["status"]),
        domains: vh(["domains"]),
    };
    const names = Object.keys(parts);
    const settled = await Promise.allSettled(Object.values(parts));
    const host = { errors: {} };

    settled.forEach((s, i) => {
        host[names[i]] = s.status === "fulfilled" ? s.value : null;
        if (s.status === "rejected")
            host.errors[names[i]] = s.reason;
    });
    return host;
}
