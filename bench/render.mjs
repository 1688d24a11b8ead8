#!/usr/bin/env node
// Re-renders the console table and the Markdown report from a saved run:
//   node bench/render.mjs [bench/results/latest.json]   → bench/results/latest.md (next to the JSON)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printTable, writeMarkdown } from './lib/report.mjs';

const file = process.argv[2] ?? fileURLToPath(new URL('results/latest.json', import.meta.url));
const report = JSON.parse(readFileSync(file, 'utf8'));
printTable(report);
writeMarkdown(report, file.replace(/\.json$/, '.md'));
