/** Menu languages (lib/catalog/i18n.ts): tags, Accept-Language, negotiation and fallback. */
import assert from "node:assert/strict";
import {
  canonicalTag,
  matchLanguage,
  negotiateLanguage,
  offeredLanguages,
  parseAcceptLanguage,
  translated,
} from "../../lib/catalog/i18n.ts";

Deno.test("[i18n] tags and what a location offers", async (t) => {
  await t.step("canonicalTag: canonical case, or null", () => {
    assert.equal(canonicalTag("de-ch"), "de-CH");
    assert.equal(canonicalTag("EN"), "en");
    assert.equal(canonicalTag("zh-hant-tw"), "zh-Hant-TW");
    assert.equal(canonicalTag("not a tag"), null);
    assert.equal(canonicalTag(""), null);
  });
  await t.step("offeredLanguages: the default first, each once, canonical", () => {
    assert.deepEqual(offeredLanguages("en", ["de", "EN", "fr-ca", "de"]), ["en", "de", "fr-CA"]);
    assert.deepEqual(offeredLanguages("de", ["en"]), ["de", "en"]);
    assert.deepEqual(offeredLanguages("en"), ["en"]);
  });
});

Deno.test("[i18n] Accept-Language", async (t) => {
  await t.step("by q, then by order; q=0, * and malformed parts dropped", () => {
    assert.deepEqual(parseAcceptLanguage("de-DE,de;q=0.9,en;q=0.8"), ["de-DE", "de", "en"]);
    assert.deepEqual(parseAcceptLanguage("fr;q=0.5, en;q=0.9, de"), ["de", "en", "fr"]);
    assert.deepEqual(parseAcceptLanguage("en;q=0, de;q=0.1, *;q=0.5"), ["de"]);
    assert.deepEqual(parseAcceptLanguage("en;q=2, de;q=abc, fr"), ["fr"]);
    assert.deepEqual(parseAcceptLanguage("<script>, , ;q=1, it"), ["it"]);
    assert.deepEqual(parseAcceptLanguage(""), []);
  });
});

Deno.test("[i18n] choosing the language of an answer", async (t) => {
  const offered = ["en", "de", "fr-CH"];
  await t.step("matchLanguage: exact, then shorter forms, then the same language", () => {
    assert.equal(matchLanguage(offered, "DE"), "de");
    assert.equal(matchLanguage(offered, "de-AT"), "de");
    assert.equal(matchLanguage(offered, "fr"), "fr-CH");
    assert.equal(matchLanguage(offered, "fr-FR"), "fr-CH");
    assert.equal(matchLanguage(offered, "it"), null);
  });
  await t.step("?lang= first, then Accept-Language, then the default", () => {
    assert.equal(negotiateLanguage(offered, { query: "de" }), "de");
    assert.equal(negotiateLanguage(offered, { query: "en", acceptLanguage: "de" }), "en");
    assert.equal(negotiateLanguage(offered, { query: "it", acceptLanguage: "de" }), "de");
    assert.equal(negotiateLanguage(offered, { acceptLanguage: "it, fr;q=0.4" }), "fr-CH");
    assert.equal(negotiateLanguage(offered, { acceptLanguage: "it, es" }), "en");
    assert.equal(negotiateLanguage(offered, { query: "xx" }), "en");
    assert.equal(negotiateLanguage(offered, {}), "en");
  });
});

Deno.test("[i18n] translated(): field by field, shorter forms, then the default text", () => {
  const texts = { de: { name: "Burger", description: "" }, "de-CH": { name: "Bürger" } };
  assert.equal(translated(texts, "de-CH", "name", "Burger (en)"), "Bürger");
  assert.equal(translated(texts, "de-CH", "description", "Beef"), "Beef", "empty falls back");
  assert.equal(translated(texts, "de", "name", "Burger (en)"), "Burger");
  assert.equal(translated(texts, "fr", "name", "Burger (en)"), "Burger (en)");
  assert.equal(translated(undefined, "de", "name", "Burger (en)"), "Burger (en)");
});
