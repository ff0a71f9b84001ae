#!/usr/bin/env node
// The CLI runs from one bundled file for a fast start (see scripts/bundle-cli.mjs).
import { main } from "../dist/journey.mjs";

process.exitCode = await main(process.argv.slice(2));
