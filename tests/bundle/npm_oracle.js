// What npm itself makes of dependency specs: the oracle of tests/bundle/test_npm_spec.py.
// Reads {"specs": [...], "arguments": [...], "ranges": [...]} on stdin and prints, for each, npm-package-arg's
// type (npa.resolve(name, spec) as for a package.json dependency; npa(argument) as for the command line;
// "invalid" where it throws) and node-semver's loose valid/validRange. argv[2]: npm's own node_modules.
const path = require('path')
const root = process.argv[2]
const npa = require(path.join(root, 'npm-package-arg'))
const semver = require(path.join(root, 'semver'))
const kind = (fn) => { try { return fn().type } catch (e) { return 'invalid' } }
let input = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (d) => { input += d })
process.stdin.on('end', () => {
  const data = JSON.parse(input)
  process.stdout.write(JSON.stringify({
    specs: data.specs.map((s) => kind(() => npa.resolve('pkg', s, '/nonexistent'))),
    arguments: data.arguments.map((a) => kind(() => npa(a, '/nonexistent'))),
    ranges: data.ranges.map((r) => [semver.valid(r, true) !== null, semver.validRange(r, true) !== null]),
  }))
})
