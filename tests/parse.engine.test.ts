// The streaming extraction engine on its own: what each spec and selector form finds.
import { describe, expect, it } from "vitest";
import { attr, compileDefinition, DefinitionError, extract, foldSpace, group, list, present, text } from "../src/hkex/parse-engine.ts";

const run = <F extends Parameters<typeof compileDefinition>[0]>(def: F, html: string) => extract(compileDefinition(def), html);

describe("parse engine", () => {
  const html = `<html><body>
    <div id="a" class="box  main">first <b>bold</b>&amp; more</div>
    <div class="box">second</div>
    <ul class="items"><li class="item odd" data-x="1">one</li><li class="item">two</li><li class="item odd skip">three</li></ul>
    <script>var s = '<div id="a">fake</div><li class="item">fake</li>';</script>
    </body></html>`;

  it("text, attr and present capture the first match; lists take every match", () => {
    const r = run(
      {
        endTag: "html",
        fields: {
          first: text("div.box"),
          mainText: text("#a"),
          missing: text("#nope"),
          hasMain: present(".main"),
          hasNothing: present(".nothing"),
          items: list("ul.items li.item:not(.skip)", { label: text("&"), x: attr("&", "data-x"), odd: present("&.odd") }),
        },
      },
      html,
    );
    expect(r.complete).toBe(true);
    expect(r.record).toEqual({
      first: "first bold& more",
      mainText: "first bold& more",
      hasMain: true,
      items: [
        { label: "one", x: "1", odd: true },
        { label: "two", x: "" },
      ],
    });
  });

  it("groups nest records; [attr] tests presence; & followed by a space means a descendant", () => {
    const r = run(
      {
        endTag: "html",
        fields: {
          list: group("ul", { firstWithX: text("li[data-x]"), second: text("& li:not(.odd)") }),
        },
      },
      html,
    );
    expect(r.record).toEqual({ list: { firstWithX: "one", second: "two" } });
  });

  it("a document without its end tag is not complete; implied closes do not count", () => {
    expect(run({ endTag: "html", fields: {} }, "<html><body><p>cut").complete).toBe(false);
    expect(run({ endTag: "html", fields: {} }, "<html><body><p>whole</p></body></html>").complete).toBe(true);
  });

  it("rejects selectors it cannot read", () => {
    expect(() => compileDefinition({ endTag: "html", fields: { x: text("div > p") } })).toThrow(DefinitionError);
    expect(() => compileDefinition({ endTag: "html", fields: { x: text(".a div") , y: text("#b.c span.d") } })).not.toThrow();
    expect(() => compileDefinition({ endTag: "html", fields: { x: text("&") } })).toThrow(DefinitionError);
  });

  it("foldSpace folds every kind of white space run and trims", () => {
    expect(foldSpace("  A\u00a0\u00a0B\n\tC\u3000D  ")).toBe("A B C D");
    expect(foldSpace("plain text")).toBe("plain text");
    expect(foldSpace("")).toBe("");
  });
});
