#!/usr/bin/python3
"""Every element of the plugin has complete gst-inspect-1.0 text and a docs page that covers it:
metadata filled in, every property with a blurb, every property and every enum value named in
docs/elements/<element>.md."""
import os
import subprocess

from vigiltest import Checks, SOURCE, gst_env

# Runs in a child process so that the sanitizer build can preload its runtime into it.
PROBE = r'''
import gi, json
gi.require_version("Gst", "1.0")
from gi.repository import Gst, GObject
Gst.init(None)
plugin = Gst.Registry.get().find_plugin("vigil")
out = {"found": plugin is not None, "elements": {}}
if plugin:
    for f in Gst.Registry.get().get_feature_list_by_plugin("vigil"):
        if not isinstance(f, Gst.ElementFactory):
            continue
        e = f.create(None)
        props = []
        for p in e.list_properties():
            if p.owner_type.name in ("GstObject", "GstElement", "GObject", "GstBin", "GstBaseTransform", "GstBaseSrc", "GstBaseSink"):
                continue
            values = []
            if GObject.type_is_a(p.value_type, GObject.TYPE_ENUM):
                values = [v.value_nick for v in p.enum_class.__enum_values__.values()]
            props.append({"name": p.name, "blurb": p.blurb or "", "nick": p.nick or "", "enum": values})
        out["elements"][f.get_name()] = {
            "meta": {k: f.get_metadata(k) or "" for k in ("long-name", "klass", "description", "author")},
            "props": props,
            "pads": [t.name_template for t in f.get_static_pad_templates()],
        }
print(json.dumps(out))
'''


def main():
    import json
    c = Checks("inspect")
    r = subprocess.run(["/usr/bin/python3", "-c", PROBE], capture_output=True, text=True,
                       env=gst_env())
    if not c.check(r.returncode == 0, "probe failed: " + r.stderr[-2000:]):
        c.done()
    info = json.loads(r.stdout.strip().splitlines()[-1])
    c.check(info["found"], "plugin 'vigil' not found in GST_PLUGIN_PATH")
    c.check(len(info["elements"]) > 0, "the plugin registers no element")
    for name, el in sorted(info["elements"].items()):
        for k, v in el["meta"].items():
            c.check(len(v.strip()) > 3, "%s: metadata '%s' is empty" % (name, k))
        c.check("sink" in el["pads"] or "src" in el["pads"], "%s: no static pad template" % name)
        doc_path = os.path.join(SOURCE, "docs", "elements", name + ".md")
        doc = open(doc_path).read() if os.path.exists(doc_path) else ""
        c.check(doc != "", "%s: docs/elements/%s.md is missing" % (name, name))
        for p in el["props"]:
            c.check(len(p["blurb"]) >= 15 and p["blurb"] != p["nick"],
                    "%s: property '%s' has no real description (blurb '%s')" % (
                        name, p["name"], p["blurb"]))
            if doc:
                c.check("`%s`" % p["name"] in doc,
                        "%s: property '%s' is not documented (as `%s`) in %s" % (
                            name, p["name"], p["name"], doc_path))
                for v in p["enum"]:
                    c.check(v in doc, "%s: value '%s' of '%s' is not documented" % (
                        name, v, p["name"]))
        print("%s: %d properties checked" % (name, len(el["props"])))
    c.done()


if __name__ == "__main__":
    main()
