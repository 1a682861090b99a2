/**
 * The document every page shares: language, viewport, title, the style sheet and the page's
 * bundle (a module script, so it runs after the HTML is parsed; pages are useful before it).
 */
import type { ComponentChildren } from "preact";
import type { PageAssets } from "../lib/assets/assets.ts";

export function Layout(
  props: {
    lang: string;
    title: string;
    /** The style sheet, and the page's bundle when it has islands. */
    assets: { styles: string; script?: PageAssets["script"] };
    children: ComponentChildren;
  },
) {
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <link rel="icon" href="data:," />
        <title>{props.title}</title>
        <link rel="stylesheet" href={props.assets.styles} />
        {props.assets.script && <script type="module" src={props.assets.script} />}
      </head>
      <body>{props.children}</body>
    </html>
  );
}
