// Reads one audit's JSON answer and says what it found, one line per advisory ("audit: <tool>: ...").
//   node scripts/audit-report.mjs nuget <file>           # `dotnet list package --vulnerable --include-transitive --format json`
//   node scripts/audit-report.mjs npm <file> [<folder>]  # `npm audit --omit=dev --json`
// Exit 0: no high or critical advisory; 1: at least one (its id printed); 3: the audit could not run (the
// reason printed), because the registry answered no vulnerability data or the answer is not an audit.
// Moderate and low advisories are printed as notes and do not fail.
import { readFileSync } from 'node:fs';

const [kind, file, label = ''] = process.argv.slice(2);
const failing = new Set(['high', 'critical']);
let found = 0;
let blind = '';

function advisory(severity, id, what) {
  const serious = failing.has(severity.toLowerCase());
  if (serious) found++;
  console.log(`audit: ${kind}${label ? ` (${label})` : ''}: ${serious ? 'FAIL' : 'note'} ${severity.toLowerCase()} ${id} ${what}`);
}

// An advisory's id is the last segment of its address (https://github.com/advisories/GHSA-xxxx-xxxx-xxxx).
const idOf = (url, fallback) => (url ? url.replace(/\/+$/, '').split('/').pop() : String(fallback ?? 'unknown-id'));

let answer;
try {
  answer = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  blind = `the answer is not JSON (${String(e.message).split('\n')[0]})`;
}

if (answer && kind === 'nuget') {
  const noData = (answer.problems ?? []).filter(p => /did not provide any vulnerability data/i.test(p.text ?? ''));
  if (noData.length > 0) blind = `${noData[0].text} (NuGet NU1905, for ${noData.length} project(s)): the feed serves no advisory database`;
  if (!Array.isArray(answer.projects)) blind ||= 'the answer lists no projects';
  const seen = new Set();
  for (const project of answer.projects ?? []) {
    for (const framework of project.frameworks ?? []) {
      for (const pkg of [...(framework.topLevelPackages ?? []), ...(framework.transitivePackages ?? [])]) {
        for (const v of pkg.vulnerabilities ?? []) {
          const key = `${pkg.id}/${pkg.resolvedVersion}/${v.advisoryurl}`;
          if (seen.has(key)) continue;
          seen.add(key);
          advisory(v.severity ?? 'unknown', idOf(v.advisoryurl), `${pkg.id} ${pkg.resolvedVersion} (${v.advisoryurl ?? 'no address'})`);
        }
      }
    }
  }
} else if (answer && kind === 'npm') {
  if (answer.vulnerabilities && typeof answer.vulnerabilities === 'object') {
    for (const [name, v] of Object.entries(answer.vulnerabilities)) {
      // "via" holds advisories (objects) and names of vulnerable dependencies (strings, reported under their own name).
      for (const via of (v.via ?? []).filter(x => typeof x === 'object')) {
        advisory(via.severity ?? v.severity ?? 'unknown', idOf(via.url, via.source), `${name} ${via.range ?? ''} ${via.title ?? ''} (${via.url ?? 'no address'})`.replace(/\s+/g, ' '));
      }
    }
  } else {
    blind = `the registry answered no audit: ${answer.message ?? answer.error?.summary ?? JSON.stringify(answer).slice(0, 200)}`;
  }
} else if (answer) {
  blind = `unknown kind '${kind}' (nuget or npm)`;
}

if (blind) console.log(`audit: ${kind}${label ? ` (${label})` : ''}: COULD NOT RUN: ${blind}`);
if (found > 0) process.exit(1);
process.exit(blind ? 3 : 0);
