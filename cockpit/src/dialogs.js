/* The dialogs that change the host: each previews with the CLI's --dry-run where it has one, then
 * runs the command as the superuser and shows its answer: what changed, or the refusal with its
 * reason and fix (nothing changed then: the CLI rolls back). */
/* global cockpit */

import { vh } from "./cli.js";
import { h, replace, button, alert, errorsAlert, modal, spinner } from "./dom.js";
import { deviceName } from "./model.js";

const _ = cockpit.gettext;

/* What a document says it did or would do: its devices' messages, changes, notes, diff */
export function docSummary(doc) {
    const lines = [
        ...(doc.devices || []).map(d => d.message),
        ...(doc.changes || []),
        ...(doc.notes || []),
    ].filter(Boolean);

    return [
        lines.length > 0 ? h("ul", { class: "vh-summary" }, lines.map(l => h("li", null, l))) : null,
        doc.diff ? h("pre", { class: "pf-v6-c-code-block vh-diff", id: "vh-diff" }, colourDiff(doc.diff)) : null,
        (doc.warnings || []).length > 0 ? alert("warning", _("Warnings"), doc.warnings.map(w => h("div", null, `${w.subject}: ${w.reason}` + (w.fix ? ` (${_("fix")}: ${w.fix})` : "")))) : null,
    ];
}

function colourDiff(diff) {
    return diff.split("\n").map(l => h("span", {
        class: l.startsWith("+") && !l.startsWith("+++") ? "vh-diff-add" : l.startsWith("-") && !l.startsWith("---") ? "vh-diff-del" : null,
    }, l + "\n"));
}

/*
 * A dialog that runs one command: @preview (argv or null) is run at open and on every change of
 * the options (@options(onchange) makes their nodes, @args() their arguments), @apply (argv
 * function) when the user confirms. Resolves true when something was done.
 */
function commandDialog({ id, title, intro, options = null, args = () => [], preview = null, apply, applyText, danger = false, done }) {
    return modal(title, (close, setFooter) => {
        const previewBox = h("div", { class: "vh-preview", id: `${id}-preview` });
        const resultBox = h("div", { class: "vh-result", id: `${id}-result` });
        let applied = false;
        let seq = 0;
        const runPreview = () => {
            if (preview === null)
                return;
            const mine = ++seq;
            replace(previewBox, spinner(_("Checking…")));
            replace(resultBox);
            vh(preview(args()))
                    .then(doc => { if (mine === seq) replace(previewBox, h("div", { class: "vh-preview-title" }, _("Previewed, nothing changed yet:")), docSummary(doc)) })
                    .catch(e => { if (mine === seq) replace(previewBox, errorsAlert(_("It would be refused"), e.errors, { id: `${id}-refusal` })) });
        };
        const applyButton = button(applyText, () => {
            applyButton.disabled = true;
            replace(resultBox, spinner(_("Working…")));
            vh(apply(args()), { write: true })
                    .then(doc => {
                        applied = true;
                        replace(previewBox);
                        replace(resultBox, alert("success", done, docSummary(doc), { id: `${id}-done` }));
                        setFooter(button(_("Close"), () => close(true), { variant: "primary", small: false, id: `${id}-close` }));
                    })
                    .catch(e => {
                        // what it did before it stopped, if anything (recover goes device by device)
                        applied = (e.doc?.devices || []).some(d => !["failed", "kept", "unchanged"].includes(d.outcome));
                        applyButton.disabled = false;
                        replace(resultBox, errorsAlert(_("Not done"), e.errors, { id: `${id}-error` }),
                                e.doc ? docSummary({ devices: e.doc.devices, changes: e.doc.changes }) : null);
                    });
        }, { variant: danger ? "danger" : "primary", small: false, id: `${id}-apply` });

        setFooter([applyButton, button(_("Cancel"), () => close(applied), { variant: "link", small: false, id: `${id}-cancel` })]);
        setTimeout(runPreview, 0);
        return [
            intro ? h("div", { class: "vh-intro" }, intro) : null,
            options ? h("form", { class: "pf-v6-c-form vh-options", onsubmit: ev => ev.preventDefault() }, options(runPreview)) : null,
            previewBox,
            resultBox,
        ];
    }, { id });
}

function field(labelText, control, helper = null) {
    return h("div", { class: "pf-v6-c-form__group" },
             h("div", { class: "pf-v6-c-form__group-label" },
               h("label", { class: "pf-v6-c-form__label", for: control.id || null }, h("span", { class: "pf-v6-c-form__label-text" }, labelText))),
             h("div", { class: "pf-v6-c-form__group-control" }, control,
               helper ? h("div", { class: "pf-v6-c-form__helper-text" }, h("div", { class: "pf-v6-c-helper-text" }, h("div", { class: "pf-v6-c-helper-text__item" }, h("span", { class: "pf-v6-c-helper-text__item-text" }, helper)))) : null));
}

function checkbox(id, text, description, onchange) {
    const input = h("input", { class: "pf-v6-c-check__input", type: "checkbox", id, onchange });
    return {
        input,
        node: h("div", { class: "pf-v6-c-check" }, input,
                h("label", { class: "pf-v6-c-check__label", for: id }, text),
                description ? h("span", { class: "pf-v6-c-check__description" }, description) : null),
    };
}

function textInput(id, placeholder, oninput) {
    return h("span", { class: "pf-v6-c-form-control" },
             h("input", { id, type: "text", placeholder, oninput, "aria-label": placeholder }));
}

/* The "Edit" tick of vSphere's PCI Devices: enable a device, its group's companions with it */
export async function enableDialog(dev, host, refresh) {
    const show = await vh(["show", dev.address]).then(doc => doc.device).catch(() => null);
    let domains = "";
    let consoleHandoff = null;
    const companions = show?.companions || [];
    const done = await commandDialog({
        id: "vh-enable",
        title: cockpit.format(_("Enable $0 for passthrough"), dev.address),
        intro: [
            h("p", null, deviceName(dev)),
            companions.length > 0
                ? alert("info", _("The rest of its IOMMU group goes with it"),
                        h("p", { id: "vh-enable-companions" }, companions.map(c => c.address).join(", "), " — ",
                          _("the kernel hands an IOMMU group to a VM whole: when a VM starts with this device, these are handed off with it, and given back with it")))
                : null,
        ],
        options: onchange => {
            const domainInput = textInput("vh-enable-domains", _("any VM"), ev => { domains = ev.target.value; onchange() });
            const opts = [field(_("Only for these VMs"), domainInput, _("Names separated by commas; empty: any VM may have it"))];
            if (show?.boot_vga) {
                consoleHandoff = checkbox("vh-enable-console", _("Hand off the host's console with it"),
                                          _("This is the boot GPU and shows the host's console. At each VM start the console is released from it, and restored at the stop: the host has no local screen while the VM runs."),
                                          onchange);
                opts.push(consoleHandoff.node);
            }
            return opts;
        },
        args: () => [
            dev.address,
            ...domains.split(",").map(s => s.trim()).filter(Boolean).flatMap(d => ["--domain", d]),
            ...(consoleHandoff?.input.checked ? ["--console-handoff"] : []),
        ],
        preview: a => ["enable", ...a, "--dry-run"],
        apply: a => ["enable", ...a],
        applyText: _("Enable"),
        done: _("Enabled for passthrough"),
    });
    if (done)
        refresh();
}

export async function disableDialog(dev, host, refresh) {
    const done = await commandDialog({
        id: "vh-disable",
        title: cockpit.format(_("Disable $0 for passthrough"), dev.address),
        intro: h("p", null, deviceName(dev), " — ", _("its policy drop-in is removed; VMs that have it can no longer start with it.")),
        preview: () => ["disable", dev.address, "--dry-run"],
        apply: () => ["disable", dev.address],
        applyText: _("Disable"),
        danger: true,
        done: _("Disabled"),
    });
    if (done)
        refresh();
}

function domainOption(d, address) {
    const has = (d.hostdevs || []).some(x => x.address === address);
    const state = d.running ? _("running: hot-plugged now and kept in its definition") : _("shut off");
    return h("option", { value: d.name, disabled: has }, `${d.name} (${has ? _("has it") : state})`);
}

/* vSphere's "Add PCI device": to a shut-off VM's definition, or hot-plugged into a running one */
export async function addDialog(dev, host, refresh) {
    // read afresh: a VM may have started or stopped since the page last looked
    let domains;
    try {
        domains = (await vh(["domains"])).domains;
    } catch (e) {
        await modal(_("Add to a VM"), () => errorsAlert(_("The VMs cannot be listed"), e.errors), { id: "vh-add" });
        return;
    }
    let chosen = domains.find(d => !(d.hostdevs || []).some(x => x.address === dev.address))?.name || null;
    const running = () => domains.find(d => d.name === chosen)?.running;

    const done = await commandDialog({
        id: "vh-add",
        title: cockpit.format(_("Add $0 to a VM"), dev.address),
        intro: h("p", null, deviceName(dev), " — ",
                 _("the VM's definition gets a <hostdev managed='no'> for it and its group's other devices, and its memory is locked as the policy asks. The device is handed off when the VM starts and given back when it stops.")),
        options: onchange => {
            const select = h("select", { class: "vh-select", id: "vh-add-domain", onchange: ev => { chosen = ev.target.value; onchange() } },
                             domains.map(d => domainOption(d, dev.address)));
            if (chosen)
                select.value = chosen;
            return [domains.length > 0 ? field(_("Virtual machine"), select) : alert("info", _("There is no VM to add it to"), _("Create one first, in Virtual machines."))];
        },
        args: () => [chosen, dev.address, ...(running() ? ["--persistent"] : [])],
        preview: a => ["add", ...a, "--dry-run"],
        apply: a => ["add", ...a],
        applyText: _("Add"),
        done: _("Added"),
    });
    if (done)
        refresh();
}

export async function removeDialog(domain, address, refresh) {
    const done = await commandDialog({
        id: "vh-remove",
        title: cockpit.format(_("Remove $0 from $1"), address, domain.name),
        intro: h("p", null, domain.running
            ? _("The VM runs: the device is unplugged now (the guest must let go) and removed from its definition, and given back to its driver.")
            : _("What add put in the VM's definition for it is taken out again.")),
        preview: () => ["remove", domain.name, address, "--dry-run", ...(domain.running ? ["--persistent"] : [])],
        apply: () => ["remove", domain.name, address, ...(domain.running ? ["--persistent"] : [])],
        applyText: _("Remove"),
        danger: true,
        done: _("Removed"),
    });
    if (done)
        refresh();
}

/* recover and reattach: confirmations for the commands that give devices back */
export async function giveBackDialog({ id, title, intro, preview = null, apply, applyText, danger = false, refresh }) {
    const done = await commandDialog({ id, title, intro, preview, apply, applyText, danger, done: _("Done") });
    if (done)
        refresh();
}
