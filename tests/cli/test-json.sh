#!/bin/sh
# JSON v1 (issue "One truth", item 4): every command's --json output, in every fake-host
# scenario and as refusals, against the JSON Schema shipped for it (packaging/schema/); and the
# promises of vfio-handoff(8) JSON: "version": 1 first, no missing members, times with zone.
. "${VH_SRCDIR:?}/tests/cli/tap.sh"

command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is not installed"; exit 0; }
python3 -c 'import jsonschema' 2>/dev/null ||
    { echo "1..0 # SKIP python3-jsonschema is not installed (packaging/install-deps.sh installs it)"; exit 0; }
. "$VH_SRCDIR/tests/cli/fake-host.sh"
# a fake host served by the fake kernel first: a build without it (--without-fuse) skips the
# whole test here, with the reason, as the other tests that need it do
host gpu-audio
schemas=$VH_SRCDIR/packaging/schema
node="test://$VH_SRCDIR/tests/data/libvirt/node.xml"

# check_doc VERB DESCRIPTION: keeps $out, to be validated against VERB.schema.json by
# validate_all (one python3 for every document: a process each took a minute)
docs=$tap_tmp/docs
mkdir -p "$docs"
ndocs=0
check_doc() {
    ndocs=$((ndocs + 1))
    printf '%s' "$out" >"$docs/$ndocs.json"
    printf '%s\t%s\t%s\n' "$ndocs" "$1" "$2" >>"$docs/index"
}
# validate_all: each kept document against its command's schema (the shared shapes resolved from
# vfio-handoff.schema.json, offline), and "version" first: a TAP line each
validate_all() {
    python3 - "$schemas" "$docs" <<'PY' >"$docs/results"
import json, sys
import jsonschema
schemas, docs = sys.argv[1:]
shared = json.load(open(f"{schemas}/vfio-handoff.schema.json"))
def local(node):
    # "vfio-handoff.schema.json#/$defs/X" -> "#/$defs/X", the shared $defs carried along
    if isinstance(node, dict):
        return {k: (v.replace("vfio-handoff.schema.json#", "#") if k == "$ref" else local(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [local(v) for v in node]
    return node
validators = {}
for line in open(f"{docs}/index"):
    n, verb, _ = line.rstrip("\n").split("\t", 2)
    if verb not in validators:
        schema = local(json.load(open(f"{schemas}/{verb}.schema.json")))
        schema["$defs"] = local(shared["$defs"])
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validators[verb] = cls(schema)
    why = []
    try:
        document = json.loads(open(f"{docs}/{n}.json").read())
    except ValueError as e:
        why.append(f"not one JSON document: {e}")
    else:
        for e in sorted(validators[verb].iter_errors(document), key=lambda e: list(e.path))[:3]:
            why.append(f"{'/'.join(map(str, e.path)) or '(top)'}: {e.message[:300]}")
        if list(document)[:1] != ["version"]:
            why.append("'version' is not the first member")
    print(n + "\t" + " | ".join(why))
PY
    while IFS="$(printf '\t')" read -r n verb desc; do
        is "$desc: valid against $verb.schema.json" "" "$(sed -n "s/^$n\t//p" "$docs/results")"
    done <"$docs/index"
}

# ---- the schemas are schemas
for f in "$schemas"/*.schema.json; do
    is "$(basename "$f") is a JSON Schema (draft 2020-12)" "" \
        "$(python3 -c 'import json,sys,jsonschema; jsonschema.Draft202012Validator.check_schema(json.load(open(sys.argv[1])))' "$f" 2>&1 | tail -n 1)"
done

# ---- the read commands, in every scenario
for conf in "$scenarios"/*.conf; do
    name=$(basename "$conf" .conf)
    r=$tap_tmp/json-$name
    "$VH_FAKE_TOOL" build "$conf" "$r" >&2 || { echo "Bail out! cannot build $name"; exit 1; }
    for verb in check list groups status; do
        run "$r" $verb --json
        check_doc $verb "<$name> $verb --json (exit $rc)"
    done
    run "$r" policy validate --json
    check_doc policy "<$name> policy validate --json (exit $rc)"
    for a in $(VH_ROOT=$r "$VH_CLI" list --json | jq -r '.devices[].address'); do
        run "$r" show "$a" --json
        check_doc show "<$name> show $a --json (exit $rc)"
    done
    run "$r" plan --xml "$VH_SRCDIR/tests/data/domain/gpu.xml" --json
    check_doc plan "<$name> plan --json (exit $rc)"
    run "$r" enable 0000:01:00.0 --json
    check_doc enable "<$name> enable --json (exit $rc)"
    run "$r" export nova --json
    check_doc export "<$name> export nova --json (exit $rc)"
    run "$r" disable 0000:01:00.0 --json
    check_doc disable "<$name> disable --json (exit $rc)"
done

# ---- the commands that change the host, on a fake host served by the fake kernel
host gpu-audio
run "$r" enable 01:00.0 --domain nas --json
check_doc enable "enable --json"
is "enable --json: ok, one device enabled, its drop-in and domains" \
    'true "enabled" ["nas"]' "$(echo "$out" | jq -c '.ok, .devices[0].outcome, .devices[0].details.domains' | paste -sd' ')"
run "$r" detach 01:00.0 --json
check_doc detach "detach --json"
is "detach --json: both functions detached" '["detached","detached"]' "$(echo "$out" | jq -c '[.devices[].outcome]')"
run "$r" status --json
check_doc status "status --json with devices handed off"
like "status --json: since is an RFC 3339 time with its zone" \
    '^"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2}|Z)"$' "$(echo "$out" | jq '.devices[0].since')"
run "$r" recover --offline --dry-run --json
check_doc recover "recover --dry-run --json"
is "recover --dry-run --json: kept, detached by hand" '["kept","kept"]' "$(echo "$out" | jq -c '[.devices[].outcome]')"
run "$r" reattach 01:00.0 01:00.1 --json
check_doc reattach "reattach --json"
is "reattach --json: both given back, to their drivers" '[["given-back","nouveau"],["given-back","snd_hda_intel"]]' \
    "$(echo "$out" | jq -c '[.devices[] | [.outcome, .driver]]')"
run "$r" disable 01:00.0 --json
check_doc disable "disable --json"
is "disable --json: disabled" '"disabled"' "$(echo "$out" | jq -c '.devices[0].outcome')"

# ---- refusals and failures are documents too, with their errors
run "$r" show 99:00.0 --json
check_doc show "show of a missing device --json"
is "... not ok, the error in its parts (exit 1)" \
    '1 false {"subject":"0000:99:00.0","reason":"no PCI device at this address","fix":"pick one from '"'"'vfio-handoff list'"'"'"}' \
    "$rc $(echo "$out" | jq -c '.ok, .errors[0]' | paste -sd' ')"
fresh_r=$tap_tmp/json-boot-nvme-refusal
"$VH_FAKE_TOOL" build "$scenarios/boot-nvme.conf" "$fresh_r" >&2
run "$fresh_r" enable 02:00.0 --json
check_doc enable "a refused enable --json"
is "... ok false, no device, the refusal with its fix" 'false 0 "choose another device: the host needs this one, or pass --force to enable it anyway"' \
    "$(echo "$out" | jq -c '.ok, (.devices | length), .errors[0].fix' | paste -sd' ')"
run "$fresh_r" enable 04:00.0 --json --domain 'bad/x'
check_doc enable "a usage error --json (exit $rc)"
run "$r" export yaml --json
check_doc export "export of an unknown format --json (exit $rc)"

# ---- add and remove on libvirt's test driver
run "$r" enable 01:00.0 --domain win11
run "$r" add -c "$node" --dry-run --json win11 01:00.0
check_doc add "add --dry-run --json"
is "add --dry-run --json: a diff, nothing changed" 'true false true' \
    "$(echo "$out" | jq -c '.dry_run, .changed, (.diff | startswith("---"))' | paste -sd' ')"
run "$r" remove -c "$node" --dry-run --json win11 01:00.0
check_doc remove "remove --dry-run --json (nothing to remove)"
run "$r" add -c "$node" --json running 01:00.0
check_doc add "a refused add --json"
is "... its error names the fix" '"pass --persistent to hot-plug now and in its definition, --live for now only; or run '"'"'virsh shutdown running'"'"', then add again"' "$(echo "$out" | jq -c '.errors[0].fix')"
run "$r" domains -c "$node" --json
check_doc domains "domains --json"
is "domains --json: each domain, whether it runs, its hostdevs" \
    '[["nas",false,[]],["running",true,[]],["win11",false,[]]]' \
    "$(echo "$out" | jq -c '[.domains[] | [.name, .running, .hostdevs]]')"
run "$r" domains -c test:///nonexistent-path.xml --json
check_doc domains "domains --json, libvirt unreachable (exit $rc)"
is "... exit 1, not ok, the error names the URI" '1 false true' \
    "$rc $(echo "$out" | jq -c '.ok, (.errors[0].subject | startswith("libvirt at test:///"))' | paste -sd' ')"

validate_all
done_testing
