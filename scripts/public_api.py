#!/usr/bin/env python3
"""Lists the public API of the sealwire crate from rustdoc's JSON output.

Usage: public_api.py target/doc/sealwire.json

Prints one line per public item, sorted (kind, path, and the signature of
functions, constants and fields), then the counts: root items, public
modules, public types, public functions and methods, and every type that is
reachable by more than one path. `scripts/public-api.sh` runs rustdoc and
compares the result with the committed `api/sealwire.txt`.
"""

import json
import sys
from collections import defaultdict

# Marker traits the compiler adds to derives; not API anyone names.
HIDDEN_TRAITS = ("StructuralPartialEq",)
TYPE_KINDS = ("struct", "enum", "trait", "type_alias", "union")
_SELF = {"generic": "Self"}
SELF_FORMS = {
    json.dumps(_SELF, sort_keys=True): "self",
    json.dumps(
        {"borrowed_ref": {"lifetime": None, "is_mutable": False, "type": _SELF}}, sort_keys=True
    ): "&self",
    json.dumps(
        {"borrowed_ref": {"lifetime": None, "is_mutable": True, "type": _SELF}}, sort_keys=True
    ): "&mut self",
}


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    index = doc["index"]
    paths = doc["paths"]
    root = str(doc["root"])

    def item(i):
        return index.get(str(i))

    def kind(it):
        return next(iter(it["inner"]))

    # Walk from the root through public modules and re-exports.
    reach = defaultdict(set)  # id -> public paths
    seen_modules = set()

    def walk(mod_id, prefix):
        key = (str(mod_id), prefix)
        if key in seen_modules:
            return
        seen_modules.add(key)
        mod = item(mod_id)
        for child in mod["inner"]["module"]["items"]:
            visit(child, prefix, None)

    def visit(child_id, prefix, alias):
        it = item(child_id)
        if it is None:
            return
        k = kind(it)
        if k == "use":
            use = it["inner"]["use"]
            target = use["id"]
            if target is None:
                return
            if use["is_glob"]:
                tgt = item(target)
                if tgt is not None and kind(tgt) == "module":
                    for c in tgt["inner"]["module"]["items"]:
                        visit(c, prefix, None)
                return
            if item(target) is None:
                # A re-exported external crate or item.
                reach[("extern", str(target))].add(prefix + "::" + use["name"])
                return
            visit(target, prefix, use["name"])
            return
        if it["visibility"] != "public" and k not in ("impl",):
            return
        name = alias or it["name"]
        path = prefix + "::" + name
        reach[str(child_id)].add(path)
        if k == "module":
            walk(child_id, path)

    walk(root, "sealwire")

    def public_path(i):
        ps = reach.get(str(i))
        if ps:
            return min(ps, key=lambda p: (len(p), p))
        p = paths.get(str(i))
        if p is not None:
            return "::".join(p["path"])
        return None

    def ty(t):
        if t is None:
            return "()"
        (k, v), = t.items()
        if k == "resolved_path":
            name = v["path"]
            if v.get("id") is not None and item(v["id"]) is not None:
                name = public_path(v["id"]) or name
            return name + args(v.get("args"))
        if k == "generic":
            return v
        if k == "primitive":
            return v
        if k == "tuple":
            return "(" + ", ".join(ty(x) for x in v) + ")"
        if k == "slice":
            return "[" + ty(v) + "]"
        if k == "array":
            return "[" + ty(v["type"]) + "; " + v["len"] + "]"
        if k == "borrowed_ref":
            lt = (v["lifetime"] + " ") if v["lifetime"] else ""
            return "&" + lt + ("mut " if v["is_mutable"] else "") + ty(v["type"])
        if k == "raw_pointer":
            return ("*mut " if v["is_mutable"] else "*const ") + ty(v["type"])
        if k == "impl_trait":
            return "impl " + " + ".join(bound(b) for b in v)
        if k == "dyn_trait":
            return "dyn " + " + ".join(
                p["trait"]["path"] + args(p["trait"].get("args")) for p in v["traits"]
            )
        if k == "qualified_path":
            tr = v.get("trait")
            if tr:
                return "<" + ty(v["self_type"]) + " as " + tr["path"] + ">::" + v["name"]
            return ty(v["self_type"]) + "::" + v["name"]
        if k == "function_pointer":
            return "fn(" + ", ".join(ty(x[1]) for x in v["sig"]["inputs"]) + ")" + ret(
                v["sig"]["output"]
            )
        if k == "infer":
            return "_"
        return k

    def args(a):
        if not a:
            return ""
        if "angle_bracketed" in a:
            parts = []
            for g in a["angle_bracketed"]["args"]:
                if "type" in g:
                    parts.append(ty(g["type"]))
                elif "lifetime" in g:
                    parts.append(g["lifetime"])
                elif "const" in g:
                    parts.append(g["const"].get("expr", "_"))
                else:
                    parts.append("_")
            for c in a["angle_bracketed"].get("constraints", []):
                b = c.get("binding", {})
                if "equality" in b:
                    parts.append(c["name"] + " = " + ty(b["equality"].get("type")))
                else:
                    parts.append(c["name"])
            return "<" + ", ".join(parts) + ">" if parts else ""
        if "parenthesized" in a:
            p = a["parenthesized"]
            return "(" + ", ".join(ty(x) for x in p["inputs"]) + ")" + ret(p.get("output"))
        return ""

    def ret(t):
        return "" if t is None else " -> " + ty(t)

    def bound(b):
        if "trait_bound" in b:
            tb = b["trait_bound"]
            m = "?" if tb.get("modifier") == "maybe" else ""
            return m + tb["trait"]["path"] + args(tb["trait"].get("args"))
        if "outlives" in b:
            return b["outlives"]
        return "_"

    def generics(g):
        out = []
        for p in g["params"]:
            (k, v), = p["kind"].items()
            if k == "lifetime":
                out.append(p["name"])
            elif k == "type":
                if v.get("is_synthetic"):
                    continue
                bs = [bound(b) for b in v["bounds"]]
                out.append(p["name"] + (": " + " + ".join(bs) if bs else ""))
            elif k == "const":
                out.append("const " + p["name"] + ": " + ty(v["type"]))
        return "<" + ", ".join(out) + ">" if out else ""

    def fn_sig(it, name):
        f = it["inner"]["function"]
        h = f["header"]
        pre = ("const " if h["is_const"] else "") + ("unsafe " if h["is_unsafe"] else "")
        ins = []
        for n, t in f["sig"]["inputs"]:
            if n == "self":
                ins.append(SELF_FORMS.get(json.dumps(t, sort_keys=True)) or "self: " + ty(t))
            else:
                ins.append(n + ": " + ty(t))
        return pre + "fn " + name + generics(f["generics"]) + "(" + ", ".join(ins) + ")" + ret(
            f["sig"]["output"]
        )

    lines = []
    counts = defaultdict(int)
    root_items = set()
    done = set()
    for key, ps in sorted(reach.items(), key=lambda kv: sorted(kv[1])):
        for p in ps:
            if p.count("::") == 1:
                root_items.add(p)
        if isinstance(key, tuple):
            for p in sorted(ps):
                lines.append("extern-crate " + p)
            continue
        it = item(key)
        k = kind(it)
        for p in sorted(ps):
            if k == "function":
                lines.append("fn " + p + ": " + fn_sig(it, it["name"]))
            elif k == "constant":
                c = it["inner"]["constant"]
                lines.append("const " + p + ": " + ty(c["type"]))
            elif k == "static":
                lines.append("static " + p + ": " + ty(it["inner"]["static"]["type"]))
            else:
                lines.append(k + " " + p)
        if key in done:
            continue
        done.add(key)
        if k == "module":
            counts["modules"] += 1
        if k in TYPE_KINDS:
            counts["types"] += 1
        if k == "function":
            counts["functions"] += 1
        if k == "constant":
            counts["constants"] += 1
        canon = public_path(key)
        if k == "enum":
            for v in it["inner"]["enum"]["variants"]:
                lines.append("variant " + canon + "::" + item(v)["name"])
        if k == "struct":
            sk = it["inner"]["struct"]["kind"]
            fields = sk.get("plain", {}).get("fields", []) if isinstance(sk, dict) else []
            for fid in fields:
                fi = item(fid)
                if fi is not None and fi["visibility"] == "public":
                    lines.append(
                        "field " + canon + "::" + fi["name"] + ": " + ty(fi["inner"]["struct_field"])
                    )
        if k == "trait":
            for mid in it["inner"]["trait"]["items"]:
                mi = item(mid)
                if mi is not None and kind(mi) == "function":
                    counts["methods"] += 1
                    lines.append("trait-fn " + canon + "::" + mi["name"] + ": " + fn_sig(mi, mi["name"]))
        impls = it["inner"].get(k, {}).get("impls", []) if k in ("struct", "enum", "union") else []
        for iid in impls:
            im = item(iid)
            if im is None:
                continue
            imp = im["inner"]["impl"]
            if imp["is_synthetic"] or imp["blanket_impl"] is not None:
                continue
            if imp["trait"] is None:
                for mid in imp["items"]:
                    mi = item(mid)
                    if mi is None or mi["visibility"] != "public":
                        continue
                    mk = kind(mi)
                    if mk == "function":
                        counts["methods"] += 1
                        lines.append("method " + canon + "::" + mi["name"] + ": " + fn_sig(mi, mi["name"]))
                    elif mk == "assoc_const":
                        lines.append("assoc-const " + canon + "::" + mi["name"])
            else:
                tr = imp["trait"]
                if tr["path"] in HIDDEN_TRAITS:
                    continue
                tname = tr["path"]
                if tr.get("id") is not None and item(tr["id"]) is not None:
                    tname = public_path(tr["id"]) or tname
                lines.append("impl " + tname + args(tr.get("args")) + " for " + ty(imp["for"]))

    multi = sorted(
        (public_path(k), sorted(ps))
        for k, ps in reach.items()
        if not isinstance(k, tuple) and len(ps) > 1 and kind(item(k)) != "module"
    )
    for line in sorted(set(lines)):
        print(line)
    print()
    print("# counts")
    print(f"# root items: {len(root_items)}")
    print(f"# public modules (root included): {counts['modules'] + 1}")
    print(f"# public types (struct, enum, trait, type alias): {counts['types']}")
    print(f"# public free functions: {counts['functions']}")
    print(f"# public methods (inherent and trait): {counts['methods']}")
    print(f"# public constants: {counts['constants']}")
    print(f"# items reachable by more than one path: {len(multi)}")
    for canon, ps in multi:
        print(f"#   {canon}: {', '.join(ps)}")


if __name__ == "__main__":
    main()
