#!/usr/bin/env node
// Thin entry: starts the CLI (compiled to dist/ by `npm install` / `npm run build`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
