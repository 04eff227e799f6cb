#!/usr/bin/env node
// Bundles the page into dist/ as Cockpit's starter-kit does: esbuild, one index.js and one
// index.css (PatternFly's tokens and the components the page uses, from the npm registry), the
// HTML and the manifest copied. The output is deterministic, so the dist/ in the tree (what the
// packages and the release tarball ship, built with no node) can be checked against the sources:
// `node build.js --outdir DIR` builds elsewhere for that comparison.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outdir = args[0] === "--outdir" && args[1] ? path.resolve(args[1]) : path.join(here, "dist");

fs.mkdirSync(outdir, { recursive: true });
await esbuild.build({
    entryPoints: [path.join(here, "src/index.js"), path.join(here, "src/index.css")],
    bundle: true,
    minify: true,
    legalComments: "linked",
    target: ["chrome109", "firefox115", "safari16"],
    format: "iife",
    outdir,
    // the fonts are Cockpit's own (/usr/share/cockpit/static/fonts), as its pages use them
    external: ["../../static/fonts/*"],
    logLevel: "warning",
});
for (const f of ["index.html", "manifest.json"])
    fs.copyFileSync(path.join(here, "src", f), path.join(outdir, f));
