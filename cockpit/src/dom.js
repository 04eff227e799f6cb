/* Elements and PatternFly's building blocks, made from plain DOM: the page is small enough to need
 * no framework, and PatternFly's CSS is the same one its React components render. */
/* global cockpit */

const _ = cockpit.gettext;

/* h("div", {class: "x", onclick: f, "data-x": 1}, child, [children], "text") */
export function h(tag, props, ...children) {
    const el = document.createElement(tag);

    for (const [k, v] of Object.entries(props || {})) {
        if (v === null || v === undefined || v === false)
            continue;
        if (k.startsWith("on"))
            el.addEventListener(k.slice(2), v);
        else if (k === "class")
            el.className = v;
        else if (k === "value" || k === "checked" || k === "disabled")
            el[k] = v;
        else
            el.setAttribute(k, v === true ? "" : v);
    }
    append(el, children);
    return el;
}

function append(el, children) {
    for (const c of children.flat(Infinity)) {
        if (c === null || c === undefined || c === false)
            continue;
        el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
}

export function replace(el, ...children) {
    el.replaceChildren();
    append(el, children);
}

/* PatternFly's button: variant primary, secondary, link, danger, plain */
export function button(text, onclick, { variant = "secondary", small = true, id = null, disabled = false, label = null } = {}) {
    return h("button", {
        class: `pf-v6-c-button pf-m-${variant}` + (small ? " pf-m-small" : ""),
        type: "button",
        id,
        disabled,
        "aria-label": label,
        onclick,
    }, h("span", { class: "pf-v6-c-button__text" }, text));
}

/* PatternFly's label: color blue, green, orange, red, purple, grey */
export function label(text, color = "grey", title = null) {
    return h("span", { class: `pf-v6-c-label pf-m-${color} pf-m-compact`, title },
             h("span", { class: "pf-v6-c-label__content" }, h("span", { class: "pf-v6-c-label__text" }, text)));
}

/* PatternFly's inline alert: variant danger, warning, success, info, custom; @body: nodes */
export function alert(variant, title, body = null, { id = null } = {}) {
    return h("div", { class: `pf-v6-c-alert pf-m-${variant} pf-m-inline`, id, role: variant === "danger" ? "alert" : null },
             h("p", { class: "pf-v6-c-alert__title" },
               h("span", { class: "pf-v6-screen-reader" }, variant + ": "), title),
             body !== null ? h("div", { class: "pf-v6-c-alert__description" }, body) : null);
}

/* The CLI's errors, each as "SUBJECT: REASON" and its fix, in one danger alert */
export function errorsAlert(title, errors, { id = null } = {}) {
    return alert("danger", title,
                 errors.map(e => h("div", { class: "vh-error" },
                                   h("div", { class: "vh-error-reason" }, e.subject ? `${e.subject}: ${e.reason}` : e.reason),
                                   e.fix ? h("div", { class: "vh-error-fix" }, h("strong", null, _("Fix: ")), e.fix) : null)),
                 { id });
}

export function spinner(text) {
    return h("div", { class: "vh-loading" },
             h("svg", { class: "pf-v6-c-spinner pf-m-md", role: "progressbar", viewBox: "0 0 100 100", "aria-label": text },
               svgCircle()),
             h("span", null, text));
}

function svgCircle() {
    const c = document.createElementNS("http://www.w3.org/2000/svg", "circle");
    c.setAttribute("class", "pf-v6-c-spinner__path");
    c.setAttribute("cx", "50");
    c.setAttribute("cy", "50");
    c.setAttribute("r", "45");
    c.setAttribute("fill", "none");
    return c;
}

/* A table: @columns [text], @rows [[cell node or text]], each row's props from @rowProps(i) */
export function table(caption, columns, rows, { id = null, rowProps = () => ({}), compact = true } = {}) {
    return h("table", { class: "pf-v6-c-table pf-m-grid-md" + (compact ? " pf-m-compact" : ""), role: "grid", id, "aria-label": caption },
             h("thead", { class: "pf-v6-c-table__thead" },
               h("tr", { class: "pf-v6-c-table__tr" },
                 columns.map(c => h("th", { class: "pf-v6-c-table__th", scope: "col" }, c)))),
             h("tbody", { class: "pf-v6-c-table__tbody" },
               rows.map((r, i) => h("tr", { class: "pf-v6-c-table__tr", ...rowProps(i) },
                                    r.map((cell, j) => h("td", { class: "pf-v6-c-table__td", "data-label": columns[j] }, cell))))));
}

/* A modal dialog over the page: resolves when closed. @build(close, footer) returns the body; the
 * footer's buttons are set through footer(buttons). */
export function modal(title, build, { id = null, variant = "medium" } = {}) {
    return new Promise(resolve => {
        const footer = h("footer", { class: "pf-v6-c-modal-box__footer" });
        const backdrop = h("div", { class: "pf-v6-c-backdrop vh-backdrop" });
        const close = value => {
            backdrop.remove();
            document.removeEventListener("keydown", onkey);
            resolve(value);
        };
        const onkey = ev => { if (ev.key === "Escape") close(null) };
        const body = h("div", { class: "pf-v6-c-modal-box__body" });
        const box = h("div", { class: `pf-v6-c-modal-box pf-m-${variant}`, role: "dialog", "aria-modal": "true", "aria-labelledby": "vh-modal-title", id },
                      h("div", { class: "pf-v6-c-modal-box__close" },
                        button("×", () => close(null), { variant: "plain", small: false, label: _("Close") })),
                      h("header", { class: "pf-v6-c-modal-box__header" },
                        h("h1", { class: "pf-v6-c-modal-box__title", id: "vh-modal-title" }, title)),
                      body, footer);

        replace(body, build(close, buttons => replace(footer, buttons)));
        backdrop.appendChild(h("div", { class: "vh-modal-center" }, box));
        document.body.appendChild(backdrop);
        document.addEventListener("keydown", onkey);
    });
}

/* "2026-12-06T10:21:13+01:00" as the browser's locale says it */
export function when(rfc3339) {
    if (!rfc3339)
        return "—";
    const d = new Date(rfc3339);
    return isNaN(d) ? rfc3339 : d.toLocaleString();
}

/* 4194304 KiB as "4 GiB", 1536 as "1.5 MiB" (binary units, as the CLI prints them) */
export function kib(n) {
    if (n === null || n === undefined)
        return "—";
    const units = ["KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
        n /= 1024;
        i++;
    }
    return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[i]}`;
}
