import type { Command } from "commander";

// Placeholder until the parser lands: registers `parse FILE`.
export function registerParseCommand(program: Command): void {
  program
    .command("parse")
    .argument("<file>", "a saved HKEX page (HTML or JSON)")
    .description("Parse one saved page and print its JSON record")
    .action(() => {
      throw new Error("parse: not implemented yet");
    });
}
