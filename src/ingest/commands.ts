import type { Command } from "commander";

// Placeholder until ingest lands: registers `run`, `status`, `reparse`.
export function registerIngestCommands(_program: Command): void {}
