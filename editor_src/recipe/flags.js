// The native build's esbuild CLI flags (bundle/flags.py, published in recipe.json), as JS API options.
// Converted one by one; a flag this does not know is an error, so a new native flag can never be dropped
// silently (which would make the editor's bytes differ from the share link's).

const BOOLEAN = { "--bundle": "bundle", "--minify": "minify" };
const VALUED = {
  "--format": "format", "--platform": "platform", "--target": "target", "--charset": "charset",
  "--jsx": "jsx", "--packages": "packages", "--tsconfig-raw": "tsconfigRaw", "--legal-comments": "legalComments",
  "--jsx-import-source": "jsxImportSource",
};

export function optionsFromFlags(flags) {
  const options = {};
  for (const flag of flags) {
    if (flag in BOOLEAN) {
      options[BOOLEAN[flag]] = true;
      continue;
    }
    const colon = flag.match(/^--(define|loader):([^=]+)=(.*)$/s);
    if (colon) {
      const key = colon[1];
      options[key] = { ...options[key], [colon[2]]: colon[3] };
      continue;
    }
    const valued = flag.match(/^(--[a-z-]+)=(.*)$/s);
    if (valued && valued[1] in VALUED) {
      options[VALUED[valued[1]]] = valued[2];
      continue;
    }
    throw new Error(`the editor does not know the build flag ${flag}; update the editor with the build`);
  }
  return options;
}
