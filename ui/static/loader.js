// The component's module, as Streamlit runs it (from a blob: URL, where "./x.js" cannot
// resolve). ui/jsmodules.py puts two constants before this text: MODULES, {file name: source}
// of the entry and every module it imports, and ENTRY, the entry's file name. Each module
// becomes a blob: URL of its own, its "./x.js" imports pointed at theirs (what an import map
// does, which a page cannot add once its first module has run): the files stay plain ES
// modules, each with its own scope, and nothing is fetched.

const urls = new Map();  // file name -> blob: URL

function url(name) {
  if (!urls.has(name)) {
    const text = MODULES[name].replace(/(\bfrom\s*)"\.\/([\w.-]+\.js)"/g, (_, from, dep) => `${from}"${url(dep)}"`);
    const blob = new Blob([`${text}\n//# sourceURL=ae-static/${name}`], { type: "text/javascript" });
    urls.set(name, URL.createObjectURL(blob));
  }
  return urls.get(name);
}

const entry = import(url(ENTRY));

export default async function (args) {
  return (await entry).default(args);
}
